"""FLOP rate of filter visualization (course_utils.filters) against this machine's large-matmul FLOP rate.

Budget (DESIGN.md): the visualization sustains at least 60% of the FLOP rate of a large float32
matmul measured in the same run. Other processes may share the CPU, so the two are measured back to
back and repeated: each visualization call sits between two matmul bursts, and every ratio compares
work done under the same load.

Counting convention (analytic, per image and per ascent step):
  forward   F = sum over the conv layers up to the target of 2*H*W*k*k*C_in*C_out (H x W: output size)
  backward  F again: every conv layer's gradient with respect to its input is a transposed conv with
            the same multiply-adds, the first layer's included (we need d loss / d image). No weight
            gradients are asked for, so none are computed.
  The target layer computes only the call's own filters (fast_head): B of its C_out for B filters per call.
  A call with S steps does S + 1 forward passes per filter (the start, then each step's candidate) and S backward
  passes (the last candidate is only kept or undone): (2*S + 1) * F per filter (`FilterVisualizer.forward_flops`).
  ReLU, pooling, biases and the gradient normalization are not counted.
The matmul counts 2*n^3 FLOPs for an n x n by n x n product.

What we found on the 2-core course machine (Xeon, AVX-512; float32 matmul about 340-355 GFLOP/s when idle),
notebook 12's image size, `steps` and batch (128 x 128, 30 steps, 8 filters per call), float32, fixed step, only
the own filters of the target layer counted: 0.91 of the matmul rate over all four layers, 0.80 / 0.89 / 0.94 for
block2_conv2 / block3_conv2 / block4_conv3, but only 0.07 for block1_conv1, whose 3-channel input gives it little
arithmetic per byte of activations it moves (it is under 1% of the FLOPs and of the time). Earlier, at 64 x 64:
16 filters per call about 0.91, 4 per call about 0.80. jit_compile=True (XLA) is slower on this CPU (480 against
331 ms for one evaluation of 8 images on block4_conv3 at 128 px), so the ascent is compiled without XLA. Masking
the feature-map border instead of slicing it, and selecting each image's filter with a one-hot product instead of
tf.gather, made the first layer several times faster.

Defaults are read from notebook 12's parameters cell (layers, image size, steps, filters per layer and
per batch), so the bench measures what the notebook runs; every one can be overridden.

    python bench/filter_flops.py [--layers block1_conv1,block4_conv3] [--image-size 96] [--steps 30]
                                 [--filters 8] [--batch-size 8] [--repeats 3] [--jit] [--weights bundled]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import course_utils  # noqa: E402
from course_utils.publish import nbtools  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "12_filter_visualization.ipynb"
BUDGET = 0.6
FALLBACK = {
    "layers": ["block1_conv1", "block2_conv2", "block3_conv2", "block4_conv3"],
    "include_block5": False,
    "filters_per_layer": 8,
    "filters_per_batch": 8,
    "image_size": 64,
    "steps": 30,
    "step_size": 2.0,
    "seed": 0,
    "weights": "auto",
}


def notebook_defaults() -> dict:
    params = dict(FALLBACK)
    if NOTEBOOK.exists():
        params.update({k: v for k, v in nbtools.read_parameters(NOTEBOOK).items() if k in FALLBACK})
    layers = list(params["layers"])
    if params["include_block5"] and "block5_conv3" not in layers:
        layers.append("block5_conv3")
    params["layers"] = layers
    return params


def matmul_bursts(n: int = 2048, dtype: str = "float32"):
    """A function that runs one burst of n x n by n x n matmuls in `dtype` (float32 or bfloat16) and returns its
    (FLOPs, seconds): enough products for about 0.5 s at 200 GFLOP/s, long enough to be stable, short enough to
    interleave with other work. The first product (tracing) is done here, outside every burst."""
    import tensorflow as tf

    a, b = (tf.cast(tf.random.normal((n, n)), dtype) for _ in range(2))
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    products = max(3, int(1e11 / (2 * n**3)))

    def burst() -> tuple[float, float]:
        start = time.perf_counter()
        for _ in range(products):
            c = matmul(a, b)
        c.numpy()
        return 2.0 * n**3 * products, time.perf_counter() - start

    return burst


def parse_args() -> argparse.Namespace:
    d = notebook_defaults()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", default=",".join(d["layers"]), help="comma-separated conv layer names")
    p.add_argument("--image-size", type=int, default=d["image_size"])
    p.add_argument("--steps", type=int, default=d["steps"])
    p.add_argument("--step-size", type=float, default=d["step_size"])
    p.add_argument("--filters", type=int, default=d["filters_per_layer"], help="filters per layer")
    p.add_argument("--batch-size", type=int, default=d["filters_per_batch"], help="filters per compiled call")
    p.add_argument("--repeats", type=int, default=3, help="timed visualization calls per layer")
    p.add_argument("--jit", action="store_true", help="compile the ascent with XLA (jit_compile=True)")
    p.add_argument("--matmul-size", type=int, default=2048, help="n of the n x n float32 matmul")
    p.add_argument("--weights", default=d["weights"], choices=["auto", "imagenet", "bundled", "none"])
    p.add_argument("--seed", type=int, default=d["seed"])
    return p.parse_args()


def main() -> int:
    args = parse_args()
    course_utils.setup(seed=args.seed)
    import numpy as np

    from course_utils.filters import FilterVisualizer
    from course_utils.models import load_vgg16

    model = load_vgg16(weights=None if args.weights == "none" else args.weights)
    n = args.matmul_size
    matmul_burst = matmul_bursts(n)

    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    visualizers, chosen = {}, {}
    for name in layers:
        fv = FilterVisualizer(model, name, args.image_size, jit_compile=args.jit)
        live = np.flatnonzero(fv.start_activations(args.seed) > 0)
        chosen[name] = (list(live) + [i for i in range(fv.n_filters) if i not in set(live)])[: args.filters]
        fv.visualize(chosen[name][: args.batch_size], steps=2, batch_size=args.batch_size, progress=False)  # compile
        visualizers[name] = fv

    totals = {name: {"vis_flops": 0.0, "vis_s": 0.0, "mm_flops": 0.0, "mm_s": 0.0} for name in layers}
    for _ in range(args.repeats):
        for name in layers:  # layers interleaved, so slow drifts in load spread over all of them
            fv, t = visualizers[name], totals[name]
            flops, secs = matmul_burst()
            t["mm_flops"] += flops
            t["mm_s"] += secs
            start = time.perf_counter()
            fv.visualize(
                chosen[name],
                steps=args.steps,
                step_size=args.step_size,
                seed=args.seed,
                batch_size=args.batch_size,
                progress=False,
            )
            t["vis_s"] += time.perf_counter() - start
            for lo in range(0, len(chosen[name]), args.batch_size):
                n_call = len(chosen[name][lo : lo + args.batch_size])
                t["vis_flops"] += (2 * args.steps + 1) * fv.forward_flops(n_call) * n_call
            flops, secs = matmul_burst()
            t["mm_flops"] += flops
            t["mm_s"] += secs

    print(
        f"\nimage {args.image_size} x {args.image_size}, {args.steps} steps, {args.filters} filters per layer, "
        f"{args.batch_size} per call, jit_compile={args.jit}, {args.repeats} repeats, "
        f"matmul {n} x {n} float32"
    )
    head = (
        f"{'layer':14} {'GFLOP/step':>10} {'s/filter':>9} {'vis GFLOP/s':>12} {'matmul GFLOP/s':>15} "
        f"{'ratio':>6}  traces"
    )
    print(head)
    print("-" * len(head))
    for name in layers:
        t, fv = totals[name], visualizers[name]
        vis, mm = t["vis_flops"] / t["vis_s"] / 1e9, t["mm_flops"] / t["mm_s"] / 1e9
        per_filter = t["vis_s"] / (args.repeats * len(chosen[name]))
        print(
            f"{name:14} {2 * fv.forward_flops(args.batch_size) / 1e9:10.3f} {per_filter:9.3f} {vis:12.1f} {mm:15.1f} "
            f"{vis / mm:6.2f}  {fv.trace_count}"
        )
    vis_all = sum(t["vis_flops"] for t in totals.values()) / sum(t["vis_s"] for t in totals.values()) / 1e9
    mm_all = sum(t["mm_flops"] for t in totals.values()) / sum(t["mm_s"] for t in totals.values()) / 1e9
    ratio = vis_all / mm_all
    print("-" * len(head))
    print(f"{'all layers':14} {'':10} {'':9} {vis_all:12.1f} {mm_all:15.1f} {ratio:6.2f}")
    print(
        f"\nbudget: sustained visualization FLOP rate >= {BUDGET:.0%} of matmul: "
        f"{'met' if ratio >= BUDGET else 'NOT met'} ({ratio:.0%} over all layers, FLOP-weighted)"
    )
    low = [
        name
        for name in layers
        if totals[name]["vis_flops"] / totals[name]["vis_s"] / 1e9
        < BUDGET * totals[name]["mm_flops"] / totals[name]["mm_s"] / 1e9
    ]
    if low:
        print(f"layers below {BUDGET:.0%} on their own: {', '.join(low)}")
    retraced = [name for name in layers if visualizers[name].trace_count != 1]
    if retraced:
        print(f"WARNING: traced more than once: {', '.join(retraced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
