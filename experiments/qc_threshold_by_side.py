"""Experiment (issue 27): one RGB threshold for every size, or one per longer side?

The shipped rule takes the smallest of the thresholds that flag 5% of the clean validation
pictures at 256 and at 512 px, so the 512-px side sets it for both. Per checkpoint, on the whole
validation pictures of `qc_validation_select.py` (never trained on, not reserved; plain and
stylised; each once corrupted by the simulator), at 256, 384 and 512 px: the false alarms and
the share caught with the shared threshold, with the threshold of the picture's side
(`QCPipeline.threshold_for`: 256 and 512 calibrated, 384 px held to the 512-px value, the check
that the rule holds its false-alarm rate between them) and, for 384 px, with a log-linear
interpolation between the two calibrated values (the rule first tried); overall and per kind;
the six lowest-scored clean pictures. Run:

    PYTHONPATH=. .venv/bin/python experiments/qc_threshold_by_side.py checkpoints/quality_rgb \
        --out experiments/rgb-quality-threshold-by-side-DATE.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from qc_validation_select import CACHE, cached_set  # noqa: E402

SIDES = (256, 384, 512)
CALIBRATED = (256, 512)


def measure(checkpoint: str, cache: Path) -> dict:
    from gan_style.core import checkpoints, metrics
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.regressor_trainer import global_scores

    regressor = checkpoints.load_model(checkpoint, "regressor.keras")
    scores = {}
    for side in SIDES:
        names, clean, bad, kinds = cached_set(side, cache)
        scores[side] = names, global_scores(regressor, clean), global_scores(regressor, bad), kinds
    by_side = {side: metrics.threshold_for_fpr(scores[side][1], 0.05) for side in CALIBRATED}
    shared = min(by_side.values())
    rule = QCPipeline(None, None, shared, "rgb", compiled=False, side_thresholds=by_side)
    report = {"shared": shared, "by_side": {str(k): v for k, v in by_side.items()}}
    for side, (names, sc, sb, kinds) in scores.items():
        own = rule.threshold_for((side, side))
        u = np.log(side / CALIBRATED[0]) / np.log(CALIBRATED[1] / CALIBRATED[0])
        log_linear = by_side[CALIBRATED[0]] ** (1 - u) * by_side[CALIBRATED[1]] ** u
        row = {"threshold_by_side": own, "threshold_log_linear": log_linear, "pictures": len(sc)}
        for label, t in (("shared", shared), ("by_side", own), ("log_linear", log_linear)):
            row[label] = {"false_alarms": float(np.mean(sc < t)), "caught": float(np.mean(sb < t)),
                          "caught_by_kind": {k: float(np.mean([b < t for b, kk in zip(sb, kinds, strict=True)
                                                               if kk == k])) for k in sorted(set(kinds))}}
        row["lowest_clean"] = [(names[i], float(sc[i])) for i in np.argsort(sc)[:6]]
        report[str(side)] = row
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--cache", default=str(CACHE), help="folder of the drawn sets (drawn there when missing)")
    parser.add_argument("--out")
    args = parser.parse_args()
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    report = {"cache": args.cache, "checkpoints": {}}
    for checkpoint in args.checkpoints:
        report["checkpoints"][checkpoint] = row = measure(checkpoint, Path(args.cache))
        for side in SIDES:
            r = row[str(side)]
            print(f"{checkpoint} {side} px: shared {row['shared']:.4f} false alarms {r['shared']['false_alarms']:.1%} "
                  f"caught {r['shared']['caught']:.0%}; by side {r['threshold_by_side']:.4f} false alarms "
                  f"{r['by_side']['false_alarms']:.1%} caught {r['by_side']['caught']:.0%} "
                  f"({', '.join(f'{k} {v:.0%}' for k, v in r['by_side']['caught_by_kind'].items())}); "
                  f"log-linear {r['threshold_log_linear']:.4f} false alarms {r['log_linear']['false_alarms']:.1%} "
                  f"caught {r['log_linear']['caught']:.0%}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
