"""Plots used across notebooks: training curves of several runs, image grids, histograms."""

from __future__ import annotations

import numpy as np


def _history_dict(run) -> dict:
    return run.history if hasattr(run, "history") else dict(run)


def plot_histories(runs: dict, metrics=("loss",), title: str | None = None, logy: bool = False):
    """Training curves of several runs side by side: one panel per metric, one colour per run.

    runs: {label: keras History or {metric: [value per epoch]}}; a metric's "val_" curve is dashed.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (label, run) in enumerate(runs.items()):
            hist = _history_dict(run)
            colour = f"C{i}"
            if metric in hist:
                epochs = np.arange(1, len(hist[metric]) + 1)
                ax.plot(epochs, hist[metric], color=colour, label=f"{label} (train)")
            if f"val_{metric}" in hist:
                epochs = np.arange(1, len(hist[f"val_{metric}"]) + 1)
                ax.plot(epochs, hist[f"val_{metric}"], color=colour, ls="--", label=f"{label} (validation)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if logy:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def to_uint8(image) -> np.ndarray:
    """Scale any image to 0..255 uint8 for imshow: uint8 stays as is, others are min-max scaled."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    lo, hi = float(image.min()), float(image.max())
    scaled = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image, dtype=float)
    return (scaled * 255).round().astype(np.uint8)


def show_images(images, titles=None, ncols: int = 8, size: float = 1.6, cmap: str = "gray", suptitle=None):
    """A grid of images (each converted to uint8); `titles` gives one caption per image."""
    import matplotlib.pyplot as plt

    images = list(images)
    nrows = int(np.ceil(len(images) / ncols))
    ncols = min(ncols, len(images))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.ravel(), images)):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        ax.imshow(to_uint8(image), cmap=cmap if image.ndim == 2 else None, vmin=0, vmax=255)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_histograms(samples: dict, bins: int = 50, xlabel: str = "value", title: str | None = None):
    """Overlaid histograms (as densities) of several named samples."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in samples.items():
        ax.hist(np.ravel(values), bins=bins, density=True, histtype="step", lw=1.5, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
