"""Helpers for the convolutional-networks course.

Importing this package is cheap: TensorFlow is imported only by `setup()` and by the modules that
need it (`models`, `filters`), so `layer_math` can be used on its own.
"""

from __future__ import annotations

import os
import platform

__version__ = "0.1.0"
__all__ = ["setup", "verify"]


def __getattr__(name):  # `course_utils.verify` without importing NumPy at package import
    if name == "verify":
        from .claims import verify

        return verify
    if name == "check_parameters":
        from .params import check_parameters

        return check_parameters
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")

_announced = False


def _quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python logging; must run before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ INFO/WARNING/ERROR from the runtime
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_tensorflow_silently():
    """Import TensorFlow with the C-level stderr sent to /dev/null.

    TensorFlow 2.21 writes a few INFO lines (oneDNN, CUDA stubs) to file descriptor 2 while it loads,
    before it reads TF_CPP_MIN_LOG_LEVEL. They would land in every notebook's output; nothing else is hidden.
    """
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def setup(seed: int = 0, announce: bool = True) -> None:
    """First call of every notebook: quiet logs, seed everything, matplotlib defaults, versions.

    Call it before importing TensorFlow or Keras yourself. Calling it again only re-seeds.
    """
    global _announced
    _quiet_tensorflow()
    import logging
    import warnings

    import numpy as np

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module="keras")
    tf = _import_tensorflow_silently()
    import keras

    tf.get_logger().setLevel(logging.ERROR)
    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and the backend at once

    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 80,
            "axes.grid": False,  # grid lines would also be drawn over images
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.interpolation": "nearest",
        }
    )
    from .params import watch_cells

    watch_cells()  # lets check_parameters() find the parameters cell, however the notebook is run
    if announce and not _announced:
        devices = ", ".join(d.device_type for d in tf.config.list_physical_devices()) or "none"
        print(
            f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__} | "
            f"NumPy {np.__version__} | devices: {devices} | CPU cores: {os.cpu_count()} | seed {seed}"
        )
        _announced = True
