import keras
import numpy as np
import pytest

from gan_style.models.quality_regressor import build_quality_regressor


@pytest.mark.parametrize("channels, stride, size", [(1, 4, (28, 28)), (1, 4, (40, 52)), (3, 8, (64, 64)),
                                                    (3, 8, (37, 90))])
def test_score_ranges_and_map_shape_for_any_size(channels, stride, size):
    model = build_quality_regressor(channels, stride, width=8)
    x = np.random.default_rng(0).uniform(-1, 1, (2, *size, channels)).astype("float32")
    out = model(x)
    h, w = -(-size[0] // stride), -(-size[1] // stride)
    assert out["score_map"].shape == (2, h, w, 1) and out["region_logits"].shape == (2, h, w, 1)
    assert out["global_score"].shape == (2, 1)
    for key in ("score_map", "global_score"):
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
