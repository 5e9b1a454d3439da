"""Repair U-Net: composited output (unmasked pixels bit for bit), any size, serialization."""

import keras
import numpy as np
import pytest

from gan_style.qc.repair_unet import build_repair_unet


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


def test_coarse_fill_recovers_smooth_images_and_never_reads_holes():
    from gan_style.qc.repair_unet import CoarseFill

    fill = CoarseFill()
    yy, xx = np.mgrid[0:40, 0:50].astype(np.float32)
    ramp = np.stack([xx / 50, yy / 40, np.full_like(xx, 0.3)], -1)[None] * 2 - 1  # (1, 40, 50, 3)
    mask = np.zeros((1, 40, 50, 1), np.float32)
    mask[:, 10:25, 15:35] = 1
    garbage = ramp.copy()
    garbage[mask[..., 0] > 0] = 5.0
    out = np.asarray(fill(garbage, mask))
    np.testing.assert_array_equal(out[mask[..., 0] == 0], ramp[mask[..., 0] == 0])
    hole = mask[0, ..., 0] > 0
    error = np.abs(out[0][hole] - ramp[0][hole]).mean()
    mean_colour_error = np.abs(ramp[0][~hole].mean(0) - ramp[0][hole]).mean()
    assert error < 0.5 * mean_colour_error  # a plane is followed into the hole, not flattened
    converged = np.asarray(CoarseFill(iterations=256)(garbage, mask))[0][hole]
    assert np.abs(converged - ramp[0][hole]).max() < 0.01  # Laplace's solution on a plane is the plane
    np.testing.assert_allclose(out[0][hole][:, 2], 2 * 0.3 - 1, atol=1e-5)  # a constant stays exact
    assert np.all(np.asarray(fill(ramp, np.ones_like(mask))) == 0)  # nothing known: zeros


def test_biharmonic_fill_continues_gradients_where_laplace_flattens():
    from gan_style.qc.fills import FILLS
    from gan_style.qc.repair_unet import CoarseFill

    yy, xx = np.mgrid[0:48, 0:48].astype(np.float32) / 48
    bowl = np.repeat(((xx - 0.3) ** 2 + (yy - 0.6) ** 2 - 0.5)[None, ..., None], 3, -1)  # Delta^2 = 0
    rng = np.random.default_rng(0)
    # dead pixels: converged within the steps; a 16 px block: a few steps of a slow relaxation
    for hole, factor in (((np.zeros(1, int), *rng.integers(2, 46, (2, 40))), 0.1), (np.s_[:, 14:30, 10:26], 0.9)):
        mask = np.zeros((1, 48, 48, 1), np.float32)
        mask[hole] = 1
        garbage = np.where(mask > 0, 9.0, bowl).astype(np.float32)
        inside = mask[0, ..., 0] > 0
        laplace = np.asarray(CoarseFill()(garbage, mask))
        biharmonic = np.asarray(CoarseFill(**FILLS["biharmonic"])(garbage, mask))
        np.testing.assert_array_equal(biharmonic[mask[..., 0] == 0], bowl[mask[..., 0] == 0])
        error = {name: np.abs(out[0][inside] - bowl[0][inside]).mean() for name, out in
                 (("laplace", laplace), ("biharmonic", biharmonic))}
        assert error["biharmonic"] < factor * error["laplace"], error
    tiny = np.zeros((1, 3, 3, 1), np.float32)
    tiny[0, 1, 1] = 1  # levels of one pixel: the double one-pixel mirror
    assert np.isfinite(np.asarray(CoarseFill(**FILLS["biharmonic"])(np.ones((1, 3, 3, 3), np.float32), tiny))).all()


def test_untrained_unet_returns_the_coarse_fill(unet):
    from gan_style.qc.repair_unet import CoarseFill

    images, masks = _batch((32, 36), seed=3)
    out = unet({"images": images, "masks": masks})["prediction"]
    np.testing.assert_allclose(np.asarray(out), np.asarray(CoarseFill()(images, masks)), atol=1e-6)
