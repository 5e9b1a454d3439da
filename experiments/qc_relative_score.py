"""Experiment (issue 27): does a per-picture *relative* score separate clean from corrupted whole
pictures better than the RGB regressor's absolute global score?

Diagnosis: the shipped RGB regressor ranks a defect low *within* a picture (chelsea 0.19 -> 0.05
with a black square) but its absolute scores vary 1000x *across* clean pictures, so one threshold
that flags <= 5% of clean pictures misses most defects. Candidates, each a number per picture
(higher = more abnormal), from one forward pass at scale 1:

    absolute   -s                                 the shipped global score
    min_cell   -min S                             worst map cell
    drop       median(logit S) - min(logit S)     worst cell below the picture's own typical cell
    drop_k     the same over k x k cell blocks (mean logit), k = 2
    zdrop      drop / (1.4826 MAD(logit S) + eps) robust z-score of the worst cell
    pix_area   share of pixels with P > 0.5       the pixel head alone

Chosen on VALIDATION pictures (`data.validation_pictures`: never trained on, not reserved) with
the project's own simulator artifacts sized 1-10% of the picture; then, once, measured on the
reserved independent set (albumentations/OpenCV artifacts). Run:

    python experiments/qc_relative_score.py --set validation --side 256
    python experiments/qc_relative_score.py --set independent --side 256
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

CACHE = Path("runs/relative_score")
SIM_KINDS = ("color_droplet", "tearing", "smear", "hole", "noise_burst", "blocking", "checkerboard")


def validation_set(side: int, seed: int = 0):
    """Validation pictures at `side`, plain and stylised (as the threshold calibration uses), each
    clean and with one simulator artifact covering 1-10% of it."""
    from gan_style.qc.artifacts import corrupt
    from gan_style.qc.regressor_trainer import calibration_pictures

    pictures = calibration_pictures(seed, (side,))[side]
    rng = np.random.default_rng(seed)
    clean, bad, masks, kinds = [], [], [], []
    for i, image in enumerate(pictures.values()):
        x = image.astype(np.float32) / 127.5 - 1.0
        kind = SIM_KINDS[i % len(SIM_KINDS)]
        for _ in range(20):
            y, m = corrupt(x, kind, rng, float(rng.uniform(0.05, 0.6)), domain="rgb")
            if 0.01 <= m.mean() <= 0.10:
                break
        clean.append(image)
        bad.append(np.round((y + 1.0) * 127.5).clip(0, 255).astype(np.uint8))
        masks.append(m)
        kinds.append(kind)
    stylised = [":" in n and "stylised" in n for n in pictures]
    return list(pictures), clean, bad, masks, kinds, stylised


def independent_set(side: int):
    from gan_style.qc.independent import rgb_set

    s = rgb_set(side)
    return s.names, s.clean, s.corrupted, s.masks, s.kinds, [bool(v) for v in s.stylised]


def outputs(regressor, images):
    """Per picture: global score, score map (h, w), pixel map (H, W) float16."""
    from gan_style.core.data import shape_batches

    res = [None] * len(images)
    for chunk in shape_batches(images, 8):
        batch = np.stack([images[i] for i in chunk]).astype(np.float32) / 127.5 - 1.0
        out = regressor(batch, training=False)
        for j, i in enumerate(chunk):
            res[i] = (float(out["global_score"][j, 0]), np.asarray(out["score_map"][j, ..., 0]),
                      np.asarray(out["pixel_map"][j, ..., 0]).astype(np.float16))
    return res


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def statistics(g, S, P) -> dict:
    L = _logit(S)
    med = np.median(L)
    mad = 1.4826 * np.median(np.abs(L - med)) + 0.25
    h, w = L.shape
    blocks = L[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return {"absolute": -g, "min_cell": -float(S.min()), "drop": float(med - L.min()),
            "drop_k": float(np.median(blocks) - blocks.min()), "zdrop": float((med - L.min()) / mad),
            "pix_area": float((P > 0.5).mean())}


def auroc(neg, pos) -> float:
    neg, pos = np.asarray(neg), np.asarray(pos)
    return float((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=("validation", "independent"), default="validation")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--checkpoint", default="checkpoints/quality_rgb")
    args = parser.parse_args()
    import keras

    import gan_style.core.layers  # noqa: F401 - registers the custom layers the regressor file names

    CACHE.mkdir(parents=True, exist_ok=True)
    cache = CACHE / f"{args.set}-{args.side}.npz"
    start = time.time()
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        names, clean, bad, masks, kinds, stylised = (list(z[k]) for k in
                                                     ("names", "clean", "bad", "masks", "kinds", "stylised"))
    else:
        make = validation_set if args.set == "validation" else independent_set
        names, clean, bad, masks, kinds, stylised = make(args.side)
        np.savez(cache, names=np.array(names, object), clean=np.array(clean, object), bad=np.array(bad, object),
                 masks=np.array(masks, object), kinds=np.array(kinds, object), stylised=np.array(stylised))
    print(f"set built in {time.time() - start:.0f} s: {len(clean)} pictures")
    regressor = keras.saving.load_model(f"{args.checkpoint}/regressor.keras", compile=False)
    oc, ob = outputs(regressor, clean), outputs(regressor, bad)
    np.savez(CACHE / f"{args.set}-{args.side}-outputs.npz",
             clean_g=[o[0] for o in oc], bad_g=[o[0] for o in ob],
             clean_S=np.array([o[1] for o in oc], object), bad_S=np.array([o[1] for o in ob], object),
             clean_P=np.array([o[2] for o in oc], object), bad_P=np.array([o[2] for o in ob], object))
    sc = [statistics(*o) for o in oc]
    sb = [statistics(*o) for o in ob]
    report = {"set": args.set, "side": args.side, "pictures": len(clean), "auroc": {}, "by_kind": {}}
    for key in sc[0]:
        neg, pos = [s[key] for s in sc], [s[key] for s in sb]
        t = np.quantile(neg, 0.95)
        report["auroc"][key] = {"all": auroc(neg, pos), "tpr_at_fpr5": float(np.mean(np.array(pos) > t))}
        report["by_kind"][key] = {k: float(np.mean([p > t for p, kk in zip(pos, kinds, strict=True) if kk == k]))
                                  for k in sorted(set(kinds))}
    print(json.dumps(report, indent=1))
    (CACHE / f"{args.set}-{args.side}-report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
