"""Inference of the shipped models under Keras 3's JAX backend: for a GPU machine that has JAX but
no TensorFlow (the lent H100/H200 image). Training stays TensorFlow-only (custom train_steps with
GradientTape), so this measures generation and QC assessment only, and says so.

`KERAS_BACKEND=jax python -m bench.gpu_jax OUT.json` (no TensorFlow import anywhere on this path).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")


def _time(fn, repeats: int = 10, warmup: int = 3) -> float:
    """Median seconds of fn() (which must block until its result is ready)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _runner(model):
    """(eager call, jitted stateless call) of `model` in inference mode, each blocking."""
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    jitted = jax.jit(lambda x: model.stateless_call(trainable, non_trainable, x, training=False)[0])
    eager = lambda x: jax.block_until_ready(model(x, training=False))  # noqa: E731
    return eager, lambda x: jax.block_until_ready(jitted(x))


def run() -> dict:
    import jax
    import keras
    import numpy as np

    from gan_style.core import checkpoints

    device = jax.devices()[0]
    rng = np.random.default_rng(0)
    results = {
        "machine": {"name": f"{device.platform}-{device.device_kind}".replace(" ", "_"), "gpu": device.device_kind,
                    "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "backend": f"keras {keras.__version__} / jax {jax.__version__}"},
        "note": "inference only: TensorFlow is not available on this machine, so no training was run",
        "dcgan_generation": [], "qc_assess": [], "qc_side_scaling": [],
    }
    generator = checkpoints.load_model("dcgan_mnist", "generator.keras")
    eager, jitted = _runner(generator)
    for batch in (500, 5000):
        z = rng.standard_normal((batch, generator.input_shape[-1])).astype("float32")
        for mode, fn in (("eager", eager), ("jit", jitted)):
            seconds = _time(functools.partial(fn, z))
            results["dcgan_generation"].append(
                {"variant": f"jax {mode}", "batch": batch, "samples_per_s": batch / seconds}
            )
    for domain, batch, side in (("digits", 256, 28), ("rgb", 16, 256)):
        model = checkpoints.load_model(f"quality_{domain}", "regressor.keras")
        eager, jitted = _runner(model)
        x = rng.uniform(-1, 1, (batch, side, side, 1 if domain == "digits" else 3)).astype("float32")
        base = None
        for mode, fn in (("eager", eager), ("jit", jitted)):
            seconds = _time(functools.partial(fn, x))
            base = base or seconds
            results["qc_assess"].append({"domain": domain, "batch": batch, "side": side, "mode": f"jax {mode}",
                                         "images_per_s": batch / seconds, "speedup_vs_eager": base / seconds})
        if domain == "rgb":
            for size in (64, 128, 256, 512, 1024, 2048):
                x = rng.uniform(-1, 1, (1, size, size, 3)).astype("float32")
                seconds = _time(functools.partial(jitted, x), repeats=5, warmup=2)
                stats = device.memory_stats() or {}
                results["qc_side_scaling"].append({"side": size, "ms_per_image": 1000 * seconds,
                                                   "peak_device_mb": stats.get("peak_bytes_in_use", 0) / 2**20})
    return results


if __name__ == "__main__":
    out = run()
    text = json.dumps(out, indent=2)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as handle:
            handle.write(text + "\n")
    print(text)
