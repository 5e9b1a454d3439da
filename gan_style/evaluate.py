"""`python -m gan_style.evaluate dcgan [--num N] [--out FILE]`: measure a generator.

Prints classifier FID / score / label entropy of generated digits beside the same numbers for two
disjoint halves of the held-out real digits (the floor), and writes them as JSON with `--out`.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

TARGETS = {"classifier_score": 9.0, "label_entropy": 2.25}


def evaluate_dcgan(generator, num: int = 5000, seed: int = 1, data_dir=None,
                   classifier: str = "mnist_classifier") -> dict:
    """Metrics of `num` samples vs the held-out MNIST test split, using the shipped classifier."""
    from gan_style import checkpoints, data
    from gan_style.generate import sample_images
    from gan_style.metrics import ClassifierEvaluator

    model = checkpoints.load_model(classifier, "classifier.keras")
    test = data.load_arrays("mnist", "test", data_dir)
    held_out = data.to_signed_unit(test.images[..., None]).numpy()
    order = np.random.default_rng(0).permutation(len(held_out))  # halves mix every class
    report = ClassifierEvaluator(model).report(sample_images(generator, num, seed), held_out[order])
    report.update(held_out_source=test.source, classifier=classifier, sample_seed=seed)
    return report


def format_report(report: dict) -> str:
    """A small fixed-width table of the report."""
    rows = [f"{'':22s}{'generated':>12s}{'real halves':>13s}{'target':>9s}"]
    for key in ("fid", "classifier_score", "label_entropy"):
        target = TARGETS.get(key)
        rows.append(
            f"{key:22s}{report['generated'][key]:12.3f}{report['real_halves'][key]:13.3f}"
            f"{'' if target is None else f'>= {target}':>9s}"
        )
    rows.append(f"(FID on {report['fid_sample_size']} vs {report['fid_sample_size']} images; "
                f"score/entropy on {report['generated']['num_samples']} samples; "
                f"held-out data: {report['held_out_source']})")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_style.evaluate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    dcgan = sub.add_parser("dcgan", help="the DCGAN generator on MNIST")
    dcgan.add_argument("--checkpoint", default="dcgan_mnist", help="checkpoint name or folder")
    dcgan.add_argument("--num", type=int, default=5000, help="samples to draw (default 5000)")
    dcgan.add_argument("--seed", type=int, default=1)
    dcgan.add_argument("--data-dir", help="folder with MNIST IDX files")
    dcgan.add_argument("--out", help="write the report as JSON here")
    args = parser.parse_args(argv)
    if args.num < 4:
        parser.error(f"--num must be >= 4, got {args.num}")
    from gan_style import runtime

    runtime.quiet_tensorflow()
    from gan_style import checkpoints, io
    from gan_style.data import DataUnavailableError

    try:
        generator = checkpoints.load_model(args.checkpoint, "generator.keras")
        report = evaluate_dcgan(generator, args.num, args.seed, args.data_dir)
    except (checkpoints.CheckpointError, DataUnavailableError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_report(report))
    if args.out:
        io.write_text(args.out, json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
