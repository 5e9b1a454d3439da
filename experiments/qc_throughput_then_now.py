"""Experiment (issue 27, "throughput at least as today"): the QC rows of `make bench` for the code
and checkpoints of two commits, side by side on one host in one run, interleaved (the host's speed
has varied 2x between sessions, so rows of different runs do not compare).

Each round runs, for each checkout in turn, in a fresh process with that checkout first on the
path (its own `gan_style`, `bench` and `checkpoints/`): `bench.quality.assess_throughput` (digits
256 x 28 px, RGB 16 x 256 px) and `bench.repair.throughput` (the worst case: every image abnormal,
up to 4 repair passes), exactly as `bench/run.py` calls them. Prints and writes JSON. Run:

    git worktree add /tmp/at-OLD OLD
    PYTHONPATH=. .venv/bin/python experiments/qc_throughput_then_now.py /tmp/at-OLD . --rounds 2 \
        --out experiments/qc-throughput-then-now-DATE.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CALL = """
import json
from gan_style.core import runtime
runtime.quiet_tensorflow()
from bench import quality, repair
batches = {"digits": (256, 28), "rgb": (16, 256)}
print("RESULT " + json.dumps({"qc_assess": quality.assess_throughput(batches, 5, None),
                              "qc_pipeline": repair.throughput(batches, 3, False)}))
"""


def measure(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("GAN_STYLE_CHECKPOINTS", None)
    done = subprocess.run([sys.executable, "-c", CALL], cwd=root, env=env, capture_output=True, text=True, check=True)
    return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])


def git_head(root: Path) -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="+", help="checkouts to compare (a worktree per commit)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    roots = [Path(r).resolve() for r in args.roots]
    report = {"commits": {str(r): git_head(r) for r in roots}, "rounds": []}
    for k in range(args.rounds):
        row = {}
        for root in roots:
            row[str(root)] = result = measure(root)
            compiled = [r for r in result["qc_assess"] + result["qc_pipeline"] if r["mode"] == "tf.function"]
            rates = "; ".join(f"{r['domain']} {r.get('stage', 'assess')} {r['images_per_s']:.1f} img/s"
                              for r in compiled)
            print(f"round {k} {report['commits'][str(root)]}: {rates}", flush=True)
        report["rounds"].append(row)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
