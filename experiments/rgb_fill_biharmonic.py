"""A biharmonic coarse fill under the RGB repair U-Net, on validation pictures (never the reserved ones).

Ran at 12379e5. The biharmonic steps (`CoarseFill(bi_iterations=...)`) and `train repair --fill` were
removed after that record and came back in d7743cc (the shipped RGB U-Net runs on that fill), so it
runs on main again; `box_psnr_table` is shared with `rgb_thin_fill.py`.

Question (issue 27, "repair gain >= biharmonic" at 256 px: our fill with the true mask +13.94 dB, skimage's
biharmonic +14.37 on the independent set): the U-Net's residual adds nothing to its coarse fill
(`rgb_fill_true_mask.py`), and that fill relaxes Laplace's equation, which cannot continue a gradient
into a hole (a dead pixel on a ramp comes back flat). Does relaxing towards the biharmonic equation after
it (`CoarseFill(bi_iterations=...)`) close the gap, at what cost, and does a U-Net trained on that fill
(`--fill biharmonic`) keep it once the pipeline's exemplar detail is added? And what does that detail
cost where the hole is thin (a dead pixel, a scratch)?

The set: the 90 whole validation pictures of `qc_validation_select.py` (validation packages and bundled
validation pictures, plain and stylised; its cache) at 256 and 512 px, each corrupted once by the
project's simulator, its eleven kinds in turn; the mask is every changed pixel; box PSNR / SSIM to the
clean picture (`qc.eval.box_quality`; PSNR also capped at 60 dB, as one exactly filled flat box at the
100 dB cap moves a mean over 90 by 0.5 dB). Fills: Laplace (the previous one), Laplace then biharmonic
steps (full size / coarser levels / levels), skimage's exact biharmonic solve; then each repair U-Net
of `--repairers` alone and with the pipeline's exemplar detail, over the whole hole (thin 0) and only
where a 5-px square fits (thin 2, `texture.THIN`).
Seconds: one picture at a time, compiled, on this 2-core CPU shared with a training run (compare
within a run).

    git show 23b365f:checkpoints/repair_rgb/repairer.keras > runs/repair_rgb_laplace/repairer.keras
    PYTHONPATH=. .venv/bin/python experiments/rgb_fill_biharmonic.py \
        --repairers runs/repair_rgb_laplace,checkpoints/repair_rgb --out experiments/rgb-fill-biharmonic-2026-12-06.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

import numpy as np

VARIANTS = {"laplace": {},
            "biharmonic 8 / 32, 4 levels": {"bi_iterations": 8, "bi_coarse_iterations": 32, "bi_levels": 4},
            "biharmonic 16 / 32, 4 levels": {"bi_iterations": 16, "bi_coarse_iterations": 32, "bi_levels": 4},
            "biharmonic 64 / 32, 10 levels": {"bi_iterations": 64, "bi_coarse_iterations": 32, "bi_levels": 10}}


def box_psnr_table(methods: dict, size: int, warmup: bool = False, accept=None, seeds=(0,)) -> dict:
    """Each inpainter of `methods` ((1, H, W, 3) float in [-1, 1] with the hole zeroed, (1, H, W) bool
    -> (1, H, W, 3)) on `qc_validation_select`'s cached pictures at `size`, the mask every changed
    pixel: box PSNR (mean, capped at 60 dB, median, by kind), SSIM and seconds a picture. `warmup`:
    each method traced on the first picture before it is timed. `accept` (returned (H, W, 3) uint8 ->
    bool): also the share of repairs it accepts, overall and by kind. `seeds`: the cached sets drawn
    with each seed (the same pictures, corrupted afresh), pooled."""
    from experiments.qc_validation_select import cached_set
    from gan_style.qc import eval as qc_eval

    clean_set, bad_set, kind_set = [], [], []
    for seed in seeds:
        _, clean, bad, kinds = cached_set(size, seed=seed)
        clean_set, bad_set, kind_set = clean_set + clean, bad_set + bad, kind_set + kinds
    scores = {name: [] for name in methods}
    accepted = {name: [] for name in methods}
    seconds = dict.fromkeys(methods, 0.0)
    kinds = []
    for clean, bad, kind in zip(clean_set, bad_set, kind_set, strict=True):
        mask = (clean != bad).any(-1)
        if not mask.any():
            continue
        kinds.append(kind)
        x = ((bad.astype(np.float32) / 127.5 - 1.0) * ~mask[..., None])[None].astype(np.float32)
        for name, method in methods.items():
            if warmup and len(kinds) == 1:
                method(x, mask[None])
            start = time.perf_counter()
            out = method(x, mask[None])[0]
            seconds[name] += time.perf_counter() - start
            returned = np.round((np.clip(out, -1, 1) + 1.0) * 127.5).astype(np.uint8)
            scores[name].append(qc_eval.box_quality(returned, clean, mask))
            if accept is not None:
                accepted[name].append(bool(accept(returned)))
    kinds = np.array(kinds)
    part = {"pictures": len(kinds)}
    for name, values in scores.items():
        psnr = np.array([v[0] for v in values])
        part[name] = {"psnr": round(float(psnr.mean()), 3),
                      "psnr_capped_60": round(float(np.minimum(psnr, 60).mean()), 3),
                      "psnr_median": round(float(np.median(psnr)), 3),
                      "ssim": round(float(np.mean([v[1] for v in values])), 4),
                      "seconds_per_picture": round(seconds[name] / len(kinds), 4),
                      "psnr_by_kind": {k: round(float(psnr[kinds == k].mean()), 2) for k in sorted(set(kinds))}}
        if accept is not None:
            ok = np.array(accepted[name])
            part[name]["accepted"] = round(float(ok.mean()), 4)
            part[name]["accepted_by_kind"] = {k: round(float(ok[kinds == k].mean()), 2) for k in sorted(set(kinds))}
    return part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--repairers", required=True,
                        help="repair checkpoint folders, comma-separated (e.g. one per fill)")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from gan_style.core import manifests
    from gan_style.qc import repair_eval
    from gan_style.qc.repair_unet import CoarseFill
    from gan_style.qc.texture import THIN, transfer_detail

    spec = [tf.TensorSpec((None, None, None, 3)), tf.TensorSpec((None, None, None, 1))]

    def compiled(layer):
        run = tf.function(lambda x, m: layer(x, m), input_signature=spec)
        return lambda x, m: run(tf.constant(x), tf.constant(m[..., None].astype(np.float32))).numpy()

    def with_detail(inpaint, thin):  # the pipeline's exemplar detail on a fill (`texture.detailed_repair`)
        detail = tf.function(lambda x, m: transfer_detail(x, m, cell=8, thin=thin), input_signature=spec)

        def run(images, masks):
            return detail(tf.constant(inpaint(images, masks)), tf.constant(masks[..., None].astype(np.float32))).numpy()
        return run

    methods = {name: compiled(CoarseFill(**options)) for name, options in VARIANTS.items()}
    methods["skimage biharmonic"] = repair_eval.biharmonic_inpainter
    report = {"provenance": manifests.measured(("repair_rgb",)), "variants": VARIANTS, "repairers": {}}
    for folder in args.repairers.split(","):
        path = f"{folder}/repairer.keras"
        repairer = keras.saving.load_model(path)
        report["repairers"][folder] = hashlib.sha256(open(path, "rb").read()).hexdigest()
        methods[f"U-Net {folder}"] = repair_eval.unet_inpainter(repairer)
        for thin in (0, THIN):
            methods[f"U-Net {folder} + detail, thin {thin}"] = with_detail(repair_eval.unet_inpainter(repairer), thin)
    for size in (int(s) for s in args.sizes.split(",")):
        report[f"rgb_{size}"] = part = box_psnr_table(methods, size)
        print(size, json.dumps({n: (v["psnr"], v["psnr_capped_60"], v["seconds_per_picture"])
                                for n, v in part.items() if n != "pictures"}))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
