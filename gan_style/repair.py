"""`python -m gan_style.repair INPUT... --out DIR`: score generated images, locate abnormal
regions, repair them, score again, and report.

For each input it writes `DIR/<name>.repaired.png`, `DIR/<name>.mask.png` (0/255, input size: the
abnormal regions), `DIR/<name>.overlay.png` (heat map over the image) and, for a rejected image
whose best repair scored higher than the input, `DIR/<name>.attempt.png`. `<name>` is the input's
stem, or, when two inputs share a stem, their paths joined with `__` (recorded in the report). A
rejected image's `repaired.png` is the input unchanged. The report is written as the run goes
(`DIR/report.jsonl`: one JSON row per image as it finishes, then a summary row) and at the end
(`DIR/report.json`, or --report: a list with one object per input and per skipped path).

Every output path is resolved before any work: no path is written twice in a run, and no input
is ever written (not by --report either): a clash is a usage error. A lock refuses a second run
into the same folder while one is going. A stopped run (Ctrl-C: exit 130, SIGTERM: 143) keeps
every finished image; `--resume` redoes only the unfinished ones. Exit status: 0 when every input
was processed, 1 when some failed (each with its one-line `error`; the others are still
written), 2 on usage errors. docs/repair.md gives the whole contract.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_style.core import cli
from gan_style.core.io import (
    DEFAULT_MAX_PIXELS,
    ImageError,
    output_names,
    read_image,
    scan_inputs,
    sha256_file,
    to_domain,
    writable_folder,
    write_png,
    write_text,
)
from gan_style.qc.report import (  # noqa: F401 - FIELDS, OUTPUT_KINDS, overlay, digit_note: the job's API here too
    FIELDS,
    OUTPUT_KINDS,
    OWN_OUTPUT,
    OWN_OUTPUT_REASON,
    add_qc_options,
    digit_note,
    entry,
    failure,
    group_batches,
    image_outputs,
    is_output_name,
    judge_domain,
    one_line,
    output_file,
    overlay,
    qc_settings,
    run_batch,
    summary,
)

LOCK_NAME = ".gan_style.repair.lock"
STALE_TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}$")  # io.atomic_path's private folders


class UsageError(ValueError):
    """The run cannot start as asked (an output path clashes with an input or another output)."""


class RunLocked(RuntimeError):
    """Another run holds the output folder."""


class Interrupted(BaseException):  # noqa: N818 - a stop, not an error; no `except Exception` swallows it
    """The run was stopped by a signal; `code` is the exit status (128 + signal number)."""

    def __init__(self, code: int, done: int = 0, total: int = 0, report: Path | None = None):
        super().__init__(f"interrupted ({code})")
        self.code, self.done, self.total, self.report = code, done, total, report


def _real(path: str | os.PathLike) -> str:
    return os.path.normcase(os.path.realpath(path))


# ---------------------------------------------------------------------------------------------
# planning: every path the run will write, checked before any work


def journal_path(report: Path) -> Path:
    """The JSON Lines report beside the final one: `report.json` -> `report.jsonl`."""
    report = Path(report)
    if report.suffix.lower() == ".json":
        return report.with_suffix(".jsonl")
    return report.with_name(report.name + ".jsonl")


@dataclass
class Plan:
    """The inputs of a run and every path it may write."""

    paths: list[Path]
    names: list[str]
    skipped: list[tuple[Path, str]]
    out_dir: Path
    report: Path
    journal: Path

    def output(self, index: int, kind: str) -> Path:
        return self.out_dir / output_file(self.names[index], kind)


def plan_run(inputs: list, out_dir: str | Path, report: str | Path | None = None) -> Plan:
    """Expand the inputs and resolve every output path; raise `UsageError` (one line) when an
    output, the report or its JSON Lines file would be an input or another output.

    Files in a folder (or pattern) that is also `out_dir` and are named like this tool's outputs
    are skipped (an in-place rerun does not take its own outputs as inputs); every path a folder
    held that is not processed is returned in `skipped` with its reason. An input given twice is
    processed once."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} exists and is not a directory")
    out_real = _real(out_dir)

    def own_output(path: Path) -> str | None:
        if _real(path.parent) == out_real and is_output_name(path.name):
            return OWN_OUTPUT_REASON
        return None

    found, skipped = scan_inputs(inputs, skip=own_output)
    paths, seen = [], set()
    for path in found:
        if _real(path) not in seen:
            seen.add(_real(path))
            paths.append(path)
    plan = Plan(paths, output_names(paths), skipped, out_dir,
                Path(report) if report else out_dir / "report.json", Path())
    plan.journal = journal_path(plan.report)
    writes: dict[str, str] = {}
    for index, path in enumerate(paths):
        for kind in OUTPUT_KINDS:
            writes[_real(plan.output(index, kind))] = f"the {kind} output of {path}"
    for target, what in ((plan.report, "--report"), (plan.journal, "the JSON Lines report")):
        if target.is_dir():
            raise UsageError(f"{what} {target} is a directory")
        if _real(target) in writes:
            raise UsageError(f"{what} {target} is also {writes[_real(target)]}; choose another path")
        writes[_real(target)] = what
    by_name = {_real(p): p for p in paths}
    by_inode = {}
    for path in paths:
        with contextlib.suppress(OSError):
            info = path.stat()
            by_inode[info.st_dev, info.st_ino] = path
    for target, what in writes.items():
        source = by_name.get(target)
        if source is None:
            with contextlib.suppress(OSError):
                info = os.stat(target)
                source = by_inode.get((info.st_dev, info.st_ino))
        if source is not None:
            raise UsageError(f"{what} ({target}) would overwrite the input {source}; refusing "
                             "(choose another --out or --report)")
    return plan


# ---------------------------------------------------------------------------------------------
# the run's folder: lock, stale temporary files, JSON Lines journal


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold an exclusive lock on `folder` (a `flock` on a hidden file in it) for the block, or
    raise `RunLocked` at once if another run holds it. The kernel drops the lock when its process
    dies, SIGKILL included, so a stale lock file never blocks a later run; the file is removed
    when the block ends."""
    import fcntl

    writable_folder(folder)  # a new user read "[Errno 1] ... /.gan_style.repair.lock" as a bug
    path = folder / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise RunLocked(f"{folder} is in use by another gan_style.repair run"
                            f"{f' (pid {holder})' if holder.isdigit() else ''}; wait for it to finish "
                            "or choose another --out") from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:  # not a file a finishing run just removed
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def clean_stale_temps(folder: Path) -> int:
    """Remove the private folders `io.atomic_path` leaves when a process is killed mid-write
    (`.NAME.XXXXXXXX/` holding at most `NAME`); returns how many. Call it holding the lock."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            match = STALE_TEMP.match(entry.name)
            if not match or entry.is_symlink() or not entry.is_dir():
                continue
            if all(f.name == match["name"] for f in entry.iterdir()):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


class Journal:
    """The JSON Lines report: one row per finished image, appended as it finishes (a killed run
    loses at most the images in flight), then `{"summary": ...}`. Rows carry the input's sha256
    and the run's settings, so `--resume` can tell which images are done."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.previous = self.read(path) if resume else []
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if resume else os.O_TRUNC)
        self.fd = os.open(path, flags, 0o644)
        if resume and path.stat().st_size:
            with open(path, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":  # a row cut by a kill: end it
                    os.write(self.fd, b"\n")

    @staticmethod
    def read(path: Path) -> list[dict]:
        rows = []
        with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                with contextlib.suppress(ValueError):
                    row = json.loads(line)
                    if isinstance(row, dict):
                        rows.append(row)
        return rows

    def write(self, row: dict) -> None:
        os.write(self.fd, (json.dumps(row) + "\n").encode())

    def close(self) -> None:
        os.close(self.fd)

    def finished(self, plan: Plan, settings: str) -> dict[int, dict]:
        """{input index: its row} of the previous rows that need no redo: processed without error
        under the same settings, the input unchanged (sha256), every output it names present
        and where this run would write it."""
        index = {_real(p): i for i, p in enumerate(plan.paths)}
        done = {}
        for row in self.previous:
            i = index.get(_real(row["input"])) if isinstance(row.get("input"), str) else None
            if i is None or row.get("error") or row.get("skipped") or row.get("settings") != settings:
                continue
            outputs = {kind: row.get(kind) for kind in OUTPUT_KINDS}
            if any(value is not None and (value != str(plan.output(i, kind)) or not Path(value).is_file())
                   for kind, value in outputs.items()):
                continue
            try:
                if sha256_file(plan.paths[i]) != row.get("sha256"):
                    continue
            except OSError:
                continue
            done[i] = {key: row.get(key) for key in FIELDS}
        return done


# ---------------------------------------------------------------------------------------------
# images


def _batches(paths: list[Path], todo: list[int], domain: str, batch_size: int, max_pixels: int,
             errors: dict, hashes: dict) -> Iterator:
    """Read the images `todo` in order and group consecutive ones of one shape and domain into
    batches (`report.group_batches`: at most `batch_size` images and `report.BATCH_PIXELS`
    pixels): yields (indices, domain, float32 batch (B, H, W, C), [uint8 input (H, W, 1|3)]). An
    image larger than a tile is a batch of its own (run in tiles). Unreadable or too small files
    go to `errors`, sha256s to `hashes`."""

    def readable() -> Iterator[tuple[int, str, np.ndarray, np.ndarray]]:
        for index in todo:
            path = paths[index]
            try:
                raw = read_image(path, max_pixels)
                hashes[index] = sha256_file(path)
                image_domain = judge_domain(raw, domain, source=path)
            except (ImageError, OSError) as exc:
                errors[index] = str(exc) if isinstance(exc, ImageError) else f"{path}: {one_line(exc)}"
                continue
            yield index, image_domain, to_domain(raw, image_domain), raw

    for group in group_batches(readable(), key=lambda item: (item[2].shape, item[1]),
                               pixels=lambda item: item[3].shape[0] * item[3].shape[1], batch_size=batch_size):
        indices, domains, images, raws = (list(column) for column in zip(*group, strict=True))
        del group
        yield indices, domains[0], _stacked(images), raws


def _stacked(images: list[np.ndarray]) -> np.ndarray:
    """(B, H, W, C); one image is a view of itself, not a copy (large images: one float copy)."""
    return images[0][None] if len(images) == 1 else np.stack(images)


def stream(paths: list[Path], domain: str = "auto", batch_size: int = 64, max_pixels: int = DEFAULT_MAX_PIXELS,
           errors: dict | None = None) -> Iterator:
    """(indices, domain, float32 batch) for every readable image of `paths`, one batch held at a
    time whatever the number of files; unreadable ones go to `errors`."""
    errors = {} if errors is None else errors
    for indices, batch_domain, batch, _ in _batches(paths, list(range(len(paths))), domain, batch_size,
                                                    max_pixels, errors, {}):
        yield indices, batch_domain, batch


def _settings_key(**settings) -> str:
    """sha256 of the settings that change an image's outputs, with the shipped checkpoints' digests."""
    from gan_style.core import checkpoints

    files = {}
    for name in ("quality_digits", "quality_rgb", "repair_digits", "repair_rgb"):
        with contextlib.suppress(checkpoints.CheckpointError, OSError):
            files[name] = checkpoints.read_manifest(name).get("files")
    text = json.dumps({**settings, "checkpoints": files}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _finish(plan: Plan, i: int, j: int, domain: str, result, raw: np.ndarray, x: np.ndarray, repair: bool,
            sha: str | None) -> dict:
    """Write image i's outputs (batch position j, `report.image_outputs`) and return its report row."""
    path = plan.paths[i]
    row, files = image_outputs(result, j, source=path, domain=domain, raw=raw, image=x, repair=repair, sha256=sha)
    try:
        for kind in OUTPUT_KINDS:
            target = plan.output(i, kind)
            if kind in files:
                write_png(target, files[kind])
                row[kind] = str(target)
            elif target.is_file():  # a previous run's, which this run does not stand behind
                target.unlink()
    except OSError as exc:
        row["error"] = f"{path}: cannot write outputs ({one_line(exc)})"
    return row


def repair_files(inputs: list, out_dir: str | Path, domain: str = "auto", threshold: float | None = None,
                 max_passes: int | None = None, repair: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS,
                 batch_size: int = 64, pipelines: dict | None = None, unmarked: str = "cell",
                 texture: bool | None = None, scales: tuple[int, ...] = (1,), report: str | Path | None = None,
                 resume: bool = False, progress=None, stop_requested=None) -> list[dict]:
    """Run the QC pipeline on image files; write the outputs, the JSON Lines report and the
    final report (`report`, default `out_dir/report.json`); return the report (one dict per
    input, in order, then one per skipped path).

    pipelines: domain -> QCPipeline (default: `QCPipeline.from_pretrained` with `unmarked`,
    `texture` (None: on for RGB) and `scales` (`qc.pipeline.RGB_SCALES`: `--multi-scale`), loaded on first use).
    max_passes: None = the pipeline's (`qc.pipeline.MAX_PASSES` for shipped ones). resume: keep the rows of
    a previous run (its JSON Lines report) whose input, settings and outputs are unchanged.
    progress: callable(done, total) called after each batch. stop_requested: callable -> exit
    status or None, asked before each batch (`main` sets it from SIGINT/SIGTERM). Raises `UsageError` before any work
    when an output path clashes, `RunLocked` when another run holds the folder, `Interrupted`
    (after writing the report of what finished) on SIGINT or SIGTERM (see `main`).
    """
    plan = plan_run(inputs, out_dir, report)
    settings = {"domain": domain, "threshold": threshold, "max_passes": max_passes, "repair": repair,
                "unmarked": unmarked, "texture": texture, "scales": list(scales)}
    folders = sorted({_real(plan.out_dir): plan.out_dir, _real(plan.report.parent): plan.report.parent}.items())
    with contextlib.ExitStack() as stack:
        for _, folder in folders:
            stack.enter_context(folder_lock(folder))
            clean_stale_temps(folder)
        return _run(plan, settings, resume, domain, threshold, max_passes, repair, max_pixels, batch_size,
                    pipelines, unmarked, texture, scales, progress, stop_requested or (lambda: None))


def _run(plan, settings, resume, domain, threshold, max_passes, repair, max_pixels, batch_size, pipelines,
         unmarked, texture, scales, progress, stop_requested) -> list[dict]:
    from gan_style.qc.pipeline import QCPipeline

    key = _settings_key(**settings) if pipelines is None else None
    journal = Journal(plan.journal, resume)
    rows: dict[int, dict] = journal.finished(plan, key) if resume and key else {}
    todo = [i for i in range(len(plan.paths)) if i not in rows]
    pipelines = {} if pipelines is None else pipelines
    errors: dict[int, str] = {}
    hashes: dict[int, str] = {}

    def record(i: int, row: dict) -> None:
        rows[i] = row
        journal.write({**row, "settings": key})

    def flush_errors() -> None:
        for i in list(errors):
            record(i, entry(plan.paths[i], error=errors.pop(i), sha256=hashes.get(i)))

    try:
        try:
            if stop_requested():
                raise Interrupted(stop_requested())
            for indices, batch_domain, batch, raws in _batches(plan.paths, todo, domain, batch_size, max_pixels,
                                                               errors, hashes):
                flush_errors()
                if stop_requested():  # the batch read is dropped; what finished is kept
                    raise Interrupted(stop_requested())
                try:
                    if batch_domain not in pipelines:
                        pipelines[batch_domain] = QCPipeline.from_pretrained(
                            batch_domain, threshold=threshold, unmarked=unmarked, texture=texture, scales=scales)
                    result = run_batch(pipelines[batch_domain], batch, repair, max_passes, threshold)
                except Exception as exc:  # noqa: BLE001 - a missing checkpoint, memory: one line per image
                    if stop_requested():  # a second signal, raised inside TensorFlow and wrapped by it
                        raise Interrupted(stop_requested()) from None
                    for i in indices:
                        errors[i] = failure(plan.paths[i], batch.shape[1:], exc)
                    flush_errors()
                    continue
                for j, i in enumerate(indices):
                    record(i, _finish(plan, i, j, batch_domain, result, raws[j], batch[j], repair, hashes.get(i)))
                del result, batch, raws
                if progress is not None:
                    progress(len(rows), len(plan.paths))
                if stop_requested():
                    raise Interrupted(stop_requested())
            flush_errors()
        finally:
            final = [rows[i] for i in sorted(rows)]
            final += [entry(path, skipped=reason) for path, reason in plan.skipped]
            stopped = len(rows) < len(plan.paths)
            with _signals_ignored():
                journal.write({"summary": {**summary(final), "interrupted": stopped}})
                journal.close()
                write_text(plan.report, json.dumps(final, indent=2) + "\n")
    except KeyboardInterrupt:
        raise Interrupted(130, len(rows), len(plan.paths), plan.report) from None
    except Interrupted as exc:
        raise Interrupted(exc.code, len(rows), len(plan.paths), plan.report) from None
    return final


@contextlib.contextmanager
def _signals_ignored():
    """SIGINT and SIGTERM held off while the report is written (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------------------------------------
# the CLI


def build_parser() -> argparse.ArgumentParser:
    parser = cli.parser("python -m gan_style.repair", __doc__)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, directories or globs")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    add_qc_options(parser)
    parser.add_argument("--report", help="final JSON report path (default DIR/report.json; rows are also "
                                         "appended to the same name with .jsonl as the run goes)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the images a previous run into DIR finished (same input bytes, settings "
                             "and outputs) and process only the rest")
    return parser


class _StopSignals:
    """SIGINT/SIGTERM for the CLI: the first asks the run to stop after the batch in hand (what
    finished is kept and reported); a second stops at once."""

    def __init__(self):
        self.code = None

    def __call__(self):
        return self.code

    def handle(self, signum, frame):
        if self.code is not None:
            raise Interrupted(128 + signum)
        self.code = 128 + signum

    @contextlib.contextmanager
    def installed(self):
        saved = {s: signal.signal(s, self.handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)


def times_threshold(row: dict) -> str:
    """The returned picture's score (`score_after`, else `score_before`) as a multiple of the row's
    threshold: "2.2x", "17x"."""
    score = row["score_before"] if row["score_after"] is None else row["score_after"]
    ratio = score / row["threshold"]
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # before TensorFlow is imported: usage errors are instant
    try:
        plan = plan_run(args.inputs, args.out, args.report)
    except UsageError as exc:
        parser.error(str(exc))
    if not plan.paths:
        parser.error("no input images found in " + " ".join(args.inputs))
    stop = _StopSignals()
    progress = cli.Progress("images")

    try:
        with stop.installed():
            from gan_style.core import runtime

            runtime.quiet_tensorflow()
            report = repair_files(args.inputs, args.out, **qc_settings(args), report=args.report,
                                  resume=args.resume, progress=progress, stop_requested=stop)
    except (KeyboardInterrupt, Interrupted) as exc:
        code = exc.code if isinstance(exc, Interrupted) else 130
        name = "SIGTERM" if code == 143 else "SIGINT" if code == 130 else f"signal {code - 128}"
        if isinstance(exc, Interrupted) and exc.report is not None:
            print(f"interrupted by {name}: {exc.done} of {exc.total} images done, report: {exc.report}; "
                  "rerun with --resume to finish the rest", file=sys.stderr)
        else:
            print(f"interrupted by {name} before any image was done", file=sys.stderr)
        return code
    except UsageError as exc:
        parser.error(str(exc))
    except (OSError, RuntimeError, ValueError) as exc:  # e.g. the report's folder is not writable
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    failed = [row for row in report if row["error"]]
    for row in report:
        if row["skipped"]:
            print(f"skipped: {row['input']}: {row['skipped']}", file=sys.stderr)
    for row in failed:
        print(f"error: {row['error']}", file=sys.stderr)
    for row in report:
        if not row["error"] and not row["skipped"]:
            after = "" if row["score_after"] is None else f" -> {row['score_after']:.3f}"
            # a row resumed from an older run's report.jsonl may predate the threshold field
            # the threshold, not a verdict: a new user read "(abnormal under 0.042)" on a clean picture as one;
            # and the returned picture's score as a multiple of it: a clean photo's 0.012 reads as bad on its own
            under = "" if row["threshold"] is None else (
                f" (threshold {row['threshold']:.3g}, {times_threshold(row)})")
            print(f"{row['input']}: {row['domain']} score {row['score_before']:.3f}{after}{under}, "
                  f"{len(row['regions'])} region(s), {row['passes']} pass(es), {row['outcome']}")
    s = summary(report)
    print(f"{s['processed']} of {s['inputs']} processed: {s['flagged']} flagged, {s['repaired']} repaired, "
          f"{s['accepted']} accepted, {s['rejected']} rejected; {s['failed']} failed, {s['skipped']} skipped; "
          f"report: {Path(args.report) if args.report else Path(args.out) / 'report.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
