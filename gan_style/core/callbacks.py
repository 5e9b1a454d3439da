"""Training callbacks: fixed-noise sample grids, network checkpoints, loss curves, the standard set."""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras
import numpy as np

from gan_style.core import checkpoints, viz


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, write `samples/epoch_XXXX.png`: the (EMA) generator on fixed noise."""

    def __init__(self, out_dir: str | os.PathLike, num: int = 64, latent_dim: int = 100, seed: int = 0):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.noise = np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")

    def on_epoch_end(self, epoch, logs=None):
        generator = self.model.sync_ema()
        images = generator.predict(self.noise, verbose=0)
        viz.save_grid(self.out_dir / f"epoch_{epoch + 1:04d}.png", images)


class NetworkCheckpoint(keras.callbacks.Callback):
    """After each epoch, save the sampling generator and the discriminator as `.keras` files."""

    def __init__(self, out_dir: str | os.PathLike):
        super().__init__()
        self.out_dir = Path(out_dir)

    def on_epoch_end(self, epoch, logs=None):
        checkpoints.save_model(self.model.sync_ema(), self.out_dir / "generator.keras")
        checkpoints.save_model(self.model.discriminator, self.out_dir / "discriminator.keras")


class TimeLimit(keras.callbacks.Callback):
    """Stop training at the end of the first epoch that ends past `minutes` of training (a budget
    on a machine whose speed varies); `stopped_epoch` is then that epoch's index (0-based)."""

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds, self.stopped_epoch = 60.0 * minutes, None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training, self.stopped_epoch = True, epoch


class LossCurves(keras.callbacks.Callback):
    """At the end of training, plot each tracked metric per epoch to `loss_curves.png`."""

    def __init__(self, path: str | os.PathLike, title: str = ""):
        super().__init__()
        self.path, self.title = Path(path), title
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))

    def on_train_end(self, logs=None):
        if self.history:
            viz.plot_loss_curves(self.history, self.path, self.title)


def gan_callbacks(work_dir: str | os.PathLike, latent_dim: int = 100, tensorboard: bool = True) -> list:
    """The standard set for a GAN run under `work_dir`: backup (resume after a kill), sample grids,
    network checkpoints, CSV log, TensorBoard, loss curves."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(work_dir / "backup")),
        SampleGrid(work_dir / "samples", latent_dim=latent_dim),
        NetworkCheckpoint(work_dir / "networks"),
        keras.callbacks.CSVLogger(str(work_dir / "log.csv"), append=True),
        LossCurves(work_dir / "loss_curves.png"),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(work_dir / "tensorboard"), write_graph=False))
    return callbacks
