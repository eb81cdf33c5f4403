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
    if path.exists():
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


def load_image_folder(path, size: int, min_per_class: int = 2) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Your own images: a folder with one sub-folder of images per class.

    Returns (images, labels, class names): images float32 (N, size, size, 3) on the 0..255 scale, resized
    with bilinear filtering; labels int64 indexing the class names (the sub-folder names, sorted; hidden
    folders such as .ipynb_checkpoints are skipped). ValueError, in one line, for a folder without at least
    two classes, a class with fewer than `min_per_class` images, or a file that is not a readable image
    (its path named).
    """
    from pathlib import Path

    from PIL import Image, UnidentifiedImageError

    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{str(path)!r} is not a folder; give a folder with one sub-folder of images per class")
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        c.name: sorted(f for f in c.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES) for c in classes
    }
    if len(files) < 2:
        raise ValueError(
            f"{str(path)!r} needs at least 2 class sub-folders (e.g. {folder / 'cats'}/*.jpg and "
            f"{folder / 'dogs'}/*.jpg), found {sorted(files) or 'none'}"
        )
    too_few = {name: len(f) for name, f in files.items() if len(f) < min_per_class}
    if too_few:
        raise ValueError(
            f"{str(path)!r}: every class needs at least {min_per_class} images "
            f"({', '.join(IMAGE_SUFFIXES)}); too few in {too_few}"
        )
    images, labels = [], []
    for label, name in enumerate(files):
        for f in files[name]:
            try:
                with Image.open(f) as im:
                    im = im.convert("RGB").resize((size, size), Image.BILINEAR)
                    images.append(np.asarray(im, dtype="float32"))
            except (UnidentifiedImageError, OSError, SyntaxError) as exc:
                raise ValueError(f"{f} is not a readable image ({type(exc).__name__}); remove or replace it") from None
            labels.append(label)
    print(f"Folder {folder}: {len(labels)} images in {len(files)} classes {list(files)}")
    return np.stack(images), np.array(labels, dtype="int64"), list(files)
