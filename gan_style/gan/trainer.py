"""DCGAN trainer: alternating discriminator and generator steps in one `train_step`."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import tensorflow as tf
from keras import ops

from gan_style.core import callbacks, data, losses, runtime, viz
from gan_style.core.training import AdversarialTrainer, finish_run, linear_decay
from gan_style.gan.configs import DCGANConfig
from gan_style.gan.discriminator import build_discriminator
from gan_style.gan.eval import evaluate_dcgan, sample_images
from gan_style.gan.generator import build_dcgan_generator


class DCGANTrainer(AdversarialTrainer):
    """Trains a DCGAN generator G and discriminator D (logits) on batches of real images.

    Each step, with z ~ N(0, I) drawn from the model's SeedGenerator:
      D step: minimise -E[log D(x)] - E[log(1 - D(G(z)))]
      G step: minimise -E[log D(G(z'))]                    (non-saturating)
    Tracked: d_loss, g_loss, d_real = E[D(x)], d_fake = E[D(G(z))] (probabilities, in [0, 1]).
    """

    tracked = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator, discriminator, *, latent_dim: int = 100, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.latent_dim = latent_dim

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _forward(self, real, training):
        """Forward passes for both losses; returns (d_loss, g_loss, real_logits, fake_logits)."""
        fake = self.generator(self._noise(ops.shape(real)[0]), training=training)
        real_logits = self.discriminator(real, training=training)
        fake_logits = self.discriminator(fake, training=training)
        d_loss, _ = losses.dcgan_discriminator_loss(real_logits, fake_logits, loss_fn=self.loss_fn)
        g_loss = losses.dcgan_generator_loss(fake_logits, loss_fn=self.loss_fn)
        return d_loss, g_loss, real_logits, fake_logits

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            d_loss, _, real_logits, fake_logits = self._forward(real, training=True)
        self.minimize(tape, d_loss, self.d_optimizer, self.discriminator.trainable_variables)

        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(ops.shape(real)[0]), training=True)
            g_loss = losses.dcgan_generator_loss(self.discriminator(fake, training=True), loss_fn=self.loss_fn)
        self.minimize(tape, g_loss, self.g_optimizer, self.generator.trainable_variables)
        self.update_ema()
        return self._report(d_loss, g_loss, real_logits, fake_logits)

    def test_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        return self._report(*self._forward(real, training=False))

    def _report(self, d_loss, g_loss, real_logits, fake_logits):
        return self.track({
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
        })


def build_dcgan_trainer(config: DCGANConfig, steps_per_epoch: int = 125) -> DCGANTrainer:
    """Networks, trainer and Adam optimizers from `config`, compiled (call inside a strategy scope).

    With `lr_decay`, both learning rates decay linearly to 0 over `epochs * steps_per_epoch` steps.
    """
    generator = build_dcgan_generator(config.latent_dim, config.base_filters, config.batchnorm, config.categories)
    discriminator = build_discriminator(base_filters=config.base_filters)
    trainer = DCGANTrainer(
        generator, discriminator, latent_dim=config.latent_dim, ema_decay=config.ema_decay, seed=config.seed
    )

    def rate(lr):
        return linear_decay(lr, config.epochs * steps_per_epoch, config.lr_decay)

    trainer.compile(
        d_optimizer=keras.optimizers.Adam(rate(config.d_learning_rate), beta_1=config.beta_1),
        g_optimizer=keras.optimizers.Adam(rate(config.g_learning_rate), beta_1=config.beta_1),
        jit_compile=config.jit_compile,
    )
    return trainer


def train_dcgan(
    config: DCGANConfig,
    out_dir: str | Path,
    work_dir: str | Path,
    *,
    data_dir=None,
    download: bool = False,
    strategy: str = "default",
    steps_per_epoch: int | None = None,
    time_limit_minutes: float | None = None,
    evaluate: bool = True,
    command: str = "",
    verbose: int = 2,
) -> dict:
    """Train on MNIST (train split), then write to `out_dir` (`finish_run`): `generator.keras` (the
    EMA generator when `ema_decay` > 0) and `discriminator.keras` in float32, `samples.png`,
    `loss_curves.png` and MANIFEST.json with the evaluation metrics. `work_dir` holds backups (a killed run resumes),
    per-epoch grids, CSV and TensorBoard logs. With `time_limit_minutes`, training stops after the
    first epoch that ends past the limit; the manifest records the epochs actually run. Returns
    the manifest."""
    start = time.time()
    config = dataclasses.replace(config, precision=runtime.configure(precision=config.precision))
    keras.utils.set_random_seed(config.seed)
    train = data.load_mnist("train", data_dir, download)
    dataset = data.make_dataset(train, config.batch_size, seed=config.seed)
    with runtime.get_strategy(strategy).scope():
        trainer = build_dcgan_trainer(config, steps_per_epoch or len(train) // config.batch_size)
    work_dir, out_dir = Path(work_dir), Path(out_dir)
    extra = [callbacks.TimeLimit(time_limit_minutes)] if time_limit_minutes else []
    history = trainer.fit(
        dataset, epochs=config.epochs, steps_per_epoch=steps_per_epoch, verbose=verbose, shuffle=False,
        callbacks=callbacks.gan_callbacks(work_dir, config.latent_dim) + extra,
    )
    epochs_run = len(history.history["d_loss"])
    viz.plot_loss_curves(history.history, out_dir / "loss_curves.png", "DCGAN on MNIST")
    steps = epochs_run * (steps_per_epoch or len(train) // config.batch_size)

    def measure(saved):
        generator = saved["generator.keras"]
        viz.save_grid(out_dir / "samples.png", sample_images(generator, 100, seed=config.seed), cols=10)
        return {"metrics": evaluate_dcgan(generator, data_dir=data_dir) if evaluate else {}}

    return finish_run(
        out_dir, {"generator.keras": trainer.sync_ema(), "discriminator.keras": trainer.discriminator},
        start=start, evaluate=measure,
        command=command, data_source=train.source, seed=config.seed, epochs=epochs_run, steps=steps,
        budget=(f"{epochs_run} of {config.epochs} epochs x {steps // max(epochs_run, 1)} steps of batch "
                f"{config.batch_size}" + (f"; time limit {time_limit_minutes} min" if time_limit_minutes else "")
                + ("; stopped by the time limit" if epochs_run < config.epochs else "")),
        device=runtime.device_name(), config=config.to_dict(),
    )
