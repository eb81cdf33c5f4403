"""Typical mistakes in the shift experiment of notebook 06 (joined to test_exercises.MISTAKES)."""

import numpy as np


def _changes(images, shifts, maps, *, move, relative_to_moved=False):
    base = maps(images)
    out = np.zeros((len(shifts), len(base), len(images)))
    for row, d in enumerate(shifts):
        for col, (a, b) in enumerate(zip(base, maps(move(images, d)))):
            a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
            norm = np.linalg.norm(b if relative_to_moved else a, axis=1)
            out[row, col] = np.linalg.norm(b - a, axis=1) / np.maximum(norm, 1e-12)
    return out


def _right(images, d):
    moved = np.zeros_like(images)
    moved[:, :, d:] = images[:, :, : images.shape[2] - d]
    return moved


def _right_minus_d(images, d):  # images[:, :, :-d]: for d = 0 that slice is empty, and the image turns blank
    moved = np.zeros_like(images)
    if d:
        moved[:, :, d:] = images[:, :, :-d]
    return moved


def _rolled(images, d):
    return np.roll(images, d, axis=2)  # what leaves on the right comes back on the left


def _left(images, d):
    return _right(images[:, :, ::-1], d)[:, :, ::-1]


MISTAKES = {
    "06.shift_changes": [
        lambda images, shifts, maps: _changes(images, shifts, maps, move=_right_minus_d),  # d = 0 blanks the image
        lambda images, shifts, maps: _changes(images, shifts, maps, move=_rolled),  # wraps around
        lambda images, shifts, maps: _changes(images, shifts, maps, move=_right, relative_to_moved=True),  # wrong norm
        lambda images, shifts, maps: _changes(images, shifts, maps, move=_left),  # shifted the wrong way
    ],
}

NAMED = {  # what the check's message names for each mistake: the case that shows it
    "06.shift_changes": ["no shift (d = 0)", "last column", "last column", "one pixel moved by 1"],
}
