"""Does the ascent raise every live filter, for any of VGG16's 13 conv layers and any image size?

For each network (the offline bundled weights and an untrained VGG16), each conv layer and each image
size, the script runs the notebook's default ascent (adaptive step, blur 1 px, precision "auto", 30 steps
of 2 grey levels) on the first `--filters` filters that respond to the start image, and counts the live
filters whose float32 activation did not rise. It prints one line per (network, layer) and the filters that
did not climb with their activation before and after; the last line is the total. Exit 1 if any did not.

    python bench/filter_climb.py [--sizes 32 64 128 224] [--filters 16] [--networks bundled untrained]
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 224])
    parser.add_argument("--filters", type=int, default=16, help="live filters per layer and size")
    parser.add_argument("--networks", nargs="+", choices=("bundled", "untrained"), default=["bundled", "untrained"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blur", type=float, default=1.0)
    parser.add_argument("--fixed", action="store_true", help="the fixed step instead of the adaptive rule")
    args = parser.parse_args(argv)

    course_utils.setup(seed=args.seed, announce=False)
    from course_utils import filters
    from course_utils.models import load_vgg16

    total, stuck, begin = 0, [], time.perf_counter()
    for network in args.networks:
        model = load_vgg16(weights="bundled" if network == "bundled" else None)
        for layer in filters.VGG16_CONV_LAYERS:
            counts = []
            for size in args.sizes:
                vis = filters.FilterVisualizer(
                    model, layer, size, adaptive=not args.fixed, blur=args.blur, precision="auto"
                )
                live = np.flatnonzero(vis.start_activations(args.seed) > 0)[: args.filters]
                if live.size == 0:
                    counts.append(f"{size}px: none live")
                    continue
                res = vis.visualize(live, steps=30, step_size=2.0, seed=args.seed, batch_size=8, progress=False)
                bad = np.flatnonzero(res.after <= res.before)
                total += live.size
                stuck += [f"{network} {layer} {size}px filter {res.filters[i]}: {res.before[i]:.3g} -> "
                          f"{res.after[i]:.3g}" for i in bad]  # fmt: skip
                counts.append(f"{size}px {live.size - bad.size}/{live.size}")
            print(f"{network:9s} {layer:13s} climbed: {', '.join(counts)}", flush=True)
    for line in stuck:
        print("did not climb:", line)
    print(f"{total - len(stuck)} of {total} live filters climbed ({time.perf_counter() - begin:.0f} s)")
    return 1 if stuck else 0


if __name__ == "__main__":
    sys.exit(main())
