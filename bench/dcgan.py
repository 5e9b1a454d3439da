"""DCGAN benchmarks: the seed's training loop vs our `train_step` (eager, tf.function, XLA, bf16),
generation throughput, and batch-size scaling (run with `python -m bench.dcgan '<json>'` for one
isolated point, so peak memory is that point's alone)."""

from __future__ import annotations

import json
import sys

import numpy as np

from bench.harness import measure_memory, time_call


def _networks(base_filters: int):
    from gan_style.gan.discriminator import build_discriminator
    from gan_style.gan.generator import build_dcgan_generator

    return build_dcgan_generator(100, base_filters), build_discriminator(base_filters=base_filters)


def seed_loop_step(batch_size: int, base_filters: int = 64):
    """The seed's way, made runnable: D.train_on_batch on reals then on fakes from G.predict, and
    G trained through a combined model with D frozen. Returns a zero-argument step function."""
    import keras

    generator, discriminator = _networks(base_filters)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    discriminator.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), bce)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (batch_size, 28, 28, 1)).astype("float32")
    ones, zeros = np.ones((batch_size, 1), "float32"), np.zeros((batch_size, 1), "float32")
    discriminator.train_on_batch(real, ones)  # traced while trainable: D's own step updates D
    discriminator.trainable = False
    z_in = keras.Input((100,))
    combined = keras.Model(z_in, discriminator(generator(z_in)))
    combined.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), bce)

    def step():
        z = rng.standard_normal((batch_size, 100)).astype("float32")
        discriminator.train_on_batch(real, ones)
        fake = generator.predict(z, verbose=0, batch_size=batch_size)
        discriminator.train_on_batch(fake, zeros)
        combined.train_on_batch(rng.standard_normal((batch_size, 100)).astype("float32"), ones)

    return step


def ours_step(batch_size: int, mode: str, base_filters: int = 64, ema: bool = False):
    """Our DCGANTrainer.train_step via train_on_batch; mode: eager | function | xla | bf16."""
    import keras

    from gan_style.gan.trainer import DCGANConfig, build_dcgan_trainer

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if mode == "bf16" else "float32")
    config = DCGANConfig(latent_dim=100, categories=0, base_filters=base_filters, batch_size=batch_size,
                         ema_decay=0.999 if ema else 0.0, jit_compile=mode == "xla")
    trainer = build_dcgan_trainer(config)
    if mode == "eager":
        trainer.compile(trainer.d_optimizer, trainer.g_optimizer, run_eagerly=True)
    keras.mixed_precision.set_global_policy("float32")
    real = np.random.default_rng(0).uniform(-1, 1, (batch_size, 28, 28, 1)).astype("float32")
    return lambda: trainer.train_on_batch(real)


def training_steps(batch_sizes=(64, 128), repeats: int = 5, inner: int = 5, base_filters: int = 64) -> list[dict]:
    """ms/step of every variant at each batch size, in this process, same networks and inputs."""
    rows = []
    for batch in batch_sizes:
        variants = {"seed loop (train_on_batch + predict + combined)": seed_loop_step(batch, base_filters)}
        for mode in ("eager", "function", "xla", "bf16"):
            variants[f"train_step ({mode})"] = ours_step(batch, mode, base_filters)
        variants["train_step (function) + EMA"] = ours_step(batch, "function", base_filters, ema=True)
        base = None
        for name, step in variants.items():
            timing = time_call(step, repeats=repeats, warmup=2, inner=inner)
            ms = 1000 * timing["median_s"]
            base = base or ms
            rows.append({"batch": batch, "variant": name, "ms_per_step": ms,
                         "speedup_vs_seed": base / ms, "images_per_s": batch / timing["median_s"]})
    return rows


def epoch_time(base_filters: int = 64, max_steps: int | None = None) -> dict:
    """Seconds for one epoch of `fit` over the MNIST train split with the shipped recipe (the
    precision `make train-mnist` picks here: bf16 where the CPU has native bf16, else float32)."""
    import time

    import keras

    from gan_style.core import data, runtime
    from gan_style.gan.trainer import DCGANConfig, build_dcgan_trainer

    config = DCGANConfig(base_filters=base_filters, precision=runtime.auto_precision())
    keras.mixed_precision.set_global_policy(config.precision)
    trainer = build_dcgan_trainer(config)
    keras.mixed_precision.set_global_policy("float32")
    train = data.load_mnist("train")
    dataset = data.make_dataset(train, config.batch_size)
    steps = max_steps or len(train) // config.batch_size
    trainer.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)  # warm-up: tracing
    start = time.perf_counter()
    trainer.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    return {"images": steps * config.batch_size, "steps": steps, "batch": config.batch_size,
            "seconds": seconds, "source": train.source, "precision": config.precision}


def generation(num: int = 5000, batch_size: int = 500, repeats: int = 5) -> list[dict]:
    """Samples/s of the shipped generator: `predict` vs a direct tf.function call."""
    import tensorflow as tf

    from gan_style.core import checkpoints

    generator = checkpoints.load_model("dcgan_mnist", "generator.keras")
    z = np.random.default_rng(0).standard_normal((num, generator.input_shape[-1])).astype("float32")
    fn = tf.function(lambda x: generator(x, training=False))
    batches = [z[i : i + batch_size] for i in range(0, num, batch_size)]
    rows = []
    for name, call in {
        "predict": lambda: generator.predict(z, batch_size=batch_size, verbose=0),
        "tf.function": lambda: [fn(b) for b in batches],
    }.items():
        timing = time_call(call, repeats=repeats, warmup=1)
        rows.append({"variant": name, "samples_per_s": num / timing["median_s"], "batch": batch_size})
    return rows


def scaling_point(args: dict) -> dict:
    """One isolated point: our train_step (tf.function) at batch `args['batch']`, time + peak RSS."""
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    step = ours_step(args["batch"], "function", args.get("base_filters", 64))
    memory = measure_memory(step)  # first: before warm-up fills the allocator
    timing = time_call(step, repeats=args.get("repeats", 3), warmup=2, inner=args.get("inner", 3))
    return {"batch": args["batch"], "ms_per_step": 1000 * timing["median_s"], **memory}


if __name__ == "__main__":
    print(json.dumps(scaling_point(json.loads(sys.argv[1]))))
