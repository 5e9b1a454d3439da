"""Pictures for `rgb_detail_gate.py`: holes in whole validation pictures repaired with no exemplar
detail, the full detail (shipped before), and the detail scaled by the copy's least-squares
amplitude a* on the known pixels around, clipped to [1/4, 1] and to [1/2, 1]. One row per picture:
clean, corrupted, then each repair, cropped around the hole and shown at 192 px.

    PYTHONPATH=. .venv/bin/python experiments/rgb_detail_gate_pictures.py --out experiments/rgb-detail-gate-DATE.png
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--kinds", default="hole,smear,blocking")
    parser.add_argument("--rows", type=int, default=8)
    args = parser.parse_args()

    import tensorflow as tf
    from PIL import Image

    from experiments.qc_validation_select import cached_set
    from gan_style.core import runtime
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.texture import transfer_detail

    runtime.quiet_tensorflow()
    pipeline = QCPipeline.from_pretrained("rgb")
    kinds = args.kinds.split(",")
    rows = []
    for seed in (0, 1, 2):
        for clean, bad, kind in zip(*cached_set(args.size, seed=seed)[1:], strict=True):
            if kind not in kinds or len(rows) >= args.rows:
                continue
            mask = (clean != bad).any(-1)
            x = tf.constant(((bad.astype(np.float32) / 127.5 - 1.0) * ~mask[..., None])[None])
            m = tf.constant(mask[None, ..., None].astype(np.float32))
            fill = pipeline.repairer({"images": x, "masks": m}, training=False)["repaired"]
            repairs = [fill] + [transfer_detail(fill, m, cell=pipeline.texture_cell, floor=f) for f in (1.0, 0.25, 0.5)]
            outs = [clean, bad] + [np.round((np.clip(o[0].numpy(), -1, 1) + 1) * 127.5).astype(np.uint8)
                                   for o in repairs]
            ys, xs = np.nonzero(mask)
            half = max(24, (ys.max() - ys.min()) // 2 + 16, (xs.max() - xs.min()) // 2 + 16)
            cy, cx = (ys.max() + ys.min()) // 2, (xs.max() + xs.min()) // 2
            y0 = int(np.clip(cy - half, 0, max(0, clean.shape[0] - 2 * half)))
            x0 = int(np.clip(cx - half, 0, max(0, clean.shape[1] - 2 * half)))
            tiles = [Image.fromarray(o[y0:y0 + 2 * half, x0:x0 + 2 * half]).resize((192, 192), Image.NEAREST)
                     for o in outs]
            row = Image.new("RGB", (6 * 196, 196), "white")
            for i, t in enumerate(tiles):
                row.paste(t, (i * 196 + 2, 2))
            rows.append(row)
    sheet = Image.new("RGB", (6 * 196, 196 * len(rows)), "white")
    for i, r in enumerate(rows):
        sheet.paste(r, (0, i * 196))
    sheet.save(args.out)
    print("columns: clean, corrupted, no detail, full detail, detail x clip(a*, 1/4, 1), x clip(a*, 1/2, 1)")


if __name__ == "__main__":
    main()
