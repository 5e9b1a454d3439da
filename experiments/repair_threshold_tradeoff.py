"""Can a second, lower threshold spare the clean images the pipeline flags? (a one-off check)

The shipped pipeline repairs every image scored under t (chosen for <= 5% false positives), and
a repaired clean image rarely stays >= 45 dB from its input. If the clean false alarms scored
just under t while real artifacts scored far lower, repairing only under t_r < t (and reporting
the images between as abnormal, untouched) would return the clean ones intact and keep the fix
rate. This measures it on the bench's validation sets (`repair_eval.validation_set`: digits 500,
RGB 160 crops of 64 px, every artifact type in turn): per t_r, the share of clean images back at
>= 45 dB and the fix rate (flagged corrupted images accepted after repair), with the scores the
clean false alarms had.

    PYTHONPATH=. .venv/bin/python experiments/repair_threshold_tradeoff.py > out.json
"""

from __future__ import annotations

import json

import numpy as np

from gan_style.qc.pipeline import QCPipeline
from gan_style.qc.repair_eval import capped_psnr, validation_set

SIZES = {"digits": 500, "rgb": 160}
FRACTIONS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02)  # t_r as a fraction of the shipped t


def tradeoff(domain: str) -> dict:
    pipeline = QCPipeline.from_pretrained(domain)
    clean, corrupted, _, kinds = validation_set(domain, SIZES[domain])
    clean_run, bad_run = pipeline.run(clean), pipeline.run(corrupted)
    t = pipeline.threshold
    damage = capped_psnr(clean_run.repaired, clean)
    flagged, abnormal = clean_run.abnormal, bad_run.abnormal
    rows = []
    for fraction in FRACTIONS:
        t_r = fraction * t
        spared = flagged & (clean_run.score_before >= t_r)  # left as they came in
        repaired_and_accepted = bad_run.accepted[abnormal] & (bad_run.score_before[abnormal] < t_r)
        rows.append({"t_r": round(t_r, 5), "clean_at_least_45db": round(float(np.mean((damage >= 45) | spared)), 4),
                     "fix_rate": round(float(np.mean(repaired_and_accepted)), 4),
                     "flagged_corrupted_left": int(np.sum(abnormal & (bad_run.score_before >= t_r)))})
    kinds = np.asarray(kinds)
    quantiles = np.quantile(bad_run.score_before[abnormal], [0.1, 0.5, 0.9])
    return {"threshold": t, "clean": len(clean), "clean_flagged": int(flagged.sum()),
            "clean_false_alarm_scores": sorted(round(float(s), 4) for s in clean_run.score_before[flagged]),
            "corrupted_flagged": int(abnormal.sum()),
            "corrupted_flagged_score_quantiles_10_50_90": [round(float(q), 4) for q in quantiles],
            "flagged_by_kind": {k: f"{int(np.sum(abnormal & (kinds == k)))}/{int(np.sum(kinds == k))}"
                                for k in sorted(set(kinds))},
            "rows": rows}


if __name__ == "__main__":
    print(json.dumps({"what": __doc__.split("\n")[0], **{d: tradeoff(d) for d in SIZES}}, indent=1))
