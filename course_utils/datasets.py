"""Offline-first data loaders. Each prints one line saying which source it used.

- Handwritten digits: MNIST (28 x 28, 70,000 images) when it is in the Keras cache or can be
  downloaded; otherwise scikit-learn's bundled digits (8 x 8 scans, 1,797 images), which are always
  available. `source="digits"` or `source="mnist"` asks for one of them explicitly.
- Photos: scikit-image's bundled sample images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._cache import download, keras_home, verify

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DIGIT_SOURCES = ("auto", "mnist", "digits")
PHOTOS = (
    "astronaut", "coffee", "chelsea", "camera", "rocket", "coins",  # scikit-image
    "motorcycle", "hubble_deep_field", "immunohistochemistry", "colorwheel",  # scikit-image
    "china", "flower",  # scikit-learn's load_sample_image
    "grace_hopper",  # matplotlib's sample data
)  # fmt: skip


def _read_photo(name: str) -> tuple[np.ndarray, str]:
    """The bundled photo `name` as uint8 (H, W, 3) or (H, W), and the package it ships in."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg"), "scikit-learn"
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
            return np.asarray(image.convert("RGB")), "matplotlib"
    from skimage import data

    if name == "motorcycle":
        return data.stereo_motorcycle()[0], "scikit-image"
    return getattr(data, name)(), "scikit-image"


@dataclass
class Digits:
    """Images are float32 in [0, 1] with shape (N, H, W, 1); labels are int64 in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self) -> str:
        return f"Digits(source={self.source!r}, train={self.x_train.shape}, test={self.x_test.shape})"


def _mnist_path(allow_download: bool):
    """Path of a verified mnist.npz, or None if it is neither cached nor downloadable."""
    path = keras_home() / "datasets" / "mnist.npz"
    if path.exists() or path.is_symlink():  # verify names a folder, a device or a broken link in one line
        verify(path, MNIST_SHA256, "The cached MNIST file")
        return path
    if not allow_download:
        return None
    try:
        return download("mnist.npz", MNIST_URL, MNIST_SHA256, "datasets")
    except OSError:
        return None


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    from skimage.transform import resize

    if images.shape[1] == size:
        return images
    out = resize(images, (images.shape[0], size, size), order=1, anti_aliasing=images.shape[1] > size)
    return out.astype(np.float32)


def load_digits(
    source: str = "auto",
    image_size: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    allow_download: bool = True,
) -> Digits:
    """Handwritten digits, scaled to [0, 1], with a channel axis.

    source: "auto" (MNIST if cached or downloadable, else scikit-learn's digits), "mnist" or "digits".
    image_size: resize to image_size x image_size (bilinear); None keeps 28 (MNIST) or 8 (digits).
    n_train, n_test: keep a random, class-balanced-in-expectation subset of this many images.
    scikit-learn's digits have no official split: a stratified 75/25 split with `seed` is used.
    """
    if source not in DIGIT_SOURCES:
        raise ValueError(f"source must be one of {DIGIT_SOURCES}, got {source!r}")
    rng = np.random.default_rng(seed)
    path = _mnist_path(allow_download) if source in ("auto", "mnist") else None
    if path is not None:
        with np.load(path, allow_pickle=False) as f:
            x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
        x_train = x_train.astype(np.float32) / 255.0
        x_test = x_test.astype(np.float32) / 255.0
        label = f"MNIST from {path}"
    elif source == "mnist":
        raise OSError(
            f"MNIST is not in the Keras cache ({keras_home() / 'datasets'}) and could not be downloaded. "
            "Use source='digits' for scikit-learn's bundled digits, or copy mnist.npz into that folder."
        )
    else:
        from sklearn.datasets import load_digits as sk_digits
        from sklearn.model_selection import train_test_split

        bunch = sk_digits()
        images = (bunch.images / 16.0).astype(np.float32)  # pixel values are 0..16
        x_train, x_test, y_train, y_test = train_test_split(
            images, bunch.target, test_size=0.25, stratify=bunch.target, random_state=seed
        )
        why = "as asked" if source == "digits" else "MNIST not cached and not downloadable"
        label = f"scikit-learn's bundled digits (8 x 8 scans; {why})"

    def subset(x, y, n):
        if n is None or n >= len(x):
            return x, y
        keep = rng.choice(len(x), size=n, replace=False)
        return x[keep], y[keep]

    x_train, y_train = subset(x_train, y_train, n_train)
    x_test, y_test = subset(x_test, y_test, n_test)
    if image_size is not None:
        x_train, x_test = _resize(x_train, image_size), _resize(x_test, image_size)
    data = Digits(x_train[..., None], y_train.astype(np.int64), x_test[..., None], y_test.astype(np.int64), label)
    print(f"Digits: {label}; train {data.x_train.shape}, test {data.x_test.shape}")
    return data


def load_photo(
    name: str = "astronaut", size: int | None = None, gray: bool = False, announce: bool = True
) -> np.ndarray:
    """A sample photo bundled with scikit-image, scikit-learn or matplotlib, as uint8 (H, W, 3), or (H, W) if gray.

    size: resize so that the shorter side is `size` pixels, then crop the centre square.
    announce: print one line naming the photo, its package and its shape.
    """
    if name not in PHOTOS:
        raise ValueError(f"photo must be one of {', '.join(PHOTOS)}; got {name!r}")
    from skimage import color, transform, util

    image, package = _read_photo(name)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = image[..., :3]
    if size is not None:
        h, w = image.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        image = image[top : top + s, left : left + s]
        image = util.img_as_ubyte(transform.resize(image, (size, size), anti_aliasing=True))
    if gray:
        image = util.img_as_ubyte(color.rgb2gray(image))
    if announce:
        print(f"Photo: {package}'s bundled '{name}' image, shape {image.shape}")
    return image


IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class DataFolderError(ValueError):
    """A folder of the user's images cannot be used (too few classes or images, an unreadable file). The render
    reports a notebook that stops on it as bad input: its one line, exit 2."""


def _image_files(class_folder) -> list:
    """The image files anywhere under `class_folder`, sorted; hidden files and folders (a leading dot, such as
    macOS's ._photo.jpg or .ipynb_checkpoints) are skipped."""
    return sorted(
        f
        for f in class_folder.rglob("*")
        if f.is_file()
        and f.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in f.relative_to(class_folder).parts)
    )


def _read_image(f, size: int) -> np.ndarray:
    """One image file as float32 (size, size, 3); DataFolderError (a ValueError) in one line naming the file if
    it cannot be read or is so large that PIL treats it as a decompression bomb."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a warning would be lost in a render
            with Image.open(f) as im:
                return np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR), dtype="float32")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataFolderError(
            f"{f} has more pixels than PIL reads safely ({Image.MAX_IMAGE_PIXELS:,}; a possible decompression "
            "bomb); shrink or remove it"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataFolderError(f"{f} is not a readable image ({type(exc).__name__}); remove or replace it") from None


def load_image_folder(
    path, size: int, min_per_class: int = 2, needs: dict[str, int] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Your own images: a folder with one sub-folder of images per class.

    Returns (images, labels, class names): images float32 (N, size, size, 3) on the 0..255 scale, resized
    with bilinear filtering; labels int64 indexing the class names (the sub-folder names, sorted). Hidden
    files and folders (a leading dot) are skipped. `needs` says what the caller takes from every class,
    e.g. {"held out": 30, "labelled": 3}: each class must have at least their sum (else `min_per_class`)
    images, checked before any image is read. DataFolderError (a ValueError), in one line, for a folder
    without at least two classes, a class with too few images (named, with its count and what is needed),
    or a file that is not a readable image or is too large to read safely (its path named).
    """
    from pathlib import Path

    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataFolderError(f"{str(path)!r} is not a folder; give a folder with one sub-folder of images per class")
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {c.name: _image_files(c) for c in classes}
    if len(files) < 2:
        raise DataFolderError(
            f"{str(path)!r} needs at least 2 class sub-folders (e.g. {folder / 'cats'}/*.jpg and "
            f"{folder / 'dogs'}/*.jpg), found {sorted(files) or 'none'}"
        )
    needed = sum(needs.values()) if needs else min_per_class
    too_few = {name: len(f) for name, f in files.items() if len(f) < needed}
    if too_few:
        name, count = min(too_few.items(), key=lambda item: item[1])
        why = f" ({' + '.join(f'{n} {what}' for what, n in needs.items())})" if needs else ""
        others = f"; too few also in {sorted(set(too_few) - {name})}" if len(too_few) > 1 else ""
        raise DataFolderError(
            f"{str(path)!r}: class {name!r} has {count} images ({', '.join(IMAGE_SUFFIXES)}), but every class "
            f"needs at least {needed}{why}; add images or take fewer{others}"
        )
    images, labels = [], []
    for label, name in enumerate(files):
        for f in files[name]:
            images.append(_read_image(f, size))
            labels.append(label)
    print(f"Folder {folder}: {len(labels)} images in {len(files)} classes {list(files)}")
    return np.stack(images), np.array(labels, dtype="int64"), list(files)
