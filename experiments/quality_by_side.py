"""False alarms of the shipped RGB regressor on clean crops of growing side (a one-off check).

Crops of the four held-out pictures (seed 7, 100 per side); at the shipped threshold, the share
flagged by the global score, by its pooled head alone and by its worst region, and the share of
map cells under the threshold (what the pipeline would repaint):

    PYTHONPATH=. .venv/bin/python experiments/quality_by_side.py
"""

from __future__ import annotations

import numpy as np

from gan_style.core import data
from gan_style.qc.pipeline import QCPipeline


def main(sides=(64, 96, 128, 192, 256), num: int = 100) -> None:
    pipeline = QCPipeline.from_pretrained("rgb")
    pictures = data.bundled_images("validation")
    t = pipeline.threshold
    for side in sides:
        crops = data.random_crops(pictures, side, num, 7)
        out = pipeline.regressor.predict(crops, batch_size=8, verbose=0)
        head = 1.0 / (1.0 + np.exp(out["global_logit"][:, 0]))
        worst = out["score_map"].reshape(len(crops), -1).min(axis=1)
        print(f"side {side}: flagged {np.mean(out['global_score'][:, 0] < t):.2f}, head {np.mean(head < t):.2f}, "
              f"worst region {np.mean(worst < t):.2f}, cells under t {np.mean(out['score_map'] < t):.4f}", flush=True)


if __name__ == "__main__":
    main()
