"""Which pixels of flagged RGB cells to repair, on validation pictures (never the reserved ones):
cells the pixel head marks nothing in whole or kept (`--variants cell,keep`), and the head's marks
plus pixels far from their 3x3 median (`--variants impulses=0.4,impulses=0.25`, `impulse_marks`;
in several passes, `impulses=0.4:3`: run it at 0e7ad81), and the shipped pipeline with another floor
of the exemplar detail's amplitude (`--variants floor=1,floor=0.25`, `texture.FLOOR`).

Question (issue 27, part 4: "no visible blocks"): on the independent set a dense pixel dropout comes
back with flat grey 8-px squares (notebook 03): the pipeline repairs a flagged cell with no pixel
mark whole (`unmarked="cell"`), and in a dotted region the smooth fill of a whole cell is a grey
block. `unmarked="keep"` repairs only the marked pixels. Which returns pictures closer to their
originals, and what does each cost in detection, fix rate and damage to clean pictures?

The set: the 90 whole validation pictures of `qc_validation_select.py` (its cache) at 256 and
512 px, clean and corrupted once by the project's simulator (eleven kinds in turn); the mask is
every changed pixel. Numbers from `qc.eval.evaluate_set` (no oracle baselines), plus the box PSNR
capped at 60 dB (a few exactly filled flat boxes at the 100 dB cap move a mean over 90 by 0.5 dB)
overall and per kind.

    PYTHONPATH=. .venv/bin/python experiments/qc_located_pixels.py --out experiments/qc-unmarked-cells-DATE.json
    PYTHONPATH=. .venv/bin/python experiments/qc_located_pixels.py --variants impulses=0.4,impulses=0.25 \
        --out experiments/qc-impulse-marks-DATE.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

STYLISERS = ("lite-builtin", "lite-arbitrary", "ours")


def corrupted_set(side: int, cache: str | None = None):
    from pathlib import Path

    from experiments.qc_validation_select import CACHE, cached_set
    from gan_style.qc.independent import CorruptedSet

    names, clean, bad, kinds = cached_set(side, Path(cache) if cache else CACHE)
    masks = [(np.abs(c.astype(np.int16) - b.astype(np.int16)) > 0).any(axis=-1)
             for c, b in zip(clean, bad, strict=True)]
    stylised = [n.split(":")[0] if n.split(":")[0] in STYLISERS else "" for n in names]
    return CorruptedSet(list(names), list(clean), list(bad), masks, list(kinds), stylised)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--variants", default="cell,keep",
                        help="comma-separated: cell, keep, impulses=LEVEL (cell plus `impulse_marks` over LEVEL), "
                             "or floor=F (the shipped pipeline, the detail's amplitude at least F)")
    parser.add_argument("--cache", default=None, help="folder of qc_validation_select's drawn sets (default: its own)")
    args = parser.parse_args()

    from gan_style.core import runtime
    from gan_style.qc import eval as qc_eval
    from gan_style.qc import pipeline as pipeline_module
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.texture import detailed_repair, transfer_detail

    runtime.quiet_tensorflow()
    run = qc_eval.run_pipeline
    report = {"sizes": {}}
    for side in (int(s) for s in args.sizes.split(",")):
        data = corrupted_set(side, args.cache)
        report["sizes"][side] = row = {}
        for unmarked in args.variants.split(","):
            options = ({"impulses": float(unmarked.split("=")[1])} if unmarked.startswith("impulses=")
                       else {} if unmarked.startswith("floor=")  # the shipped options, another detail floor
                       else {"unmarked": unmarked, "impulses": False})  # the pixel head's marks alone
            if unmarked.startswith("floor="):  # undone below: the next variant gets the shipped detail
                floor = float(unmarked.split("=")[1])
                pipeline_module.detailed_repair = lambda outputs, images, masks, cell=8, f=floor: transfer_detail(
                    outputs["repaired"], masks, cell=cell, floor=f)
            pipeline = QCPipeline.from_pretrained("rgb", **options)
            start = time.time()
            runs = []  # evaluate_set's two pipeline runs (clean, corrupted), kept for the capped PSNR
            qc_eval.run_pipeline = lambda p, images, _runs=runs, **kw: _runs.append(run(p, images, **kw)) or _runs[-1]
            result = qc_eval.evaluate_set(pipeline, data, baselines=False)
            qc_eval.run_pipeline, pipeline_module.detailed_repair = run, detailed_repair
            capped = np.array([min(qc_eval.box_quality(r, c, m)[0], 60.0)
                               for r, c, m in zip(runs[1]["returned"], data.clean, data.masks, strict=True)])
            before = np.array([min(qc_eval.box_quality(x, c, m)[0], 60.0)
                               for x, c, m in zip(data.corrupted, data.clean, data.masks, strict=True)])
            kinds = np.array(data.kinds)
            per_image = result.pop("per_image")
            row[unmarked] = {**result, "seconds": round(time.time() - start, 1),
                             "gain_db_cap60": float((capped - before).mean()),
                             "gain_db_cap60_by_kind": {k: float((capped - before)[kinds == k].mean())
                                                       for k in sorted(set(data.kinds))},
                             "accepted_by_kind": {k: float(np.mean([p["accepted"] for p, kk in zip(
                                 per_image, data.kinds, strict=True) if kk == k])) for k in sorted(set(data.kinds))}}
            r = row[unmarked]
            print(f"{side} px, unmarked={unmarked}: detection {r['detection_rate']:.0%}, fix rate {r['fix_rate']:.1%}, "
                  f"pixel IoU {r['pixel_iou']:.3f}, box gain {r['repair_in_box']['pipeline']['gain_db']:+.2f} dB "
                  f"(cap 60: {r['gain_db_cap60']:+.2f}), clean >= 45 dB {r['clean_returned_45db']:.1%}; "
                  f"by kind (cap 60) {json.dumps({k: round(v, 2) for k, v in r['gain_db_cap60_by_kind'].items()})}",
                  flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
