"""Exemplar detail in RGB repairs only where the copy predicts the known detail around the cell?

Question (issue 27, "repair gain >= biharmonic": our true-mask repair trails skimage's biharmonic by
0.05 dB at 256 px on the reserved set; `rgb_thin_fill.py`: on whole validation pictures the exemplar
detail costs 0.85 dB at 256 px against the U-Net's own fill): detail copied from elsewhere is not
the detail that was there, so the smooth mean errs least, yet a smooth blob in texture is an artifact
the regressor flags. Per cell, the chosen source's detail can be checked on the known pixels of the
cell and its margin, where the truth is at hand: the least-squares amplitude of the copy there,

    a* = sum_known D_p D_{p-s*} / sum_known D_{p-s*}^2      (known: p and p - s* both outside the hole)

is near 1 where the texture repeats (the copy predicts it) and near 0 where it is random. Variants:
the copy scaled by a* clipped to [floor, 1] (`transfer_detail(floor=...)`, floors 0, 1/4 and 1/2),
next to no detail, the full copy (shipped before) and constant amplitudes 1/4, 1/2, 3/4. Each is
measured by box PSNR to the clean picture and by the share of repairs the shipped regressor accepts
at the shipped threshold (the reason the detail exists).

The runs of the record were at 69c45d4 plus the floor: the first computed a* inside the search loop
(equal to today's `_copy_amplitude` within 1e-6 on a check, a third slower), the second (floor 1/4
alone, `--variants`) with today's code. The floor shipped, 1/2 (`texture.FLOOR`), was chosen through
the whole pipeline (`qc_located_pixels.py --variants floor=...`), where the fix rate moves too.

The set: `qc_validation_select.py`'s cached whole validation pictures (never the reserved ones) at 256
and 512 px, each corrupted once by the simulator, its eleven kinds in turn; the mask is every changed
pixel (`rgb_fill_biharmonic.box_psnr_table`).

    PYTHONPATH=. .venv/bin/python experiments/rgb_detail_gate.py --out experiments/rgb-detail-gate-DATE.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FULL, SHIPPED = "full detail (floor 1, shipped before)", "detail x clip(a*, 1/2, 1) (shipped)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--variants", help="a subset of the methods' names, ';'-separated")
    parser.add_argument("--seeds", default="0,1,2", help="validation sets (the same pictures corrupted afresh), pooled")
    args = parser.parse_args()

    import tensorflow as tf

    from experiments.rgb_fill_biharmonic import box_psnr_table
    from gan_style.core import manifests, runtime
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.texture import transfer_detail

    runtime.quiet_tensorflow()
    pipeline = QCPipeline.from_pretrained("rgb")
    repairer = pipeline.repairer
    spec = [tf.TensorSpec((None, None, None, 3)), tf.TensorSpec((None, None, None, 1))]

    def compiled(fn):
        run = tf.function(fn, input_signature=spec)
        return lambda x, m: run(tf.constant(x), tf.constant(m[..., None].astype(np.float32))).numpy()

    def repair(scale: float, floor: float = 1.0):
        def run(x, m):
            fill = repairer({"images": x, "masks": m}, training=False)["repaired"]
            if scale == 0:
                return fill
            detailed = transfer_detail(fill, m, cell=pipeline.texture_cell, floor=floor)
            return fill + scale * (detailed - fill)
        return compiled(run)

    def accept(returned: np.ndarray) -> bool:
        image = returned.astype(np.float32)[None] / 127.5 - 1.0
        score = float(pipeline.assess(tf.constant(image))[0].numpy()[0])
        return score >= pipeline.threshold_for(image.shape[1:3])

    methods = {"U-Net, no detail": repair(0), FULL: repair(1),
               "detail x 1/4": repair(0.25), "detail x 1/2": repair(0.5), "detail x 3/4": repair(0.75),
               "detail x clip(a*, 0, 1)": repair(1, 0.0), "detail x clip(a*, 1/4, 1)": repair(1, 0.25),
               SHIPPED: repair(1, 0.5)}
    if args.variants:
        methods = {name: methods[name] for name in args.variants.split(";")}
    report = {"provenance": manifests.measured(("repair_rgb", "quality_rgb"))}
    for size in (int(s) for s in args.sizes.split(",")):
        report[f"rgb_{size}"] = part = box_psnr_table(methods, size, warmup=True, accept=accept,
                                                      seeds=[int(s) for s in args.seeds.split(",")])
        print(size, json.dumps({n: (v["psnr"], v["psnr_capped_60"], v["ssim"], v["accepted"], v["seconds_per_picture"])
                                for n, v in part.items() if n != "pictures"}, indent=0), flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
