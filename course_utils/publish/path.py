"""The learning path: what each notebook introduces and requires, and the check that holds the order to it.

Every notebook declares in its metadata

    "course": {"part": "Convolution", "introduces": ["zero padding", ...], "requires": ["convolution", ...]}

A requirement must be introduced by an earlier notebook. Declarations alone could drift from the code,
so the code cells are also scanned for the tools that are easiest to use before they are taught
(`USES`): a notebook whose code uses one must introduce it or come after the notebook that does.
"""

from __future__ import annotations

import re

# Concept -> pattern of its use in code. A notebook using one must come after the one introducing it.
USES = {
    "tf.GradientTape": re.compile(r"\bGradientTape\b"),
    "Adam": re.compile(r"\boptimizers\.Adam\b|['\"]adam['\"]"),
    "cross-entropy": re.compile(r"[Cc]rossentropy\b|\bcross_entropy\b"),
    "BatchNormalization": re.compile(r"\bBatchNormalization\b"),
}


def course_info(nb) -> dict:
    """The notebook's `course` metadata with every key present (part, introduces, requires)."""
    info = dict(nb.metadata.get("course", {}))
    return {
        "part": info.get("part", ""),
        "introduces": list(info.get("introduces", [])),
        "requires": list(info.get("requires", [])),
    }


def uses(nb) -> set[str]:
    """The concepts of USES that the notebook's code cells use."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return {concept for concept, pattern in USES.items() if pattern.search(code)}


def order_errors(notebooks: list[tuple[str, object]]) -> list[str]:
    """Every break of the learning path in `notebooks` [(name, NotebookNode)] taken in course order."""
    errors, introduced_by = [], {}
    for name, nb in notebooks:
        info = course_info(nb)
        if not info["part"] or not info["introduces"]:
            errors.append(f"{name}: metadata 'course' needs a 'part' and what it 'introduces'")
        for concept in info["introduces"]:
            if concept in introduced_by:
                errors.append(f"{name}: introduces {concept!r}, already introduced by {introduced_by[concept]}")
            introduced_by.setdefault(concept, name)
    seen = set()
    for name, nb in notebooks:
        info = course_info(nb)
        needed = [(c, "requires") for c in info["requires"]]
        needed += [(c, "uses") for c in sorted(uses(nb)) if c not in info["introduces"]]
        for concept, how in needed:
            if concept in seen:
                continue
            where = introduced_by.get(concept)
            later = f"introduced only later, by {where}" if where else "introduced by no notebook"
            errors.append(f"{name}: {how} {concept!r}, {later}")
        seen.update(info["introduces"])
    return errors
