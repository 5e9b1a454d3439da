"""Quality-regressor trainer and its training recipe for the two domains (digits, RGB)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan_style import losses
from gan_style.trainers.base import TrackedModel

HELD_OUT_KINDS = {"digits": ("smear", "ghost_stroke"), "rgb": ("tearing", "blocking")}
STRIDES = {"digits": 4, "rgb": 8}


@dataclass
class QualityConfig:
    """Hyperparameters of a quality-regressor run; written into the checkpoint's manifest."""

    domain: str = "digits"
    width: int = 32
    block: int = 1  # the global score's worst region is the worst block x block regions' best
    backbone: str = "none"  # RGB: "vgg16_hed", frozen VGG16 relu3_1 features join the trunk
    batch_size: int = 64
    steps: int = 3000
    learning_rate: float = 1e-3
    crop_size: int = 64  # RGB training crops
    rank_weight: float = 0.5
    failure_fraction: float = 0.15  # of abnormal training examples replaced by real failures
    num_failures: int = 1500
    max_fpr: float = 0.05
    seed: int = 0
    held_out_kinds: tuple[str, ...] = field(default=())
    # every artifact type in training, no held-out set (the shipped models since the independent
    # protocol, whose artifacts come from other code); `held_out_kinds` measures generalisation to unseen types
    all_kinds: bool = False
    pictures: str = "bundled"  # RGB training pictures: data.PICTURE_SOURCES, comma-separated, or "corpus"
    stylised_share: float = 0.0  # RGB: share of the clean training crops cut from stylised pictures
    init: str = ""  # a quality checkpoint (folder) to start from, sha256-verified; "" = from scratch
    # hard negatives: the last `hard_steps` (whole tenths of `steps`) train on batches a
    # `hard_share` of which is drawn from the `hard_keep` lowest-scored of `hard_pool` fresh clean
    # training crops (0: off)
    hard_steps: int = 0
    hard_share: float = 0.5
    hard_pool: int = 20000
    hard_keep: int = 2000

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if self.all_kinds and self.held_out_kinds:
            raise ValueError(f"all_kinds trains on every type; got held_out_kinds {self.held_out_kinds}")
        if not self.held_out_kinds and not self.all_kinds:
            self.held_out_kinds = HELD_OUT_KINDS[self.domain]
        tenth = self.steps // 10  # the trainer runs 10 epochs; the hard phase is whole epochs
        in_range = 0 <= self.hard_steps < self.steps
        whole_tenths = self.hard_steps == 0 or (tenth > 0 and self.hard_steps % tenth == 0)
        if not (in_range and whole_tenths):
            raise ValueError(f"hard_steps must be whole tenths of steps (of {tenth}) below "
                             f"steps, got {self.hard_steps}")
        if not 0.0 < self.hard_share < 1.0:
            raise ValueError(f"hard_share must be in (0, 1), got {self.hard_share}")
        if not 0.0 <= self.stylised_share < 1.0 or (self.stylised_share and self.domain == "digits"):
            raise ValueError(f"stylised_share is an RGB share in [0, 1), got {self.stylised_share}")
        if self.hard_steps and not 0 < self.hard_keep <= self.hard_pool:
            raise ValueError(f"need 0 < hard_keep <= hard_pool, got {self.hard_keep} and {self.hard_pool}")

    @classmethod
    def from_dict(cls, values: dict) -> QualityConfig:
        """The config recorded in a manifest (JSON lists back to tuples)."""
        return cls(**{**values, "held_out_kinds": tuple(values.get("held_out_kinds", ()))})

    @property
    def stride(self) -> int:
        return STRIDES[self.domain]

    def train_kinds(self) -> list[str]:
        from gan_style.artifacts import ARTIFACTS

        return [k for k in ARTIFACTS[self.domain] if k not in self.held_out_kinds]


class QualityTrainer(TrackedModel):
    """Trains a quality regressor on batches (images, masks, abnormal, mask_known).

    Loss (`losses.quality_loss`): per-region BCE against the masks pooled to the regressor's
    stride, per-pixel BCE of the pixel head against the masks, BCE of the global head against the
    image label, and a pairwise ranking loss that puts every clean image's global score above
    every abnormal one's by a margin.
    """

    tracked = ("loss", "region", "pixel", "global", "rank")

    def __init__(self, regressor, stride: int, rank_weight: float = 0.5, seed: int = 0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.regressor, self.stride, self.rank_weight = regressor, stride, rank_weight
        self.built = True

    def call(self, images, training=False):
        return self.regressor(images, training=training)

    def _loss(self, data, training):
        images, masks, abnormal, known = data
        outputs = self.regressor(images, training=training)
        total, parts = losses.quality_loss(outputs, masks, abnormal, known, self.stride, rank_weight=self.rank_weight)
        return total, {"loss": total, **parts}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            total, logs = self._loss(data, training=True)
        self.minimize(tape, total, self.optimizer, self.regressor.trainable_variables)
        return self.track(logs)

    def test_step(self, data):
        return self.track(self._loss(data, training=False)[1])


def build_quality_trainer(config: QualityConfig) -> QualityTrainer:
    from gan_style.models.quality_regressor import build_quality_regressor

    channels = 1 if config.domain == "digits" else 3
    regressor = build_quality_regressor(channels, config.stride, config.width, name=f"quality_{config.domain}",
                                        backbone=config.backbone, block=config.block)
    trainer = QualityTrainer(regressor, config.stride, config.rank_weight, seed=config.seed)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, config.steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule))
    return trainer


STYLISED_SIDE = 512  # px, the longer side at which training pictures are stylised


def clean_images(domain: str, split: str, num: int, seed: int, crop_size: int = 64, data_dir=None,
                 pictures: str = "bundled", stylised_share: float = 0.0):
    """Clean images float32 in [-1, 1]: MNIST digits (N, 28, 28, 1) or photo crops (N, S, S, 3).

    split: "train" or "validation" (digits: the held-out MNIST split; RGB: the held-out bundled
    pictures, whatever `pictures`, the training sources, says). RGB training crops are cut from
    the pictures at 1/4 to 1 of a 512-px longer side (a crop of S >= 128 px is then up to a whole
    picture), a `stylised_share` of them from stylised versions of the same pictures
    (`stylised.stylise_pictures`, each picture twice).
    """
    from gan_style import data

    if domain == "digits":
        arrays = data.load_arrays("mnist", "train" if split == "train" else "test", data_dir)
        images = arrays.images[..., None].astype(np.float32) / 127.5 - 1.0
        order = np.random.default_rng(seed).permutation(len(images))
        return images[order[:num]] if num else images[order], arrays.source
    chosen = data.training_pictures(pictures) if split == "train" else data.bundled_images("validation")
    scales = (0.25, 1.0) if crop_size >= 128 else (0.5, 1.0)
    if not stylised_share:
        return data.random_crops(chosen, crop_size, num, seed, scales), data.describe_pictures(chosen)
    from gan_style.stylised import stylise_pictures

    stylised = {**stylise_pictures(chosen, STYLISED_SIDE, seed), **stylise_pictures(chosen, STYLISED_SIDE, seed + 1)}
    share = int(round(num * stylised_share))
    crops = np.concatenate([data.random_crops(chosen, crop_size, num - share, seed, scales),
                            data.random_crops(stylised, crop_size, share, seed + 1, scales)])
    methods = ", ".join(sorted({k.split(":")[0] for k in stylised}))
    source = f"{data.describe_pictures(chosen)}; each stylised twice ({methods})"
    return crops, source


def training_dataset(config: QualityConfig, failures: np.ndarray | None, hard: np.ndarray | None = None):
    """Endless tf.data pipeline of (images, masks, abnormal, mask_known) batches; with `hard`
    clean crops (N, H, W, C), a `hard_share` of the images is drawn from them (before the
    artifacts: half of those stay clean, as in every batch)."""
    from gan_style.artifacts import ArtifactBatcher

    num = 0 if config.domain == "digits" else 4000
    images, source = clean_images(config.domain, "train", num, config.seed, config.crop_size,
                                  pictures=config.pictures, stylised_share=config.stylised_share)
    batcher = ArtifactBatcher(config.train_kinds(), config.domain, failures=failures,
                              failure_fraction=config.failure_fraction)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=config.seed).repeat()
    if hard is not None:
        hard_ds = tf.data.Dataset.from_tensor_slices(hard).shuffle(len(hard), seed=config.seed + 1).repeat()
        share = config.hard_share
        ds = tf.data.Dataset.sample_from_datasets([ds, hard_ds], [1.0 - share, share], seed=config.seed)
    ds = ds.batch(config.batch_size, drop_remainder=True).enumerate()
    offset = 0 if hard is None else 7919  # other artifact draws in the hard-negative phase
    ds = ds.map(lambda i, x: batcher.tf(x, i + offset + 1_000_003 * config.seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), source


CALIBRATION_SIDES = (256, 512)  # px, the longer sides of the whole pictures the RGB threshold is chosen on


def calibration_pictures(seed: int = 0, sides: tuple[int, ...] = CALIBRATION_SIDES) -> dict[int, dict[str, np.ndarray]]:
    """Whole validation pictures (`data.validation_pictures`, never trained on) at each longer
    side, plain and stylised once by each styliser: {side: {name: uint8 (h, w, 3)}}."""
    from gan_style import data
    from gan_style.data import fit_long_side
    from gan_style.stylised import STYLISERS, stylise_pictures

    pictures = data.validation_pictures()
    out = {}
    for side in sides:
        out[side] = {name: fit_long_side(image, side) for name, image in pictures.items()}
        for k in range(len(STYLISERS)):  # each picture by each styliser, in turn
            rolled = dict(list(pictures.items())[k:] + list(pictures.items())[:k])
            out[side].update(stylise_pictures(rolled, side, seed + 10 * k + side))
    return out


def global_scores(regressor: keras.Model, images: list[np.ndarray]) -> np.ndarray:
    """The regressor's global score of uint8 RGB pictures of any sizes (grouped by shape)."""
    from gan_style.models.quality_regressor import scoring_model

    model = scoring_model(regressor)
    scores = np.zeros(len(images))
    groups: dict[tuple, list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(image.shape, []).append(i)
    for indices in groups.values():
        for start in range(0, len(indices), 16):
            chunk = indices[start:start + 16]
            batch = np.stack([images[i] for i in chunk]).astype(np.float32) / 127.5 - 1.0
            scores[chunk] = model.predict(batch, verbose=0)["global_score"][:, 0]
    return scores


def calibrate_rgb(regressor: keras.Model, max_fpr: float = 0.05, seed: int = 0,
                  pictures: dict[int, dict[str, np.ndarray]] | None = None) -> dict:
    """The RGB threshold: the largest that flags at most `max_fpr` of the clean calibration
    pictures at every side (`calibration_pictures`), with the share flagged at each side."""
    from gan_style import metrics

    pictures = calibration_pictures(seed) if pictures is None else pictures
    scores = {side: global_scores(regressor, list(images.values())) for side, images in pictures.items()}
    threshold = min(metrics.threshold_for_fpr(s, max_fpr) for s in scores.values())
    return {"threshold": threshold, "pictures": {str(side): len(s) for side, s in scores.items()},
            "false_positive_rate": {str(side): float(np.mean(s < threshold)) for side, s in scores.items()},
            "source": "validation packages and bundled validation pictures, plain and stylised"}


def mine_hard_negatives(regressor: keras.Model, config: QualityConfig, batch_size: int = 256) -> np.ndarray:
    """The `hard_keep` clean training crops (N, H, W, C) in [-1, 1] that `regressor` scores lowest
    among `hard_pool` fresh ones (another seed than the training crops): the natural structures
    it mistakes for artifacts (false alarms), to train on as clean."""
    from gan_style.models.quality_regressor import scoring_model

    pool, _ = clean_images(config.domain, "train", config.hard_pool, config.seed + 2, config.crop_size,
                           pictures=config.pictures)
    scores = scoring_model(regressor).predict(pool, batch_size=batch_size, verbose=0)["global_score"][:, 0]
    return pool[np.argsort(scores, kind="stable")[: config.hard_keep]]


def train_quality(config: QualityConfig, out_dir: str | Path, command: str = "", verbose: int = 2) -> dict:
    """Train, choose the threshold on clean validation images, evaluate, write `out_dir`
    (`regressor.keras` + MANIFEST.json with threshold and metrics). Returns the manifest."""
    from gan_style import checkpoints
    from gan_style.evaluate import evaluate_quality
    from gan_style.failures import real_failures

    start = time.time()
    keras.utils.set_random_seed(config.seed)
    failures = None
    if config.failure_fraction > 0:
        failures = real_failures(config.domain, config.num_failures, config.seed + 1, size=config.crop_size)
    dataset, source = training_dataset(config, failures)
    trainer = build_quality_trainer(config)
    init = None
    if config.init:
        init = checkpoints.read_manifest(config.init)
        trainer.regressor.set_weights(checkpoints.load_model(config.init, "regressor.keras").get_weights())
    epochs = 10
    per_epoch = config.steps // epochs
    plain = epochs - config.hard_steps // per_epoch  # epochs before the hard-negative phase
    trainer.fit(dataset, epochs=plain, steps_per_epoch=per_epoch, verbose=verbose, shuffle=False)
    if plain < epochs:
        hard = mine_hard_negatives(trainer.regressor, config)
        dataset, _ = training_dataset(config, failures, hard)
        trainer.fit(dataset, initial_epoch=plain, epochs=epochs, steps_per_epoch=per_epoch, verbose=verbose,
                    shuffle=False)
    regressor = trainer.regressor
    extra = {}
    threshold = None
    if config.domain == "rgb":  # the threshold of whole validation pictures at users' sizes
        calibration = calibrate_rgb(regressor, config.max_fpr, seed=config.seed)
        threshold = calibration["threshold"]
        extra["calibration"] = calibration
    report = evaluate_quality(regressor, config, threshold=threshold)
    out_dir = Path(out_dir)
    checkpoints.save_model(regressor, out_dir / "regressor.keras")
    if init is not None:
        extra["init"] = {"checkpoint": str(config.init), "files": init["files"], "steps": init.get("steps")}
    return checkpoints.write_manifest(
        out_dir, ["regressor.keras"],
        command=command, data_source=source, seed=config.seed, steps=config.steps,
        wall_time_s=round(time.time() - start, 1), config=dataclasses.asdict(config),
        threshold=report["threshold"], stride=config.stride, metrics=report, **extra,
    )
