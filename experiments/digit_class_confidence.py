"""A confidence floor for accepted digit repairs, on validation digits (never the independent set).

Question (issue 27: accepted repairs that change the digit's class, 1.6% on the independent set,
target <= 1%): the class guard keeps a repair's class equal to its input's, so the changes left are
corruptions that had already made the digit look like another one and were repaired in that
other class. Are those repairs the ones the MNIST classifier is unsure of, so that giving back
the input where its top probability is under a floor removes them without losing many fixes?
Validation digits with the simulator's kinds (`repair_eval.validation_set`), the shipped pipeline.

    python experiments/digit_class_confidence.py --out experiments/digit-class-confidence-2026-12-05.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FLOORS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--num", type=int, default=3000)
    args = parser.parse_args()

    from gan_style.core import manifests
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.repair_eval import validation_set

    pipeline = QCPipeline.from_pretrained("digits")
    clean, corrupted, masks, kinds = validation_set("digits", args.num, size=28)
    result = pipeline.run(corrupted)
    repaired = result.abnormal & result.accepted & result.masks.reshape(len(clean), -1).any(axis=1)

    def probabilities(x):
        out = np.asarray(pipeline.classifier(x, training=False), np.float64)
        if not np.allclose(out.sum(-1), 1.0, atol=1e-3):
            out = np.exp(out - out.max(-1, keepdims=True))
            out /= out.sum(-1, keepdims=True)
        return out

    truth = probabilities(clean).argmax(-1)
    after = probabilities(result.repaired)
    rows = []
    for floor in FLOORS:
        kept = repaired & (after.max(-1) >= floor)
        changed = kept & (after.argmax(-1) != truth)
        rows.append({"floor": floor, "accepted_repairs": int(kept.sum()),
                     "accepted_share_of_corrupted": round(float(kept.mean()), 4),
                     "class_changed": round(float(changed.sum() / max(kept.sum(), 1)), 4),
                     "class_changed_count": int(changed.sum())})
        print(rows[-1])
    report = {"digits": len(clean), "kinds": sorted(set(kinds)), "floors": rows,
              "provenance": manifests.measured(("quality_digits", "repair_digits", "mnist_classifier"))}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
