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
    import dataclasses

    from gan_style.core.io import write_jpeg
    from gan_style.style.eval import comparison_grid, evaluate_style
    from gan_style.style.fusion_generator import FusionGenerator
    from gan_style.style.trainer import build_style_trainer
    from gan_style.train import parse_config

    _, config = parse_config(["style", "--out", "unused", *argv[split + 1:]])
    config = dataclasses.replace(config, precision="float32", init="")
    trainer = build_style_trainer(config)
    backup = Path(args.work_dir) / "backup"
    weights = sorted(backup.glob("*.weights.h5"))
    if not weights:
        raise SystemExit(f"error: no backup weights in {backup}")
    trainer.load_weights(str(weights[-1]))
    metadata = backup / "training_metadata.json"
    epoch = json.loads(metadata.read_text()) if metadata.exists() else {}
    generator = FusionGenerator(config.width, "adain", config.encoder_weights, decoder=trainer.generator,
                                skips=config.skips, encoder_padding=config.encoder_padding)
    report = evaluate_style({"ours adain 1.0": (generator, 1.0, "adain")}, sizes=(256,), repeats=0,
                            keep_outputs=True, encoder=generator.encoder)
    write_jpeg(args.out, comparison_grid(report, 256))
    row = report["methods"]["ours adain 1.0"]["256"]
    print(json.dumps({"backup": str(weights[-1]), "metadata": epoch,
                      **{k: row[k] for k in ("swd", "edge_ssim", "border", "grid", "qc_accepted") if k in row}}))


if __name__ == "__main__":
    main()
