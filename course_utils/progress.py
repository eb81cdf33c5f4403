"""Progress over long loops: a live bar for a person, one final line of text in a rendered page.

In Jupyter, `tqdm.auto` draws a widget; a page rendered by papermill would keep that widget frozen
at its first state ("0%"), since nothing updates it after the run. `render` sets COURSE_RENDER=1 for
its kernels, and then `progress` iterates silently and prints one line when the loop ends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator

RENDER_ENV = "COURSE_RENDER"


def progress(iterable: Iterable, desc: str, unit: str = "it", disable: bool = False) -> Iterator:
    """Iterate over `iterable`, showing progress (a tqdm bar, or one final line under `render`)."""
    if disable:
        yield from iterable
        return
    if os.environ.get(RENDER_ENV) != "1":
        from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

        yield from tqdm(iterable, desc=desc, unit=unit)
        return
    start, count = time.perf_counter(), 0
    for item in iterable:
        count += 1
        yield item
    print(f"{desc}: {count} {unit}{'' if count == 1 else 's'} in {time.perf_counter() - start:.1f} s")
