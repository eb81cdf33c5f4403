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
        ({"a": 3, "b": 1}, None, r"class 'b' has 1 images .*needs at least 2; add images"),
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


@pytest.mark.parametrize("odd", ["folder", "dev_zero", "fifo", "broken_link"])
def test_a_cached_mnist_that_is_not_a_file_is_named_in_one_line_at_once(offline, keras_home, odd):
    """A folder gave a raw IsADirectoryError; a link to /dev/zero (or a named pipe) hashed forever."""
    import os
    import signal

    path = keras_home / "datasets" / "mnist.npz"
    path.parent.mkdir()
    if odd == "folder":
        path.mkdir()
    elif odd == "dev_zero":
        path.symlink_to("/dev/zero")
    elif odd == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(keras_home / "gone.npz")

    def hung(*_):
        raise TimeoutError("load_digits still reading the cached file after 10 s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        with pytest.raises(CorruptFileError) as info:
            datasets.load_digits()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "not a file" in message
    kind = {"folder": "a folder", "dev_zero": "a character device", "fifo": "a named pipe",
            "broken_link": "a symbolic link to a missing file"}[odd]  # fmt: skip
    assert kind in message


def test_load_image_folder_refuses_a_class_too_small_for_the_split_before_reading(tmp_path, monkeypatch):
    from course_utils import datasets

    folder = _folder(tmp_path, {"big": 6, "small": 4, "tiny": 2})
    monkeypatch.setattr(datasets, "_read_image", lambda *a: pytest.fail("read an image before checking the counts"))
    with pytest.raises(ValueError) as raised:
        datasets.load_image_folder(folder, 16, needs={"held out": 3, "labelled": 2})
    message = str(raised.value)
    assert "\n" not in message
    assert "class 'tiny' has 2 images" in message and "needs at least 5 (3 held out + 2 labelled)" in message
    assert "too few also in ['small']" in message


def test_load_image_folder_gives_the_split_what_it_needs(tmp_path):
    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, {"a": 5, "b": 7})
    _, labels, names = load_image_folder(folder, 8, needs={"held out": 3, "labelled": 2})
    assert names == ["a", "b"] and np.bincount(labels).tolist() == [5, 7]


def test_load_image_folder_skips_hidden_files_and_folders(tmp_path):
    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, {"a": 2, "b": 2})
    (folder / "a" / "._0.png").write_bytes(b"macOS resource fork, not an image")
    (folder / "b" / ".thumbs").mkdir()
    (folder / "b" / ".thumbs" / "x.jpg").write_bytes(b"not an image either")
    images, labels, _ = load_image_folder(folder, 8)
    assert labels.tolist() == [0, 0, 1, 1] and images.shape == (4, 8, 8, 3)


@pytest.mark.parametrize("limit", [500, 200])  # 20 x 30 = 600 pixels: a warning above 500, PIL's error above 2 x 200
def test_load_image_folder_names_a_decompression_bomb(tmp_path, monkeypatch, limit):
    from PIL import Image

    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, {"a": 2, "b": 2})
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(ValueError, match=r"a/0.png has more pixels than PIL reads safely .*shrink or remove it$"):
        load_image_folder(folder, 8)


def test_load_image_folder_names_a_truncated_image(tmp_path):
    from course_utils.datasets import load_image_folder

    folder = _folder(tmp_path, {"a": 2, "b": 2})
    whole = (folder / "b" / "1.png").read_bytes()
    (folder / "b" / "1.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"b/1.png is not a readable image \(OSError\)"):
        load_image_folder(folder, 8)
