"""Repair U-Net trainer and its recipe for the two domains (digits, RGB).

The shipped RGB recipe (Makefile `train-repair`) is chosen for PSNR on held-out photos: L2, no
perceptual/style terms, `vary_photos`. Measured on 200 validation crops (true masks), the U-Net's
residual on top of its coarse fill is worth nothing there (8.848 vs 8.851 dB of gain): the eleven
training photos do not teach it more than the fill knows. Without `vary_photos` the residual cost
0.6-0.9 dB on two validation draws; the previous shipped model (width 32, L1, perceptual/style
terms at 0.02) cost 0.4 dB in the bench.

A corrector (the U-Net reading the pixels under its mask and blending them by a learnt trust),
larger training crops and a PatchGAN term were tried or built and do not ship; what they measured
is in experiments/README.md ("Repair").
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan_style.core import losses
from gan_style.core.training import TrackedModel, finish_run
from gan_style.qc.artifacts import repair_examples
from gan_style.qc.clean import clean_images
from gan_style.qc.configs import STRIDES, RepairConfig
from gan_style.qc.repair_eval import evaluate_repair
from gan_style.qc.repair_unet import build_repair_unet
from gan_style.style.encoder import build_encoder


class RepairTrainer(TrackedModel):
    """Trains the repair U-Net on batches (clean images (B, H, W, C) in [-1, 1], inputs: the same
    with artifacts under the holes (`artifacts.repair_examples`), holes (B, H, W)).

        L = w_hole * L_hole(G, x) + w_valid * L_valid(G, x)           (raw prediction G; L1 or L2)
            + w_perc * sum_l |phi_l(y) - phi_l(x)| / |phi_l(x)|       (RGB, y the composite)
            + w_style * sum_l (|mu(phi_l(y)) - mu(phi_l(x))| + |sigma(..) - sigma(..)|) / |phi_l(x)|
    phi_l: the frozen encoder's relu1_1..relu3_1, each term normalised by the clean features'
    mean magnitude so the weights do not depend on the encoder's scale.
    """

    tracked = ("loss", "hole", "valid", "perceptual", "style")

    def __init__(self, repairer, config: RepairConfig, encoder=None, **kwargs):
        super().__init__(seed=config.seed, **kwargs)
        self.repairer, self.config, self.encoder = repairer, config, encoder
        self.built = True

    def call(self, inputs, training=False):
        return self.repairer(inputs, training=training)

    def _forward(self, data, training):
        clean, inputs, holes = data
        masks = tf.cast(holes, tf.float32)[..., None]  # (B, H, W) -> (B, H, W, 1)
        outputs = self.repairer({"images": inputs, "masks": masks}, training=training)
        hole, valid = losses.masked_error(outputs["prediction"], clean, masks, self.config.norm)
        parts = {"hole": hole, "valid": valid}
        if self.encoder is not None:
            parts.update(losses.feature_losses(self.encoder(outputs["repaired"]), self.encoder(clean)))
        c = self.config
        total = c.hole_weight * hole + c.valid_weight * valid
        total += c.perceptual_weight * parts.get("perceptual", 0.0) + c.style_weight * parts.get("style", 0.0)
        return total, parts

    def train_step(self, data):
        with tf.GradientTape() as tape:
            total, parts = self._forward(data, training=True)
        self.minimize(tape, total, self.optimizer, self.repairer.trainable_variables)
        return self.track({"loss": total, **parts})

    def test_step(self, data):
        total, parts = self._forward(data, training=False)
        return self.track({"loss": total, **parts})


def build_repair_trainer(config: RepairConfig) -> RepairTrainer:
    repairer = build_repair_unet(config.channels, config.width, config.depth, name=f"repair_{config.domain}")
    encoder = None
    if config.domain == "rgb" and (config.perceptual_weight or config.style_weight):
        encoder = build_encoder("hed")
    trainer = RepairTrainer(repairer, config, encoder=encoder)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, config.steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule))
    return trainer


def vary_photos(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """RGB crops (B, S, S, 3) in [-1, 1] -> the same crops with one random quarter turn and channel
    order for the batch, and a random affine intensity map a * x + b per image (|a| in [0.5, 1],
    either sign, b keeping [-1, 1]). A Laplace fill is equivariant to all three; teaching the U-Net the same keeps its
    residual from memorising the colours of the few training photos."""
    out = np.rot90(batch, int(rng.integers(4)), axes=(1, 2))[..., rng.permutation(3)]
    scale = rng.uniform(0.5, 1.0, (len(batch), 1, 1, 1)) * rng.choice([-1.0, 1.0], (len(batch), 1, 1, 1))
    shift = rng.uniform(-1.0, 1.0, scale.shape) * (1.0 - np.abs(scale))
    return np.ascontiguousarray(out * scale + shift, dtype=np.float32)


def training_dataset(config: RepairConfig):
    """Endless tf.data pipeline of (clean images, inputs, holes) batches, and the data source.
    The inpainter reads none of the inputs under the holes, so it trains exactly as on the clean
    images."""
    num = 0 if config.domain == "digits" else 4000
    ds, source = _batches(config, config.crop_size, config.batch_size, num)
    return ds.prefetch(tf.data.AUTOTUNE), source


def _batches(config: RepairConfig, size: int, batch_size: int, num: int):
    """Endless (clean, inputs, holes) batches of `batch_size` crops of `size` px (RGB; digits:
    28 px), seeded by `config.seed`."""
    images, source = clean_images(config.domain, "train", num, config.seed, size,
                                  pictures=config.pictures)
    stride = STRIDES[config.domain]

    def vary_and_hole(x, seed):
        if config.vary:
            x = vary_photos(x, np.random.default_rng(int(seed) + 17))
        return (x, *repair_examples(x, config.domain, stride, int(seed), config.intact_share))

    def with_holes(batch, seed):
        batch, inputs, holes = tf.numpy_function(vary_and_hole, [batch, seed], (tf.float32,) * 3)
        batch.set_shape((batch_size, *images.shape[1:]))
        inputs.set_shape(batch.shape)
        holes.set_shape(batch.shape[:3])
        return batch, inputs, holes

    base = 1_000_003 * config.seed
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=config.seed).repeat()
    ds = ds.batch(batch_size, drop_remainder=True).enumerate()
    return ds.map(lambda i, x: with_holes(x, i + base), num_parallel_calls=tf.data.AUTOTUNE), source


def on_fill(repairer: keras.Model, config: RepairConfig) -> keras.Model:
    """The trained U-Net (on the Laplace fill) with `config.fill` under it: the same weights in
    `build_repair_unet(..., fill=config.fill)` (the fill has none)."""
    if config.fill == "laplace":
        return repairer
    served = build_repair_unet(config.channels, config.width, config.depth, name=repairer.name, fill=config.fill)
    served.set_weights(repairer.get_weights())
    return served


def train_repair(config: RepairConfig, out_dir: str | Path, command: str = "", verbose: int = 2,
                 evaluate: bool = True) -> dict:
    """Train, then (`finish_run`) write `out_dir/repairer.keras` in float32, evaluate it on validation
    images and write MANIFEST.json. Returns the manifest."""
    start = time.time()
    keras.utils.set_random_seed(config.seed)
    dataset, source = training_dataset(config)
    trainer = build_repair_trainer(config)
    epochs = 10
    trainer.fit(dataset, epochs=epochs, steps_per_epoch=max(1, config.steps // epochs), verbose=verbose,
                shuffle=False)

    steps = int(trainer.optimizer.iterations.numpy())  # run: 10 epochs of whole tenths, not config.steps
    def measure(saved):
        if not evaluate:
            return {"metrics": {}}
        return {"metrics": evaluate_repair(saved["repairer.keras"], config.domain,
                                           num=200 if config.domain == "digits" else 100, baselines=False)}

    return finish_run(
        out_dir, {"repairer.keras": on_fill(trainer.repairer, config)}, start=start, evaluate=measure,
        command=command, data_source=source, seed=config.seed, steps=steps, config=config.to_dict(),
    )
