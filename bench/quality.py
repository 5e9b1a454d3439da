"""QC assess throughput: the quality regressor under a cached tf.function vs eager, and image-side
scaling (fully convolutional, so the side can double from 64 to 1024 px)."""

from __future__ import annotations

import functools
import json
import sys

import numpy as np

from bench.harness import measure_memory, time_call


def _regressor(domain: str, width: int | None):
    """What the QC pipeline runs to assess: the shipped regressor's scoring part (global score +
    score map, no pixel head), or that of a fresh one of `width` (tiny runs, or before training)."""
    from gan_style.qc.regressor import build_quality_regressor, scoring_model

    if width is None:
        from gan_style.core import checkpoints

        return scoring_model(checkpoints.load_model(f"quality_{domain}", "regressor.keras"))
    return scoring_model(build_quality_regressor(1 if domain == "digits" else 3, 4 if domain == "digits" else 8, width))


def assess_throughput(batches: dict, repeats: int = 5, width: int | None = None) -> list[dict]:
    """images/s of assessment (score map + global score) per domain: eager call vs tf.function."""
    import tensorflow as tf

    rows = []
    for domain, (batch, side) in batches.items():
        model = _regressor(domain, width)
        channels = 1 if domain == "digits" else 3
        x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (batch, side, side, channels)).astype("float32"))
        compiled = tf.function(functools.partial(model, training=False))
        eager = None
        variants = (("eager", functools.partial(model, x, training=False)),
                    ("tf.function", functools.partial(compiled, x)))
        for mode, fn in variants:
            timing = time_call(fn, repeats=repeats, warmup=2)
            eager = eager or timing["median_s"]
            rows.append({"domain": domain, "batch": batch, "side": side, "mode": mode,
                         "images_per_s": batch / timing["median_s"], "speedup_vs_eager": eager / timing["median_s"]})
    return rows


def side_point(args: dict) -> dict:
    """One isolated point: RGB assessment of a (1, side, side, 3) image, time + peak RSS."""
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    import tensorflow as tf

    model = _regressor("rgb", args.get("width"))
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, args["side"], args["side"], 3)).astype("float32"))
    fn = tf.function(lambda images: model(images, training=False))
    memory = measure_memory(lambda: fn(x))  # first: before warm-up fills the allocator
    timing = time_call(lambda: fn(x), repeats=args.get("repeats", 3), warmup=1)
    return {"side": args["side"], "ms_per_image": 1000 * timing["median_s"], **memory}


if __name__ == "__main__":
    print(json.dumps(side_point(json.loads(sys.argv[1]))))


def evaluate_shipped(tiny: bool) -> dict:
    """`evaluate_quality` on each shipped regressor (tiny: RGB only, 16 images, no real failures)."""
    from gan_style.core import checkpoints
    from gan_style.qc.configs import QualityConfig, trained_kinds
    from gan_style.qc.quality_eval import evaluate_quality

    reports = {}
    for domain in ("rgb",) if tiny else ("digits", "rgb"):
        name = f"quality_{domain}"
        try:
            manifest = checkpoints.verify(name)
            config = QualityConfig.from_dict(manifest["config"])
        except checkpoints.CheckpointError as exc:
            reports[domain] = {"domain": domain, "error": str(exc)}
            continue
        model = checkpoints.load_model(name, "regressor.keras")
        reports[domain] = evaluate_quality(model, config, num=16 if tiny else 1000, real_failures=not tiny,
                                           kinds=trained_kinds(manifest))
    return reports
