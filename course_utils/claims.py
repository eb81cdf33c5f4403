"""`verify(...)`: check several claims of a lesson at once and say so in one line.

Each claim is a tuple:
- `(label, condition)`: the condition must be true;
- `(label, got, expected)`: equal (numbers and arrays compared with NumPy, exactly);
- `(label, got, expected, tol)`: equal within an absolute tolerance `tol` (arrays element-wise).

All claims are checked; if any fails, AssertionError lists each failed claim with what was got and
what was expected. Otherwise one line is printed: `verified: label1 (value); label2; ...`.
"""

from __future__ import annotations

import numpy as np


def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray) or hasattr(value, "shape"):
        array = np.asarray(value)
        return f"array{array.shape}" if array.size > 6 else np.array2string(array, precision=6, separator=", ")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _holds(claim) -> tuple[bool, str]:
    """(whether the claim holds, how to print its value)."""
    label, *rest = claim
    if len(rest) == 1:
        return bool(rest[0]), ""
    if len(rest) not in (2, 3):
        forms = "(label, condition), (label, got, expected) or (label, got, expected, tol)"
        raise TypeError(f"claim {label!r}: give {forms}")
    got, expected = rest[0], rest[1]
    if len(rest) == 3:
        ok = bool(np.allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=rest[2]))
    elif isinstance(got, (np.ndarray, list, tuple)) or hasattr(got, "shape"):
        ok = np.shape(got) == np.shape(expected) and bool(np.all(np.asarray(got) == np.asarray(expected)))
    else:
        ok = bool(got == expected)
    return ok, _show(got)


def verify(*claims) -> None:
    """Check every claim; print one `verified: ...` line, or raise AssertionError listing what failed."""
    if not claims:
        raise TypeError("verify() needs at least one claim")
    shown, failed = [], []
    for claim in claims:
        ok, value = _holds(claim)
        label = claim[0]
        if ok:
            shown.append(f"{label} ({value})" if value and len(claim) > 2 else label)
        elif len(claim) == 2:
            failed.append(f"{label}: false")
        else:
            tol = f" within {claim[3]:g}" if len(claim) == 4 else ""
            failed.append(f"{label}: got {_show(claim[1])}, expected {_show(claim[2])}{tol}")
    if failed:
        raise AssertionError("claim not verified: " + "; ".join(failed))
    print("verified: " + "; ".join(shown))
