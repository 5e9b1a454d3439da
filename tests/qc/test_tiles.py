"""Large images in overlapping tiles (gan_style.qc.tiles) on the shipped RGB pipeline: the same
fields as a whole-image run, the map on the whole image's grid, a defect found and repaired in
its tile, the rest returned as it came."""

import numpy as np
import pytest

from gan_style.qc import tiles


def test_tile_boxes_cover_the_image_once_with_margins():
    covered = np.zeros((300, 200), int)
    for (y0, y1, x0, x1), (ty0, ty1, tx0, tx1) in tiles.tile_boxes(300, 200, core=128, margin=32, stride=8):
        covered[y0:y1, x0:x1] += 1
        assert ty0 == max(0, y0 - 32) and ty1 == min(300, y1 + 32) and tx1 == min(200, x1 + 32)
        assert tx0 % 8 == 0 and ty0 % 8 == 0
    assert (covered == 1).all()
    assert tiles.fits((640, 640, 3)) and not tiles.fits((641, 10, 3))
    with pytest.raises(ValueError, match="multiples"):
        list(tiles.tile_boxes(10, 10, core=100, margin=32, stride=8))


@pytest.fixture(scope="module")
def pipeline():
    from gan_style.qc.pipeline import QCPipeline

    return QCPipeline.from_pretrained("rgb", texture=False)


def _photo(side):
    from gan_style.core import data
    from gan_style.style.eval import resize_to

    return resize_to(data.bundled_image("chelsea"), side, side).astype(np.float32) / 127.5 - 1.0


@pytest.mark.slow
def test_tiled_run_matches_the_whole_image_away_from_tile_borders(pipeline):
    image = _photo(256)
    whole = pipeline.run(image[None], repair=False)
    tiled = tiles.run_tiled(pipeline, image, repair=False, core=128, margin=64)
    assert tiled.score_map.shape == whole.score_map.shape and tiled.repaired.shape == (1, 256, 256, 3)
    # cells with the whole margin of context inside their tile are scored as in the whole image
    np.testing.assert_allclose(tiled.score_map[0, :8, :8], whole.score_map[0, :8, :8], atol=2e-3)
    assert abs(float(tiled.score_before[0]) - float(whole.score_before[0])) < 0.2


@pytest.mark.slow
def test_a_defect_is_repaired_in_its_tile_and_the_rest_is_untouched(pipeline):
    image = _photo(384)
    image[200:232, 40:72] = (-0.7, 0.3, -0.7)  # a flat green hole in the tile at (128..256, 0..128)
    result = tiles.run_tiled(pipeline, image, core=128, margin=64)
    mask, regions = result.located(0)
    assert result.abnormal[0] and regions and mask[200:232, 40:72].mean() > 0.5
    changed = np.abs(result.repaired[0] - image).max(axis=-1) > 0
    assert changed[200:232, 40:72].mean() > 0.5
    assert not changed[~result.masks[0]].any()  # only the pixels the returned masks name changed
    assert result.score_after[0] >= result.score_before[0]
