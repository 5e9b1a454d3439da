"""Give back digit repairs the classifier is unsure of? (issue 27, class changes)

Question: accepted digit repairs whose class differs from the clean digit's stay at 1.6% on the
independent set (target <= 1%) with the class guard (`QCPipeline._guard_class`). Where the
classifier is unsure of the repaired digit (its softmax maximum p under tau), is the digit wrong
more often, so that giving those repairs back (the input, scored as it came: rejected) would cut
class changes for a small loss of fix rate? And how many clean digits' repairs would it give back?

The shipped pipeline, on the two validation sets of `digit_repair_area.py` (never the independent
400): the simulator's kinds on 1,000 validation digits and the independent kinds on the 600
held-out test digits the independent set does not use. For each tau, among accepted repairs:
class changed (vs the clean original), fix rate with those under tau given back, and among the
clean digits, those returned at >= 45 dB.

    PYTHONPATH=. .venv/bin/python experiments/digit_class_confidence.py \
        --out experiments/digit-class-confidence-DATE.json

First written at 6d9a88e for the simulator set alone (`digit-class-confidence-2026-12-05.json`),
then extended to both sets and run with the whole-cell probe in the guard (`-2026-12-08.json`).
Not shipped either time (experiments/README.md, "A confidence floor for accepted digit repairs").
"""

from __future__ import annotations

import argparse
import json

import numpy as np

TAUS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from experiments.digit_repair_area import validation_sets
    from gan_style.core import manifests, metrics, runtime
    from gan_style.qc.eval import run_pipeline
    from gan_style.qc.pipeline import QCPipeline

    runtime.quiet_tensorflow()
    pipeline = QCPipeline.from_pretrained("digits")
    classifier = pipeline.classifier
    report = {"taus": list(TAUS), "sets": {},
              "provenance": manifests.measured(("quality_digits", "repair_digits", "mnist_classifier"))}

    def probabilities(images):
        x = np.stack([i.astype(np.float32)[..., :1] / 127.5 - 1.0 for i in images])
        logits = classifier.predict(x, verbose=0)
        e = np.exp(logits - logits.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    for name, data in validation_sets().items():
        bad, good = run_pipeline(pipeline, data.corrupted), run_pipeline(pipeline, data.clean)
        truth = probabilities(data.clean).argmax(-1)
        repaired = bad["abnormal"] & bad["accepted"] & (bad["passes"] > 0)
        p_bad = probabilities(bad["returned"])
        wrong = p_bad.argmax(-1) != truth
        changed_clean = np.array([metrics.psnr(r.astype(np.float32), c.astype(np.float32)) < 45.0
                                  for r, c in zip(good["returned"], data.clean, strict=True)])
        p_good = probabilities(good["returned"]).max(-1)
        rows = []
        for tau in TAUS:
            kept = repaired & (p_bad.max(-1) >= tau)
            flagged = bad["abnormal"]
            rows.append({"tau": tau, "accepted_repairs": int(kept.sum()),
                         "class_changed": round(float(wrong[kept].mean()), 4) if kept.any() else None,
                         "fix_rate": round(float((bad["accepted"] & (kept | ~repaired))[flagged].mean()), 4),
                         "clean_returned_45db": round(float(np.mean(~changed_clean | (p_good < tau))), 4)})
            print(name, rows[-1], flush=True)
        report["sets"][name] = {"images": len(data.clean), "rows": rows,
                                "wrong_p": sorted(round(float(p), 3) for p in p_bad.max(-1)[repaired & wrong])}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
