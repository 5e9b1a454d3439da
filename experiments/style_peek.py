"""Look at a resumable style run between sessions (issue 28): the decoder in its work dir's last
backup (`train_style(work_dir=...)`, Keras' BackupAndRestore), rendered on the held-out pairs
beside nothing else, with patch SWD, edge SSIM, border and grid at 256 px.

The run's flags rebuild the trainer the backup was written from (`train.parse_config`). Run with
the training command's own flags, e.g. for `make train-style-fresh`:

    PYTHONPATH=. .venv/bin/python experiments/style_peek.py runs/fusion_style_fresh_work \
        runs/fusion_style_fresh_peek.jpg -- --precision auto --steps 20000 --lr-decay --crop-size 256 ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("work_dir")
    parser.add_argument("out", help="samples grid, .jpg")
    args = parser.parse_args(argv[:split])
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.core.io import write_jpeg
    from gan_style.style.eval import comparison_grid, evaluate_style
    from gan_style.style.trainer import trainer_from_backup
    from gan_style.train import parse_config

    _, config = parse_config(["style", "--out", "unused", *argv[split + 1:]])
    generator = trainer_from_backup(config, args.work_dir).fusion_generator
    metadata = Path(args.work_dir) / "backup" / "training_metadata.json"
    epoch = json.loads(metadata.read_text()) if metadata.exists() else {}
    report = evaluate_style({"ours adain 1.0": (generator, 1.0, "adain")}, sizes=(256,), repeats=0,
                            keep_outputs=True, encoder=generator.encoder)
    write_jpeg(args.out, comparison_grid(report, 256))
    row = report["methods"]["ours adain 1.0"]["256"]
    print(json.dumps({"backup": args.work_dir, "metadata": epoch,
                      **{k: row[k] for k in ("swd", "edge_ssim", "border", "grid", "halo", "self_psnr", "qc_accepted")
                         if k in row}}))


if __name__ == "__main__":
    main()
