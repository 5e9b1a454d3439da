"""Carry a resumable style run's last backup from one session to the next through git.

A work dir (`train_style(work_dir=...)`: Keras' BackupAndRestore) lives under runs/, which git
ignores and a fresh session does not have; its backup holds the frozen encoder too (33 MB). A
stage keeps what the run cannot rebuild: decoder and discriminator weights (float32), both
optimizers' state (Adam's moments in bfloat16, the step counters exact), the epoch, and the train
flags that rebuild the trainer, in one compressed .npz (about 11 MB) plus a .json beside it.

    PYTHONPATH=. .venv/bin/python scripts/style_stage.py pack WORK_DIR STAGE -- <the run's train flags>
    PYTHONPATH=. .venv/bin/python scripts/style_stage.py unpack STAGE WORK_DIR

then the run's own command resumes from the unpacked backup. `make style-fresh-stage` packs
`make train-style-fresh`'s work dir into experiments/stages/fusion_style_fresh.{npz,json}, and
`make train-style-fresh` unpacks it when its work dir is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np


def _trainer(flags: list[str], work_dir: Path | None = None):
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.style.trainer import trainer_from_backup
    from gan_style.train import parse_config

    _, config = parse_config(["style", "--out", "unused", *flags])
    return trainer_from_backup(config, work_dir)


def _parts(trainer) -> dict[str, list]:
    return {"g": trainer.generator.weights, "d": trainer.discriminator.weights,
            "gopt": trainer.g_optimizer.variables, "dopt": trainer.d_optimizer.variables}


def pack(work_dir: Path, stage: Path, flags: list[str]) -> None:
    import ml_dtypes

    backup = work_dir / "backup"
    trainer = _trainer(flags, work_dir)
    arrays = {}
    for prefix, variables in _parts(trainer).items():
        for i, variable in enumerate(variables):
            value = np.asarray(variable.numpy())
            if prefix.endswith("opt") and value.dtype == np.float32 and value.ndim:
                value = value.astype(ml_dtypes.bfloat16).view(np.uint16)  # Adam's moments
            arrays[f"{prefix}{i}"] = value
    stage.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(stage.with_suffix(".npz"), **arrays)
    metadata = json.loads((backup / "training_metadata.json").read_text())
    digest = hashlib.sha256(stage.with_suffix(".npz").read_bytes()).hexdigest()
    step = int(trainer.g_optimizer.iterations.numpy())
    stage.with_suffix(".json").write_text(json.dumps(
        {"flags": flags, "epoch": metadata["epoch"], "step": step, "sha256": digest}, indent=1) + "\n")
    print(f"packed {work_dir} (epoch {metadata['epoch']}, step {step}) into {stage.with_suffix('.npz')}")


def unpack(stage: Path, work_dir: Path) -> None:
    import ml_dtypes

    record = json.loads(stage.with_suffix(".json").read_text())
    if hashlib.sha256(stage.with_suffix(".npz").read_bytes()).hexdigest() != record["sha256"]:
        raise SystemExit(f"error: {stage.with_suffix('.npz')} does not match its sha256")
    arrays = np.load(stage.with_suffix(".npz"))
    trainer = _trainer(record["flags"])
    for prefix, variables in _parts(trainer).items():
        for i, variable in enumerate(variables):
            value = arrays[f"{prefix}{i}"]
            if value.dtype == np.uint16:
                value = value.view(ml_dtypes.bfloat16).astype(np.float32)
            variable.assign(value)
    backup = work_dir / "backup"
    backup.mkdir(parents=True, exist_ok=True)
    trainer.save_weights(str(backup / "latest.weights.h5"))
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": record["epoch"], "batch": 0}))
    print(f"unpacked {stage} (epoch {record['epoch']}, step {record['step']}) into {backup}")


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv[:split])
    if args.action == "pack":
        pack(args.source, args.target, argv[split + 1:])
    else:
        unpack(args.source, args.target)


if __name__ == "__main__":
    main()
