"""Training recipe of the evaluation classifier (plain supervised `fit`; no GAN logic)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import tensorflow as tf

from gan_style.core import data
from gan_style.core.training import finish_run
from gan_style.gan.classifier import build_mnist_classifier
from gan_style.gan.configs import ClassifierConfig


def _augmenter(seed: int) -> keras.Sequential:
    """Small random rotations, shifts and zooms; the background (-1) fills what moves in."""
    kw = {"fill_mode": "constant", "fill_value": -1.0, "seed": seed}
    return keras.Sequential([
        keras.layers.RandomRotation(0.025, **kw),  # +-9 degrees
        keras.layers.RandomTranslation(0.08, 0.08, **kw),  # +-2 pixels
        keras.layers.RandomZoom(0.08, **kw),
    ])


def train_classifier(
    config: ClassifierConfig, out_dir: str | Path, data_dir=None, download: bool = False,
    command: str = "", verbose: int = 2,
) -> dict:
    """Train on the MNIST train split with augmentation, test on the held-out split, write
    `out_dir/classifier.keras` and its MANIFEST; returns the manifest."""
    start = time.time()
    keras.utils.set_random_seed(config.seed)
    train = data.load_mnist("train", data_dir, download)
    test = data.load_mnist("test", data_dir, download)
    augmenter = _augmenter(config.seed)
    ds = data.make_dataset(train, config.batch_size, seed=config.seed, with_labels=True)
    ds = ds.map(lambda x, y: (augmenter(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    test_ds = data.make_dataset(test, 500, shuffle=False, with_labels=True, drop_remainder=False)
    model = build_mnist_classifier(config.width)
    steps = config.epochs * (len(train) // config.batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(ds, epochs=config.epochs, validation_data=test_ds, verbose=verbose, shuffle=False)

    def measure(saved):
        saved["classifier.keras"].compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                          metrics=["accuracy"])
        _, accuracy = saved["classifier.keras"].evaluate(test_ds, verbose=0)
        return {"metrics": {"test_accuracy": float(accuracy), "test_images": len(test), "train_images": len(train),
                            "test_errors": int(round((1 - accuracy) * len(test)))}}

    return finish_run(
        out_dir, {"classifier.keras": model}, start=start, evaluate=measure,
        command=command, data_source=train.source, seed=config.seed, epochs=config.epochs, steps=steps,
        config=config.to_dict(),
    )

