"""`python -m gan_style.train {dcgan,classifier,quality,style,repair} [FLAGS]`: train a model and
write its checkpoint; `python -m gan_style.train quality-average [--out DIR] FIRST SECOND`: the mean
of two quality checkpoints' weights, written and measured like a trained one.

Each subcommand has one flag per field of its trainer's config dataclass (defaults: the recipe of
the shipped checkpoint; the Makefile's targets give the exact commands). A run trains, saves the
float32 `.keras` files, evaluates them and writes MANIFEST.json (config, metrics, git commit,
library versions) into --out. `python -m gan_style.train WHAT --help` lists the flags;
docs/training.md gives the recipes and their time budgets. Exit status: 0 written, 1 on a bad
--init, missing data or a config error (one line), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys

from gan_style.core import checkpoints, cli, runtime
from gan_style.core.data import DataUnavailableError
from gan_style.gan.configs import ClassifierConfig, DCGANConfig
from gan_style.qc.configs import QualityConfig, RepairConfig
from gan_style.style.configs import StyleConfig


def _add_fields(parser: argparse.ArgumentParser, config_cls) -> None:
    """One --flag per dataclass field, typed and defaulted from the dataclass."""
    for field in dataclasses.fields(config_cls):
        if str(field.type) not in ("int", "float", "str", "bool"):
            continue  # tuples and other structured fields keep their defaults
        flag = "--" + field.name.replace("_", "-")
        if field.type in (bool, "bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default,
                                help=f"{config_cls.__name__}.{field.name}")
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(field.type), field.type)
            parser.add_argument(flag, type=kind, default=field.default, help=f"{config_cls.__name__}.{field.name}")


def _config(config_cls, args: argparse.Namespace):
    """A config dataclass from the parsed flags that `_add_fields` made for it."""
    names = [f.name for f in dataclasses.fields(config_cls) if hasattr(args, f.name)]
    return config_cls(**{name: getattr(args, name) for name in names})


def build_parser() -> argparse.ArgumentParser:
    """The train CLI's parser: one subcommand per model, one flag per field of its config."""
    parser = cli.parser("python -m gan_style.train", __doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    dcgan = sub.add_parser("dcgan", help="DCGAN on MNIST -> checkpoints/dcgan_mnist")
    dcgan.add_argument("--out", default="checkpoints/dcgan_mnist", help="checkpoint folder to write")
    dcgan.add_argument("--work-dir", default="runs/dcgan_mnist", help="backups, logs, per-epoch grids")
    dcgan.add_argument("--steps-per-epoch", type=int, default=None,
                       help="optimizer steps per epoch (default: one pass over the training digits)")
    dcgan.add_argument("--strategy", default="default", choices=["default", "mirrored", "multiworker"],
                       help="tf.distribute strategy: one device, every local GPU, or several machines")
    dcgan.add_argument("--time-limit", type=float, default=None, metavar="MINUTES",
                       help="stop after the first epoch that ends past this many minutes of training")
    dcgan.add_argument("--no-evaluate", action="store_true", help="skip the classifier metrics")
    classifier = sub.add_parser("classifier", help="MNIST evaluation classifier -> checkpoints/mnist_classifier")
    classifier.add_argument("--out", default="checkpoints/mnist_classifier", help="checkpoint folder to write")
    _add_fields(classifier, ClassifierConfig)
    quality = sub.add_parser("quality", help="quality regressor -> checkpoints/quality_<domain>")
    quality.add_argument("--out", help="checkpoint folder to write (default: checkpoints/quality_<domain>)")
    average = sub.add_parser("quality-average", help="mean of two quality regressors' weights -> --out")
    average.add_argument("first", help="a quality checkpoint folder or name")
    average.add_argument("second", help="another one of the same architecture (trained from the first)")
    average.add_argument("--out", default="checkpoints/quality_rgb", help="checkpoint folder to write")
    style = sub.add_parser("style", help="fusion-style decoder + PatchGAN -> checkpoints/fusion_style")
    style.add_argument("--out", default="checkpoints/fusion_style", help="checkpoint folder to write")
    style.add_argument("--content-dir", help="more content pictures (any PNG/JPEG/BMP/GIF/WebP)")
    style.add_argument("--style-dir", help="more style pictures")
    style.add_argument("--time-limit", type=float, default=None, metavar="MINUTES",
                       help="stop after the first epoch that ends past this many minutes of training")
    style.add_argument("--no-evaluate", action="store_true", help="skip the style metrics")
    style.add_argument("--work-dir", help="backups and log.csv: a killed run, started again, resumes")
    repair = sub.add_parser("repair", help="repair U-Net -> checkpoints/repair_<domain>")
    repair.add_argument("--out", help="checkpoint folder to write (default: checkpoints/repair_<domain>)")
    for p in (dcgan, classifier, quality, style, repair):
        p.add_argument("--data-dir", help="folder with MNIST IDX files")
        p.add_argument("--download", action="store_true", help="let tensorflow-datasets download MNIST")
        p.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                       help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line per epoch")
    _add_fields(repair, RepairConfig)

    _add_fields(style, StyleConfig)
    _add_fields(dcgan, DCGANConfig)
    _add_fields(quality, QualityConfig)
    return parser


# the files a run started from `--init` loads from that checkpoint
INIT_FILES = {"quality": ("regressor.keras",), "style": ("decoder.keras", "discriminator.keras")}

CONFIGS = {"dcgan": DCGANConfig, "classifier": ClassifierConfig, "quality": QualityConfig, "style": StyleConfig,
           "repair": RepairConfig}


def parse_config(argv: list[str]):
    """(parsed arguments, the config they give) for a train command line (`argv` after
    `python -m gan_style.train`): today's defaults plus its flags."""
    args = build_parser().parse_args(argv)
    return args, _config(CONFIGS[args.what], args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    command = "python -m gan_style.train " + shlex.join(argv)
    if args.what == "quality-average":
        return _average(args, command)
    try:
        config = _config(CONFIGS[args.what], args)
        if getattr(config, "init", ""):  # before TensorFlow, data or training: a bad --init fails at once
            checkpoints.verify(config.init, require=INIT_FILES[args.what])
    except (ValueError, checkpoints.CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    runtime.quiet_tensorflow()  # arguments checked; before the trainers import TensorFlow

    try:
        if args.what == "dcgan":
            from gan_style.gan.trainer import train_dcgan

            manifest = train_dcgan(
                config, args.out, args.work_dir, data_dir=args.data_dir, download=args.download,
                strategy=args.strategy, steps_per_epoch=args.steps_per_epoch, time_limit_minutes=args.time_limit,
                evaluate=not args.no_evaluate, command=command, verbose=args.verbose,
            )
        elif args.what == "quality":
            from gan_style.qc.regressor_trainer import train_quality

            args.out = args.out or f"checkpoints/quality_{config.domain}"
            manifest = train_quality(config, args.out, command, args.verbose)
        elif args.what == "repair":
            from gan_style.qc.repair_trainer import train_repair

            args.out = args.out or f"checkpoints/repair_{config.domain}"
            manifest = train_repair(config, args.out, command, args.verbose)
        elif args.what == "style":
            from gan_style.style.trainer import train_style

            manifest = train_style(config, args.out, args.content_dir, args.style_dir, args.time_limit, command,
                                   args.verbose, evaluate=not args.no_evaluate, work_dir=args.work_dir)
        else:
            from gan_style.gan.classifier_trainer import train_classifier

            manifest = train_classifier(config, args.out, args.data_dir, args.download, command, args.verbose)
    except (DataUnavailableError, ValueError, checkpoints.CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} in {manifest['wall_time_s']} s; metrics: {manifest['metrics']}")
    return 0


def _average(args: argparse.Namespace, command: str) -> int:
    """`quality-average`: exit 0 written, 1 with a one-line error (missing or altered checkpoint,
    different architectures, one checkpoint twice)."""
    try:
        for checkpoint in (args.first, args.second):
            checkpoints.verify(checkpoint, require=INIT_FILES["quality"])
        runtime.quiet_tensorflow()
        from gan_style.qc.regressor_trainer import average_quality

        manifest = average_quality(args.first, args.second, args.out, command)
    except (DataUnavailableError, ValueError, checkpoints.CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} in {manifest['wall_time_s']} s; threshold {manifest['threshold']:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
