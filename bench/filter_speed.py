"""Filter visualization: the classic loop against the course's method, on the same filters and image size.

classic  One filter at a time, as in the well-known Keras example: a float32 model, the gradient of the
         filter's mean activation normalized to unit root-mean-square, a fixed step (the notebook's
         step_size), 30 steps. Its step is one tf.function traced once with the filter index as a tensor,
         so it pays no retracing: only the method differs.
course   `course_utils.filters.FilterVisualizer` with precision "auto" (bfloat16 on CPUs with AVX512_BF16
         or AMX_BF16, float32 elsewhere), 8 filters per compiled call, the adaptive step rule (a step that
         raised the activation is followed by a longer one, up to 5 times step_size; one that lowered it
         is undone and retried at half the length: see ADAPTIVE_GROWTH in course_utils/filters.py); a
         batch stops inside the compiled loop as soon as every filter in it has reached the classic loop's
         final activation (judged on the bfloat16 value with a 2% margin), or after 60 steps.

Both final activations are measured in float32 on the float32 model. Per layer the script prints the
seconds per filter of each method, the mean final activations, the smallest ratio course / classic over
the filters and the speed-up; then `speed-up xN at equal or higher activation` with N the smallest
speed-up over the layers (or the layers where some filter stayed below). The course's method is also
measured with notebook 12's regularizer, the step blurred by a Gaussian of `--blur` pixels (default 1),
on a line of its own: the blur buys smoother pictures, and for some filters costs extra steps to the same
activation. Last, the time of the seed
notes' "hour": four 8 x 8 grids (64 filters of each of the four layers) at 128 px, 30 steps each, with
the course's method.

    python bench/filter_speed.py [--image-size 128] [--filters 16] [--layers block1_conv1,...] [--no-grids]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import course_utils  # noqa: E402

LAYERS = ["block1_conv1", "block2_conv2", "block3_conv2", "block4_conv3"]
STEPS, STEP_SIZE, MAX_STEPS, BATCH, MARGIN = 30, 2.0, 60, 8, 1.02


def classic(vis, filters, steps: int = STEPS, step_size: float = STEP_SIZE) -> tuple[float, np.ndarray]:
    """Seconds and float32 final activations of the one-filter-at-a-time loop."""
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
    return seconds, vis.activations(np.stack(finals), filters)


def course(vis, filters, targets, step_size: float = STEP_SIZE) -> tuple[float, np.ndarray, list[int]]:
    """Seconds, float32 final activations and steps taken per batch of the course's method."""
    start = course_utils.filters.start_image(vis.image_size)
    vis.ascend(start[None], filters[:1], 1, step_size)  # trace once, outside the timing
    finals, steps_taken = [], []
    begin = time.perf_counter()
    for lo in range(0, len(filters), BATCH):
        chunk, goal = filters[lo : lo + BATCH], targets[lo : lo + BATCH] * MARGIN
        images, _, _, taken = vis.ascend(np.repeat(start[None], len(chunk), axis=0), chunk, MAX_STEPS, step_size, goal)
        finals.append(images)
        steps_taken.append(taken)
    seconds = time.perf_counter() - begin
    return seconds, vis.activations(np.concatenate(finals), filters), steps_taken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--filters", type=int, default=16, help="live filters per layer in the comparison")
    parser.add_argument("--layers", default=",".join(LAYERS))
    parser.add_argument("--no-grids", action="store_true", help="skip the four 8 x 8 grids")
    parser.add_argument("--rule", choices=("fixed", "adaptive"), default="adaptive", help="the course's step rule")
    parser.add_argument("--step-size", type=float, default=STEP_SIZE, help="the course's (first) step size")
    parser.add_argument("--blur", type=float, default=1.0,
                        help="also measure the course's method with this blur of the step, in pixels (0: skip)")
    args = parser.parse_args(argv)

    course_utils.setup(announce=False)
    from course_utils.filters import FilterVisualizer, bfloat16_is_fast
    from course_utils.models import load_vgg16

    model = load_vgg16(weights="bundled")
    print(f"{args.image_size} px, {args.filters} filters per layer; bfloat16 matrix instructions: "
          f"{bfloat16_is_fast()}; course: {args.rule} step, then also with notebook 12's blur")  # fmt: skip
    print(f"{'layer':22s} {'classic s/filter':>16s} {'course s/filter':>15s} {'classic act':>11s} "
          f"{'course act':>10s} {'min ratio':>9s} {'steps':>9s} {'speed-up':>8s}")  # fmt: skip
    variants = {"": 0.0} | ({f"+ blur {args.blur:g} px": args.blur} if args.blur else {})
    speedups, below = {name: {} for name in variants}, {name: [] for name in variants}
    for layer in args.layers.split(","):
        reference = FilterVisualizer(model, layer, args.image_size, precision="float32")
        chosen = np.flatnonzero(reference.start_activations() > 0)[: args.filters].astype(np.int32)
        t_classic, a_classic = classic(reference, chosen)
        for name, blur in variants.items():
            fast = FilterVisualizer(
                model, layer, args.image_size, precision="auto", adaptive=args.rule == "adaptive", blur=blur
            )
            t_course, a_course, steps = course(fast, chosen, a_classic, args.step_size)
            with np.errstate(divide="ignore"):  # a filter the classic loop drove to 0: ratio inf
                ratio = a_course / a_classic
            speedups[name][layer] = t_classic / t_course
            if np.any(ratio < 1):
                below[name].append(layer)
            label = f"  {name}" if name else layer
            print(f"{label:22s} {t_classic / len(chosen):16.3f} {t_course / len(chosen):15.3f} "
                  f"{a_classic.mean():11.1f} {a_course.mean():10.1f} {ratio.min():9.3f} "
                  f"{min(steps):>4d}-{max(steps):<4d} x{speedups[name][layer]:7.1f}")  # fmt: skip
    if not args.no_grids:
        begin = time.perf_counter()
        for layer in LAYERS:
            vis = FilterVisualizer(model, layer, 128, precision="auto", adaptive=True, blur=args.blur)
            vis.visualize(np.arange(64), steps=STEPS, step_size=STEP_SIZE, batch_size=BATCH, progress=False)
        print(f"four 8 x 8 grids (64 filters of each of {len(LAYERS)} layers, 128 px, {STEPS} steps, "
              f"blur {args.blur:g} px): {time.perf_counter() - begin:.0f} s, traces included")  # fmt: skip
    if args.blur:
        worst = min(speedups[f"+ blur {args.blur:g} px"].values())
        fell = below[f"+ blur {args.blur:g} px"]
        print(f"with notebook 12's blur of {args.blur:g} px (a regularizer: smoother images, a longer way to the same "
              f"activation for some filters): speed-up x{worst:.1f}"
              + (f", some filters below the classic activation in {', '.join(fell)}" if fell else ""))  # fmt: skip
    if below[""]:
        print(f"speed-up x{min(speedups[''].values()):.1f}, but some filters stayed below the classic activation in "
              f"{', '.join(below[''])}")  # fmt: skip
    else:
        print(f"speed-up x{min(speedups[''].values()):.1f} at equal or higher activation")

    return 0


if __name__ == "__main__":
    sys.exit(main())
