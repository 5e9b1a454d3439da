"""Can a second signal spare the clean images the pipeline flags? An upper bound (a one-off check).

`repair_threshold_tradeoff.py` spares flagged images by their score alone. A second, independent
signal is the repair itself: a clean false alarm is intact content, so the repairer's fill might
change it less than it changes a real artifact. Rule: repair a flagged image only if its score is
under t_r AND its first pass would change it by more than PSNR tau (fill vs input, whole image);
otherwise return it untouched, reported abnormal. Every (t_r, tau) on a grid is tried on the very
images it is scored on, so the best rule is an optimistic bound, not a shippable setting: if even
it cannot give 100% of clean images back at >= 45 dB with a fix rate >= 90%, no rule of the two
signals can. Sets as the bench's (`repair_eval.validation_set`: 500 digits, 160 RGB crops of 64 px).

    PYTHONPATH=. .venv/bin/python experiments/repair_confirmation_bound.py > out.json
"""

from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from gan_style.qc.pipeline import QCPipeline
from gan_style.qc.repair_eval import capped_psnr, validation_set

SIZES = {"digits": 500, "rgb": 160}
FRACTIONS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01)  # t_r as a fraction of the shipped t
TAUS = (*(float(t) for t in range(10, 51)), 100.0)  # dB; 100 (the cap): never spare


def signals(pipeline: QCPipeline, images: np.ndarray) -> dict[str, np.ndarray]:
    """Per image: score, PSNR of the first pass's fill to the input (`change`), PSNR of the
    pipeline's output to the input, and whether the pipeline accepts it."""
    result = pipeline.run(images)
    x = tf.constant(images)  # the first pass again, on every image, from the run's first score map
    mask = pipeline.locate(tf.constant(result.score_map), pipeline.marks(x), tf.constant(pipeline.threshold))
    filled = pipeline.repair_pass(x, mask)[0].numpy()
    return {"score": result.score_before, "change": capped_psnr(filled, images),
            "output": capped_psnr(result.repaired, images), "accepted": result.accepted}


def bound(domain: str) -> dict:
    pipeline = QCPipeline.from_pretrained(domain)
    clean, corrupted, _, _ = validation_set(domain, SIZES[domain])
    c, b = signals(pipeline, clean), signals(pipeline, corrupted)
    t = pipeline.threshold
    flagged, abnormal = c["score"] < t, b["score"] < t
    rules = []
    for fraction in FRACTIONS:
        for tau in TAUS:
            spared_clean = flagged & ((c["score"] >= fraction * t) | (c["change"] >= tau))
            repaired_bad = abnormal & (b["score"] < fraction * t) & (b["change"] < tau)
            rules.append({"t_r_fraction": fraction, "tau_db": tau,
                          "clean_at_least_45db": round(float(np.mean((c["output"] >= 45) | spared_clean)), 4),
                          "fix_rate": round(float(np.mean(b["accepted"][abnormal] & repaired_bad[abnormal])), 4)})
    full_clean = [r for r in rules if r["clean_at_least_45db"] == 1.0]
    fixing = [r for r in rules if r["fix_rate"] >= 0.9]
    return {
        "threshold": t, "clean": len(clean), "clean_flagged": int(flagged.sum()),
        "corrupted_flagged": int(abnormal.sum()),
        "clean_false_alarms_score_change_db": sorted(
            [round(float(s), 4), round(float(d), 1)]
            for s, d in zip(c["score"][flagged], c["change"][flagged], strict=True)),
        "flagged_corrupted_change_db_quantiles_10_50_90": [round(float(q), 1) for q in
                                                          np.quantile(b["change"][abnormal], [0.1, 0.5, 0.9])],
        "shipped": next(r for r in rules if r["t_r_fraction"] == 1.0 and r["tau_db"] == max(TAUS)),
        "best_fix_rate_with_all_clean_at_45db": max(full_clean, key=lambda r: r["fix_rate"], default=None),
        "best_clean_share_with_fix_rate_90": max(fixing, key=lambda r: r["clean_at_least_45db"], default=None),
    }


if __name__ == "__main__":
    print(json.dumps({"what": __doc__.split("\n")[0], **{d: bound(d) for d in SIZES}}, indent=1))
