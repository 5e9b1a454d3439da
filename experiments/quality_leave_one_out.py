"""Which RGB artifact types does the regressor catch without having seen them? (a one-off check)

The shipped protocol holds out one pair (tearing, blocking). Here every type is held out in turn:
the shipped recipe (`make train-quality`'s RGB line) trains on the other six, for `--steps`
(1,000 by default: 8 runs of 12.5-14 min on 2 CPU cores), and `evaluate.evaluate_quality`
measures the held-out type as it does the shipped pair. The shipped pair at the same steps is the
last run, so the table compares like with like; the shipped 3,000-step model's held-out AUROC is
0.686. Each run's manifest is kept under `--work-dir`; the summary goes to stdout.

    PYTHONPATH=. .venv/bin/python experiments/quality_leave_one_out.py --steps 1000 > out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gan_style.qc.artifacts import RGB_ARTIFACTS
from gan_style.qc.regressor_trainer import HELD_OUT_KINDS, QualityConfig, train_quality


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--work-dir", default="runs/quality_leave_one_out")
    args = parser.parse_args()
    folds = [(kind,) for kind in RGB_ARTIFACTS] + [HELD_OUT_KINDS["rgb"]]
    report = {"what": __doc__.split("\n")[0], "steps": args.steps, "folds": []}
    for held_out in folds:
        config = QualityConfig(domain="rgb", batch_size=32, steps=args.steps, held_out_kinds=held_out)
        manifest = train_quality(config, Path(args.work_dir) / "+".join(held_out), verbose=0)
        metrics = manifest["metrics"]
        report["folds"].append({
            "held_out": list(held_out), "held_out_auroc": round(metrics["held_out"]["auroc"], 3),
            "held_out_auroc_by_kind": {k: round(v, 3) for k, v in metrics["held_out"]["auroc_by_kind"].items()},
            "seen_auroc": round(metrics["seen"]["auroc"], 3),
            "early_decoder_outputs_auroc": round(metrics["early_decoder_outputs"]["auroc"], 3),
            "false_positive_rate": metrics["false_positive_rate"], "wall_time_s": round(manifest["wall_time_s"])})
        print(json.dumps(report["folds"][-1]), flush=True, file=sys.stderr)
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
