"""Thin parts of an RGB hole: the U-Net's prediction or its coarse fill? And fewer biharmonic steps?

Question 1 (issue 27, "repair gain >= biharmonic" at 256 px, 0.05 dB short on the reserved set): on
whole validation pictures the shipped U-Net's residual adds nothing to its coarse fill where the hole
is wide and costs where it is thin (noise bursts, dead pixels: the fill is exact on a flat patch,
the residual is not). The pipeline already keeps the smooth fill, without exemplar detail, where a
5-px square does not fit (`texture.THIN`). Should those thin parts take the coarse fill itself
instead of the U-Net's prediction?

Question 2 (issue 27, "throughput at least as today"): the biharmonic steps cost up to 15% of the
worst-case repair throughput. What do fewer steps cost in box PSNR?

The set: `qc_validation_select.py`'s cached whole validation pictures (never the reserved ones) at 256
and 512 px, each corrupted once by the simulator, its eleven kinds in turn; the mask is every changed
pixel; box PSNR (also capped at 60 dB) / SSIM to the clean picture, as `rgb_fill_biharmonic.py`.
Seconds: one picture at a time, compiled (compare within a run).

    PYTHONPATH=. .venv/bin/python experiments/rgb_thin_fill.py --out experiments/rgb-thin-fill-DATE.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FILL_VARIANTS = {"biharmonic 8 / 32 (shipped)": {"bi_iterations": 8, "bi_coarse_iterations": 32},
                 "biharmonic 8 / 16": {"bi_iterations": 8, "bi_coarse_iterations": 16},
                 "biharmonic 4 / 16": {"bi_iterations": 4, "bi_coarse_iterations": 16},
                 "biharmonic 4 / 8": {"bi_iterations": 4, "bi_coarse_iterations": 8},
                 "laplace": {"bi_iterations": 0, "bi_coarse_iterations": 0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512")
    args = parser.parse_args()

    import tensorflow as tf

    from experiments.rgb_fill_biharmonic import box_psnr_table
    from gan_style.core import manifests, runtime
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.qc.repair_unet import CoarseFill
    from gan_style.qc.texture import THIN, detailed_repair, textured_part

    runtime.quiet_tensorflow()
    repairer = QCPipeline.from_pretrained("rgb").repairer
    shipped_fill = repairer.get_layer("coarse_fill")
    spec = [tf.TensorSpec((None, None, None, 3)), tf.TensorSpec((None, None, None, 1))]

    def compiled(fn):
        run = tf.function(fn, input_signature=spec)
        return lambda x, m: run(tf.constant(x), tf.constant(m[..., None].astype(np.float32))).numpy()

    def fill_only(options):
        layer = CoarseFill(**{**shipped_fill.get_config(), **options, "name": None, "dtype": "float32"})
        return compiled(lambda x, m: layer(x, m))

    def pipeline_repair(thin_keeps_fill):
        def run(x, m):
            outputs = repairer({"images": x, "masks": m}, training=False)
            out = detailed_repair(outputs, x, m)
            if thin_keeps_fill:
                thin = m - textured_part(m, THIN)
                out = out * (1.0 - thin) + shipped_fill(x, m) * thin
            return out
        return compiled(run)

    methods = {f"fill {name}": fill_only(options) for name, options in FILL_VARIANTS.items()}
    methods["U-Net + detail (shipped)"] = pipeline_repair(False)
    methods["U-Net + detail, thin parts keep the coarse fill"] = pipeline_repair(True)
    report = {"provenance": manifests.measured(("repair_rgb",)), "fill_variants": FILL_VARIANTS, "thin": THIN}
    for size in (int(s) for s in args.sizes.split(",")):
        report[f"rgb_{size}"] = part = box_psnr_table(methods, size, warmup=True)
        print(size, json.dumps({n: (v["psnr"], v["psnr_capped_60"], v["ssim"], v["seconds_per_picture"])
                                for n, v in part.items() if n != "pictures"}, indent=0), flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
