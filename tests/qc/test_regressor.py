import keras
import numpy as np
import pytest

from gan_style.qc.regions import block_scores, worst_block
from gan_style.qc.regressor import block_size, build_quality_regressor, scoring_model


@pytest.mark.parametrize("channels, stride, size", [(1, 4, (28, 28)), (1, 4, (40, 52)), (3, 8, (64, 64)),
                                                    (3, 8, (37, 90))])
def test_score_ranges_and_map_shape_for_any_size(channels, stride, size):
    model = build_quality_regressor(channels, stride, width=8)
    x = np.random.default_rng(0).uniform(-1, 1, (2, *size, channels)).astype("float32")
    out = model(x)
    h, w = -(-size[0] // stride), -(-size[1] // stride)
    assert out["score_map"].shape == (2, h, w, 1) and out["region_logits"].shape == (2, h, w, 1)
    assert out["global_score"].shape == (2, 1)
    assert out["pixel_map"].shape == out["pixel_logits"].shape == (2, *size, 1)
    for key in ("score_map", "global_score", "pixel_map"):
        values = np.asarray(out[key])
        assert values.min() >= 0 and values.max() <= 1
    # the global score is never above the worst region nor above the head's clean probability
    head = 1 / (1 + np.exp(np.asarray(out["global_logit"])))
    worst = np.asarray(out["score_map"]).reshape(2, -1).min(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(out["global_score"]), np.minimum(head, worst), rtol=1e-5)


def test_rejects_stride_that_is_not_a_power_of_two():
    with pytest.raises(ValueError, match="got 3"):
        build_quality_regressor(stride=3)


def test_keras_save_load_round_trip(tmp_path):
    model = build_quality_regressor(3, 8, width=8)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 48, 40, 3)).astype("float32")
    model.save(tmp_path / "q.keras")
    restored = keras.saving.load_model(tmp_path / "q.keras")
    for key, value in model(x).items():
        np.testing.assert_allclose(np.asarray(restored(x)[key]), np.asarray(value), rtol=1e-6)


def test_scoring_model_shares_weights_and_matches_the_full_model(tmp_path):
    model = build_quality_regressor(3, 8, width=8)
    model.save(tmp_path / "q.keras")
    restored = keras.saving.load_model(tmp_path / "q.keras")  # as the pipeline gets it
    scorer = scoring_model(restored)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 40, 56, 3)).astype("float32")
    full, scores = model(x), scorer(x)
    assert set(scores) == {"global_score", "score_map"}
    for key in scores:
        np.testing.assert_allclose(np.asarray(scores[key]), np.asarray(full[key]), rtol=1e-6)
    assert len(scorer.weights) < len(restored.weights)  # the pixel head is not in it
    restored.get_layer("region_logits").bias.assign([5.0])  # shared, not copied
    assert np.asarray(scorer(x)["score_map"]).max() < np.asarray(full["score_map"]).max()


@pytest.mark.parametrize("domain", ["digits", "rgb"])
def test_shipped_regressor_scores_fall_as_corruption_grows(domain):
    from gan_style.core import checkpoints
    from gan_style.qc import artifacts
    from gan_style.qc.clean import clean_images
    from gan_style.qc.configs import QualityConfig, trained_kinds

    manifest = checkpoints.verify(f"quality_{domain}")
    config, kinds = QualityConfig.from_dict(manifest["config"]), trained_kinds(manifest)
    model = checkpoints.load_model(f"quality_{domain}", "regressor.keras")
    images, _ = clean_images(domain, "validation", 48, seed=5, crop_size=config.crop_size)
    outputs = [model.predict(images, verbose=0)]
    for strength in (0.3, 0.6, 1.0):
        rng = np.random.default_rng(11)  # the same draws at every strength
        corrupted = np.stack([
            artifacts.corrupt(x, kinds[i % len(kinds)], rng, strength, domain)[0]
            for i, x in enumerate(images)
        ])
        outputs.append(model.predict(corrupted, verbose=0))
    # the map says how much is abnormal: its mean falls at every step
    maps = [float(o["score_map"].mean()) for o in outputs]
    assert all(np.diff(maps) < 0), maps
    # the global score is the worst region's (a minimum): it falls below the clean images' at the
    # weakest strength and may saturate near 0 beyond it, so only the ends are ordered
    scores = [float(o["global_score"].mean()) for o in outputs]
    assert scores[0] > max(scores[1:]) and scores[3] < scores[1], scores
    assert 0.0 < manifest["threshold"] < 1.0 and manifest["metrics"]["false_positive_rate"] <= 0.1


def test_block_global_score_needs_a_whole_block_of_bad_regions():
    """block 2: the worst region counted is the worst 2 x 2 block's best one, so one stray
    region alone cannot set the image's score."""
    model = build_quality_regressor(3, 8, width=8, block=2)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 48, 72, 3)).astype("float32")
    out = model(x)
    score_map = np.asarray(out["score_map"])[..., 0]
    padded = np.pad(score_map, ((0, 0), (0, 1), (0, 1)), constant_values=-np.inf)  # "same": pad after
    blocks = np.max([padded[:, i:i + score_map.shape[1], j:j + score_map.shape[2]]
                     for i in (0, 1) for j in (0, 1)], axis=0)
    head = 1 / (1 + np.exp(np.asarray(out["global_logit"])))
    expected = np.minimum(head, blocks.reshape(2, -1).min(axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(out["global_score"]), expected, rtol=1e-5)
    assert (np.asarray(out["global_score"]) >= np.minimum(head, score_map.reshape(2, -1).min(1, keepdims=True))).all()
    # the report's reading of the same rule (`regions.block_scores`, `worst_block`) and the block
    # read back from the model
    assert block_size(model) == 2 and block_size(build_quality_regressor(3, 8, width=8)) == 1
    np.testing.assert_allclose(np.stack([block_scores(m, 2) for m in score_map]), blocks, rtol=1e-6)
    worst = [worst_block(m, (48, 72), 2)["score"] for m in score_map]
    np.testing.assert_allclose(np.asarray(out["global_score"])[:, 0], np.minimum(head[:, 0], worst), rtol=1e-5)
    with pytest.raises(ValueError, match="got 0"):
        build_quality_regressor(block=0)
