"""Re-save a trained repair checkpoint on another coarse fill, its weights unchanged (2026-12-07).

The shipped RGB U-Net was trained on the Laplace fill; on the biharmonic fill, weights unchanged,
it fills whole validation pictures 0.33 / 0.44 dB better at 256 / 512 px (experiments/README.md,
"The shipped RGB U-Net on a biharmonic fill"). `make train-repair` now trains it that way
(`--fill biharmonic`: trained on Laplace's, saved on the biharmonic one); this script did the same
to the checkpoint that had shipped, without retraining it: the new file, its validation metrics and
the command in MANIFEST.json, the change recorded under "changes".

    PYTHONPATH=. .venv/bin/python scripts/refill_repairer.py checkpoints/repair_rgb biharmonic
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("fill")
    args = parser.parse_args()

    from gan_style.core import manifests, runtime
    from gan_style.qc.configs import RepairConfig
    from gan_style.qc.repair_eval import evaluate_repair
    from gan_style.qc.repair_trainer import on_fill

    runtime.quiet_tensorflow()
    directory = manifests.resolve(args.checkpoint)
    manifest = manifests.verify(directory)
    config = RepairConfig.from_dict({**manifest["config"], "fill": args.fill})
    repairer = manifests.load_model(directory, "repairer.keras")
    manifests.save_model(on_fill(repairer, config), directory / "repairer.keras")
    what = f"re-saved on the {args.fill} fill, weights unchanged (scripts/refill_repairer.py)"
    manifests.rehash(directory, ["repairer.keras"], what=what)
    metrics = evaluate_repair(manifests.load_model(directory, "repairer.keras"), config.domain,
                              num=200 if config.domain == "digits" else 100, baselines=False)
    command = manifest["command"] if "--fill" in manifest["command"] else f"{manifest['command']} --fill {args.fill}"
    manifests.update_manifest(directory, {"command": command, "config": config.to_dict(), "metrics": metrics},
                              what=f"{what}: its command, config and validation metrics")
    print(metrics)


if __name__ == "__main__":
    main()
