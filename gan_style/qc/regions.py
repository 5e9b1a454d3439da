"""From a score map to abnormal regions: threshold, clean-up, connected components.

A region of the map covers s x s pixels (s = the regressor's stride); regions are unions of these
cells, so a cell under the threshold is always flagged whole and a region's score is exactly its
worst cell's. (Bilinear upsampling would dilute an isolated bad cell above the threshold.)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def pixel_scores(score_map: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """Each pixel gets the score of the map cell covering it: (h, w) -> (H, W), h = ceil(H / s)."""
    h, w = score_map.shape
    height, width = image_shape
    stride_y, stride_x = -(-height // h), -(-width // w)
    return np.repeat(np.repeat(score_map, stride_y, axis=0), stride_x, axis=1)[:height, :width]


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


def grow_over_flat_patches(image: np.ndarray, mask: np.ndarray, tolerance: float = FLAT_TOLERANCE,
                           max_share: float = FLAT_MAX_SHARE) -> np.ndarray:
    """`mask` (H, W) bool grown over every flat patch of `image` (H, W, C) in [-1, 1] that it touches.

    A patch is a 4-connected set of pixels whose 3 x 3 neighbourhoods are constant to `tolerance`
    (per channel, max - min), spanning at most 2 * `tolerance` in all, and no larger than `max_share` of
    the picture; it is added with a 2-pixel rim: its edge pixels (not flat) and one more (the
    edge of a pasted or compressed hole is rarely sharp). Why: the repairer fills a
    mask from the valid pixels around it, so a hole located only in part (or only at its rim) is
    filled back with the hole's own colour from its unlocated part. Returns a new mask.
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        return mask.copy()
    image = np.asarray(image, np.float32)
    spread = (ndimage.maximum_filter(image, size=(3, 3, 1)) - ndimage.minimum_filter(image, size=(3, 3, 1))).max(-1)
    flat = spread <= tolerance
    labels, count = ndimage.label(flat)
    touched = np.unique(labels[mask & flat])
    touched = touched[touched > 0]
    grown, boxes = mask.copy(), ndimage.find_objects(labels)
    for index in touched:
        box = boxes[index - 1]
        patch = labels[box] == index
        colours = image[box][patch]
        if patch.sum() > max_share * mask.size or (colours.max(0) - colours.min(0)).max() > 2 * tolerance:
            continue
        region = np.zeros_like(mask)
        region[box] = patch
        grown |= ndimage.binary_dilation(region, structure=np.ones((3, 3), bool), iterations=2)
    return grown
