"""The repair job as an Apache Beam pipeline: the same rows and PNGs as `python -m gan_style.repair`,
on any Beam runner (DirectRunner here; Dataflow, Flink or Spark on a cluster) and any Beam
filesystem (local, gs://, s3://, hdfs://). docs/scale.md says how to run it.

    patterns -> MatchAll -> Reshuffle -> ReadMatches -> check (decoded once for its shape and
         domain, a bad file: one error row; the file's bytes go on, not its pixels)
      -> key by (domain, shape, shard of the path) -> GroupByKey -> batches (`report.group_batches`:
         at most `batch_size` images and `report.BATCH_PIXELS` pixels, sorted by path) -> Reshuffle
      -> RunInference(`QCModelHandler`: the QC pipelines loaded once per worker; each batch
         decoded there; one pre-formed batch per call, so Beam's adaptive batching never changes a
         batch size)
      -> write the PNGs (`report.image_outputs`, `io.encode_png`; a temporary name, then a rename)
      -> `DIR/report.jsonl` (one row per input, one {"summary": ...} row; in no particular order)

The rows are the CLI's (`report.FIELDS`); output names are per file (`report.output_name`: the
stem and 16 hex digits of the input's path), since Beam sees one file at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

try:
    import apache_beam as beam
    from apache_beam.io import fileio
    from apache_beam.io.filesystem import BeamIOError, CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.ml.inference.base import ModelHandler, RunInference
except ImportError as exc:  # the optional extra
    raise ImportError("gan_style.scale needs Apache Beam: pip install 'gan-style[beam]' "
                      f"(apache-beam[tensorflow]>=2.69,<3); {exc}") from None

from gan_style.core.io import DEFAULT_MAX_PIXELS, ImageError, decode_image, encode_png, name_reason, to_domain
from gan_style.qc import report

REPORT_NAME = "report.jsonl"
UNCOMPRESSED = CompressionTypes.UNCOMPRESSED


@dataclass(frozen=True)
class Settings:
    """What the CLI's options set: the same names and defaults as `repair.repair_files`."""

    domain: str = "auto"
    threshold: float | None = None
    max_passes: int | None = None
    repair: bool = True
    max_pixels: int = DEFAULT_MAX_PIXELS
    batch_size: int = 64
    unmarked: str = "cell"
    texture: bool | None = None
    scales: tuple[int, ...] = (1,)
    checkpoints: str | None = None
    shards: int = 16  # keys per (domain, shape): that many workers can batch one shape's images

    def __post_init__(self):
        if self.domain not in ("auto", "digits", "rgb"):
            raise ValueError(f"domain must be auto, digits or rgb, got {self.domain!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.max_pixels < 1:
            raise ValueError(f"max_pixels must be >= 1, got {self.max_pixels}")
        if self.shards < 1:
            raise ValueError(f"shards must be >= 1, got {self.shards}")


@dataclass(frozen=True)
class Checked:
    """One readable input: its path, the sha256 of its bytes, its domain, the (H, W, 1|3) shape of
    its pixels and its bytes (compressed: what the shuffles carry; decoded again for the model)."""

    path: str
    sha256: str
    domain: str
    shape: tuple[int, ...]
    data: bytes

    @property
    def pixels(self) -> int:
        return self.shape[0] * self.shape[1]

    def shard(self, shards: int) -> int:
        """A stable shard of the path in [0, shards): the same in every worker process (not `hash`)."""
        return zlib.crc32(self.path.encode("utf-8", "surrogateescape")) % shards


class Pipelines:
    """The QC pipelines of one worker, {domain: `QCPipeline`}, each loaded on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.loaded: dict = {}

    def __getitem__(self, domain: str):
        if domain not in self.loaded:
            from gan_style.qc.pipeline import QCPipeline

            s = self.settings
            self.loaded[domain] = QCPipeline.from_pretrained(
                domain, threshold=s.threshold, unmarked=s.unmarked, texture=s.texture, scales=s.scales,
                checkpoints=local_checkpoints(s.checkpoints))
        return self.loaded[domain]


def local_checkpoints(root: str | None) -> str | None:
    """A checkpoints root a worker can load from: a local folder as it is; any other Beam path
    (gs://bucket/checkpoints) copied once per process into a temporary folder."""
    if root is None or FileSystems.get_scheme(root) in (None, "file"):
        return root
    if root not in _COPIES:
        local = tempfile.mkdtemp(prefix="gan_style_checkpoints_")
        prefix = root.rstrip("/") + "/"
        for match in FileSystems.match([prefix + "**"])[0].metadata_list:
            target = os.path.join(local, *match.path[len(prefix):].split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with FileSystems.open(match.path, compression_type=UNCOMPRESSED) as source, \
                    open(target, "wb") as handle:
                shutil.copyfileobj(source, handle)
        _COPIES[root] = local
    return _COPIES[root]


_COPIES: dict[str, str] = {}


class QCModelHandler(ModelHandler):
    """RunInference's model handler: `load_model` gives the worker's `Pipelines` (loaded once per
    worker process by RunInference); each example is one pre-formed batch (domain, [Checked]) of
    one shape, decoded here, and batching is fixed at one example (min = max = 1), so every image is scored in
    the batch `report.group_batches` made for it, as the CLI does. Predictions are (row, {kind:
    uint8 image}) per image, from `report.image_outputs`."""

    def __init__(self, settings: Settings):
        super().__init__(min_batch_size=1, max_batch_size=1)
        self.settings = settings

    def load_model(self) -> Pipelines:
        from gan_style.core import runtime

        runtime.quiet_tensorflow()
        pipelines = Pipelines(self.settings)
        if self.settings.domain != "auto":
            pipelines[self.settings.domain]  # noqa: B018 - load now, not in the first batch
        return pipelines

    def run_inference(self, batch, model: Pipelines, inference_args=None) -> Iterator[tuple[dict, dict]]:
        s = self.settings
        for domain, images in batch:
            raws = [decode_image(image.data, s.max_pixels, source=image.path) for image in images]
            x = np.stack([to_domain(raw, domain) for raw in raws])
            try:
                result = report.run_batch(model[domain], x, s.repair, s.max_passes, s.threshold)
            except Exception as exc:  # noqa: BLE001 - a missing checkpoint, memory: one line per image
                for image in images:
                    yield report.entry(image.path, error=report.failure(image.path, x.shape[1:], exc),
                                       sha256=image.sha256), {}
                continue
            for j, image in enumerate(images):
                yield report.image_outputs(result, j, source=image.path, domain=domain, raw=raws[j],
                                           image=x[j], repair=s.repair, sha256=image.sha256)

    def get_num_bytes(self, batch) -> int:
        return sum(len(image.data) for _, images in batch for image in images)

    def get_metrics_namespace(self) -> str:
        return "gan_style"


class _Decode(beam.DoFn):
    """ReadableFile -> `Checked` (decoded for its shape and domain, the pixels then dropped), or a
    report row (tagged "rows") for a file skipped or unusable."""

    def __init__(self, settings: Settings, out_dir: str):
        self.settings, self.out_dir = settings, out_dir

    def process(self, readable) -> Iterator:
        path = readable.metadata.path
        folder, name = FileSystems.split(path)
        reason = name_reason(name) or (report.OWN_OUTPUT_REASON if report.is_output_name(name)
                                       and _same_folder(folder, self.out_dir) else None)
        if reason:
            yield beam.pvalue.TaggedOutput("rows", report.entry(path, skipped=reason))
            return
        sha = None
        try:
            data = readable.read()
            raw = decode_image(data, self.settings.max_pixels, source=path)
            sha = hashlib.sha256(data).hexdigest()
            domain = report.judge_domain(raw, self.settings.domain, source=path)
        except ImageError as exc:
            yield beam.pvalue.TaggedOutput("rows", report.entry(path, error=str(exc), sha256=sha))
            return
        except (OSError, BeamIOError) as exc:
            yield beam.pvalue.TaggedOutput("rows", report.entry(path, error=f"{path}: {report.one_line(exc)}"))
            return
        yield Checked(path, sha, domain, raw.shape, data)


def _same_folder(a: str, b: str) -> bool:
    if FileSystems.get_scheme(a) is None and FileSystems.get_scheme(b) is None:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
    return a.rstrip("/") == b.rstrip("/")


def _batched(keyed, batch_size: int) -> Iterator[tuple[str, list[Checked]]]:
    """(key, images of one domain, shape and shard) -> (domain, batch) for each batch of
    `report.group_batches`, each sorted by path."""
    (domain, *_), images = keyed
    for batch in report.group_batches(images, key=lambda d: (d.domain, d.shape), pixels=lambda d: d.pixels,
                                      batch_size=batch_size):
        yield domain, sorted(batch, key=lambda d: d.path)


class _WriteOutputs(beam.DoFn):
    """(row, {kind: uint8 image}) -> the row with its output paths, the PNGs written through
    `FileSystems` to a temporary name and renamed (atomic where the filesystem renames atomically);
    a previous run's output of a kind this run does not write is deleted."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir

    def process(self, item) -> Iterator[dict]:
        row, images = item
        if row["error"]:
            yield row
            return
        try:
            name = report.output_name(row["input"])  # inside: one bad name is an error row, not a failed job
            for kind in report.OUTPUT_KINDS:
                target = FileSystems.join(self.out_dir, report.output_file(name, kind))
                if kind in images:
                    write_bytes(target, encode_png(images[kind]))
                    row[kind] = target
                elif FileSystems.exists(target):
                    FileSystems.delete([target])
        except (OSError, BeamIOError, ValueError) as exc:
            row["error"] = f"{row['input']}: cannot write outputs ({report.one_line(exc)})"
        yield row


def write_bytes(path: str, data: bytes) -> str:
    """Write `data` to any Beam path: to a hidden temporary name beside it, then renamed over it."""
    folder, name = FileSystems.split(path)
    temporary = FileSystems.join(folder, f".{name}.{uuid.uuid4().hex[:8]}")
    try:
        with FileSystems.create(temporary, compression_type=UNCOMPRESSED) as handle:
            handle.write(data)
        FileSystems.rename([temporary], [path])
    except BaseException:
        try:
            if FileSystems.exists(temporary):
                FileSystems.delete([temporary])
        except (OSError, BeamIOError):
            pass
        raise
    return path


class _Summary(beam.CombineFn):
    """The CLI's summary row ({"summary": counts}) from the rows, by `report.tally`."""

    def create_accumulator(self) -> dict:
        return report.tally(None)

    def add_input(self, counts: dict, row: dict) -> dict:
        for key, value in report.tally(row).items():
            counts[key] += value
        return counts

    def merge_accumulators(self, accumulators: Iterable[dict]) -> dict:
        total = report.tally(None)
        for counts in accumulators:
            for key, value in counts.items():
                total[key] += value
        return total

    def extract_output(self, counts: dict) -> dict:
        return {"summary": counts}


class RepairImages(beam.PTransform):
    """PCollection of file patterns (any Beam filesystem) -> PCollection of report rows (dicts
    with `report.FIELDS`: one per matched file), writing each image's PNGs into `out_dir` and the
    rows plus a summary row as JSON Lines to `out_dir/report.jsonl`."""

    def __init__(self, out_dir: str, settings: Settings | None = None, **options):
        super().__init__()
        self.out_dir = out_dir.rstrip("/") if len(out_dir) > 1 else out_dir
        self.settings = settings or Settings(**options)

    def expand(self, patterns):
        s = self.settings
        files = (patterns
                 | "Match" >> fileio.MatchAll()
                 | "Spread files" >> beam.Reshuffle()
                 | "Read" >> fileio.ReadMatches())
        decoded = files | "Decode" >> beam.ParDo(_Decode(s, self.out_dir)).with_outputs("rows", main="images")
        batches = (decoded.images
                   | "Key by shape" >> beam.Map(lambda d: ((d.domain, *d.shape, d.shard(s.shards)), d))
                   | "Group by shape" >> beam.GroupByKey()
                   | "Batch" >> beam.FlatMap(_batched, s.batch_size)
                   | "Spread batches" >> beam.Reshuffle())
        written = (batches
                   | "QC" >> RunInference(QCModelHandler(s))
                   | "Write images" >> beam.ParDo(_WriteOutputs(self.out_dir)))
        rows = (written, decoded.rows) | "Rows" >> beam.Flatten()
        summary = rows | "Summary" >> beam.CombineGlobally(_Summary())
        _ = ((rows, summary) | "Report rows" >> beam.Flatten()
             | "JSON" >> beam.Map(json.dumps)
             | "Report" >> beam.io.WriteToText(FileSystems.join(self.out_dir, REPORT_NAME), shard_name_template=""))
        return rows


def read_summary(report_path: str) -> dict:
    """The {"summary": counts} row of a finished run's `report.jsonl` (any Beam filesystem): its counts."""
    with FileSystems.open(report_path, compression_type=UNCOMPRESSED) as handle:
        for line in handle.read().decode("utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "summary" in row:
                return row["summary"]
    raise OSError(f"{report_path} has no summary row")


def unknown_beam_args(args: list[str]) -> list[str]:
    """The arguments in `args` that no Beam PipelineOptions class knows (`--treshold 0.5`: a typo
    Beam would otherwise drop with a log line), and bare words that follow no option."""
    from apache_beam.options.pipeline_options import PipelineOptions

    options = PipelineOptions(args)
    known = set(options.get_all_options(retain_unknown_options=False))
    unknown = [f"--{name}" for name in options.get_all_options(retain_unknown_options=True) if name not in known]
    bare = [arg for i, arg in enumerate(args)
            if not arg.startswith("-") and (i == 0 or not args[i - 1].startswith("-") or "=" in args[i - 1])]
    return unknown + bare


def run(patterns: list[str], out_dir: str, settings: Settings | None = None, options=None, runner=None) -> str:
    """Build and run the pipeline (`runner`, else `options`' --runner, else the DirectRunner)
    until it finishes; returns the report's path."""
    with beam.Pipeline(runner=runner, options=options) as pipeline:
        _ = pipeline | "Patterns" >> beam.Create(list(patterns)) | RepairImages(out_dir, settings)
    return FileSystems.join(out_dir, REPORT_NAME)
