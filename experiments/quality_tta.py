"""Test-time flip averaging of a quality regressor's global score (a one-off check, not shipped).

The sets of `python -m gan_style.evaluate quality` (calibration half, clean test half, seen and
held-out corruptions); each view's global score combined by mean, geometric mean or max, the
threshold re-chosen on the calibration half. Prints one line per combination:

    PYTHONPATH=. .venv/bin/python experiments/quality_tta.py rgb
"""

from __future__ import annotations

import sys

import numpy as np

from gan_style.core import checkpoints, metrics
from gan_style.evaluate import corrupted_sets
from gan_style.qc.regressor_trainer import QualityConfig, clean_images

VIEWS = {"id": lambda x: x, "lr": lambda x: x[:, :, ::-1], "ud": lambda x: x[:, ::-1],
         "both": lambda x: x[:, ::-1, ::-1], "transpose": lambda x: np.swapaxes(x, 1, 2)}
COMBOS = {"identity": ["id"], "identity + lr": ["id", "lr"], "4 flips": ["id", "lr", "ud", "both"],
          "4 flips + transpose": list(VIEWS)}
COMBINE = {"mean": lambda a: a.mean(0), "max": lambda a: a.max(0),
           "geometric mean": lambda a: np.exp(np.log(np.clip(a, 1e-6, 1)).mean(0))}


def main(domain: str = "rgb") -> None:
    name = f"quality_{domain}"
    config = QualityConfig.from_dict(checkpoints.verify(name)["config"])
    regressor = checkpoints.load_model(name, "regressor.keras")
    images, _ = clean_images(domain, "validation", 1000, 12345, config.crop_size)
    calibration, test = images[:500], images[500:]
    sets = {name: (x, kinds) for name, (x, _, kinds) in corrupted_sets(test, config, 12345).items()}

    def view_scores(x):
        return {v: regressor.predict(f(x), batch_size=128, verbose=0)["global_score"][:, 0] for v, f in VIEWS.items()}

    scores = {"calibration": view_scores(calibration), "test": view_scores(test),
              **{k: view_scores(x) for k, (x, _) in sets.items()}}
    for combo, views in COMBOS.items():
        for how, combine in COMBINE.items():
            combined = {key: combine(np.stack([by_view[v] for v in views])) for key, by_view in scores.items()}
            threshold = metrics.threshold_for_fpr(combined["calibration"], 0.05)
            clean = combined["test"]
            line = [f"{combo} / {how}: fpr {np.mean(clean < threshold):.3f}"]
            for set_name, (_, kind_of) in sets.items():
                s = combined[set_name]
                line.append(f"{set_name} auroc {metrics.auroc(1 - s, 1 - clean):.3f} "
                            f"detected {np.mean(s < threshold):.3f}")
                line += [f"{k} {metrics.auroc(1 - s[kind_of == k], 1 - clean):.2f}" for k in sorted(set(kind_of))]
            print(", ".join(line), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
