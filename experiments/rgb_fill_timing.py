"""The RGB QC pipeline's worst case (every image repaired 4 times) with the repair U-Net on the
Laplace fill (the checkpoint before 2026-12-07) and on the biharmonic fill (shipped), side by side.

Two batches of 16 at 256 px, compiled: `make bench`'s (uniform noise, `bench.repair.throughput`)
and crops of the bundled chelsea photo (where the fill's cost is not hidden by the texture
search's). Two rounds, each pipeline 3 repeats after a warm-up; images/s from the median.

    git show 19c7905:checkpoints/repair_rgb/repairer.keras > /tmp/laplace/repairer.keras
    PYTHONPATH=. .venv/bin/python experiments/rgb_fill_timing.py /tmp/laplace/repairer.keras \
        --out experiments/rgb-fill-biharmonic-timing-2026-12-07.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("laplace", help="the repairer.keras trained and saved on the Laplace fill")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import keras

    from bench.harness import time_call
    from gan_style.core import data, manifests, runtime
    from gan_style.qc.pipeline import QCPipeline

    runtime.quiet_tensorflow()
    shipped = QCPipeline.from_pretrained("rgb")
    pipelines = {"laplace fill (before)": shipped.replace(repairer=keras.saving.load_model(args.laplace)),
                 "biharmonic fill (shipped)": shipped}
    photo = data.bundled_image("chelsea")
    corners = np.random.default_rng(0).integers(0, 40, (16, 2))
    batches = {"noise (make bench)": np.random.default_rng(0).uniform(-1, 1, (16, 256, 256, 3)).astype("float32"),
               "chelsea crops": np.stack([photo[y:y + 256, x:x + 256] for y, x in corners]).astype("float32")
               / 127.5 - 1.0}
    rows = []
    for round_ in range(2):
        for batch_name, x in batches.items():
            for name, pipeline in pipelines.items():
                timing = time_call(lambda p=pipeline, x=x: p.run(x, threshold=0.999), repeats=3, warmup=1)
                seconds = timing["median_s"]
                rows.append({"round": round_, "batch": batch_name, "pipeline": name,
                             "median_s": round(seconds, 3), "images_per_s": round(16 / seconds, 3)})
                print(json.dumps(rows[-1]), flush=True)
    with open(args.out, "w") as f:
        json.dump({"rows": rows, "provenance": manifests.measured(("quality_rgb", "repair_rgb"))}, f, indent=1)


if __name__ == "__main__":
    main()
