"""Filter visualization: the classic loop against the course's method, on the same filters and image size.

classic  One filter at a time, as in the well-known Keras example: a float32 model, the gradient of the
         filter's mean activation normalized to unit root-mean-square, a fixed step (the notebook's
         step_size), 30 steps. Its step is one tf.function traced once with the filter index as a tensor,
         so it pays no retracing: only the method differs.
course   `course_utils.filters.FilterVisualizer` in the precision(s) of `--precision` (float32, or "auto":
         bfloat16 on CPUs with AVX512_BF16 or AMX_BF16, float32 elsewhere), 8 filters per compiled call,
         only each image's own filter computed in the target layer (fast_head; `--full-head` turns it off),
         the adaptive step rule (a step that raised the activation is followed by a longer one, up to 5 times
         step_size; one that lowered it is undone and retried at half the length: see ADAPTIVE_GROWTH in
         course_utils/filters.py); a batch stops inside the compiled loop as soon as every filter in it has
         reached the classic loop's final activation (with a 2% margin), or after 60 steps.

fast     (`--method fast`, the default) notebook 12's settings from its section 4 on: the course's method with
         the adaptive rule and momentum 0.9 (`FilterVisualizer(..., adaptive=True, momentum=0.9)`), exactly 12 steps per
         filter: no target, no early stop, so nothing in its run knows the classic activation. `--steps N` sets
         another count.

The two methods run interleaved (classic, course, classic, course: `--repeats`) and the minimum time of each
counts, since other processes may share the CPU. Both final activations are measured in float32 on the full
float32 model. Per precision and layer the script prints the seconds per filter of each method, the mean
final activations, the smallest ratio course / classic over the filters, the steps taken, the speed-up and
the pictures' quality for both methods: the median neighbour correlation of (image - start) (noise about 0,
smooth patterns near 1) and the median rms change from the start image in grey levels (a method that only
moved further would show it here). Then, per precision, `speed-up xN at equal or higher activation` with N the
smallest speed-up over the layers (or the layers where some filter stayed below). With `--blur` (default 1)
the course's method is also measured with notebook 12's blur of the step, on lines of their own, against the
classic loop with the same blur of its gradient (one change at a time: the method, not the preconditioning). Last, per
precision, the time of four 8 x 8 grids (64 filters of each of the four layers) at 128 px, 30 steps each
(`--steps` or --method fast: that many), adaptive step, the course's momentum and blur, as notebook 12 draws them.

    python bench/filter_speed.py [--method fast|adaptive] [--precision float32 auto] [--repeats 2]
                                 [--image-size 128] [--filters 16] [--layers block1_conv1,...] [--no-grids]
                                 [--full-head] [--momentum M] [--steps N] [--batch B]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from filter_flops import matmul_bursts  # noqa: E402  (bench/ is the script's folder, first on sys.path)

import course_utils  # noqa: E402

LAYERS = ["block1_conv1", "block2_conv2", "block3_conv2", "block4_conv3"]
STEPS, STEP_SIZE, MAX_STEPS, BATCH, MARGIN = 30, 2.0, 60, 8, 1.02
# --method fast (the default): notebook 12's settings from its section 4 on (FilterVisualizer(..., adaptive=True,
# momentum=FAST_MOMENTUM), visualize(..., steps=FAST_STEPS)); the course runs exactly FAST_STEPS steps per filter,
# no early stop.
FAST_MOMENTUM, FAST_STEPS = 0.9, 12


def classic(vis, filters, steps: int = STEPS, step_size: float = STEP_SIZE) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds, float32 final activations and final images of the one-filter-at-a-time loop (full network)."""
    import tensorflow as tf

    model = vis.feature_model
    interior = vis._interior

    @tf.function(input_signature=[tf.TensorSpec((1, vis.image_size, vis.image_size, 3)), tf.TensorSpec((), tf.int32)])
    def step(image, k):
        with tf.GradientTape() as tape:
            tape.watch(image)
            fmap = model(image, training=False)[..., k]
            loss = tf.reduce_sum(fmap * interior) / tf.reduce_sum(interior)
        grads = tape.gradient(loss, image)
        if vis.blur:  # the same preconditioning as the course's method it is compared with
            grads = vis._smooth(grads)
        return image + step_size * grads / (tf.sqrt(tf.reduce_mean(tf.square(grads))) + 1e-8)

    start = tf.constant(course_utils.filters.start_image(vis.image_size)[None])
    step(start, tf.constant(0))  # trace once, outside the timing
    finals = []
    begin = time.perf_counter()
    for k in filters:
        image = start
        for _ in range(steps):
            image = step(image, tf.constant(int(k)))
        finals.append(image[0].numpy())
    seconds = time.perf_counter() - begin
    return seconds, vis.activations(np.stack(finals), filters), np.stack(finals)


def course(
    vis, filters, targets, step_size: float = STEP_SIZE, batch: int = BATCH, steps: int | None = None
) -> tuple[float, np.ndarray, list[int], np.ndarray]:
    """Seconds, float32 final activations (full network), steps taken per batch and final images of the course's
    method: with `steps`, exactly that many steps per filter (no target, no early stop)."""
    start = course_utils.filters.start_image(vis.image_size)
    vis.ascend(start[None], filters[:1], 1, step_size)  # trace once, outside the timing
    finals, steps_taken = [], []
    begin = time.perf_counter()
    for lo in range(0, len(filters), batch):
        chunk, goal = filters[lo : lo + batch], targets[lo : lo + batch] * MARGIN
        images, _, _, taken = vis.ascend(np.repeat(start[None], len(chunk), axis=0), chunk, steps or MAX_STEPS,
                                         step_size, None if steps else goal)  # fmt: skip
        finals.append(images)
        steps_taken.append(taken)
    seconds = time.perf_counter() - begin
    finals = np.concatenate(finals)
    return seconds, vis.activations(finals, filters), steps_taken, finals


def neighbour_correlation(images, start) -> np.ndarray:
    """Per image: correlation of each pixel of (image - start) with its right-hand neighbour (noise ~0, smooth ~1)."""
    d = np.asarray(images, np.float64) - start
    left, right = d[:, :, :-1].reshape(len(d), -1), d[:, :, 1:].reshape(len(d), -1)
    left, right = left - left.mean(1, keepdims=True), right - right.mean(1, keepdims=True)
    return (left * right).sum(1) / np.sqrt((left**2).sum(1) * (right**2).sum(1))


def rms_change(images, start) -> np.ndarray:
    """Per image: root-mean-square change from the start image, in grey levels."""
    return np.sqrt(((np.asarray(images, np.float64) - start) ** 2).mean(axis=(1, 2, 3)))


def compare(model, layer, args, precision, blur, chosen, repeats):
    """Interleaved runs (classic, course, classic, course, ...): the minimum time of each, and the results."""
    from course_utils.filters import FilterVisualizer

    reference = FilterVisualizer(model, layer, args.image_size, precision="float32", blur=blur)
    fast = FilterVisualizer(model, layer, args.image_size, precision=precision, adaptive=args.rule == "adaptive",
                            blur=blur, fast_head=not args.full_head, momentum=args.momentum)  # fmt: skip
    t_classic, t_course = [], []
    for _ in range(repeats):
        seconds, a_classic, x_classic = classic(reference, chosen)
        t_classic.append(seconds)
        seconds, a_course, steps, x_course = course(fast, chosen, a_classic, args.step_size, args.batch, args.steps)
        t_course.append(seconds)
    return min(t_classic), min(t_course), a_classic, a_course, steps, x_classic, x_course


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--filters", type=int, default=16, help="live filters per layer in the comparison")
    parser.add_argument("--layers", default=",".join(LAYERS))
    parser.add_argument(
        "--precision",
        nargs="+",
        choices=("float32", "auto"),
        default=["float32", "auto"],
        help="the course's precision (the classic loop is always float32); each is measured in turn",
    )
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs of each method; the minimum counts")
    parser.add_argument("--no-grids", action="store_true", help="skip the four 8 x 8 grids")
    parser.add_argument("--rule", choices=("fixed", "adaptive"), default="adaptive", help="the course's step rule")
    parser.add_argument("--step-size", type=float, default=STEP_SIZE, help="the course's (first) step size")
    parser.add_argument(
        "--method",
        choices=("adaptive", "fast"),
        default="fast",
        help=f"fast (default): notebook 12's settings, adaptive step with momentum {FAST_MOMENTUM}, exactly "
        f"{FAST_STEPS} steps; adaptive: the adaptive step without momentum, stopped at the classic activation",
    )
    parser.add_argument("--momentum", type=float, default=0.0, help="the course's momentum (0: none)")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="the course's steps per filter, no early stop (default: stop at the classic activation)",
    )
    parser.add_argument("--batch", type=int, default=BATCH, help="filters per compiled call in the comparison")
    parser.add_argument("--full-head", action="store_true", help="compute all filters of the target layer")
    parser.add_argument(
        "--blur",
        type=float,
        default=1.0,
        help="also measure the course's method with this blur of the step, in pixels (0: skip)",
    )
    args = parser.parse_args(argv)
    if args.method == "fast":
        args.rule, args.momentum, args.steps = "adaptive", FAST_MOMENTUM, args.steps or FAST_STEPS
    grid_steps = args.steps or STEPS

    course_utils.setup(announce=False)
    from course_utils.filters import FilterVisualizer, bfloat16_is_fast, start_image
    from course_utils.models import load_vgg16

    model = load_vgg16(weights="bundled")
    start = start_image(args.image_size)
    variants = {"": 0.0} | ({f"+ blur {args.blur:g} px": args.blur} if args.blur else {})
    for precision in args.precision:
        resolved = FilterVisualizer(model, LAYERS[0], 32, precision=precision).precision
        print(
            f"\n== precision {precision} (here: {resolved}; bfloat16 matrix instructions: {bfloat16_is_fast()}); "
            f"{args.image_size} px, {args.filters} filters per layer; course: {args.rule} step, momentum "
            f"{args.momentum:g}, {f'{args.steps} steps' if args.steps else 'stopped at the classic activation'}, "
            f"{'full layer' if args.full_head else 'own filter only'}; minimum of {args.repeats} interleaved runs"
        )
        print(
            f"{'layer':22s} {'classic s/f':>11s} {'course s/f':>10s} {'classic act':>11s} {'course act':>10s} "
            f"{'min ratio':>9s} {'steps':>9s} {'speed-up':>8s} {'corr cl/co':>10s} {'rms cl/co':>9s}"
        )
        speedups, below = {name: {} for name in variants}, {name: [] for name in variants}
        for layer in args.layers.split(","):
            probe = FilterVisualizer(model, layer, args.image_size)
            chosen = np.flatnonzero(probe.start_activations() > 0)[: args.filters].astype(np.int32)
            for name, blur in variants.items():
                t_classic, t_course, a_classic, a_course, steps, x_classic, x_course = compare(
                    model, layer, args, precision, blur, chosen, args.repeats
                )
                with np.errstate(divide="ignore", invalid="ignore"):  # a filter the classic loop drove to 0: inf
                    ratio = np.where(a_classic > 0, a_course / np.maximum(a_classic, 1e-30), np.inf)
                speedups[name][layer] = t_classic / t_course
                if np.any(ratio < 1):
                    below[name].append(layer)
                label = f"  {name}" if name else layer
                corr = (
                    f"{np.nanmedian(neighbour_correlation(x_classic, start)):.2f}/"
                    f"{np.nanmedian(neighbour_correlation(x_course, start)):.2f}"
                )
                rms = f"{np.median(rms_change(x_classic, start)):.0f}/{np.median(rms_change(x_course, start)):.0f}"
                print(f"{label:22s} {t_classic / len(chosen):11.3f} {t_course / len(chosen):10.3f} "
                      f"{a_classic.mean():11.1f} {a_course.mean():10.1f} {ratio.min():9.3f} "
                      f"{min(steps):>4d}-{max(steps):<4d} x{speedups[name][layer]:7.1f} {corr:>10s} {rms:>9s}",
                      flush=True)  # fmt: skip
        if args.blur:
            worst = min(speedups[f"+ blur {args.blur:g} px"].values())
            fell = below[f"+ blur {args.blur:g} px"]
            print(f"with notebook 12's blur of {args.blur:g} px (preconditioning: smoother images, a longer way to the "
                  f"same activation for some filters): speed-up x{worst:.1f}"
                  + (f", some filters below the classic activation in {', '.join(fell)}" if fell else ""))  # fmt: skip
        if below[""]:
            print(f"speed-up x{min(speedups[''].values()):.1f}, but some filters stayed below the classic activation "
                  f"in {', '.join(below[''])}")  # fmt: skip
        else:
            print(f"speed-up x{min(speedups[''].values()):.1f} at equal or higher activation")
        if not args.no_grids:
            begin, work = time.perf_counter(), 0
            for layer in LAYERS:
                vis = FilterVisualizer(model, layer, 128, precision=precision, adaptive=True, blur=args.blur,
                                       fast_head=not args.full_head, momentum=args.momentum)  # fmt: skip
                vis.visualize(np.arange(64), steps=grid_steps, step_size=STEP_SIZE, batch_size=BATCH, progress=False)
                work += 64 * (2 * grid_steps + 1) * vis.forward_flops(BATCH)
            seconds = time.perf_counter() - begin
            burst = matmul_bursts(dtype=resolved)  # this machine's matmul rate now: the best of 3 bursts
            rate = max(flops / seconds for flops, seconds in (burst() for _ in range(3)))
            print(f"four 8 x 8 grids (64 filters of each of {len(LAYERS)} layers, 128 px, {grid_steps} steps, "
                  f"adaptive, momentum {args.momentum:g}, blur {args.blur:g} px, {resolved}): {seconds:.0f} s, "
                  f"traces included; their convolutions alone, {work / 1e12:.1f} TFLOP, take {work / rate:.0f} s at "
                  f"this machine's {resolved} matmul rate ({rate / 1e9:.0f} GFLOP/s)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
