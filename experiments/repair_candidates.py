"""Candidate repair U-Nets in the shipped pipeline, side by side (a one-off check).

The bench's validation sets (`repair_eval.validation_set`: 500 digits; RGB 160 crops of 64 px,
70 of 128 and 70 of 256 px, as in `make bench`), the shipped quality regressor and threshold, and
the pipeline as `from_pretrained` builds it (exemplar texture on RGB, one scale). Per repairer and
side: `pipeline_numbers`; at the smallest side also the fix rate per artifact kind and the PSNR gain
in the true masks (no texture), the number the bench sets beside the classical inpainters:

    PYTHONPATH=. .venv/bin/python experiments/repair_candidates.py rgb shipped DIR...
"""

from __future__ import annotations

import json
import sys

import numpy as np

from gan_style.core import checkpoints
from gan_style.qc.pipeline import QCPipeline
from gan_style.qc.repair_eval import pipeline_numbers, score_inpainting, unet_inpainter, validation_set

SIDES = {"digits": {28: 500}, "rgb": {64: 160, 128: 70, 256: 70}}


def numbers(domain: str, repairer, base: QCPipeline, data, details: bool) -> dict:
    clean, corrupted, masks, kinds = data
    pipeline = QCPipeline(base.regressor, repairer, base.threshold, domain, texture=base.texture,
                          texture_cell=base.texture_cell)
    out = pipeline_numbers(pipeline, clean, corrupted, masks)
    if details:
        run, kinds = pipeline.run(corrupted), np.asarray(kinds)
        out["fix_rate_by_kind"] = {k: round(float(run.accepted[(kinds == k) & run.abnormal].mean()), 3)
                                   for k in sorted(set(kinds)) if ((kinds == k) & run.abnormal).any()}
        out["true_masks_gain_db"] = score_inpainting(unet_inpainter(repairer), clean, corrupted, masks)["psnr_gain"]
    return out


def main(domain: str, *repairers: str) -> None:
    base = QCPipeline.from_pretrained(domain)
    loaded = {name: base.repairer if name == "shipped" else checkpoints.load_model(name, "repairer.keras")
              for name in repairers}
    for i, (side, num) in enumerate(SIDES[domain].items()):
        data = validation_set(domain, num, size=side) if domain == "rgb" else validation_set(domain, num)
        for name, repairer in loaded.items():
            row = {"repairer": name, "side": side, **numbers(domain, repairer, base, data, details=i == 0)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
