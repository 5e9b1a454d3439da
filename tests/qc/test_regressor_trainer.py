import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_style.core import data
from gan_style.qc import artifacts
from gan_style.qc.regressor_trainer import QualityConfig, build_quality_trainer


def _fixed_batch():
    images = data.load_mnist("test").images[:8, ..., None].astype(np.float32) / 127.5 - 1.0
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
    report = evaluate_quality(build_quality_regressor(3, 8, 4), config, num=2 * len(RGB_ARTIFACTS), real_failures=False)
    assert "held_out" not in report and report["seen"]["kinds"] == list(RGB_ARTIFACTS)
    assert set(report["seen"]["auroc_by_kind"]) == set(RGB_ARTIFACTS)  # one test image of each kind


def test_a_manifests_kinds_are_those_it_trained_on_not_todays_simulators():
    from gan_style.qc.artifacts import RGB_ARTIFACTS
    from gan_style.qc.configs import trained_kinds
    from gan_style.qc.quality_eval import evaluate_quality
    from gan_style.qc.regressor import build_quality_regressor

    seven = list(RGB_ARTIFACTS)[:7]  # an RGB run before 3695294 saw 7 kinds; the simulator has 11 now
    config = QualityConfig(domain="rgb", all_kinds=True)
    old = {"config": config.to_dict(), "metrics": {"seen": {"kinds": seven}}}  # written before "kinds"
    assert len(QualityConfig.from_dict(old["config"]).train_kinds()) == len(RGB_ARTIFACTS) > 7
    assert trained_kinds(old) == seven
    assert trained_kinds({**old, "kinds": seven[:3]}) == seven[:3]  # recorded: it wins
    report = evaluate_quality(build_quality_regressor(3, 8, 4), config, num=14, real_failures=False, kinds=seven)
    assert report["seen"]["kinds"] == seven and set(report["seen"]["auroc_by_kind"]) <= set(seven)


def _saved_regressor(folder, config, seed, init=None):
    """A freshly initialised regressor of `config` saved as a checkpoint folder with a manifest
    (`init`: the manifest's record of the checkpoint it started from)."""
    from gan_style.core import checkpoints

    keras.utils.set_random_seed(seed)
    regressor = build_quality_trainer(config).regressor
    checkpoints.save_model(regressor, folder / "regressor.keras")
    record = {"init": init} if init else {}
    checkpoints.write_manifest(folder, ["regressor.keras"], config=config.to_dict(), kinds=config.train_kinds(),
                               steps=10 * seed, command=f"made by a test, seed {seed}", **record)
    return [w.copy() for w in regressor.get_weights()]


def test_average_quality_writes_and_measures_the_mean_of_two_checkpoints(tmp_path):
    from gan_style.core import checkpoints
    from gan_style.qc.regressor_trainer import average_quality

    config = QualityConfig(width=8, init="where a lay when b trained")
    first = _saved_regressor(tmp_path / "a", config, 1)
    started = {"checkpoint": "elsewhere", "files": checkpoints.read_manifest(tmp_path / "a")["files"]}
    second = _saved_regressor(tmp_path / "b", config, 2, init=started)
    manifest = average_quality(tmp_path / "a", tmp_path / "b", tmp_path / "mean", command="cmd")
    weights = checkpoints.load_model(tmp_path / "mean", "regressor.keras").get_weights()
    for w, a, b in zip(weights, first, second, strict=True):
        np.testing.assert_allclose(w, (a + b) / 2, rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(w, a) for w, a in zip(weights, first, strict=True))
    assert set(manifest["average_of"]) == {str(tmp_path / "a"), str(tmp_path / "b")}
    assert manifest["average_of"][str(tmp_path / "b")]["steps"] == 20 and manifest["steps"] == 0
    assert manifest["command"] == "cmd" and 0.0 <= manifest["metrics"]["false_positive_rate"] <= 1.0
    assert manifest["threshold"] == manifest["metrics"]["threshold"] and manifest["stride"] == config.stride
    assert checkpoints.read_manifest(tmp_path / "mean")["files"] == manifest["files"]
    assert manifest["config"]["init"] == str(tmp_path / "a")  # b started from a's very weights: a's path now


def test_average_quality_refuses_two_architectures(tmp_path):
    from gan_style.qc.regressor_trainer import average_quality

    _saved_regressor(tmp_path / "a", QualityConfig(width=8), 1)
    _saved_regressor(tmp_path / "b", QualityConfig(width=16), 2)
    with pytest.raises(ValueError, match="different architectures"):
        average_quality(tmp_path / "a", tmp_path / "b", tmp_path / "mean")
    assert not (tmp_path / "mean").exists()


def test_average_quality_refuses_one_checkpoint_twice(tmp_path):
    import shutil

    from gan_style.qc.regressor_trainer import average_quality

    _saved_regressor(tmp_path / "a", QualityConfig(width=8), 1)
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    for second in ("a", "copy"):  # the same folder, or the same files elsewhere
        with pytest.raises(ValueError, match="same weights"):
            average_quality(tmp_path / "a", tmp_path / second, tmp_path / "mean")
    assert not (tmp_path / "mean").exists()
