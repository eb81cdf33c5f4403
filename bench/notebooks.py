"""Run every notebook with its default parameters and print wall time and peak memory of each.

Budgets (DESIGN.md): at most 90 s wall (kernel start included) and 3 GB peak memory per notebook,
and the whole course at most 8 minutes. The run time each notebook states in its first cell
("Expected run time ... about N s" or "about N to M seconds") and the one in the README's table
("~N s") must match the measurement within 25%; a stated time that does not is flagged STALE.

Each notebook runs in a fresh child process that starts its own kernel; wall time is measured around
that child, and peak memory is the largest resident set of the child and its kernel (os.wait4
reports the maximum over the child and the processes it waited for).

    python bench/notebooks.py [NOTEBOOK ...] [--timeout 600]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.publish.render import discover  # noqa: E402

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=int(sys.argv[3]), kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def run(notebook: Path, timeout: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(notebook), workdir, str(timeout)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            sys.stderr.write(proc.stderr.read().decode()[-2000:])
        proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024**2, proc.returncode  # ru_maxrss is in KiB on Linux


STATED = re.compile(r"about (\d+)(?: to (\d+))? ?(?:s\b|seconds)")


def stated_times(notebook: Path) -> tuple[tuple[int, int] | None, int | None]:
    """((low, high) stated in the notebook's first cell, seconds in the README's row), None where missing."""
    first = json.loads(notebook.read_text())["cells"][0]["source"]
    m = STATED.search("".join(first).split("Expected run time", 1)[-1])
    in_notebook = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else None
    row = next((line for line in (ROOT / "README.md").read_text().splitlines() if f"[{notebook.name}]" in line), "")
    m = re.search(r"~(\d+) s", row)
    return in_notebook, int(m.group(1)) if m else None


def matches(stated: tuple[int, int] | None, seconds: float) -> bool:
    return stated is not None and 0.75 * stated[0] <= seconds <= 1.25 * stated[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or discover(ROOT / "notebooks")
    print(f"{'notebook':34} {'wall s':>7} {'peak GB':>8}  budget (90 s, 3 GB)   stated: notebook / README")
    total, worst = 0.0, 0
    for nb in notebooks:
        seconds, peak_gb, code = run(nb, args.timeout)
        total += seconds
        ok = code == 0 and seconds <= 90 and peak_gb <= 3
        worst |= not ok
        verdict = "ok" if ok else ("FAILED to run" if code else "OVER BUDGET")
        in_nb, in_readme = stated_times(nb)
        readme = (in_readme, in_readme) if in_readme else None
        said = [
            f"{'-'.join(map(str, dict.fromkeys(t))) if t else '?'} s {'ok' if matches(t, seconds) else 'STALE'}"
            for t in (in_nb, readme)
        ]
        print(f"{nb.name:34} {seconds:7.1f} {peak_gb:8.2f}  {verdict:20}  {' / '.join(said)}", flush=True)
    print(f"{'total':34} {total:7.1f}           budget 480 s: {'ok' if total <= 480 else 'OVER BUDGET'}")
    return 1 if worst or total > 480 else 0


if __name__ == "__main__":
    sys.exit(main())
