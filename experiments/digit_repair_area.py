"""Repair the flagged digit's pixel marks, or its whole flagged cells? (issue 27, class changes)

Question: accepted digit repairs that change the clean digit's class (1.6% on the independent set,
target <= 1%). Looked at on other held-out digits, most of them are repairs whose pixel marks miss
the defect (an erased segment marked a few pixels away), while our repairer given the true mask
restores the stroke. Does repairing the whole flagged cells (`area="cells"`, a larger hole with the
defect inside), or pixel marks grown further, cut them, and what does it cost?

Two validation sets, never the independent 400:
- "simulator": 1,000 validation digits with the training simulator's kinds
  (`repair_eval.validation_set`);
- "independent kinds": the 600 held-out MNIST test digits that the independent set does not use
  (`independent.digit_set(1000)` after its first 400), with the independent kinds.
Each through `eval.evaluate_set` (issue 27's numbers) for each variant of `QCPipeline.from_pretrained`.

    PYTHONPATH=. .venv/bin/python experiments/digit_repair_area.py --out experiments/digit-repair-area-2026-12-07.json

The JSON was written at 40c4501, before the class guard's probe shipped: there "pixels + cell
probe" was the shipped pipeline with the probe added by a wrapper (run the script at 40c4501); since
then every variant includes it.
"""

from __future__ import annotations

import argparse
import json

VARIANTS = {"pixels (shipped)": {}, "pixels grown 2": {"grow": 2}, "pixels grown 3": {"grow": 3},
            "cells": {"area": "cells"}}
KEYS = ("fpr", "detection_rate", "pixel_iou", "fix_rate", "clean_returned_45db", "accepted_repairs",
        "class_changed")


def validation_sets() -> dict:
    """{name: CorruptedSet}: 1,000 validation digits with the simulator's kinds, and the 600
    held-out test digits that the independent set does not use, with the independent kinds."""
    from gan_style.core.io import to_uint8
    from gan_style.qc.independent import CorruptedSet, digit_set
    from gan_style.qc.repair_eval import validation_set

    clean, corrupted, masks, kinds = validation_set("digits", 1000, size=28)
    simulator = CorruptedSet([f"validation:{i}" for i in range(len(clean))], [to_uint8(x) for x in clean],
                             [to_uint8(x) for x in corrupted], list(masks), list(kinds), [""] * len(clean))
    held = digit_set(1000, seed=0)
    other = CorruptedSet(*(getattr(held, f)[400:] for f in ("names", "clean", "corrupted", "masks", "kinds",
                                                              "stylised")))
    return {"simulator": simulator, "independent kinds, 600 other held-out digits": other}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    parser.add_argument("--quality", default="", help="comma-separated quality checkpoints (folders) to run "
                        "with the shipped options, each at its manifest's threshold, after the variants")
    args = parser.parse_args()

    from gan_style.core import manifests, runtime
    from gan_style.qc.eval import evaluate_set
    from gan_style.qc.pipeline import QCPipeline

    runtime.quiet_tensorflow()
    sets = validation_sets()
    report = {"sets": {name: len(s.clean) for name, s in sets.items()}, "variants": {},
              "provenance": manifests.measured(("quality_digits", "repair_digits", "mnist_classifier"))}
    runs = {name: VARIANTS[name] for name in args.variants.split(",") if name}
    runs.update({f"regressor {q}": {"quality": q} for q in args.quality.split(",") if q})
    for name, options in runs.items():
        pipeline = QCPipeline.from_pretrained("digits", **options)
        rows = {}
        for set_name, data in sets.items():
            full = evaluate_set(pipeline, data, classifier=pipeline.classifier, baselines=False)
            rows[set_name] = {k: full[k] for k in KEYS}
            rows[set_name]["box_gain_db"] = full["repair_in_box"]["pipeline"]["gain_db"]
            print(name, set_name, json.dumps(rows[set_name]), flush=True)
        report["variants"][name] = {"options": options, **rows}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
