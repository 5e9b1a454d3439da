"""Repair U-Net trainer and its recipe for the two domains (digits, RGB).

The shipped RGB recipe (Makefile `train-repair`) is chosen for PSNR on held-out photos: L2, no
perceptual/style terms, `vary_photos`. Measured on 200 validation crops (true masks), the U-Net's
residual on top of its coarse fill is worth nothing there (8.848 vs 8.851 dB of gain): the eleven
training photos do not teach it more than the fill knows. Without `vary_photos` the residual cost
0.6-0.9 dB on two validation draws; the previous shipped model (width 32, L1, perceptual/style
terms at 0.02) cost 0.4 dB in the bench.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan_style import losses
from gan_style.trainers.base import AdversarialTrainer
from gan_style.trainers.quality import STRIDES, clean_images


@dataclass
class RepairConfig:
    """Hyperparameters of a repair run; written into the checkpoint's manifest."""

    domain: str = "digits"
    width: int = 32
    depth: int = 0  # 0: 2 for digits, 3 for RGB
    batch_size: int = 64
    steps: int = 2000
    learning_rate: float = 1e-3
    crop_size: int = 64  # RGB training crops
    hole_weight: float = 6.0
    valid_weight: float = 1.0
    norm: str = "l1"  # of the hole/valid terms: "l1", or "l2" (what PSNR measures)
    vary: bool = False  # RGB: random quarter turns, channel orders and intensity maps (vary_photos)
    perceptual_weight: float = 0.1  # RGB: encoder features of the composite vs the clean image
    style_weight: float = 0.1  # RGB: mean/std of those features
    adversarial_weight: float = 0.0  # > 0 adds a PatchGAN on the composites
    pictures: str = "bundled"  # RGB training pictures: data.PICTURE_SOURCES, comma-separated
    seed: int = 0

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.vary and self.domain != "rgb":
            raise ValueError("vary (turns, channel orders, intensity maps) is for RGB photos, not digits")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if not self.depth:
            self.depth = 2 if self.domain == "digits" else 3

    @property
    def channels(self) -> int:
        return 1 if self.domain == "digits" else 3


class RepairTrainer(AdversarialTrainer):
    """Trains the repair U-Net on batches (clean images (B, H, W, C) in [-1, 1], holes (B, H, W)).

        L = w_hole * L_hole(G, x) + w_valid * L_valid(G, x)           (raw prediction G; L1 or L2)
            + w_perc * sum_l |phi_l(y) - phi_l(x)| / |phi_l(x)|       (RGB, y the composite)
            + w_style * sum_l (|mu(phi_l(y)) - mu(phi_l(x))| + |sigma(..) - sigma(..)|) / |phi_l(x)|
            + w_adv * L_adv(D(y))                                      (optional PatchGAN)
    phi_l: the frozen encoder's relu1_1..relu3_1, each term normalised by the clean features'
    mean magnitude so the weights do not depend on the encoder's scale.
    """

    tracked = ("loss", "hole", "valid", "perceptual", "style", "adversarial", "d_loss")

    def __init__(self, repairer, discriminator, config: RepairConfig, encoder=None, **kwargs):
        if config.adversarial_weight and discriminator is None:
            raise ValueError("adversarial_weight > 0 needs a discriminator")
        super().__init__(repairer, discriminator, seed=config.seed, **kwargs)
        self.config, self.encoder = config, encoder

    def _forward(self, data, training):
        clean, holes = data
        masks = tf.cast(holes, tf.float32)[..., None]  # (B, H, W) -> (B, H, W, 1)
        outputs = self.generator({"images": clean, "masks": masks}, training=training)
        repaired = outputs["repaired"]
        hole, valid = losses.masked_error(outputs["prediction"], clean, masks, self.config.norm)
        parts = {"hole": hole, "valid": valid}
        if self.encoder is not None:
            parts.update(losses.feature_losses(self.encoder(repaired), self.encoder(clean)))
        c = self.config
        total = c.hole_weight * hole + c.valid_weight * valid
        total += c.perceptual_weight * parts.get("perceptual", 0.0) + c.style_weight * parts.get("style", 0.0)
        d_loss = None
        if c.adversarial_weight:
            fake_logits = self.discriminator(repaired, training=training)
            parts["adversarial"] = losses.patch_generator_loss(fake_logits)
            total += c.adversarial_weight * parts["adversarial"]
            d_loss = losses.patch_discriminator_loss(self.discriminator(clean, training=training), fake_logits)
        return total, parts, d_loss

    def train_step(self, data):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            total, parts, d_loss = self._forward(data, training=True)
        self.minimize(g_tape, total, self.g_optimizer, self.generator.trainable_variables)
        if d_loss is not None:
            self.minimize(d_tape, d_loss, self.d_optimizer, self.discriminator.trainable_variables)
            parts["d_loss"] = d_loss
        return self.track({"loss": total, **parts})

    def test_step(self, data):
        total, parts, d_loss = self._forward(data, training=False)
        return self.track({"loss": total, **parts, **({"d_loss": d_loss} if d_loss is not None else {})})


def build_repair_trainer(config: RepairConfig) -> RepairTrainer:
    from gan_style.models.discriminator import build_patchgan_discriminator
    from gan_style.models.repair_unet import build_repair_unet

    repairer = build_repair_unet(config.channels, config.width, config.depth, name=f"repair_{config.domain}")
    discriminator = None
    if config.adversarial_weight:
        discriminator = build_patchgan_discriminator(config.channels, 32, num_layers=2, num_scales=1)
    encoder = None
    if config.domain == "rgb" and (config.perceptual_weight or config.style_weight):
        from gan_style.models.encoder import build_encoder

        encoder = build_encoder("hed")
    trainer = RepairTrainer(repairer, discriminator, config, encoder=encoder)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, config.steps, alpha=0.05)
    trainer.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(schedule))
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
    """Endless tf.data pipeline of (clean images, holes) batches, and the data source."""
    from gan_style.artifacts import repair_masks

    num = 0 if config.domain == "digits" else 4000
    images, source = clean_images(config.domain, "train", num, config.seed, config.crop_size,
                                  pictures=config.pictures)
    stride = STRIDES[config.domain]

    def vary_and_hole(x, seed):
        if config.vary:
            x = vary_photos(x, np.random.default_rng(int(seed) + 17))
        return x, repair_masks(x, config.domain, stride, int(seed))

    def with_holes(batch, seed):
        batch, holes = tf.numpy_function(vary_and_hole, [batch, seed], (tf.float32, tf.float32))
        batch.set_shape((config.batch_size, *images.shape[1:]))
        holes.set_shape(batch.shape[:3])
        return batch, holes

    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=config.seed).repeat()
    ds = ds.batch(config.batch_size, drop_remainder=True).enumerate()
    ds = ds.map(lambda i, x: with_holes(x, i + 1_000_003 * config.seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), source


def train_repair(config: RepairConfig, out_dir: str | Path, command: str = "", verbose: int = 2,
                 evaluate: bool = True) -> dict:
    """Train, evaluate on validation images, write `out_dir` (`repairer.keras` + MANIFEST.json)."""
    from gan_style import checkpoints

    start = time.time()
    keras.utils.set_random_seed(config.seed)
    dataset, source = training_dataset(config)
    trainer = build_repair_trainer(config)
    epochs = 10
    trainer.fit(dataset, epochs=epochs, steps_per_epoch=max(1, config.steps // epochs), verbose=verbose,
                shuffle=False)
    out_dir = Path(out_dir)
    checkpoints.save_model(trainer.generator, out_dir / "repairer.keras")
    metrics = {}
    if evaluate:
        from gan_style.repair_eval import evaluate_repair

        metrics = evaluate_repair(trainer.generator, config.domain, num=200 if config.domain == "digits" else 100,
                                  baselines=False)
    return checkpoints.write_manifest(
        out_dir, ["repairer.keras"], command=command, data_source=source, seed=config.seed,
        steps=config.steps, wall_time_s=round(time.time() - start, 1), config=dataclasses.asdict(config),
        metrics=metrics,
    )

