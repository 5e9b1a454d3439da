"""From a score map to abnormal regions: threshold, clean-up, connected components.

A region of the map covers s x s pixels (s = the regressor's stride); regions are unions of these
cells, so a cell under the threshold is always flagged whole and a region's score is exactly its
worst cell's. (Bilinear upsampling would dilute an isolated bad cell above the threshold.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage


def cell_strides(map_shape: Sequence, image_shape: Sequence) -> tuple:
    """Pixels per map cell along (H, W): ceil(H / h), ceil(W / w), as the regressor's strided convs
    give. Shapes as tuples of ints, or as int tensors (the pipeline's compiled path)."""
    return -(-image_shape[0] // map_shape[0]), -(-image_shape[1] // map_shape[1])


def pixel_scores(score_map: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """Each pixel gets the score of the map cell covering it: (h, w) -> (H, W), h = ceil(H / s)."""
    height, width = image_shape
    stride_y, stride_x = cell_strides(score_map.shape, image_shape)
    return np.repeat(np.repeat(score_map, stride_y, axis=0), stride_x, axis=1)[:height, :width]


def block_scores(score_map: np.ndarray, block: int = 1) -> np.ndarray:
    """Each block's best score, (h, w) -> (h, w): entry (i, j) is the maximum over cells i..i+b-1,
    j..j+b-1 that exist (b = `block`), as the regressor's global score takes it (`MaxPooling2D(b,
    strides=1, padding="same")`: blocks at the bottom and right edges are cut short). A picture's
    region score is the minimum of these: b = 2 (RGB) flags a picture only where a whole 2 x 2
    block of cells is low, so one stray cell does not."""
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    return ndimage.maximum_filter(score_map, size=block, mode="nearest", origin=-(block // 2))


def decision_scores(score_map: np.ndarray, block: int = 1) -> np.ndarray:
    """Each cell's part in the verdict, (h, w) -> (h, w): the lowest `block_scores` of the blocks
    that hold it, so a cell is under the threshold exactly where a block that holds it flags the
    picture (a lone low cell in an RGB picture is not). The score map itself for block 1."""
    blocks = block_scores(score_map, block)
    return ndimage.minimum_filter(blocks, size=block, mode="nearest", origin=(block - 1) // 2)


def worst_block(score_map: np.ndarray, image_shape: tuple[int, int], block: int = 1) -> dict:
    """The lowest-scoring block of `block` x `block` map cells (h, w) that starts on the (H, W)
    image, as {"bbox": [x0, y0, x1, y1] (pixels, x1/y1 exclusive), "score": its best cell's}: the
    block that decides the picture's region score (`block_scores`), so where a clean picture comes
    nearest its threshold, or an abnormal one is furthest under it. One cell for block 1."""
    height, width = image_shape
    stride_y, stride_x = cell_strides(score_map.shape, image_shape)
    rows, cols = -(-height // stride_y), -(-width // stride_x)  # cells past the edge cover nothing
    visible = block_scores(score_map[:rows, :cols], block)
    iy, ix = np.unravel_index(int(np.argmin(visible)), visible.shape)
    return {"bbox": [int(ix * stride_x), int(iy * stride_y), int(min(width, (ix + block) * stride_x)),
                     int(min(height, (iy + block) * stride_y))], "score": float(visible[iy, ix])}


def abnormal_mask(score_map: np.ndarray, threshold: float, image_shape: tuple[int, int]) -> np.ndarray:
    """Boolean pixel mask (H, W): where the upsampled score is below `threshold`."""
    return pixel_scores(score_map, image_shape) < threshold


def extract_regions(score_map: np.ndarray, threshold: float, image_shape: tuple[int, int],
                    min_area: int = 1) -> tuple[np.ndarray, list[dict]]:
    """Abnormal regions of one image from its score map (h, w) in [0, 1] (1 = clean).

    Pixels whose upsampled score is under `threshold` are abnormal; holes inside a region are
    filled and components smaller than `min_area` pixels dropped; each 8-connected component gives
    {"bbox": [x0, y0, x1, y1] (pixels, x1/y1 exclusive), "area": pixels, "score": its worst score}.
    Returns (pixel mask (H, W) bool, regions sorted worst first).
    """
    scores = pixel_scores(score_map, image_shape)
    mask = ndimage.binary_fill_holes(scores < threshold)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    regions = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        component = labels[box] == index
        area = int(component.sum())
        if area < min_area:
            mask[box][component] = False
            continue
        regions.append({
            "bbox": [int(box[1].start), int(box[0].start), int(box[1].stop), int(box[0].stop)],
            "area": area,
            "score": float(scores[box][component].min()),
        })
    return mask, sorted(regions, key=lambda r: r["score"])


FLAT_TOLERANCE = 4.0 / 127.5  # 2 grey levels either way, in [-1, 1] units
FLAT_MAX_SHARE = 0.15  # a flat patch larger than this share of the picture is background, not a defect


def _spread(image: np.ndarray) -> np.ndarray:
    """(H, W): max over channels of max - min over each pixel's 3 x 3 neighbourhood (edges
    repeated) of `image` (H, W, C); separable, in numpy (2-3x faster than ndimage's filters)."""
    p = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    hi = np.maximum(np.maximum(p[:-2], p[1:-1]), p[2:])
    lo = np.minimum(np.minimum(p[:-2], p[1:-1]), p[2:])
    hi = np.maximum(np.maximum(hi[:, :-2], hi[:, 1:-1]), hi[:, 2:])
    lo = np.minimum(np.minimum(lo[:, :-2], lo[:, 1:-1]), lo[:, 2:])
    return (hi - lo).max(axis=-1)


def flat_patches(image: np.ndarray, tolerance: float = FLAT_TOLERANCE, max_share: float = FLAT_MAX_SHARE,
                 min_size: int = 0) -> np.ndarray:
    """(H, W) int labels of the flat patches of `image` (H, W, C) in [-1, 1]; 0 elsewhere.

    A patch is a 4-connected set of at least `min_size` pixels whose 3 x 3 neighbourhoods are
    constant to `tolerance` (per channel, max - min), spanning at most 2 * `tolerance` in all, and
    no larger than `max_share` of the picture (larger: background, not a defect).
    """
    image = np.asarray(image, np.float32)
    labels, count = ndimage.label(_spread(image) <= tolerance)
    if not count:
        return labels
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    index = np.flatnonzero((sizes >= min_size) & (sizes <= max_share * labels.size)) + 1
    lookup = np.zeros(count + 1, labels.dtype)
    if len(index) > 64:  # many patches: one pass over the picture per channel
        span = np.max([np.asarray(ndimage.maximum(image[..., c], labels, index))
                       - np.asarray(ndimage.minimum(image[..., c], labels, index)) for c in range(image.shape[-1])],
                      axis=0)
    else:  # a few: each in its bounding box
        boxes = ndimage.find_objects(labels)
        span = np.array([np.ptp(image[boxes[i - 1]][labels[boxes[i - 1]] == i], axis=0).max() for i in index])
    keep = index[span <= 2 * tolerance]
    lookup[keep] = keep
    return lookup[labels]


def grow_over_flat_patches(image: np.ndarray, mask: np.ndarray, tolerance: float = FLAT_TOLERANCE,
                           max_share: float = FLAT_MAX_SHARE) -> np.ndarray:
    """`mask` (H, W) bool grown over every flat patch (`flat_patches`) of `image` (H, W, C) in [-1, 1]
    that it touches, with a 2-pixel rim: the patch's edge pixels (not flat) and one more (the edge
    of a pasted or compressed hole is rarely sharp). Why: the repairer fills a mask from the valid
    pixels around it, so a hole located only in part (or only at its rim) is filled back with the
    hole's own colour from its unlocated part. Returns a new mask.
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        return mask.copy()
    patches = flat_patches(image, tolerance, max_share)
    touched = np.unique(patches[mask])
    touched = touched[touched > 0]
    if not touched.size:
        return mask.copy()
    return mask | ndimage.binary_dilation(np.isin(patches, touched), structure=np.ones((3, 3), bool), iterations=2)


FOREIGN_MIN_SHARE = 0.002  # of the picture (and at least 64 px): a 30 x 30 block in a 512 x 512 picture is 0.34%
FOREIGN_MIN_FILL = 0.75  # of its bounding box: blocks and discs, not a clipped sky's ragged outline
FOREIGN_MIN_STEP = 24.0 / 127.5  # 12 grey levels either way, in [-1, 1] units


def foreign_patches(image: np.ndarray, min_share: float = FOREIGN_MIN_SHARE, min_fill: float = FOREIGN_MIN_FILL,
                    min_step: float = FOREIGN_MIN_STEP) -> np.ndarray:
    """(H, W) bool: the flat patches (`flat_patches`) of `image` (H, W, C) in [-1, 1] that look
    pasted on, not photographed: at least `min_share` of the picture, filling at least `min_fill`
    of their bounding box, and a step at their edge: the median over the pixels 2 px outside the
    patch (1 px outside is still the block's own edge row) of max_c |x - patch colour| is at least
    `min_step`. A dropped tile, a dead-feature block, a pasted square.

    Why the step: natural flat patches (clipped highlights, a lamp, flat bricks, a graphic's
    shapes) fade into their surroundings or meet a similar colour; a pasted block meets the
    picture it covers. On the training corpus and GIMP/Colobot patterns at 256 and 512 px (292
    pictures) the largest step of a clean patch filling >= 75% of its box is 15 levels (a brick),
    while every one of the simulator's holes on them passes (steps of 60 levels or more in 95% of
    cases, median 130; `experiments/qc_foreign_patch_rule.py`).
    """
    image = np.asarray(image, np.float32)
    out = np.zeros(image.shape[:2], bool)
    least = max(64, min_share * out.size)
    # most pictures have no flat patch that large: seen at half size (where a patch keeps about a
    # sixth of its pixels, its 3 x 3 test reaching 5 x 5), none of 1/16 of its size
    if not flat_patches(image[::2, ::2], max_share=1.0, min_size=int(least / 16)).any():
        return out
    for window, patch, _share, fill, step in patch_edges(image, least):
        if fill >= min_fill and step >= min_step:
            out[window] |= patch
    return out


def patch_edges(image: np.ndarray, min_size: float):
    """For each flat patch (`flat_patches`) of at least `min_size` pixels of `image` (H, W, C) in
    [-1, 1]: (window: the (rows, cols) slices of its box grown by 3 px, patch: its bool mask in
    that window, share of the picture, fill of its bounding box, step: the median over the pixels
    2 px outside it of max_c |x - patch colour|, in [-1, 1] units). A generator."""
    labels = flat_patches(image, min_size=int(np.ceil(min_size)))
    height, width = labels.shape
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        window = tuple(slice(max(0, s.start - 3), min(n, s.stop + 3))
                       for s, n in zip(box, (height, width), strict=True))
        patch = labels[window] == index
        area = int(patch.sum())
        ring = ndimage.binary_dilation(patch, iterations=2) & ~ndimage.binary_dilation(patch)
        step = np.abs(image[window][ring] - image[window][patch].mean(axis=0)).max(axis=-1)
        yield (window, patch, area / labels.size, area / (labels[box] == index).size,
               float(np.median(step)) if step.size else 0.0)
