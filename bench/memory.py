"""Peak memory and time of `python -m gan_style.repair` on one large photo, by side (issue 31).

Each point is a fresh CLI process, measured from outside (`os.wait4`: the child's peak RSS, as
`/usr/bin/time -v` reports it, TensorFlow's start-up included) through a small launcher process
(`harness.peak_of_command`: the bench process, 13.5 GB by the time `make bench` gets here, cannot
be the CLI's parent; every row read 13,515 MiB until 2026-12-06). On a square photo made of the
held-out bundled pictures, resized, with one flat 1/16-side hole in it: with `--no-repair`
(assess and locate) and with the default repair. Images larger than one tile (640 px) run in
overlapping tiles, so the peak should grow with the tile and the few whole-image arrays, not
with the activations of the whole image.

    python -m bench.memory --sides 512,1024,2048,4096 [--out FILE]

writes a results file (default bench/results/<machine>-<date>-memory.json) that
`python -m bench.run --render` puts in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.harness import peak_of_command

PICTURES = ("chelsea", "grace_hopper", "clock", "gravel")  # the RGB pipeline's held-out pictures


def make_photo(side: int) -> np.ndarray:
    """uint8 (side, side, 3): a 2 x 2 mosaic of the held-out pictures, each resized to side / 2,
    with one flat green hole of side / 16 px near the centre of the first."""
    from gan_style.core import data
    from gan_style.style.eval import resize_to

    half = side // 2
    tiles = [resize_to(np.asarray(data.bundled_image(name))[..., :3] if np.asarray(data.bundled_image(name)).ndim == 3
                       else np.repeat(np.asarray(data.bundled_image(name))[..., None], 3, -1), half, half)
             for name in PICTURES]
    photo = np.zeros((side, side, 3), np.uint8)
    photo[:half, :half], photo[:half, half:2 * half] = tiles[0], tiles[1]
    photo[half:2 * half, :half], photo[half:2 * half, half:2 * half] = tiles[2], tiles[3]
    hole = max(8, side // 16)
    y, x = half // 2, half // 2
    photo[y:y + hole, x:x + hole] = (40, 160, 40)
    return photo


def measure(image_path: Path, out_dir: Path, repair: bool, extra: tuple[str, ...] = ()) -> dict:
    """One CLI run: exit status, wall seconds, the CLI process's peak RSS (MiB) and the last stderr line."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "gan_style.repair", str(image_path), "--out", str(out_dir), *extra]
    if not repair:
        command.append("--no-repair")
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stderr:
        child = peak_of_command(command, stderr, env)
        stderr.seek(0)
        lines = stderr.read().strip().splitlines()
    row = {"exit": child["exit"], "seconds": time.perf_counter() - started,
           "peak_rss_mb": child["maxrss_kib"] / 1024.0, "stderr": lines[-1] if lines else ""}
    report = out_dir / "report.json"
    if report.exists():
        entry = json.loads(report.read_text())[0]
        row.update(score_before=entry["score_before"], outcome=entry["outcome"], regions=len(entry["regions"]))
    return row


def rows(sides: tuple[int, ...], modes: tuple[bool, ...] = (False, True)) -> list[dict]:
    """Peak RSS and time vs side, for --no-repair and repair."""
    from gan_style.core.io import write_png

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for side in sides:
            image = Path(tmp) / f"photo{side}.png"
            write_png(image, make_photo(side))
            for repair in modes:
                row = measure(image, Path(tmp) / f"out{side}{'r' if repair else 'n'}", repair)
                row.update(side=side, pixels=side * side, mode="repair" if repair else "--no-repair",
                           us_per_pixel=1e6 * row["seconds"] / (side * side))
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
            image.unlink()
    return results


def note(sides: str, load: dict) -> str:
    """The line BENCHMARKS.md shows under the file's heading."""
    shared = max(load.values()) > (os.cpu_count() or 1)
    return (f"`python -m bench.memory --sides {sides}` only: the repair CLI's peak RSS through a small launcher "
            f"process; 1-minute load average {load['start']} at the start, {load['end']} at the end"
            + (" (over the core count: other work shared the cores, so the times are slower than alone)"
               if shared else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="512,1024,2048", help="comma-separated sides in px")
    parser.add_argument("--modes", default="no-repair,repair", help="no-repair, repair or both")
    parser.add_argument("--out", help="the results file (default bench/results/<machine>-<date>-memory.json)")
    args = parser.parse_args(argv)
    import datetime

    from bench.harness import machine
    from gan_style.core import manifests
    from gan_style.core.io import write_text

    modes = tuple(m == "repair" for m in args.modes.split(","))
    started, load = time.time(), round(os.getloadavg()[0], 2)
    result = {"machine": machine(), "date": datetime.date.today().isoformat(),
              "provenance": manifests.measured(("quality_rgb", "repair_rgb")),
              "qc_memory": rows(tuple(int(s) for s in args.sides.split(",")), modes)}
    result["wall_time_s"] = round(time.time() - started, 1)
    result["load_average_1min"] = {"start": load, "end": round(os.getloadavg()[0], 2)}
    result["note"] = note(args.sides, result["load_average_1min"])
    for row in result["qc_memory"]:
        print(f"{row['side']:6d} px  {row['mode']:12s} exit {row['exit']}  {row['seconds']:7.1f} s  "
              f"peak RSS {row['peak_rss_mb']:7.0f} MiB  {row['us_per_pixel']:.2f} us/px")
    out = Path(args.out or Path(__file__).resolve().parent / "results" /
               f"{result['machine']['name']}-{result['date']}-memory.json")
    write_text(out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
