"""Where Keras keeps downloads, and hash checks for files found there."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class CorruptFileError(RuntimeError):
    """A cached or bundled file exists but does not have the expected content."""


def keras_home() -> Path:
    """`$KERAS_HOME`, else ~/.keras: read at call time, so tests can point it at a temporary folder."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(
    path: Path,
    expected: str,
    what: str,
    fix: str = "Delete the file so that it is downloaded again, or choose another source.",
) -> None:
    """Raise CorruptFileError naming the file and the fix if its hash is not `expected`.

    The algorithm follows from the length of `expected` (32 hex digits: md5, 64: sha256), as in Keras.
    """
    algorithm = "md5" if len(expected) == 32 else "sha256"
    actual = file_hash(path, algorithm)
    if actual != expected:
        raise CorruptFileError(
            f"{what} at {path} is corrupt or truncated ({path.stat().st_size:,} bytes, {algorithm} {actual[:12]}..., "
            f"expected {expected[:12]}...). {fix}"
        )


def reachable(origin: str, timeout: float = 3.0) -> bool:
    """Whether the host of `origin` accepts a connection (quick: a machine without network fails at once)."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(origin)
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)), timeout).close()
    except OSError:
        return False
    return True


def download(fname: str, origin: str, file_hash: str, subdir: str) -> Path:
    """Download into the Keras cache with Keras' own `get_file` (hash-checked); raise OSError when offline.

    The host is tried first, so that an offline machine gets no "Downloading data from ..." line from
    Keras before the loader's own line saying which source it used instead.
    """
    import keras

    if not reachable(origin):
        raise OSError(f"could not download {origin}: no connection to its host")
    try:
        return Path(
            keras.utils.get_file(fname, origin, file_hash=file_hash, cache_subdir=subdir, cache_dir=str(keras_home()))
        )
    except Exception as exc:  # get_file wraps network errors in Exception subclasses of several kinds
        raise OSError(f"could not download {origin}: {exc}") from exc
