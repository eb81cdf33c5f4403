"""One notebook of a render, in a process of its own: `python -m course_utils.publish._worker JOB.json`.

`render` starts one such process per notebook, in a session of its own, so that a Ctrl-C in the
terminal reaches only the render, which then stops its workers itself. A worker stops its kernel and
exits at once when it is terminated (SIGTERM), and also when the render that started it disappears,
even by `kill -9`: it never outlives the render. The job file names the notebook, its parameters, the
output folder and where to write the result (JSON, written atomically).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path


def stop_process_trees(pids: list[int], timeout: float = 3.0) -> None:
    """Terminate processes and all their descendants (kernels included), all at once; kill what is left
    after `timeout` seconds."""
    import psutil

    tree = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            tree += [*root.children(recursive=True), root]
        except psutil.NoSuchProcess:
            pass
    for proc in tree:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(tree, timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout)


def _kill_children_and_exit(temporary: Path | None, code: int) -> None:
    import psutil

    stop_process_trees([child.pid for child in psutil.Process().children()], timeout=1.0)  # the kernel
    if temporary is not None:
        temporary.unlink(missing_ok=True)
    os._exit(code)


def _watch_parent(parent: int, temporary: Path) -> None:
    while True:
        if os.getppid() != parent:  # the render is gone: do not leave a kernel running for nobody
            _kill_children_and_exit(temporary, 1)
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    from ..progress import RENDER_ENV
    from .execute import DiskFull, Result, _atomic_text, render_one

    job = json.loads(Path(argv[0]).read_text())
    os.environ[RENDER_ENV] = "1"  # inherited by the kernel: progress bars end as one line of text (progress.py)
    notebook, out_dir = Path(job["notebook"]), Path(job["out_dir"])
    temporary = out_dir / f".{notebook.stem}.running.ipynb"
    signal.signal(signal.SIGTERM, lambda *_: _kill_children_and_exit(temporary, 143))
    threading.Thread(target=_watch_parent, args=(job["parent"], temporary), daemon=True).start()
    try:
        result = render_one(notebook, job["params"], out_dir, job["overrides"], job["timeout"])
    except DiskFull as exc:  # "no space left on ...": the render stops
        result = Result(notebook.name, status="FAILED", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - reported in the index, not as a traceback
        result = Result(notebook.name, status="FAILED", error=f"{type(exc).__name__}: {exc}".splitlines()[0][:400])
    _atomic_text(Path(job["result"]), json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
