"""Repair U-Net: composited output (unmasked pixels bit for bit), any size, serialization."""

import keras
import numpy as np
import pytest

from gan_style.models.repair_unet import build_repair_unet


@pytest.fixture(scope="module")
def unet():
    return build_repair_unet(channels=3, width=4, depth=3)


def _batch(size, seed=0, channels=3):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (2, *size, channels)).astype(np.float32)
    masks = (rng.random((2, *size, 1)) < 0.3).astype(np.float32)
    return images, masks


@pytest.mark.parametrize("size", [(28, 28), (33, 47), (64, 64)])
def test_unmasked_pixels_are_untouched_and_any_size_works(unet, size):
    images, masks = _batch(size)
    out = unet({"images": images, "masks": masks})
    repaired, prediction = np.asarray(out["repaired"]), np.asarray(out["prediction"])
    assert repaired.shape == images.shape and prediction.shape == images.shape
    keep = masks[..., 0] == 0
    np.testing.assert_array_equal(repaired[keep], images[keep])  # bit for bit
    np.testing.assert_array_equal(repaired[~keep], np.clip(prediction[~keep], -1, 1))
    assert np.abs(repaired).max() <= 1.0


def test_hole_content_does_not_leak_into_the_prediction(unet):
    images, masks = _batch((32, 32), seed=1)
    other = images.copy()
    other[masks[..., 0] > 0] = 0.9  # different pixels only inside the holes
    a = unet({"images": images, "masks": masks})["prediction"]
    b = unet({"images": other, "masks": masks})["prediction"]
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_save_load_round_trip(unet, tmp_path):
    images, masks = _batch((24, 20), seed=2)
    unet.save(tmp_path / "unet.keras")
    again = keras.saving.load_model(tmp_path / "unet.keras")
    np.testing.assert_allclose(again({"images": images, "masks": masks})["repaired"],
                               unet({"images": images, "masks": masks})["repaired"], atol=1e-6)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="depth and width"):
        build_repair_unet(depth=0)
