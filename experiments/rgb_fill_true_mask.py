"""Our RGB fill against biharmonic on true masks, on validation pictures (never the reserved ones).

Question (issue 27, "ours vs biharmonic, true mask": 31.7 vs 32.2 dB on the independent set): is
the gap the repair U-Net's smooth fill or the exemplar detail the pipeline adds to it? Whole
validation pictures (`data.validation_pictures`) at 256 and 512 px, one rectangular hole of 1-10%
of the picture each (seeded), box PSNR / SSIM to the clean picture (`qc.eval.box_quality`) for:
the U-Net alone, the U-Net + exemplar detail (what the pipeline uses), biharmonic, and biharmonic
+ the same exemplar detail.

    python experiments/rgb_fill_true_mask.py --out experiments/rgb-fill-true-mask-2026-12-05.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512")
    args = parser.parse_args()

    import tensorflow as tf

    from gan_style.core import checkpoints, data, manifests
    from gan_style.qc import eval as qc_eval
    from gan_style.qc import repair_eval
    from gan_style.qc.texture import transfer_detail

    repairer = checkpoints.load_model("repair_rgb", "repairer.keras")
    methods = {"unet": repair_eval.unet_inpainter(repairer), "unet+detail": repair_eval.unet_inpainter(repairer, 8),
               "biharmonic": repair_eval.biharmonic_inpainter}

    def biharmonic_detail(images, masks):
        filled = repair_eval.biharmonic_inpainter(images, masks)
        m = tf.constant(masks[..., None].astype(np.float32))
        return transfer_detail(tf.constant(filled), m, cell=8).numpy()

    methods["biharmonic+detail"] = biharmonic_detail
    pictures = data.validation_pictures()
    report = {"pictures": len(pictures), "provenance": manifests.measured(("repair_rgb",))}
    for size in (int(s) for s in args.sizes.split(",")):
        rng = np.random.default_rng(size)
        scores = {name: [] for name in methods}
        for picture in pictures.values():
            clean = data.fit_long_side(picture, size)
            h, w = clean.shape[:2]
            share = rng.uniform(0.01, 0.10)
            bh = int(np.clip(np.sqrt(share * h * w * rng.uniform(0.5, 2.0)), 8, h - 2))
            bw = int(np.clip(share * h * w / bh, 8, w - 2))
            y, x = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
            mask = np.zeros((h, w), bool)
            mask[y : y + bh, x : x + bw] = True
            signed = (clean[None].astype(np.float32) / 127.5 - 1.0) * np.where(mask[None, ..., None], 0.0, 1.0)
            for name, method in methods.items():
                out = method(signed.astype(np.float32), mask[None])[0]
                returned = np.round((np.clip(out, -1, 1) + 1.0) * 127.5).astype(np.uint8)
                scores[name].append(qc_eval.box_quality(returned, clean, mask))
        report[f"rgb_{size}"] = {name: {"psnr": round(float(np.mean([s[0] for s in v])), 3),
                                        "ssim": round(float(np.mean([s[1] for s in v])), 4)}
                                 for name, v in scores.items()}
        print(size, json.dumps(report[f"rgb_{size}"]))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
