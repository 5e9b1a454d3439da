"""Experiment (issue 27): the weight average of two RGB quality checkpoints of one run ("model
soup", Wortsman et al. 2022): theta = w theta_a + (1 - w) theta_b, at no cost at inference.

Stage 7 was trained from stage 6 (the shipped regressor) for 3,000 more steps of the same recipe:
it catches more at 256 px and ranks worse at 512 (experiments/README.md, "A seventh RGB stage").
Checkpoints on one fine-tuning path usually lie in one basin, where the average of their weights
can keep the strengths of both. Writes the averaged regressor as a checkpoint folder whose
threshold is `calibrate_rgb`'s on the validation pictures (the shipped rule), for
`qc_validation_select.py` to compare. Run:

    PYTHONPATH=. .venv/bin/python experiments/quality_weight_average.py checkpoints/quality_rgb \
        runs/quality_rgb_stage7 --weight 0.5 --out runs/quality_rgb_soup
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--weight", type=float, default=0.5, help="w, the first checkpoint's share")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from gan_style.core import checkpoints, runtime
    from gan_style.qc.regressor_trainer import calibrate_rgb

    runtime.quiet_tensorflow()
    start = time.time()
    first = checkpoints.load_model(args.first, "regressor.keras")
    second = checkpoints.load_model(args.second, "regressor.keras")
    w = args.weight
    first.set_weights([w * a + (1.0 - w) * b for a, b in zip(first.get_weights(), second.get_weights(), strict=True)])
    calibration = calibrate_rgb(first)
    parent = checkpoints.read_manifest(args.first)
    checkpoints.save_model(first, f"{args.out}/regressor.keras")
    checkpoints.write_manifest(args.out, ["regressor.keras"], name="quality_rgb_average",
                               command=f"experiments/quality_weight_average.py {args.first} {args.second} "
                                       f"--weight {w}",
                               threshold=calibration["threshold"], calibration=calibration,
                               **{k: parent[k] for k in ("stride", "config", "kinds")})
    print(f"wrote {args.out} in {time.time() - start:.0f} s; calibration {calibration}")


if __name__ == "__main__":
    main()
