"""Large images through the QC pipeline in overlapping tiles, so memory follows the tile, not the image.

The regressor is fully convolutional and its cells see about 8 cells of context; the repair
network and the texture search read a neighbourhood of the hole. So an image larger than one tile
is cut into cores of `core` x `core` pixels, each run through `QCPipeline.run` (assess, locate,
repair, re-check) with `margin` pixels of the image around it as context, and only the core of
each result is kept:

    score map     the core's cells of each tile's map (tile origins are multiples of the map's
                  stride, so the tiles' cells are the whole image's cells)
    repaired      the core's pixels of each tile's returned image (a clean tile is returned
                  unchanged: the pipeline repairs only abnormal tiles)
    global score  the minimum over tiles (the image is as good as its worst tile), before and after
    passes        the maximum over tiles

An image that fits in one tile (`fits`) is run whole, exactly as before; tiled results differ
from a whole-image run only near the cores' borders, where a tile sees `margin` pixels of context
instead of all of the image. Peak memory is that of one tile (about 0.2 GB of activations per
128-channel layer at 640 x 640 px) plus a few whole-image arrays (float32: 12 bytes a pixel for RGB).
"""

from __future__ import annotations

import numpy as np

CORE = 512    # pixels of each tile that are kept
MARGIN = 64   # context around a core: one 64 px training crop of the RGB regressor (8 cells)


def fits(shape: tuple[int, ...], core: int = CORE, margin: int = MARGIN) -> bool:
    """Whether an image of `shape` (H, W, ...) is run whole: both sides <= core + 2 * margin."""
    return max(shape[0], shape[1]) <= core + 2 * margin


def tile_boxes(height: int, width: int, core: int = CORE, margin: int = MARGIN, stride: int = 8):
    """Yield ((y0, y1, x0, x1) core, (y0, y1, x0, x1) tile) covering the image: cores of `core` px
    (the last in a row or column shorter) tile it exactly; each tile is its core grown by
    `margin` px, clipped to the image. `core` and `margin` must be multiples of `stride`."""
    if core % stride or margin % stride:
        raise ValueError(f"core and margin must be multiples of the map stride {stride}, got {core}, {margin}")
    for cy in range(0, height, core):
        for cx in range(0, width, core):
            inner = (cy, min(cy + core, height), cx, min(cx + core, width))
            outer = (max(0, cy - margin), min(height, cy + core + margin),
                     max(0, cx - margin), min(width, cx + core + margin))
            yield inner, outer


def run_tiled(pipeline, image: np.ndarray, repair: bool = True, max_passes: int | None = None,
              threshold: float | None = None, core: int = CORE, margin: int = MARGIN, stride: int | None = None):
    """`pipeline.run` (a `QCPipeline`) on one image (H, W, C) float32 in [-1, 1], tile by tile; returns a
    `QCResult` for a batch of one, as `pipeline.run(image[None])` does.

    stride: pixels per map cell (default: the pipeline's `texture_cell`, which `from_pretrained`
    sets to the checkpoint's stride).
    """
    from gan_style.qc.pipeline import QCResult

    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ValueError(f"run_tiled takes one image (H, W, C), got {image.shape}")
    height, width = image.shape[:2]
    stride = int(stride or pipeline.texture_cell)
    cells = (-(-height // stride), -(-width // stride))
    # the whole image's threshold, not each tile's
    threshold = pipeline.threshold_for(image.shape) if threshold is None else float(threshold)
    repaired = image.copy() if repair else image
    score_map = np.ones(cells, np.float32)
    masks = np.zeros((height, width), bool)
    tried = np.zeros((height, width), bool)
    before, after, passes = 1.0, 1.0, 0
    for (y0, y1, x0, x1), (ty0, ty1, tx0, tx1) in tile_boxes(height, width, core, margin, stride):
        result = pipeline.run(image[None, ty0:ty1, tx0:tx1], repair=repair, max_passes=max_passes,
                              threshold=threshold)
        iy, ix = slice(y0 - ty0, y1 - ty0), slice(x0 - tx0, x1 - tx0)
        if repair:
            repaired[y0:y1, x0:x1] = result.repaired[0, iy, ix]
        masks[y0:y1, x0:x1] = result.masks[0, iy, ix]
        tried[y0:y1, x0:x1] = result.tried[0, iy, ix]
        cy0, cy1, cx0, cx1 = y0 // stride, -(-y1 // stride), x0 // stride, -(-x1 // stride)
        score_map[cy0:cy1, cx0:cx1] = result.score_map[0, cy0 - ty0 // stride: cy1 - ty0 // stride,
                                                        cx0 - tx0 // stride: cx1 - tx0 // stride]
        before = min(before, float(result.score_before[0]))
        after = min(after, float(result.score_after[0]))
        passes = max(passes, int(result.passes[0]))
    return QCResult(repaired[None], np.array([before], np.float32), np.array([after], np.float32), score_map[None],
                    masks[None], np.array([passes]), threshold, tried[None], block=pipeline.block)
