"""Shared test set-up: TensorFlow quiet, and KERAS_HOME in a temporary folder for every test, so tests
never read, depend on, or damage the user's own Keras cache."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def offline(monkeypatch):
    """Make every download fail at once, as on a machine with no network."""
    def refuse(*args, **kwargs):
        raise OSError("network disabled for this test")

    import course_utils.datasets
    import course_utils.models

    monkeypatch.setattr(course_utils.datasets, "download", refuse)
    monkeypatch.setattr(course_utils.models, "download", refuse)
