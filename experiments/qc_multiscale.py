"""Experiment (issue 27): does scoring a picture at several scales (the minimum of the global
scores at scale 1, 0.75 and 0.5) catch more defects at the same false-alarm budget?

The set of `qc_validation_select.py` (cached in runs/validation_select: whole validation pictures
at 256 and 512 px, plain and stylised, once clean and once with a simulator kind, 1-10% of the
picture). Each combination gets its own threshold by the shipped rule (the largest that flags at
most 5% of the clean pictures at each side). Run (after `qc_validation_select.py`):

    PYTHONPATH=. .venv/bin/python experiments/qc_multiscale.py --out experiments/rgb-quality-multiscale-DATE.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

COMBINATIONS = {"x1": (1.0,), "x0.75": (0.75,), "x0.5": (0.5,), "min(1, 0.5)": (1.0, 0.5),
                "min(1, 0.75)": (1.0, 0.75), "min(1, 0.75, 0.5)": (1.0, 0.75, 0.5)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="checkpoints/quality_rgb")
    parser.add_argument("--out")
    args = parser.parse_args()
    from skimage.transform import rescale

    from gan_style.core import checkpoints, metrics, runtime

    runtime.quiet_tensorflow()
    from gan_style.qc.regressor_trainer import global_scores

    def scaled(images, factor):
        if factor == 1.0:
            return images
        return [np.clip(rescale(i, factor, channel_axis=-1, anti_aliasing=True, preserve_range=True), 0, 255)
                .round().astype(np.uint8) for i in images]

    regressor = checkpoints.load_model(args.checkpoint, "regressor.keras")
    scores, kinds = {}, {}
    for side in (256, 512):
        z = np.load(f"runs/validation_select/validation-{side}.npz", allow_pickle=True)
        kinds[side] = np.array(list(z["kinds"]))
        scores[side] = {f: (global_scores(regressor, scaled(list(z["clean"]), f)),
                            global_scores(regressor, scaled(list(z["bad"]), f))) for f in (1.0, 0.75, 0.5)}
    report = {"checkpoint": args.checkpoint, "combinations": {}}
    for name, factors in COMBINATIONS.items():
        clean = {s: np.min([scores[s][f][0] for f in factors], axis=0) for s in scores}
        bad = {s: np.min([scores[s][f][1] for f in factors], axis=0) for s in scores}
        threshold = min(metrics.threshold_for_fpr(clean[s], 0.05) for s in scores)
        row = report["combinations"][name] = {"threshold": float(threshold)}
        for s in scores:
            flagged = bad[s] < threshold
            by_kind = {k: float(flagged[kinds[s] == k].mean()) for k in sorted(set(kinds[s]))}
            row[str(s)] = {"auroc": float((bad[s][:, None] < clean[s][None]).mean()),
                           "false_alarms": float(np.mean(clean[s] < threshold)), "detection": float(flagged.mean()),
                           "detection_by_kind": by_kind}
        print(name, {s: (round(row[str(s)]["auroc"], 3), round(row[str(s)]["detection"], 2)) for s in scores})
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
