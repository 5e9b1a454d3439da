"""A top-2 logit margin for accepted digit repairs, on two validation sets (never the independent 400).

Question (issue 27: accepted repairs that change the digit's class, 1.6% on the independent set,
target <= 1%): `digit_class_confidence.py` found the wrong repairs confident on the simulator's
artifacts. Is a margin between the classifier's two top logits a better signal, and does it hold
on the independent kinds' artifacts drawn on other held-out digits?

- "simulator": 1,000 validation digits with the training simulator's kinds
  (`repair_eval.validation_set`), as in `digit_class_confidence.py`;
- "independent kinds": the 600 held-out MNIST test digits that the independent set does not use
  (`independent.digit_set(1000)` after its first 400), with the independent kinds.

The shipped pipeline (class guard on), then for margins m: how many accepted repairs whose class
differs from the clean digit's, and how many that kept it, have a margin under m.

    PYTHONPATH=. .venv/bin/python experiments/digit_class_margin.py --out experiments/digit-class-margin-2026-12-07.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

MARGINS = (1.0, 2.0, 3.0, 5.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from gan_style.core import manifests, runtime
    from gan_style.core.io import to_domain
    from gan_style.qc.independent import digit_set
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.repair_eval import validation_set

    runtime.quiet_tensorflow()
    pipeline = QCPipeline.from_pretrained("digits")
    clean, corrupted, _, _ = validation_set("digits", 1000, size=28)
    held = digit_set(1000, seed=0)
    sets = {"simulator": (clean, corrupted),
            "independent kinds, 600 other held-out digits": (
                np.stack([to_domain(x, "digits") for x in held.clean[400:]]),
                np.stack([to_domain(x, "digits") for x in held.corrupted[400:]]))}
    report = {"margins": list(MARGINS), "sets": {},
              "provenance": manifests.measured(("quality_digits", "repair_digits", "mnist_classifier"))}
    for name, (clean, corrupted) in sets.items():
        result = pipeline.run(corrupted)
        repaired = result.abnormal & result.accepted & result.masks.reshape(len(clean), -1).any(axis=1)
        logits = np.asarray(pipeline.classifier(result.repaired, training=False))
        second, first = np.sort(logits, axis=-1)[:, -2:].T
        margin = first - second
        changed = repaired & (logits.argmax(-1) != np.asarray(pipeline.classifier(clean, training=False)).argmax(-1))
        kept = repaired & ~changed
        report["sets"][name] = {
            "digits": len(clean), "accepted_repairs": int(repaired.sum()), "class_changed": int(changed.sum()),
            "margins_of_changed": sorted(round(float(m), 2) for m in margin[changed]),
            "under_margin": [{"margin": m, "changed_dropped": int((changed & (margin < m)).sum()),
                              "kept_class_dropped": int((kept & (margin < m)).sum())} for m in MARGINS]}
        print(name, json.dumps(report["sets"][name]))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
