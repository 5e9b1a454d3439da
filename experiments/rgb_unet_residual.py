"""How much does the shipped RGB repair U-Net add to its own coarse fill, hole by hole?

Question (issue 27; `rgb_thin_fill.py`): U-Net + detail trails the coarse fill by 5.8 dB on the
simulator's noise bursts at 256 px and matches it on every other kind. Damage, or the PSNR cap?
On `qc_validation_select`'s cached validation pictures at 256 px (never the reserved ones), each
noise burst and hole with its true mask (every changed pixel): the fill's and the U-Net's RMS error
to the clean picture in the hole, the mean |U-Net prediction - fill| there, and the clean picture's
spread in the hole. The first noise burst is drawn (clean, fill, U-Net, corrupted; 3x).

    PYTHONPATH=. .venv/bin/python experiments/rgb_unet_residual.py --out experiments/rgb-unet-residual-DATE.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from experiments.qc_validation_select import cached_set
    from gan_style.core import manifests, runtime
    from gan_style.core.io import write_png
    from gan_style.qc.pipeline import QCPipeline

    runtime.quiet_tensorflow()
    repairer = QCPipeline.from_pretrained("rgb").repairer
    fill = repairer.get_layer("coarse_fill")
    _, clean_set, bad_set, kind_set = cached_set(256)
    rows, drawn = [], None
    for index, (clean, bad, kind) in enumerate(zip(clean_set, bad_set, kind_set, strict=True)):
        if kind not in ("noise_burst", "hole"):
            continue
        mask = (clean != bad).any(-1)
        x = ((bad.astype(np.float32) / 127.5 - 1.0) * ~mask[..., None])[None]
        m = mask[None, ..., None].astype(np.float32)
        filled = np.asarray(fill(x, m))[0]
        predicted = np.asarray(repairer({"images": x, "masks": m}, training=False)["prediction"])[0]
        target = clean.astype(np.float32) / 127.5 - 1.0

        def rms(y, target=target, mask=mask):
            return round(float(np.sqrt(((np.clip(y, -1, 1) - target)[mask] ** 2).mean())), 4)

        rows.append({"picture": index, "kind": kind, "pixels": int(mask.sum()), "fill_rms": rms(filled),
                     "unet_rms": rms(predicted),
                     "mean_abs_residual": round(float(np.abs(predicted - filled)[mask].mean()), 5),
                     "clean_std_in_hole": round(float(target[mask].std()), 3)})
        print(json.dumps(rows[-1]), flush=True)
        if kind == "noise_burst" and drawn is None:
            ys, xs = np.nonzero(mask)
            box = (slice(max(ys.min() - 16, 0), ys.max() + 16), slice(max(xs.min() - 16, 0), xs.max() + 16))
            panels = [target, np.where(mask[..., None], filled, target), np.where(mask[..., None], predicted, target),
                      bad.astype(np.float32) / 127.5 - 1.0]
            tile = np.concatenate([((np.clip(p, -1, 1)[box] + 1.0) * 127.5).astype(np.uint8) for p in panels], 1)
            drawn = args.out.replace(".json", ".png")
            write_png(drawn, np.kron(tile, np.ones((3, 3, 1), np.uint8)))
    with open(args.out, "w") as f:
        json.dump({"rows": rows, "figure": drawn, "provenance": manifests.measured(("repair_rgb",))}, f, indent=1)


if __name__ == "__main__":
    main()
