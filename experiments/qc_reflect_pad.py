"""Experiment (issue 27): do clean pictures score low at their border (zero padding in the
regressor), so that reflect-padding a picture before scoring (and cropping the map back) lifts the
clean scores and the thresholds? A new user saw an 8-px strip along the top of a clean 512-px
coffee flagged. On the cached validation sets of `qc_validation_select.py` (256 and 512 px), the
shipped regressor, padding 0 / 16 / 32 px: AUROC, each side's 5%-false-alarm threshold and what it
catches, and how often a clean picture's worst 2x2 block touches the border. Prints one line per
padding. Run:

    PYTHONPATH=. .venv/bin/python experiments/qc_reflect_pad.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from qc_validation_select import cached_set  # noqa: E402


def scores(model, images, pad: int) -> tuple[np.ndarray, list[bool]]:
    """Global scores of uint8 pictures reflect-padded by `pad` px (the map cropped back: min of the
    head and the worst 2x2 block's best cell, as the regressor's own global score), and whether each
    worst block touches the picture's border."""
    from gan_style.core.data import shape_batches

    out, on_border = np.zeros(len(images)), [False] * len(images)
    for chunk in shape_batches(images, 16):
        x = np.stack([images[i] for i in chunk]).astype(np.float32) / 127.5 - 1.0
        if pad:
            x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
        o = model.predict(x, verbose=0)
        head = 1 / (1 + np.exp(o["global_logit"][:, 0]))
        cells = o["score_map"][..., 0]
        if pad // 8:
            cells = cells[:, pad // 8:-(pad // 8), pad // 8:-(pad // 8)]
        padded = np.pad(cells, ((0, 0), (0, 1), (0, 1)), constant_values=-np.inf)
        blocks = np.maximum.reduce([padded[:, :-1, :-1], padded[:, 1:, :-1], padded[:, :-1, 1:], padded[:, 1:, 1:]])
        for j, i in enumerate(chunk):
            out[i] = min(head[j], blocks[j].min())
            y, x_ = np.unravel_index(blocks[j].argmin(), blocks[j].shape)
            on_border[i] = min(y, x_, blocks[j].shape[0] - 1 - y, blocks[j].shape[1] - 1 - x_) == 0
    return out, on_border


def main() -> None:
    import keras

    from gan_style.core import checkpoints, metrics, runtime

    runtime.quiet_tensorflow()
    regressor = checkpoints.load_model("quality_rgb", "regressor.keras")
    model = keras.Model(regressor.inputs, {k: regressor.get_layer(k).output for k in ("global_logit", "score_map")})
    for pad in (0, 16, 32):
        res = {}
        for side in (256, 512):
            _, clean, bad, _ = cached_set(side)
            sc, border = scores(model, clean, pad)
            res[side] = sc, scores(model, bad, pad)[0], border
        shared = min(metrics.threshold_for_fpr(r[0], 0.05) for r in res.values())
        line = [f"pad {pad}: shared {shared:.4f}"]
        for side, (sc, sb, border) in res.items():
            own = metrics.threshold_for_fpr(sc, 0.05)
            auroc = metrics.auroc(-sb, -sc)  # a lower score is more abnormal
            lowest = np.argsort(sc)[:5]
            line.append(f"{side}: AUROC {auroc:.3f} own {own:.4f} caught {np.mean(sb < own):.0%} "
                        f"(shared {np.mean(sb < shared):.0%}); worst block on the border: {np.mean(border):.0%} "
                        f"of clean, {np.mean([border[i] for i in lowest]):.0%} of the 5 lowest")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
