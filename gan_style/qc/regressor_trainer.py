"""Quality-regressor trainer and its training recipe for the two domains (digits, RGB)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan_style.core import checkpoints, data, losses, metrics
from gan_style.core.data import fit_long_side
from gan_style.core.training import TrackedModel, finish_run
from gan_style.qc.artifacts import ArtifactBatcher
from gan_style.qc.clean import clean_images
from gan_style.qc.configs import HELD_OUT_KINDS, QualityConfig  # noqa: F401 - HELD_OUT_KINDS: experiments/
from gan_style.qc.failures import real_failures
from gan_style.qc.quality_eval import evaluate_quality
from gan_style.qc.regressor import build_quality_regressor, scoring_model
from gan_style.style.stylised import STYLISERS, stylise_pictures


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
    channels = 1 if config.domain == "digits" else 3
    regressor = build_quality_regressor(channels, config.stride, config.width, name=f"quality_{config.domain}",
                                        block=config.block)
    trainer = QualityTrainer(regressor, config.stride, config.rank_weight, seed=config.seed)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, config.steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule))
    return trainer


def training_dataset(config: QualityConfig, failures: np.ndarray | None):
    """Endless tf.data pipeline of (images, masks, abnormal, mask_known) batches, and its source."""
    num = 0 if config.domain == "digits" else 4000
    images, source = clean_images(config.domain, "train", num, config.seed, config.crop_size,
                                  pictures=config.pictures, stylised_share=config.stylised_share,
                                  style_sources=config.style_sources)
    batcher = ArtifactBatcher(config.train_kinds(), config.domain, failures=failures,
                              failure_fraction=config.failure_fraction)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=config.seed).repeat()
    ds = ds.batch(config.batch_size, drop_remainder=True).enumerate()
    ds = ds.map(lambda i, x: batcher.tf(x, i + 1_000_003 * config.seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), source


CALIBRATION_SIDES = (256, 512)  # px, the longer sides of the whole pictures the RGB threshold is chosen on


def calibration_pictures(seed: int = 0, sides: tuple[int, ...] = CALIBRATION_SIDES) -> dict[int, dict[str, np.ndarray]]:
    """Whole validation pictures (`data.validation_pictures`, never trained on) at each longer
    side, plain and stylised once by each styliser: {side: {name: uint8 (h, w, 3)}}."""
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
    model = scoring_model(regressor)
    scores = np.zeros(len(images))
    for chunk in data.shape_batches(images, 16):
        batch = np.stack([images[i] for i in chunk]).astype(np.float32) / 127.5 - 1.0
        scores[chunk] = model.predict(batch, verbose=0)["global_score"][:, 0]
    return scores


def calibrate_rgb(regressor: keras.Model, max_fpr: float = 0.05, seed: int = 0,
                  pictures: dict[int, dict[str, np.ndarray]] | None = None) -> dict:
    """The RGB thresholds on the clean calibration pictures (`calibration_pictures`): at each
    side, the largest that flags at most `max_fpr` of them (`thresholds_by_side`, the
    pipeline's `side_thresholds`); `threshold`, the smallest of those, holds at every side. With
    the share flagged at each side by each."""
    pictures = calibration_pictures(seed) if pictures is None else pictures
    scores = {side: global_scores(regressor, list(images.values())) for side, images in pictures.items()}
    by_side = {str(side): metrics.threshold_for_fpr(s, max_fpr) for side, s in scores.items()}
    threshold = min(by_side.values())
    return {"threshold": threshold, "pictures": {str(side): len(s) for side, s in scores.items()},
            "false_positive_rate": {str(side): float(np.mean(s < threshold)) for side, s in scores.items()},
            "thresholds_by_side": by_side,
            "false_positive_rate_by_side": {str(side): float(np.mean(s < by_side[str(side)]))
                                            for side, s in scores.items()},
            "source": "validation packages and bundled validation pictures, plain and stylised"}


def train_quality(config: QualityConfig, out_dir: str | Path, command: str = "", verbose: int = 2) -> dict:
    """Train, then (`finish_run`) write `out_dir/regressor.keras` in float32, choose the threshold
    on clean validation images, evaluate, and write MANIFEST.json with threshold and metrics.
    Returns the manifest."""
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
    trainer.fit(dataset, epochs=epochs, steps_per_epoch=config.steps // epochs, verbose=verbose, shuffle=False)
    kinds = config.train_kinds()  # recorded: the simulator's kinds change between commits
    init_record = {}
    if init is not None:
        init_record["init"] = {"checkpoint": str(config.init), "files": init["files"], "steps": init.get("steps")}

    steps = int(trainer.optimizer.iterations.numpy())  # run: 10 epochs of whole tenths, not config.steps
    return finish_run(
        out_dir, {"regressor.keras": trainer.regressor}, start=start, evaluate=_measure(config, kinds),
        command=command, data_source=source, seed=config.seed, steps=steps, config=config.to_dict(),
        kinds=kinds, **init_record,
    )


def _measure(config: QualityConfig, kinds: list[str]):
    """`finish_run`'s evaluation of a saved regressor: the threshold (RGB: `calibrate_rgb` on whole
    validation pictures at users' sizes; digits: `evaluate_quality`'s) and the metrics."""

    def measure(saved):
        regressor, fields = saved["regressor.keras"], {}
        threshold = None
        if config.domain == "rgb":
            fields["calibration"] = calibrate_rgb(regressor, config.max_fpr, seed=config.seed)
            threshold = fields["calibration"]["threshold"]
        report = evaluate_quality(regressor, config, threshold=threshold, kinds=kinds)
        return {"threshold": report["threshold"], "stride": config.stride, "metrics": report, **fields}

    return measure


def average_quality(first: str | Path, second: str | Path, out_dir: str | Path, command: str = "") -> dict:
    """The mean of two quality checkpoints' weights, theta = (theta_first + theta_second) / 2, written
    as a checkpoint like a trained one (threshold, metrics: `_measure`, with `second`'s config and
    kinds). For two points of one fine-tuning path (`second` trained from `first`), which share a
    basin of the loss: a weight average ("model soup", Wortsman et al. 2022) keeps much of what
    each learnt, at no cost at inference. The shipped RGB regressor is the mean of stages 6 and 7
    (experiments/README.md, "A weight average of stages 6 and 7"). Raises CheckpointError for a
    missing or altered checkpoint, ValueError where the two differ in architecture or hold the
    same weights (the mean of one checkpoint is itself)."""
    start = time.time()
    parents = {str(c): checkpoints.read_manifest(c) for c in (first, second)}
    if len(parents) < 2 or parents[str(first)]["files"] == parents[str(second)]["files"]:
        raise ValueError(f"{first} and {second} hold the same weights: their mean is the checkpoint itself")
    models = [checkpoints.load_model(c, "regressor.keras") for c in (first, second)]
    layout = [([type(layer).__name__ for layer in m.layers], [w.shape for w in m.get_weights()]) for m in models]
    if layout[0] != layout[1]:
        raise ValueError(f"{first} and {second} are regressors of different architectures: no mean of their weights")
    manifest = parents[str(second)]
    config = QualityConfig.from_dict(manifest["config"])
    if manifest.get("init", {}).get("files") == parents[str(first)]["files"]:
        # `second` was trained from these very weights (wherever they lay then): its recipe from `first`
        config = dataclasses.replace(config, init=str(first))
    kinds = manifest.get("kinds", config.train_kinds())
    averaged = models[0]
    averaged.set_weights([(a + b) / 2 for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True)])
    record = {str(c): {"command": m.get("command"), "steps": m.get("steps"), "files": m["files"],
                       "git_commit": m.get("git_commit")} for c, m in parents.items()}
    return finish_run(
        out_dir, {"regressor.keras": averaged}, start=start, evaluate=_measure(config, kinds), command=command,
        data_source=manifest.get("data_source"), seed=config.seed, config=config.to_dict(), kinds=kinds,
        steps=0, average_of=record,  # no training here: the parents' steps are in `average_of`
    )
