import csv

import numpy as np
import tensorflow as tf
from PIL import Image

from gan_style.core import callbacks
from gan_style.gan.trainer import DCGANConfig, build_dcgan_trainer


def _tiny_run(tmp_path, epochs, extra=()):
    config = DCGANConfig(latent_dim=8, base_filters=4, batch_size=8)
    trainer = build_dcgan_trainer(config)
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8, drop_remainder=True)
    history = trainer.fit(dataset, epochs=epochs, verbose=0,
                          callbacks=callbacks.gan_callbacks(tmp_path, latent_dim=8) + list(extra))
    return trainer, history


def test_standard_callbacks_write_every_artifact(tmp_path):
    _tiny_run(tmp_path, epochs=2)
    grid = Image.open(tmp_path / "samples" / "epoch_0002.png")
    assert grid.size[0] > 28 * 8  # an 8 x 8 grid of 28 px digits, upscaled
    assert (tmp_path / "networks" / "generator.keras").stat().st_size > 0
    assert (tmp_path / "networks" / "discriminator.keras").stat().st_size > 0
    with open(tmp_path / "log.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows] == ["0", "1"] and {"d_loss", "g_loss"} <= set(rows[0])
    assert (tmp_path / "loss_curves.png").stat().st_size > 0
    assert any((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_time_limit_stops_after_the_first_epoch_past_it(tmp_path):
    limit = callbacks.TimeLimit(minutes=0.0)
    _, history = _tiny_run(tmp_path, epochs=5, extra=[limit])
    assert len(history.history["d_loss"]) == 1 and limit.stopped_epoch == 0
    generous = callbacks.TimeLimit(minutes=60.0)
    _, history = _tiny_run(tmp_path / "b", epochs=3, extra=[generous])
    assert len(history.history["d_loss"]) == 3 and generous.stopped_epoch is None
