"""Run the experiments of the lesson notebooks over several seeds and print every margin they claim.

Notebooks 09 (regularization) and 13 (fine-tuning) end their experiment with a dict named `claims`
(claim name -> measured value, in percentage points; in 09 the gains of four regularizers on validation and,
once, on the held-out test set, and the dropout sweep's margins; in 12, filter visualization, the gain in neighbour
correlation that the gradient blur gives, the trained-minus-untrained gap in it, and the smallest ratio of
the activation 12 steps with momentum reach to the written loop's 30; in 06, max pooling's shift
experiment, gaps in hundredths of relative change between the raw, subsampled, average- and max-pooled maps;
in 11, CNN architectures, ratios of a deep plain CNN's final training loss to a shallow plain and a deep residual
one's, and of its first- to last-layer gradient norm) and assert each value against a bound
right there; in 08, initialization, final training losses (nats) of 12-layer ReLU and tanh nets from He, Glorot
and too-small weights, and the log10 of the smallest ReLU loss from N(0, 1). Notebook 10 (batch normalization:
training with and without, recalibration, batches of 4 against 32) asserts its experiment outcomes with margins
at its defaults; its `claims` are the final training losses of the plain and the BN network at both learning
rates, so that `-p high_learning_rate 0.5` measures the higher rate its text reports. In 13 the claims also hold the two
phase-2 controls: fine-tuned minus continuing with the head only, and BatchNormalization frozen
minus trainable while fine-tuning. The last line is the headline: the smallest margin of the
fine-tuned pretrained model over the best non-pretrained model in 13.

This script executes each notebook at its defaults with `-p seed N` for every N (papermill, in a
temporary folder), reads `claims` back from the kernel, and prints the value of every claim per
seed and its minimum over seeds. A notebook whose own asserts fail is reported as FAILED with the
failing cell, and the script exits 1: the bound did not hold for that seed.

    python bench/lessons.py                      # all six notebooks, seeds 0..4
    python bench/lessons.py --seeds 0 1 2 3 4 5 6 7 8 9 --notebooks 13
    python bench/lessons.py --notebooks 10 -p high_learning_rate 0.5   # a claim measured away from the defaults

With `-p NAME VALUE` (repeatable) every run of a notebook that declares NAME also gets that parameter, read and
checked as `python -m course_utils render -p` reads it (the type, range or choices its parameters cell declares;
a wrong one stops the script with one line); a notebook's asserts that hold only at its defaults are then
skipped, and its `claims` are still printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.publish.execute import ParameterError  # noqa: E402
from course_utils.publish.render import add_parameter_option, plan  # noqa: E402

NOTEBOOKS = {
    name[:2]: name
    for name in (
        "02_activations_and_bias.ipynb",
        "03_optimizers.ipynb",
        "06_max_pooling.ipynb",
        "08_weight_initialization.ipynb",
        "09_regularization.ipynb",
        "10_batch_normalization.ipynb",
        "11_cnn_architectures.ipynb",
        "12_filter_visualization.ipynb",
        "13_fine_tuning.ipynb",
    )
}
NOTEBOOK_OF_HEADLINE = "13_fine_tuning.ipynb"[:2]
MARKER = "CLAIMS-JSON "
READ_CLAIMS = (
    "import json as _json\n"
    f"print({MARKER!r} + _json.dumps({{k: float(v) for k, v in globals().get('claims', {{}}).items()}}))"
)
HEADLINE = {
    NOTEBOOK_OF_HEADLINE: ("pretrained_minus_best_nonpretrained", "min margin pretrained - best non-pretrained"),
}


def run_once(
    notebook: Path, seed: int, timeout: int, extra: dict | None = None
) -> tuple[dict | None, float, str | None]:
    """(claims, seconds, error) of one execution of `notebook` with `seed` (and the parameters `extra`)."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(READ_CLAIMS))
    with tempfile.TemporaryDirectory() as work:
        source, executed = Path(work) / notebook.name, Path(work) / f"executed_{notebook.name}"
        nbformat.write(nb, source)
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(source),
                str(executed),
                parameters={**(extra or {}), "seed": seed},
                kernel_name="python3",
                cwd=work,
                progress_bar=False,
                execution_timeout=timeout,
            )
        except pm.PapermillExecutionError as exc:
            return None, time.perf_counter() - start, f"cell {exc.cell_index}: {exc.ename}: {exc.evalue}"[:300]
        seconds = time.perf_counter() - start
        for out in nbformat.read(executed, as_version=4).cells[-1].outputs:
            for line in out.get("text", "").splitlines():
                if line.startswith(MARKER):
                    return json.loads(line[len(MARKER) :]), seconds, None
    return None, seconds, "the claims could not be read back from the kernel"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--notebooks", nargs="+", choices=sorted(NOTEBOOKS), default=sorted(NOTEBOOKS))
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    add_parameter_option(parser, "a parameter for every run of a notebook that declares it, as the render's -p")
    args = parser.parse_args(argv)
    overrides = dict(args.parameter)
    if "seed" in overrides:
        parser.error("-p seed: give the seeds with --seeds")
    paths = {key: ROOT / "notebooks" / NOTEBOOKS[key] for key in args.notebooks}
    try:  # the render's reading of -p: the declared type, range or choices, one line if wrong
        planned = plan(list(paths.values()), overrides)
    except ParameterError as exc:
        parser.error(str(exc))

    failed = False
    for key in args.notebooks:
        notebook = paths[key]
        extra = {name: planned[notebook][name] for name in overrides if name in planned[notebook]}
        given = "".join(f", {name}={value!r}" for name, value in extra.items())
        print(f"== {notebook.name}, seeds {args.seeds}{given}", flush=True)
        per_seed = {}
        for seed in args.seeds:
            claims, seconds, error = run_once(notebook, seed, args.timeout, extra)
            if error:
                failed = True
                print(f"seed {seed:>3}  {seconds:5.1f} s  FAILED {error}", flush=True)
                continue
            per_seed[seed] = claims
            values = "  ".join(f"{name} {value:+7.3g}" for name, value in claims.items()) or "every assert held"
            print(f"seed {seed:>3}  {seconds:5.1f} s  {values}", flush=True)
        if not per_seed or not any(per_seed.values()):
            continue
        names = list(next(iter(per_seed.values())))
        print("minimum over seeds (points; in 12 a ratio and a correlation gain):")
        for name in names:
            values = [c[name] for c in per_seed.values()]
            mean = sum(values) / len(values)
            print(f"  {name:<40} min {min(values):+7.3g}   mean {mean:+7.3g}   max {max(values):+7.3g}")
        if key in HEADLINE:
            name, label = HEADLINE[key]
            print(f"{label}: {min(c[name] for c in per_seed.values()):.1f} points")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
