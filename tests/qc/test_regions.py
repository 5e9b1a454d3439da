import numpy as np
import pytest

from gan_style.qc import regions


def test_two_regions_from_a_hand_made_map():
    score_map = np.ones((7, 7))
    score_map[1, 1] = 0.1  # one bad region
    score_map[4:6, 4:6] = 0.3  # a 2x2 bad block
    mask, found = regions.extract_regions(score_map, threshold=0.5, image_shape=(28, 28))
    assert len(found) == 2
    worst, second = found
    assert worst["score"] == pytest.approx(0.1) and second["score"] == pytest.approx(0.3)
    assert worst["bbox"] == [4, 4, 8, 8] and worst["area"] == 16  # cell (1, 1) at stride 4
    assert second["bbox"] == [16, 16, 24, 24] and second["area"] == 64
    assert mask.shape == (28, 28) and mask.sum() == 16 + 64


def test_clean_map_has_no_region():
    mask, found = regions.extract_regions(np.full((4, 6), 0.9), 0.5, (32, 48))
    assert found == [] and not mask.any()


def test_min_area_drops_specks_and_holes_are_filled():
    score_map = np.ones((9, 9))
    score_map[2:7, 2:7] = 0.2
    score_map[4, 4] = 0.9  # a hole inside the region
    score_map[0, 8] = 0.45  # a speck just under the threshold
    mask, found = regions.extract_regions(score_map, 0.5, (9, 9), min_area=2)
    assert len(found) == 1 and mask[4, 4]
    assert not mask[0, 8]


def test_a_cell_just_under_the_threshold_is_flagged_whole():
    score_map = np.ones((7, 7))
    score_map[3, 3] = 0.49
    mask, found = regions.extract_regions(score_map, 0.5, (28, 28))
    assert len(found) == 1 and found[0]["score"] == pytest.approx(0.49) and mask.sum() == 16


def test_pixel_scores_for_sizes_not_divisible_by_the_stride():
    score_map = np.arange(6, dtype=float).reshape(2, 3)  # a 7 x 10 image at stride 4
    up = regions.pixel_scores(score_map, (7, 10))
    assert up.shape == (7, 10)
    assert up[0, 0] == 0 and up[3, 3] == 0 and up[4, 4] == 4 and up[6, 9] == 5


def test_worst_block_of_one_cell_is_the_lowest_visible_cell_in_pixels():
    score_map = np.full((2, 3), 0.9)
    score_map[1, 2] = 0.2  # a 7 x 10 image at stride 4: the bottom-right cell is cut to 3 x 2 pixels
    assert regions.worst_block(score_map, (7, 10)) == {"bbox": [8, 4, 10, 7], "score": 0.2}
    hidden = np.full((4, 4), 0.9)
    hidden[3, 0], hidden[1, 2] = 0.05, 0.4  # a 9 x 12 image at stride 3 (rows) x 3: row 3 covers nothing
    assert regions.worst_block(hidden, (9, 12)) == {"bbox": [6, 3, 9, 6], "score": 0.4}
    _, found = regions.extract_regions(score_map, 0.5, (7, 10))
    assert found[0]["score"] == regions.worst_block(score_map, (7, 10))["score"]  # an abnormal one's worst region


def test_blocks_of_two_ignore_a_lone_low_cell_and_find_a_low_block():
    lone = np.full((4, 5), 0.5)
    lone[0, 2] = 0.0  # one cell on the top edge, as a clean photo's sky had: no block is low
    np.testing.assert_array_equal(regions.block_scores(lone, 2), np.full((4, 5), 0.5))
    np.testing.assert_array_equal(regions.decision_scores(lone, 2), np.full((4, 5), 0.5))
    assert regions.worst_block(lone, (16, 20), 2)["score"] == 0.5
    patch = np.full((4, 5), 0.5)
    patch[1:3, 1:3] = [[0.1, 0.2], [0.05, 0.15]]  # a whole 2 x 2 block low: its best cell decides
    assert regions.worst_block(patch, (16, 20), 2) == {"bbox": [4, 4, 12, 12], "score": 0.2}
    decision = regions.decision_scores(patch, 2)
    np.testing.assert_array_equal(decision[1:3, 1:3], np.full((2, 2), 0.2))
    assert (np.delete(decision.ravel(), [6, 7, 11, 12]) == 0.5).all()
    corner = np.full((4, 5), 0.5)
    corner[3, 4] = 0.01  # the bottom-right block is cut short to this one cell, as in the model
    assert regions.worst_block(corner, (16, 20), 2) == {"bbox": [16, 12, 20, 16], "score": 0.01}
    for block in (1, 2, 3):  # a cell's part in the verdict: never under its own score, and the
        rng = np.random.default_rng(block)  # lowest of them is the lowest block's
        scores = rng.uniform(size=(6, 7))
        decision = regions.decision_scores(scores, block)
        assert (decision >= scores).all() and decision.min() == regions.block_scores(scores, block).min()
    np.testing.assert_array_equal(regions.decision_scores(scores, 1), scores)
    with pytest.raises(ValueError, match="got 0"):
        regions.block_scores(scores, 0)


def _textured(shape=(64, 64, 3), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def test_a_mask_touching_a_flat_patch_grows_over_all_of_it_and_its_rim():
    image = _textured()
    image[20:40, 10:30] = -1.0  # a black square
    mask = np.zeros((64, 64), bool)
    mask[20:26, 10:16] = True  # located only in one corner
    mask[50, 50] = True  # and a mark on texture elsewhere: left as it is
    grown = regions.grow_over_flat_patches(image, mask)
    square = np.zeros_like(mask)
    square[19:41, 9:31] = True  # the square with a 1-px rim
    assert grown[square].all() and grown[50, 50]
    assert grown.sum() == square.sum() + 1  # nothing else
    assert not mask[21, 21:30].any()  # the input mask is not changed
    # a mask touching only texture is returned as it was
    texture_only = np.zeros_like(mask)
    texture_only[2:5, 40:45] = True
    np.testing.assert_array_equal(regions.grow_over_flat_patches(image, texture_only), texture_only)


def test_flat_backgrounds_and_smooth_gradients_are_not_patches():
    mask = np.zeros((64, 64), bool)
    mask[30:33, 30:33] = True
    background = np.zeros((64, 64, 3), np.float32)
    background[:8] = _textured((8, 64, 3))  # most of the picture is one flat colour: background
    np.testing.assert_array_equal(regions.grow_over_flat_patches(background, mask), mask)
    assert regions.grow_over_flat_patches(background, mask, max_share=1.0).sum() > 0.8 * mask.size
    # a sky-like ramp: every 3 x 3 neighbourhood is flat, the whole spans far more than a hole's colour
    ramp = np.broadcast_to(np.linspace(-0.5, 0.5, 64, dtype=np.float32)[:, None, None], (64, 64, 3)).copy()
    ramp[:, :40] = _textured((64, 40, 3))  # keep the ramp under the 15% limit
    ramp_mask = np.zeros((64, 64), bool)
    ramp_mask[30, 50] = True
    np.testing.assert_array_equal(regions.grow_over_flat_patches(ramp, ramp_mask), ramp_mask)


def _photo(side=256):
    from gan_style.core import data

    return data.fit_long_side(data.bundled_image("chelsea"), side).astype(np.float32) / 127.5 - 1.0


def test_a_block_pasted_on_a_photo_is_foreign_and_nothing_else_is():
    photo = _photo()
    assert not regions.foreign_patches(photo).any()  # the clean photo has none
    for fill in (-1.0, (0.2, 0.8, -0.3)):  # black, and one colour
        bad = photo.copy()
        bad[100:130, 60:90] = fill
        found = regions.foreign_patches(bad)
        square = np.zeros(found.shape, bool)
        square[101:129, 61:89] = True  # its flat interior: the 3 x 3 test leaves out the edge row
        np.testing.assert_array_equal(found, square)


def test_flat_patches_that_fade_are_small_or_ragged_are_not_foreign():
    photo = _photo()
    h, w = photo.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    # a clipped highlight: a white disc whose glow falls off into the photo
    glow = np.clip(1.6 - np.hypot(yy - 60, xx - 180) / 25.0, 0.0, 1.0)[..., None]
    lamp = photo * (1 - glow) + glow
    assert regions.flat_patches(lamp)[60, 180] > 0  # it is a flat patch
    assert not regions.foreign_patches(lamp).any()
    small = photo.copy()
    small[100:110, 60:70] = -1.0  # 10 x 10 px, its flat interior 64 px: under 0.2% of the picture (87 px)
    assert not regions.foreign_patches(small).any()
    ragged = photo.copy()
    ragged[(np.abs(yy - 110) < 20) & (np.abs(xx - 80) < 20) & ((yy + xx) % 12 < 6)] = -1.0  # stripes: fills < 75%
    assert regions.flat_patches(ragged).any() and not regions.foreign_patches(ragged).any()
    assert regions.foreign_patches(small, min_share=0.0).any()  # found, given no size limit
