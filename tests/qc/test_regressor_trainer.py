import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from gan_style.core import data
from gan_style.qc import artifacts
from gan_style.qc.regressor_trainer import QualityConfig, build_quality_trainer


def _fixed_batch():
    images = data.load_arrays("mnist", "test").images[:8, ..., None].astype(np.float32) / 127.5 - 1.0
    batcher = artifacts.ArtifactBatcher(["local_noise", "checkerboard"], clean_fraction=0.5)
    return tuple(tf.constant(t) for t in batcher.numpy(images, seed=1))


def test_loss_goes_down_on_eight_examples():
    trainer = build_quality_trainer(QualityConfig(width=8, steps=100, learning_rate=3e-3))
    batch = _fixed_batch()
    first = float(trainer.train_step(batch)["loss"])
    for _ in range(80):
        trainer.train_step(batch)
    for tracker in trainer.trackers.values():
        tracker.reset_state()
    last = trainer.test_step(batch)
    assert float(last["loss"]) < 0.5 * first, (first, float(last["loss"]))
    assert set(last) == {"loss", "region", "pixel", "global", "rank"}


def test_only_regressor_weights_train_and_all_of_them_move():
    trainer = build_quality_trainer(QualityConfig(width=8))
    before = [w.numpy().copy() for w in trainer.regressor.trainable_weights]
    trainer.train_step(_fixed_batch())
    moved = [not np.array_equal(b, w.numpy()) for b, w in zip(before, trainer.regressor.trainable_weights, strict=True)]
    assert all(moved)


def test_config_validates_domain_and_defaults_held_out_kinds():
    assert QualityConfig(domain="rgb").held_out_kinds == ("tearing", "blocking")
    assert "tearing" not in QualityConfig(domain="rgb").train_kinds()
    with pytest.raises(ValueError, match="got 'audio'"):
        QualityConfig(domain="audio")
    with pytest.raises(ValueError, match="pictures are for the RGB domain"):
        QualityConfig(domain="digits", pictures="opencv-doc")


def test_all_kinds_trains_on_every_type_and_has_no_held_out_set():
    from gan_style.qc.artifacts import RGB_ARTIFACTS
    from gan_style.qc.quality_eval import evaluate_quality
    from gan_style.qc.regressor import build_quality_regressor

    config = QualityConfig(domain="rgb", all_kinds=True)
    assert config.held_out_kinds == () and config.train_kinds() == list(RGB_ARTIFACTS)
    assert QualityConfig.from_dict(dataclasses.asdict(config)).train_kinds() == list(RGB_ARTIFACTS)  # manifest
    with pytest.raises(ValueError, match="all_kinds trains on every type"):
        QualityConfig(domain="rgb", all_kinds=True, held_out_kinds=("tearing",))
    report = evaluate_quality(build_quality_regressor(3, 8, 4), config, num=14, real_failures=False)
    assert "held_out" not in report and report["seen"]["kinds"] == list(RGB_ARTIFACTS)
    assert set(report["seen"]["auroc_by_kind"]) == set(RGB_ARTIFACTS)  # 7 test images: one of each


def test_hard_negatives_are_the_lowest_scored_fresh_clean_crops():
    from gan_style.qc.clean import clean_images
    from gan_style.qc.regressor import build_quality_regressor
    from gan_style.qc.regressor_trainer import mine_hard_negatives, training_dataset

    config = QualityConfig(domain="rgb", width=4, batch_size=8, steps=10, hard_steps=5, hard_pool=24, hard_keep=6)
    regressor = build_quality_regressor(3, 8, 4)
    hard = mine_hard_negatives(regressor, config, batch_size=10)
    pool, _ = clean_images("rgb", "train", 24, config.seed + 2, 64)
    scores = regressor(pool, training=False)["global_score"].numpy()[:, 0]
    assert hard.shape == (6, 64, 64, 3)
    picked = [int(np.flatnonzero((pool == h).all(axis=(1, 2, 3)))[0]) for h in hard]
    assert scores[picked].max() <= np.delete(scores, picked).min()  # no unpicked crop scores lower
    training, _ = clean_images("rgb", "train", 4000, config.seed, 64)
    assert not any((training[:500] == h).all(axis=(1, 2, 3)).any() for h in hard)  # fresh crops

    # the hard-negative phase draws about half of each batch from them, then corrupts half of all
    dataset, _ = training_dataset(config, None, hard)
    batches = list(dataset.take(8))
    images = np.concatenate([b[0].numpy() for b in batches])
    clean = images[np.concatenate([b[2].numpy() for b in batches]) == 0]
    from_hard = sum(int((clean == h).all(axis=(1, 2, 3)).sum()) for h in hard)
    assert len(clean) >= 16 and 0.2 < from_hard / len(clean) < 0.8


def test_hard_steps_must_leave_plain_steps():
    assert QualityConfig(steps=3000, hard_steps=1200).hard_steps == 1200
    for hard_steps in (100, 35, -10):  # all the steps, not whole tenths, negative
        with pytest.raises(ValueError, match="hard_steps"):
            QualityConfig(steps=100, hard_steps=hard_steps)
    with pytest.raises(ValueError, match="whole tenths of steps"):  # under 10 steps no tenth is whole
        QualityConfig(steps=5, hard_steps=1)
    assert QualityConfig(steps=5).hard_steps == 0
    with pytest.raises(ValueError, match="hard_keep"):
        QualityConfig(steps=100, hard_steps=10, hard_pool=5, hard_keep=10)
