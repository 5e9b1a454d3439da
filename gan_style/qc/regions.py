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
