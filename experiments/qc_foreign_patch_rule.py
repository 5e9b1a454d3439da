"""Experiment (issue 27): can a pasted flat block be told from the flat patches of clean pictures
without the regressor, by its shape and by the step at its edge?

Per flat patch (`regions.flat_patches`, >= 0.2% of the picture): its share of the picture, the share
of its bounding box it fills, and the step (median over the pixels 2 px outside it of
max_c |x - patch colour|, in grey levels). Measured on the training corpus and the GIMP/Colobot
patterns (clean, and once with a simulator `hole` covering 1-10%), both at 256 and 512 px, and on
the cached validation selection of `qc_validation_select.py` (clean, and its 16 simulator holes).
Reports, for rules "share >= s, fill >= f, step >= k", the clean pictures with a patch passing and
the holes caught. The reserved packages are not read. Run:

    PYTHONPATH=. .venv/bin/python experiments/qc_foreign_patch_rule.py \
        --out experiments/rgb-quality-foreign-patch-rule-2026-12-06.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

SIDES = (256, 512)
SHARES, FILLS, STEPS = (0.002, 0.004), (0.6, 0.75, 0.85), (12, 16, 24, 32)


def patch_features(image: np.ndarray) -> list[dict]:
    """uint8 (H, W, 3) -> [{"share", "fill", "step" (grey levels)}] of its flat patches of >= 0.2%
    of the picture (`regions.patch_edges`, what the shipped check reads)."""
    from gan_style.qc.regions import patch_edges

    x = image.astype(np.float32) / 127.5 - 1.0
    return [{"share": share, "fill": fill, "step": step * 127.5}
            for _, _, share, fill, step in patch_edges(x, max(64, 0.002 * x.shape[0] * x.shape[1]))]


def with_hole(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The simulator's `hole`, at a strength whose change covers 1-10% of the picture."""
    from gan_style.qc.artifacts import corrupt

    x = image.astype(np.float32) / 127.5 - 1.0
    for _ in range(30):
        y, m = corrupt(x, "hole", rng, float(rng.uniform(0.05, 0.8)), domain="rgb")
        if 0.01 <= m.mean() <= 0.10:
            break
    return np.round((y + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


def passes(features: list[dict], share: float, fill: float, step: float) -> bool:
    return any(f["share"] >= share and f["fill"] >= fill and f["step"] >= step for f in features)


def main() -> None:
    from gan_style.core.data import fit_long_side, style_pictures, training_pictures

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, "experiments")
    from qc_validation_select import cached_set

    pictures = training_pictures("corpus")
    pictures.update(style_pictures("gimp-patterns,colobot-textures"))
    rng = np.random.default_rng(1)
    sets = {"training clean": [], "training holes": [], "validation clean": [], "validation holes": []}
    for side in SIDES:
        for image in pictures.values():
            image = fit_long_side(image, side)
            sets["training clean"].append(patch_features(image))
            sets["training holes"].append(patch_features(with_hole(image, rng)))
        _, clean, bad, kinds = cached_set(side)
        sets["validation clean"] += [patch_features(c) for c in clean]
        sets["validation holes"] += [patch_features(b) for b, k in zip(bad, kinds, strict=True) if k == "hole"]
    rules = []
    for share in SHARES:
        for fill in FILLS:
            for step in STEPS:
                row = {"share": share, "fill": fill, "step": step}
                row.update({name: sum(passes(f, share, fill, step) for f in found) for name, found in sets.items()})
                rules.append(row)
                print(row)
    clean_steps = sorted((f["step"] for found in sets["training clean"] + sets["validation clean"] for f in found
                          if f["fill"] >= 0.75), reverse=True)
    record = {"what": "pasted flat blocks vs the flat patches of clean pictures (experiments/qc_foreign_patch_rule.py)",
              "pictures": {name: len(found) for name, found in sets.items()}, "rules": rules,
              "largest_clean_steps_fill_0.75": [round(s, 1) for s in clean_steps[:5]],
              "hole_step_percentiles_5_50": [round(float(v), 1) for v in np.percentile(
                  [max(f["step"] for f in found) if found else 0.0 for found in sets["training holes"]], [5, 50])]}
    with open(args.out, "w") as handle:
        json.dump(record, handle, indent=1)


if __name__ == "__main__":
    main()
