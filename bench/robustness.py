"""Issue 31's "done means" measurements of `python -m gan_style.repair`, run as a user would.

    python -m bench.robustness fuzz --files 1000     fuzzed files through one CLI run: tracebacks,
                                                     inputs changed, files missing from the report
    python -m bench.robustness kills --kills 10      a 60-image run SIGKILLed at random points while
                                                     it processes images, resumed each time, then
                                                     finished: rows for every finished image,
                                                     valid outputs, temp files left, images redone

Each prints one JSON object (and writes it with --out).
"""

from __future__ import annotations

import argparse
import hashlib
import io as _io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
SUFFIXES = (".png", ".jpg", ".bmp", ".gif", ".jpeg")


def _encoded(array: np.ndarray, fmt: str) -> bytes:
    from PIL import Image

    buffer = _io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def fuzzed_bytes(rng: np.random.Generator) -> bytes:
    """One fuzzed file: a valid image of 1-96 px a side in a random mode and format, or one cut
    short, with bytes flipped or inserted, or random bytes, or empty."""
    height, width = (int(v) for v in rng.integers(1, 97, 2))
    channels = int(rng.choice([1, 3, 4]))
    shape = (height, width) if channels == 1 else (height, width, channels)
    fmt = str(rng.choice(["PNG", "BMP", "GIF", "JPEG"])) if channels != 4 else "PNG"
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    if rng.random() < 0.3:  # smooth pictures too, not only noise
        pixels = np.sort(pixels, axis=1)
    data = bytearray(_encoded(pixels, fmt))
    kind = rng.choice(["valid", "truncated", "flipped", "inserted", "random", "empty"], p=[.3, .2, .2, .15, .1, .05])
    if kind == "truncated":
        return bytes(data[: int(rng.integers(0, len(data)))])
    if kind == "flipped":
        for position in rng.integers(0, len(data), int(rng.integers(1, 9))):
            data[position] ^= int(rng.integers(1, 256))
    elif kind == "inserted":
        for position in rng.integers(0, len(data), int(rng.integers(1, 5))):
            data[position:position] = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
    elif kind == "random":
        return rng.integers(0, 256, int(rng.integers(1, 4096)), dtype=np.uint8).tobytes()
    elif kind == "empty":
        return b""
    return bytes(data)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def fuzz(files: int, seed: int = 0) -> dict:
    """`files` fuzzed files in four folders (plus a subfolder, a FIFO and a dangling link in the
    first), through one CLI run into a fifth."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / f"in{k}" for k in range(4)]
        for folder in folders:
            folder.mkdir()
        for k in range(files):
            folder = folders[k % 4]
            (folder / f"f{k:04d}{SUFFIXES[int(rng.integers(0, len(SUFFIXES)))]}").write_bytes(fuzzed_bytes(rng))
        (folders[0] / "sub.png").mkdir()
        os.mkfifo(folders[0] / "pipe.png")
        (folders[0] / "dangling.png").symlink_to(Path(tmp) / "nowhere.png")
        before = {k: _digest(f) for k, f in enumerate(folders)}
        out = Path(tmp) / "out"
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "gan_style.repair", *map(str, folders), "--out", str(out)],
                                capture_output=True, text=True, env=ENV, timeout=3600)
        seconds = time.perf_counter() - started
        report = json.loads((out / "report.json").read_text())
        listed = {e["input"] for e in report}
        entries = [str(p) for f in folders for p in f.iterdir()]
        errors = [e for e in report if e["error"]]
        scores = [e["score_before"] for e in report if e["score_before"] is not None]
        return {
            "files": files, "entries": len(entries), "exit": result.returncode, "seconds": round(seconds, 1),
            "tracebacks": result.stderr.count("Traceback"),
            "inputs_changed": sum(_digest(f) != before[k] for k, f in enumerate(folders)),
            "missing_from_report": len(set(entries) - listed),
            "processed": sum(1 for e in report if not e["error"] and not e["skipped"]),
            "failed": len(errors), "skipped": sum(1 for e in report if e["skipped"]),
            "multi_line_errors": sum("\n" in e["error"] for e in errors),
            "nan_scores": sum(1 for s in scores if s != s),
            "error_kinds": _kinds(e["error"] for e in errors),
        }


def _kinds(messages) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for message in messages:
        reason = message.split(": ", 1)[-1].split(" (")[0]
        reason = "too small to judge" if "too small" in reason else reason
        kinds[reason] = kinds.get(reason, 0) + 1
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


def _photos(folder: Path, num: int, side: int = 192) -> None:
    """`num` RGB crops of the held-out pictures, every third with a flat hole (repaired slowly)."""
    from gan_style.core import data
    from gan_style.core.io import write_png

    rng = np.random.default_rng(0)
    pictures = [np.asarray(data.bundled_image(n)) for n in ("chelsea", "coffee", "astronaut", "rocket")]
    for k in range(num):
        picture = pictures[k % len(pictures)]
        y = int(rng.integers(0, picture.shape[0] - side))
        x = int(rng.integers(0, picture.shape[1] - side))
        crop = picture[y:y + side, x:x + side, :3].copy()
        if k % 3 == 0:
            crop[60:100, 60:100] = (40, 160, 40)
        write_png(folder / f"p{k:02d}.png", crop)


def _valid_png(path: str) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001 - any failure is an invalid output
        return False


def _timed_run(command: list[str], journal: Path) -> tuple[float, float]:
    """(start-up seconds, seconds per image) of an uninterrupted run: rows reach the report a batch
    at a time, so both come from the times the row count grew (the slope from the first batch's
    rows to the last's, and the first batch's time less its images at that rate)."""
    from gan_style.repair import Journal

    started, counts = time.perf_counter(), []
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    while process.poll() is None:
        rows = sum("input" in r for r in Journal.read(journal)) if journal.exists() else 0
        if rows and (not counts or rows > counts[-1][1]):
            counts.append((time.perf_counter() - started, rows))
        time.sleep(0.1)
    rows = sum("input" in r for r in Journal.read(journal))
    if not counts or rows > counts[-1][1]:
        counts.append((time.perf_counter() - started, rows))
    (t0, n0), (t1, n1) = counts[0], counts[-1]
    per_image = (t1 - t0) / (n1 - n0) if n1 > n0 else t0 / max(n0, 1)
    return max(t0 - n0 * per_image, 0.0), per_image


def kills(num_kills: int, images: int = 60, seed: int = 0) -> dict:
    """SIGKILL a run of `images` photos `num_kills` times (each run after the first with
    --resume), then finish it with --resume. Every kill lands while images are being processed:
    an uninterrupted run of the same images measures the start-up time and the time per image
    first, and the k-th kill comes after the start-up plus a uniform 1/4 to 1 of the time of the
    run's share of the unfinished images (unfinished / kills left including the final run), so
    work is left for every later kill."""
    from gan_style.repair import Journal

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        _photos(folder, images)
        full = Path(tmp) / "full"
        started = time.perf_counter()
        startup_s, per_image_s = _timed_run(
            [sys.executable, "-m", "gan_style.repair", str(folder), "--out", str(full)], full / "report.jsonl")
        full_run_s = time.perf_counter() - started
        runs, bad_rows = [], 0
        for k in range(num_kills + 1):
            done_before = {r["input"] for r in Journal.read(out / "report.jsonl") if "input" in r and not r["error"]}
            rows_before = len([r for r in Journal.read(out / "report.jsonl")])
            command = [sys.executable, "-m", "gan_style.repair", str(folder), "--out", str(out)]
            command += ["--resume"] if k else []
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
            unfinished = images - len(done_before)
            share = unfinished / (num_kills - k + 1)  # images this run may finish before its kill
            delay = startup_s + per_image_s * share * float(rng.uniform(0.25, 1.0)) if k < num_kills else None
            try:
                process.wait(timeout=delay if delay is not None else 3600)
                killed = False
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed = True
            rows = Journal.read(out / "report.jsonl")[rows_before:]
            new = [r for r in rows if "input" in r]
            for row in new:  # every row names complete, readable outputs
                files = [row[kind] for kind in ("repaired", "mask", "overlay", "attempt") if row.get(kind)]
                bad_rows += not all(_valid_png(f) for f in files)
            temps = [p.name for p in out.glob(".*") if p.name != ".gan_style.repair.lock"]
            runs.append({"unfinished_before": unfinished, "kill_at_s": None if delay is None else round(delay, 1),
                         "killed": killed,
                         "rows_written": len(new), "redone_finished": len({r["input"] for r in new} & done_before),
                         "temp_entries_after": len(temps)})
        report = json.loads((out / "report.json").read_text())
        leftovers = [p.name for p in out.glob(".*")]
        return {
            "images": images, "uninterrupted_run_s": round(full_run_s, 1), "startup_s": round(startup_s, 1),
            "per_image_s": round(per_image_s, 2), "kills_scheduled": num_kills,
            "kills": sum(r["killed"] for r in runs), "runs": runs,
            "final_report_rows": len(report), "final_errors": sum(bool(e["error"]) for e in report),
            "rows_with_invalid_outputs": bad_rows,
            "finished_images_redone": sum(r["redone_finished"] for r in runs),
            "temp_files_left_after_final_run": len(leftovers),
            "output_pngs": len(list(out.glob("*.png"))),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.robustness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    f = sub.add_parser("fuzz")
    f.add_argument("--files", type=int, default=1000)
    f.add_argument("--seed", type=int, default=0)
    k = sub.add_parser("kills")
    k.add_argument("--kills", type=int, default=10)
    k.add_argument("--images", type=int, default=60)
    k.add_argument("--seed", type=int, default=0)
    for p in (f, k):
        p.add_argument("--out", help="write the result as JSON here")
    args = parser.parse_args(argv)
    result = fuzz(args.files, args.seed) if args.what == "fuzz" else kills(args.kills, args.images, args.seed)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
