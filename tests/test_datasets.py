"""Offline-first loaders: the bundled source is used offline and named; cached files are hash-checked."""

import numpy as np
import pytest

from course_utils import datasets
from course_utils._cache import CorruptFileError


def test_auto_offline_uses_bundled_digits_and_says_why(offline, capsys):
    data = datasets.load_digits()
    out = capsys.readouterr().out
    assert "scikit-learn's bundled digits" in out and "MNIST not cached" in out
    assert data.x_train.shape == (1347, 8, 8, 1) and data.x_test.shape == (450, 8, 8, 1)
    assert data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() and data.x_train.max() == 1.0
    assert set(np.unique(data.y_train)) == set(range(10))
    # the split is stratified: every class is in the test set in proportion
    assert np.bincount(data.y_test).min() >= 40


def test_subsets_resizing_and_seed_are_reproducible(offline):
    a = datasets.load_digits("digits", image_size=28, n_train=100, n_test=50, seed=3)
    b = datasets.load_digits("digits", image_size=28, n_train=100, n_test=50, seed=3)
    assert a.x_train.shape == (100, 28, 28, 1) and a.x_test.shape == (50, 28, 28, 1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)


def test_mnist_explicitly_requested_offline_fails_with_the_way_out(offline):
    with pytest.raises(OSError, match="source='digits'"):
        datasets.load_digits("mnist")


def test_cached_mnist_is_used_when_its_hash_matches(offline, keras_home, monkeypatch, capsys):
    path = keras_home / "datasets" / "mnist.npz"
    path.parent.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 20, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 10, dtype=np.uint8),
    }
    np.savez(path, **arrays)
    from course_utils._cache import file_hash

    monkeypatch.setattr(datasets, "MNIST_SHA256", file_hash(path, "sha256"))  # our stand-in file is "the" MNIST
    data = datasets.load_digits()
    assert "MNIST from" in capsys.readouterr().out
    assert data.x_train.shape == (20, 28, 28, 1)
    np.testing.assert_allclose(data.x_train[..., 0], arrays["x_train"] / 255.0, rtol=1e-6)


def test_corrupt_cached_mnist_is_reported_not_skipped(offline, keras_home):
    path = keras_home / "datasets" / "mnist.npz"
    path.parent.mkdir()
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CorruptFileError, match="mnist.npz"):
        datasets.load_digits()


def test_photos_are_uint8_and_square_when_resized(capsys):
    image = datasets.load_photo("chelsea", size=64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert image.std() > 10  # a real picture, not a blank
    gray = datasets.load_photo("camera", gray=True)
    assert gray.ndim == 2 and gray.dtype == np.uint8
    assert "scikit-image's bundled 'camera'" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["china", "grace_hopper", "motorcycle"])
def test_photos_from_every_package_load_offline(name, capsys):
    image = datasets.load_photo(name, size=96)
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8 and image.std() > 10
    package = {"china": "scikit-learn", "grace_hopper": "matplotlib", "motorcycle": "scikit-image"}[name]
    assert f"{package}'s bundled '{name}'" in capsys.readouterr().out
    datasets.load_photo(name, size=32, announce=False)
    assert capsys.readouterr().out == ""


def test_unknown_names_list_the_allowed_ones():
    with pytest.raises(ValueError, match="astronaut"):
        datasets.load_photo("lena")
    with pytest.raises(ValueError, match="digits"):
        datasets.load_digits("cifar10")


def test_offline_download_prints_nothing_and_raises_oserror(monkeypatch, capsys):
    """Keras' get_file prints "Downloading data from ..." before it fails; offline we must not call it."""
    import socket

    import keras

    from course_utils import _cache

    def no_network(*args, **kwargs):
        raise OSError("Network is unreachable")

    called = []
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: called.append(a))
    with pytest.raises(OSError, match="no connection to its host"):
        _cache.download("mnist.npz", "https://example.invalid/mnist.npz", "0" * 64, "datasets")
    assert called == [] and capsys.readouterr().out == ""


def _folder(tmp_path, counts):
    from PIL import Image

    for name, n in counts.items():
        (tmp_path / "data" / name).mkdir(parents=True)
        for k in range(n):
            Image.fromarray(np.full((20, 30, 3), 40 * k, dtype="uint8")).save(tmp_path / "data" / name / f"{k}.png")
    return tmp_path / "data"


def test_load_image_folder_reads_classes_in_order(tmp_path):
    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, {"b_grass": 2, "a_brick": 3})
    (folder / ".ipynb_checkpoints").mkdir()
    images, labels, names = load_image_folder(folder, 16)
    assert names == ["a_brick", "b_grass"] and images.shape == (5, 16, 16, 3) and images.dtype == np.float32
    assert labels.tolist() == [0, 0, 0, 1, 1] and images[1].max() == 40


@pytest.mark.parametrize(
    ("counts", "bad_file", "message"),
    [
        ({"a": 3}, None, "needs at least 2 class sub-folders"),
        ({"a": 3, "b": 1}, None, r"too few in \{'b': 1\}"),
        ({"a": 3, "b": 3}, "b/fake.jpg", r"b/fake.jpg is not a readable image"),
        ({"a": 3, "b": 3}, "a/empty.png", r"a/empty.png is not a readable image"),
    ],
)
def test_load_image_folder_names_what_is_wrong(tmp_path, counts, bad_file, message):
    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, counts)
    if bad_file:
        (folder / bad_file).write_bytes(b"" if bad_file.endswith(".png") else b"not an image")
    with pytest.raises(ValueError, match=message):
        load_image_folder(folder, 16)
