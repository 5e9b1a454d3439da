"""Issue 32's bench row: the repair job as an Apache Beam pipeline beside the repair CLI's job.

The same files go through `repair.repair_files` (what `python -m gan_style.repair` runs) and
through `gan_style.scale.beam.run` on the DirectRunner's engine (`FnApiRunner`, as the tests run
it: no Prism download), in memory and with `multi_processing` and 2 workers. Inputs: real MNIST
digits (`data.load_mnist`, the bundled test split), a quarter with a white 8 x 8 square, and RGB
crops of 256 px of the bundled validation pictures (`data.VALIDATION_IMAGES`), a quarter with a
flat 40 px hole. Default settings (batch 64, shipped checkpoints, repair on).

Each point is a fresh process, measured from outside: wall time; the largest peak RSS of one
process of its tree (the kernel's high-water mark, /proc/PID/status VmHWM, of the process, read
by itself at its end, and of each Beam worker, read every 0.1 s while it lives: it only grows, so
at most the last 0.1 s of a worker can be missed); and the peak of the tree's summed RSS (the
process and every descendant, psutil, sampled every 0.1 s: shared pages count once per process,
so an upper bound, and a spike shorter than a sample can be missed). Not wait4's maxrss: see
bench/harness.py on why a child's maxrss holds its parent's size.
images/s: inputs / seconds of the `repair_files` or `run` call itself (models loaded
inside it; interpreter and TensorFlow start-up excluded: they are in the wall time). Sanity: each
Beam row against the CLI's row of the same input, every field but the output paths (scores
rounded to 4 digits as in the report), and the written PNGs byte for byte.

    python -m bench.scale [--digits 200] [--rgb 24] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.harness import process_peak_mb

DRIVERS = ("repair_files (CLI)", "Beam DirectRunner, in memory", "Beam DirectRunner, multi_processing x2")
PATHS = ("repaired", "mask", "overlay", "attempt")  # row fields that name this run's output files
RGB_SIDE = 256


def beam_missing() -> str | None:
    """Why the Beam rows cannot run here, or None."""
    if importlib.util.find_spec("apache_beam") is None:
        return "apache_beam is not installed (pip install -e '.[beam]'): Beam pipeline rows skipped"
    return None


def make_inputs(root: Path, digits: int, rgb: int, seed: int = 0) -> dict[str, Path]:
    """root/digits: `digits` MNIST test digits (every 4th with a white 8 x 8 square); root/rgb:
    `rgb` crops of RGB_SIDE px of the validation pictures in turn (every 4th with a flat hole)."""
    from gan_style.core import data
    from gan_style.core.io import write_png

    rng = np.random.default_rng(seed)
    folders = {"digits": root / "digits", "rgb": root / "rgb"}
    if digits:
        images = data.load_mnist("test").images
        for i in range(digits):
            image = images[i % len(images)].copy()
            if i % 4 == 0:
                y, x = (int(v) for v in rng.integers(4, 16, 2))
                image[y:y + 8, x:x + 8] = 255
            write_png(folders["digits"] / f"d{i:04d}.png", image[..., None])
    if rgb:
        pictures = [data.bundled_image(name) for name in data.VALIDATION_IMAGES]
        for i in range(rgb):
            picture = pictures[i % len(pictures)]
            y = int(rng.integers(0, picture.shape[0] - RGB_SIDE + 1))
            x = int(rng.integers(0, picture.shape[1] - RGB_SIDE + 1))
            crop = picture[y:y + RGB_SIDE, x:x + RGB_SIDE].copy()
            if i % 4 == 0:
                crop[100:140, 100:140] = (40, 160, 40)
            write_png(folders["rgb"] / f"p{i:03d}.png", crop)
    return folders


def point(args: dict) -> dict:
    """In a fresh process: one driver over one folder into `out`; the rows go to `rows` (JSON)."""
    folder, out = args["folder"], args["out"]
    started = time.perf_counter()
    if args["driver"] == DRIVERS[0]:
        from gan_style.repair import repair_files

        rows = repair_files([Path(folder)], Path(out))
    else:
        from apache_beam.options.pipeline_options import PipelineOptions
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        from gan_style.core import checkpoints
        from gan_style.scale import beam as scale_beam

        options = ({"direct_running_mode": "multi_processing", "direct_num_workers": 2}
                   if "multi_processing" in args["driver"] else {"direct_running_mode": "in_memory"})
        settings = scale_beam.Settings(checkpoints=str(checkpoints.root()))
        report = scale_beam.run([os.path.join(folder, "*.png")], out, settings, PipelineOptions(**options),
                                runner=FnApiRunner())
        rows = [row for row in map(json.loads, Path(report).read_text().splitlines()) if "summary" not in row]
    seconds = time.perf_counter() - started
    Path(args["rows"]).write_text(json.dumps(rows))
    return {"seconds": seconds, "rows": len(rows), "own_peak_rss_mb": process_peak_mb(os.getpid())}


def measure(args: dict, interval: float = 0.1) -> dict:
    """Run `point(args)` in a fresh process: its result, wall seconds, the largest peak RSS of one
    process of its tree and the peak of the tree's summed RSS, in MiB (see the module's doc)."""
    import psutil

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bench.scale", "--point", json.dumps(args)],
                                   stdout=stdout, stderr=stderr, env=env)
        parent = psutil.Process(process.pid)
        tree_peak, most, hwm = 0, 1, {}
        while process.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
            except psutil.Error:
                tree = []
            total = 0
            for member in tree:
                try:
                    total += member.memory_info().rss
                except psutil.Error:
                    continue
                hwm[member.pid] = max(hwm.get(member.pid, 0.0), process_peak_mb(member.pid))
            tree_peak, most = max(tree_peak, total), max(most, len(tree))
            time.sleep(interval)
        wall = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        lines, errors = stdout.read().strip().splitlines(), stderr.read().strip().splitlines()
    if process.returncode != 0 or not lines:
        return {"error": (errors or [f"exit {process.returncode}"])[-1]}
    result = json.loads(lines[-1])
    hwm[process.pid] = max(hwm.get(process.pid, 0.0), result.pop("own_peak_rss_mb"))  # exact, read at its end
    return {**result, "wall_s": wall, "peak_rss_mb": max(hwm.values()), "tree_peak_rss_mb": tree_peak / 2**20,
            "processes": most}


def compare(rows: list[dict], reference: list[dict]) -> dict:
    """Rows of one driver against the CLI's, by input: rows equal in every field but the output
    paths, the largest score difference, and output PNGs byte-identical."""
    theirs = {row["input"]: row for row in reference}
    equal = pngs = pngs_equal = 0
    largest = 0.0
    for row in rows:
        other = theirs.get(row["input"])
        if other is None:
            continue
        equal += {k: v for k, v in row.items() if k not in PATHS} == {k: v for k, v in other.items() if k not in PATHS}
        for key in ("score_before", "score_after"):
            if row.get(key) is not None and other.get(key) is not None:
                largest = max(largest, abs(row[key] - other[key]))
        for kind in PATHS:
            if row.get(kind) and other.get(kind):
                pngs += 1
                pngs_equal += Path(row[kind]).read_bytes() == Path(other[kind]).read_bytes()
    return {"rows_equal": f"{equal}/{len(reference)}", "max_score_diff": largest,
            "pngs_equal": f"{pngs_equal}/{pngs}", "same_inputs": sorted(theirs) == sorted(r["input"] for r in rows)}


def rows(digits: int = 200, rgb: int = 24, drivers: tuple[str, ...] = DRIVERS) -> list[dict]:
    """One row per (domain, driver): images/s, seconds, peak RSS and the sanity columns; the Beam
    drivers left out with a note row when apache_beam is missing."""
    missing = beam_missing()
    if missing:
        drivers = tuple(d for d in drivers if not d.startswith("Beam"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = make_inputs(Path(tmp) / "in", digits, rgb)
        for domain, num in (("digits", digits), ("rgb", rgb)):
            if not num:
                continue
            reference = None
            for k, driver in enumerate(drivers):
                rows_file = Path(tmp) / f"rows-{domain}-{k}.json"
                args = {"driver": driver, "folder": str(folders[domain]), "out": str(Path(tmp) / f"out-{domain}-{k}"),
                        "rows": str(rows_file)}
                row = {"domain": domain, "images": num, "side": 28 if domain == "digits" else RGB_SIDE,
                       "driver": driver, **measure(args)}
                if "error" not in row:
                    row["images_per_s"] = num / row["seconds"]
                    produced = json.loads(rows_file.read_text())
                    if reference is None and driver == DRIVERS[0]:
                        reference = produced
                    if reference is not None:
                        row.update(compare(produced, reference))
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    if missing:
        results.append({"driver": "Beam pipeline", "error": missing})
    return results


def provenance() -> dict:
    """The commit measured (and whether the tree had changes) and the sha256 of every checkpoint file used."""
    from gan_style.core import manifests

    return manifests.measured(("quality_digits", "repair_digits", "quality_rgb", "repair_rgb"))


def note(digits: int, rgb: int, load: dict) -> str:
    """The line BENCHMARKS.md shows under the file's heading."""
    return (f"`python -m bench.scale --digits {digits} --rgb {rgb}` only (issue 32): the Beam pipeline beside "
            f"the repair CLI's job; 1-minute load average {load['start']} at the start, {load['end']} at the end"
            + (" (over the core count: other work shared the cores, so the times are slower and noisier than alone)"
               if max(load.values()) > (os.cpu_count() or 1) else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--rgb", type=int, default=24)
    parser.add_argument("--out", help="the results file (default bench/results/<machine>-<date>-scale.json; "
                                      "`python -m bench.run --render` puts it in BENCHMARKS.md)")
    parser.add_argument("--point", help=argparse.SUPPRESS)  # internal: one measured child process
    args = parser.parse_args(argv)
    if args.point:
        print(json.dumps(point(json.loads(args.point))))
        return 0
    import datetime

    from bench.harness import machine

    started, load = time.time(), round(os.getloadavg()[0], 2)
    result = {"machine": machine(), "date": datetime.date.today().isoformat(), "provenance": provenance(),
              "scale_beam": rows(args.digits, args.rgb)}
    result["wall_time_s"] = round(time.time() - started, 1)
    result["load_average_1min"] = {"start": load, "end": round(os.getloadavg()[0], 2)}  # cores shared or not
    result["note"] = note(args.digits, args.rgb, result["load_average_1min"])
    from gan_style.core.io import write_text

    out = Path(args.out or Path(__file__).resolve().parent / "results" /
               f"{result['machine']['name']}-{result['date']}-scale.json")
    write_text(out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
