"""The style evaluation's artifact measures: a drawn frame, an added mesh, halos, a clean photo."""

import numpy as np
import pytest
from scipy import ndimage

from gan_style.core import data
from gan_style.style.eval import (
    border_measure,
    border_profile,
    grid_measure,
    grid_prominence,
    halo_measure,
    resize_long_side,
    self_psnr,
)


@pytest.fixture(scope="module")
def photos():
    return {name: resize_long_side(data.bundled_image(name), 256) for name in ("chelsea", "astronaut", "gravel")}


def _frame(image, inset=16, width=2, value=255):
    out = image.copy()
    h, w = out.shape[:2]
    for rows, cols in ((slice(inset, inset + width), slice(inset, w - inset)),
                       (slice(h - inset - width, h - inset), slice(inset, w - inset)),
                       (slice(inset, h - inset), slice(inset, inset + width)),
                       (slice(inset, h - inset), slice(w - inset - width, w - inset))):
        out[rows, cols] = value
    return out


def _mesh(image, period=4, amplitude=5.0):
    lines = np.zeros(image.shape[:2])
    lines[::period] += amplitude
    lines[:, ::period] += amplitude
    return np.clip(image + (lines - lines.mean())[..., None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
@pytest.mark.parametrize("inset", [15, 16, 20])
def test_a_frame_inset_16_px_scores_on_the_border_measure(photos, name, inset):
    photo = photos[name]
    framed = _frame(photo, inset)
    assert border_measure(photo, photo) == 0.0
    assert border_measure(framed, photo) > 0.4
    # the frame shows in the band that holds it, on every side
    band = inset // 4
    assert (border_profile(framed)[:, band] - border_profile(photo)[:, band] > 1.0).all()


def test_a_clean_photo_barely_moves_either_measure(photos):
    photo = photos["chelsea"]
    noisy = np.clip(photo + np.random.default_rng(0).normal(0, 2, photo.shape), 0, 255).astype(np.uint8)
    resampled = resize_long_side(resize_long_side(photo, 200), 256)
    assert border_measure(noisy, photo) < 0.2 and border_measure(resampled, photo) < 0.2
    assert grid_measure(noisy, photo, photos["gravel"]) < 0.1
    assert grid_measure(resampled, photo, photos["gravel"]) < 0.1
    # on its own too: a photo has no spectral peaks at the decoder's periods
    assert np.abs(grid_prominence(photo)).max() < 0.5


@pytest.mark.parametrize("period", [2, 4, 8])
def test_an_added_mesh_scores_on_the_grid_measure(photos, period):
    photo, style = photos["astronaut"], photos["gravel"]
    meshed = _mesh(photo, period)
    assert grid_measure(meshed, photo, style) > 0.25
    # a mesh the style already has is not the method's fault
    assert grid_measure(meshed, photo, meshed) == 0.0


def test_duplicated_rows_of_nearest_upsampling_score_on_the_grid_measure(photos):
    photo = photos["chelsea"]
    half = photo[::2, ::2]
    nearest = np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)[: photo.shape[0], : photo.shape[1]]
    assert grid_measure(nearest, photo, photos["gravel"]) > 0.3


def _uint8(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_contours_along_the_edges_score_on_the_halo_measure(photos, name):
    photo = photos[name].astype(np.float64)
    soft = ndimage.gaussian_filter(photo, (3, 3, 0))
    unsharp = _uint8(photo + 1.5 * (photo - soft))   # a bright and a dark band along every edge
    band_pass = _uint8(128 + 2 * (photo - soft))     # edges drawn without the flat areas between them
    assert halo_measure(unsharp, photos[name]) > 0.03
    assert halo_measure(band_pass, photos[name]) > 0.06


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_edges_kept_in_shape_do_not_score_as_halos(photos, name):
    photo = photos[name].astype(np.float64)
    gravel = resize_long_side(photos["gravel"], 400)[: photo.shape[0], : photo.shape[1]].astype(np.float64)
    assert halo_measure(photos[name], photos[name]) < 1e-9
    kept = {"contrast": 0.5 * photo + 80, "inverted": 255 - photo,
            "blurred": ndimage.gaussian_filter(photo, (3, 3, 0)),
            "textured": 0.5 * photo + 0.5 * gravel,  # texture not locked to the edges
            "noisy": photo + np.random.default_rng(0).normal(0, 20, photo.shape)}
    for what, image in kept.items():
        assert halo_measure(_uint8(image), photos[name]) < 0.015, what


def test_measures_check_their_inputs(photos):
    with pytest.raises(ValueError, match="one size"):
        border_measure(photos["chelsea"], photos["chelsea"][:150])
    with pytest.raises(ValueError, match=">= 80 px"):
        border_profile(np.zeros((64, 256, 3), np.uint8))
    with pytest.raises(ValueError, match="one size"):
        halo_measure(photos["chelsea"], photos["chelsea"][:150])


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_self_psnr_reads_whether_a_method_gives_its_content_back(photos, name):
    photo = photos[name]
    assert self_psnr(lambda content, style: content.copy(), photo) == 100.0  # an exact copy, capped

    def softened(content, style):
        return np.clip(ndimage.gaussian_filter(content.astype(float), (2, 2, 0)), 0, 255).astype(np.uint8)

    def mean_colour(content, style):  # the content's colour, none of its picture
        return np.broadcast_to(content.reshape(-1, 3).mean(axis=0).astype(np.uint8), content.shape).copy()

    def style_only(content, style):  # a picture, but not the content's
        return photos["gravel"][: content.shape[0], : content.shape[1]]

    # the content softened keeps its picture (22-28 dB here); its colour alone is far under it
    # (10-18 dB), and someone else's picture under that
    assert 20 < self_psnr(softened, photo) < 40
    assert self_psnr(softened, photo) > self_psnr(mean_colour, photo) + 4
    assert self_psnr(mean_colour, photo) > self_psnr(style_only, photo)
