"""Experiment (issue 27): flag a picture when a flat patch of one colour scores low, not only on
the global score?

A black square lowers chelsea's global score to 0.076, above the RGB threshold 0.025. Rule tried:
abnormal if s < t (shipped) or if the worst map cell over any flat patch (`regions`' definition,
at least `min_area` px, at most 15% of the picture) scores under t2. Validation pictures at 256 px,
plain and stylised, clean and with the simulator's kinds (the cached set of `qc_relative_score.py`:
run that first); the shipped regressor.

    PYTHONPATH=. python experiments/qc_flat_patch_rule.py --out experiments/rgb-quality-flat-patch-rule-2026-12-05.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import ndimage

T2 = (0.03, 0.05, 0.1, 0.2, 0.3)
MIN_AREAS = (64, 144, 256)


def flat_evidence(image: np.ndarray, score_map: np.ndarray, min_area: int) -> float:
    """The lowest map-cell score over the flat patches (regions.flat_patches) of `image` (uint8)
    of at least `min_area` pixels, with their 2-px rim; 1 if none."""
    from gan_style.qc.regions import flat_patches, pixel_scores

    patches = flat_patches(image.astype(np.float32) / 127.5 - 1.0)
    sizes = np.bincount(patches.ravel())
    scores, best = pixel_scores(score_map, image.shape[:2]), 1.0
    for index in np.flatnonzero(sizes >= min_area):
        if index:
            patch = ndimage.binary_dilation(patches == index, iterations=2)
            best = min(best, float(scores[patch].min()))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import gan_style.core.layers  # noqa: F401 - registers the custom layers
    from experiments.qc_relative_score import CACHE, outputs
    from gan_style.core import manifests

    z = np.load(CACHE / "validation-256.npz", allow_pickle=True)
    clean, bad, kinds = list(z["clean"]), list(z["bad"]), list(z["kinds"])
    manifest = manifests.verify("quality_rgb")
    regressor = manifests.load_model("quality_rgb", "regressor.keras")
    t = manifest["threshold"]
    oc, ob = outputs(regressor, clean), outputs(regressor, bad)
    gc, gb = np.array([o[0] for o in oc]), np.array([o[0] for o in ob])
    holes = np.array([k == "hole" for k in kinds])
    report = {"pictures": len(clean), "threshold": t, "base": {
        "fpr": float(np.mean(gc < t)), "detection": float(np.mean(gb < t)), "holes": float(np.mean((gb < t)[holes]))},
        "rules": [], "provenance": manifests.measured(("quality_rgb",))}
    for min_area in MIN_AREAS:
        fc = np.array([flat_evidence(c, o[1], min_area) for c, o in zip(clean, oc, strict=True)])
        fb = np.array([flat_evidence(b, o[1], min_area) for b, o in zip(bad, ob, strict=True)])
        lowest = [round(float(v), 3) for v in np.sort(fc)[:6]]
        for t2 in T2:
            row = {"min_area": min_area, "t2": t2, "clean_with_patch": float(np.mean(fc < 1)),
                   "clean_lowest_patch_scores": lowest, "fpr": float(np.mean((gc < t) | (fc < t2))),
                   "detection": float(np.mean((gb < t) | (fb < t2))),
                   "holes": float(np.mean(((gb < t) | (fb < t2))[holes]))}
            report["rules"].append(row)
            print(row)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
