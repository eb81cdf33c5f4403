"""Command line: python -m course_utils render|strip|record ... (see --help)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

try:
    from .publish import nbtools, render
except KeyboardInterrupt:  # Ctrl-C while the modules load: nothing has started yet
    print("interrupted before any notebook started", file=sys.stderr)
    sys.exit(130)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="execute notebooks with papermill and export HTML with an index page")
    r.add_argument("notebooks", nargs="*", type=Path, help="notebooks to render (default: all in notebooks/)")
    render.add_parameter_option(r, "override a parameter of the notebooks' parameters cell (repeatable)")
    r.add_argument("--out", type=Path, default=Path("build/course"), help="output folder (default: build/course)")
    r.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default: 1)")
    r.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell (default: no limit)")
    r.add_argument(
        "--repository-url",
        default=None,
        help="the course's repository (e.g. https://github.com/you/course): adds Colab and Binder buttons to the "
        "book's pages (default: none)",
    )
    r.add_argument(
        "--edition",
        choices=("instructor", "student"),
        default="instructor",
        help="instructor: notebooks with solutions (default); student: solutions replaced by stubs, "
        "the clean student notebooks saved in <out>/student/ for download",
    )

    s = sub.add_parser(
        "strip",
        help="remove outputs and execution counts, except in check cells (tag nbval-check-output)",
    )
    s.add_argument("notebooks", nargs="*", type=Path)
    s.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not clean")

    rec = sub.add_parser("record", help="run notebooks with defaults; store their check cells' outputs as references")
    rec.add_argument("notebooks", nargs="*", type=Path)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    notebooks = list(args.notebooks) or render.discover()
    if args.command == "render":
        overrides = dict(args.parameter)
        twice = sorted(name for name, count in Counter(n for n, _ in args.parameter).items() if count > 1)
        problems = [f"-p {render.params.cut(name)} is given more than once; give each parameter once"
                    for name in twice]
        if args.jobs < 1:
            problems.append(f"--jobs must be at least 1, got {args.jobs}")
        if args.timeout is not None and args.timeout < 1:
            problems.append(f"--timeout must be at least 1 second (leave it out for no limit), got {args.timeout}")
        if problems:
            print(f"error: {problems[0]}", file=sys.stderr)
            return 2
        try:
            results = render.render(
                args.notebooks, overrides, args.out, args.jobs, args.timeout, args.edition, args.repository_url
            )
        except render.BookError as exc:
            print(f"error: the notebooks ran but {exc}; the plain pages are in {args.out}", file=sys.stderr)
            return 1
        except (render.UsageError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except render.DiskFull as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except render.Interrupted as stop:
            counts = Counter(r.status for r in stop.results)
            during = f" during {stop.during}" if stop.during else ""
            print(
                f"interrupted{during}: {counts['ok']} rendered, {counts['FAILED']} failed, "
                f"{counts['interrupted']} interrupted, {counts['not run']} not started -> {args.out / 'index.html'}",
                file=sys.stderr,
            )
            return 130
        except KeyboardInterrupt:  # before any notebook started: nothing was written
            print("interrupted before any notebook started", file=sys.stderr)
            return 130
        failed = [r for r in results if r.status != "ok"]
        total = sum(r.seconds for r in results)
        print(
            f"{len(results) - len(failed)} of {len(results)} notebooks rendered in {total:.0f} s "
            f"-> {(args.out / 'index.html')}"
        )
        for r in failed:
            print(f"FAILED {r.notebook}: {r.error}", file=sys.stderr)
        if failed and all(": DataFolderError: " in (r.error or "") for r in failed):
            return 2  # the user's image folder cannot be used: bad input, named in the line above
        return 1 if failed else 0
    unreadable = _unreadable(notebooks)
    if unreadable:  # a missing or broken notebook is bad input (exit 2), not a notebook that is "not clean" (1)
        print(f"error: {unreadable}", file=sys.stderr)
        return 2
    if args.command == "strip":
        dirty = nbtools.strip(notebooks, check=args.check)
        for path in dirty:
            print(f"{'not clean' if args.check else 'cleaned'}: {path}")
        return 1 if (dirty and args.check) else 0
    for path in notebooks:
        print(f"recording {path} ...", flush=True)
        nbtools.record(path)
    return 0


def _unreadable(notebooks) -> str | None:
    """One line about the first notebook that is missing or not a notebook, else None."""
    for path in notebooks:
        if not Path(path).is_file():
            what = "is a folder" if Path(path).is_dir() else "does not exist"
            return f"{path} {what}; give the path of a .ipynb notebook"
        try:
            nbtools.read(path)
        except ValueError as exc:
            return str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())
