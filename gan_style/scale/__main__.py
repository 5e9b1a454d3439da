"""`python -m gan_style.scale INPUT_GLOB... --out DIR [--runner RUNNER] [Beam options]`: the repair
job as an Apache Beam pipeline: for every file the patterns match, the rows and PNGs that
`python -m gan_style.repair` writes (names: `report.output_name`), and `DIR/report.jsonl`.

The job's options are the repair CLI's (`qc.report.add_qc_options`); every option this parser does
not know goes to Beam's `PipelineOptions` (`--project`, `--region`, `--temp_location` for
Dataflow; `--flink_master` for Flink; `--direct_num_workers 2 --direct_running_mode
multi_processing` here); an option neither knows is a usage error. Exit status, as the repair
CLI's: 0 when every image was processed or skipped, 1 when the pipeline failed, any image failed
(a row with an `error`) or a local --out cannot be written, 2 on usage errors (no input image
among the matches included) or without the Beam extra. docs/scale.md.
"""

from __future__ import annotations

import argparse
import sys

from gan_style.core import cli
from gan_style.core.io import writable_folder
from gan_style.qc.report import add_qc_options, qc_settings


def build_parser() -> argparse.ArgumentParser:
    parser = cli.parser(
        "python -m gan_style.scale", __doc__, allow_abbrev=False,
        epilog="Other options go to Beam's PipelineOptions (docs/scale.md).")
    parser.add_argument("inputs", nargs="+", metavar="INPUT_GLOB",
                        help="file patterns on any Beam filesystem (local, gs://, s3://, hdfs://)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (local or a Beam path)")
    add_qc_options(parser)
    parser.add_argument("--checkpoints", metavar="DIR",
                        help="folder of the checkpoint folders (local, or a Beam path each worker copies "
                             "once; default: $GAN_STYLE_CHECKPOINTS, else the repository's checkpoints/)")
    parser.add_argument("--shards", type=int, default=16,
                        help="keys per (domain, image shape) to batch under: that many workers "
                             "can share one shape's images; 1 batches them as the repair CLI does")
    parser.add_argument("--runner", default="DirectRunner",
                        help="DirectRunner, DataflowRunner, FlinkRunner, SparkRunner, PortableRunner...")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    try:
        from gan_style.scale import beam as scale_beam
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from apache_beam.options.pipeline_options import PipelineOptions

    unknown = scale_beam.unknown_beam_args(beam_args)
    if unknown:
        print(f"error: unrecognized arguments: {' '.join(unknown)} (options of neither this job nor Beam's "
              "PipelineOptions)", file=sys.stderr)
        return 2
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    if args.shards < 1:
        parser.error(f"--shards must be >= 1, got {args.shards}")
    if "://" not in args.out:  # a local folder: say now, in one line, what Beam would say in 30
        try:
            writable_folder(args.out)
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    settings = scale_beam.Settings(**qc_settings(args), checkpoints=args.checkpoints, shards=args.shards)
    options = PipelineOptions([f"--runner={args.runner}", *beam_args])
    try:
        report = scale_beam.run(args.inputs, args.out, settings, options)
        counts = scale_beam.read_summary(report)
    except Exception as exc:  # noqa: BLE001 - the runner's failure, in one line
        lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        print(f"error: the pipeline failed: {lines[-1].strip()[:300]}", file=sys.stderr)
        return 1
    if not counts["inputs"]:  # as the repair CLI: nothing to do is a usage error
        print(f"error: no input images found in {' '.join(args.inputs)} ({counts['skipped']} skipped, "
              f"each with its reason in {report}; a folder is not a pattern: DIR/*)", file=sys.stderr)
        return 2
    print(f"{counts['processed']} of {counts['inputs']} processed: {counts['flagged']} flagged, "
          f"{counts['repaired']} repaired, {counts['accepted']} accepted, {counts['rejected']} rejected; "
          f"{counts['failed']} failed, {counts['skipped']} skipped; report: {report}")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
