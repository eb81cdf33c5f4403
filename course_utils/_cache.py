"""Where Keras keeps downloads, and hash checks for files found there."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


class CorruptFileError(RuntimeError):
    """A cached or bundled file exists but does not have the expected content."""


def keras_home() -> Path:
    """`$KERAS_HOME`, else ~/.keras: read at call time, so tests can point it at a temporary folder."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def file_hash(path: Path, algorithm: str) -> str:
    """Hash of the file's bytes, read up to the size it has when opened (never an endless read)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        left = os.fstat(f.fileno()).st_size
        while left > 0 and (block := f.read(min(left, 1 << 20))):
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


_KINDS = {stat.S_ISDIR: "a folder", stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device",
          stat.S_ISFIFO: "a named pipe", stat.S_ISSOCK: "a socket"}  # fmt: skip


def _not_a_file(path: Path) -> str | None:
    """What `path` is when it is not a regular file (a folder, a device, a broken link...), else None."""
    try:
        mode = os.stat(path).st_mode  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        return "a symbolic link to a missing file" if os.path.islink(path) else "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS.items() if test(mode)), "not a regular file")
    return f"{kind} (through a symbolic link to {os.path.realpath(path)})" if os.path.islink(path) else kind


def verify(
    path: Path,
    expected: str,
    what: str,
    fix: str = "Delete the file so that it is downloaded again, or choose another source.",
) -> None:
    """Raise CorruptFileError naming the file and the fix if its hash is not `expected`.

    The algorithm follows from the length of `expected` (32 hex digits: md5, 64: sha256), as in Keras.
    """
    odd = _not_a_file(path)
    if odd:  # opening a folder fails; reading a device or a pipe would never end
        raise CorruptFileError(f"{what} at {path} is {odd}, not a file. {fix}")
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
