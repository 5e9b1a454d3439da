"""Experiment (issue 27): choose between RGB quality checkpoints on VALIDATION pictures, whole, at
users' sizes, before anything is measured on the reserved set.

The set: `regressor_trainer.calibration_pictures` (validation packages and bundled validation
pictures, never trained on, not reserved; plain and stylised) at 256 and 512 px, each clean and
once corrupted by the project's simulator, every kind in turn (all eleven, blur- and warp-like
kinds included), covering 1-10% of the picture. Per checkpoint, at its own shipped threshold
(chosen on the same clean pictures, so the false-alarm rate is about 5% by construction):
image AUROC, false alarms, detection overall and per kind; also the threshold the same rule
gives without our decoder's outputs among the clean pictures; the per-side threshold the same rule
gives on these clean pictures, with detection at it (`by_side`: comparable across checkpoints
calibrated on other draws of the stylised pictures); and median scores of holes, defocus and
smears whole and in a 128-px crop around them (is a weak response a context effect?). Run:

    PYTHONPATH=. .venv/bin/python experiments/qc_validation_select.py checkpoints/quality_rgb runs/X \
        --out experiments/rgb-quality-validation-select-DATE.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

CACHE = Path("runs/validation_select")  # sets drawn with the simulator of their time: `--cache` for a fresh draw
SIDES = (256, 512)


def validation_set(side: int, seed: int = 0):
    """(names, clean uint8 pictures, corrupted uint8 pictures, kinds) at `side`."""
    from gan_style.qc.artifacts import RGB_ARTIFACTS, corrupt
    from gan_style.qc.regressor_trainer import calibration_pictures

    kinds_all = sorted(RGB_ARTIFACTS)
    pictures = calibration_pictures(seed, (side,))[side]
    rng = np.random.default_rng(seed + side)
    clean, bad, kinds = [], [], []
    for i, image in enumerate(pictures.values()):
        x = image.astype(np.float32) / 127.5 - 1.0
        kind = kinds_all[i % len(kinds_all)]
        for _ in range(30):  # a strength whose change covers 1-10% of the picture
            y, m = corrupt(x, kind, rng, float(rng.uniform(0.05, 0.8)), domain="rgb")
            if 0.01 <= m.mean() <= 0.10:
                break
        clean.append(image)
        bad.append(np.round((y + 1.0) * 127.5).clip(0, 255).astype(np.uint8))
        kinds.append(kind)
    return list(pictures), clean, bad, kinds


def cached_set(side: int, folder: Path = CACHE, seed: int = 0):
    cache = folder / (f"validation-{side}.npz" if seed == 0 else f"validation-{side}-seed{seed}.npz")
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        return tuple(list(z[k]) for k in ("names", "clean", "bad", "kinds"))
    names, clean, bad, kinds = validation_set(side, seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(cache, names=np.array(names, object), clean=np.array(clean, object), bad=np.array(bad, object),
             kinds=np.array(kinds, object))
    return names, clean, bad, kinds


CONTEXT_KINDS = ("hole", "defocus", "smear")
CROP = 128  # px, the training crop of the shipped regressor


def _crop_around_change(clean: np.ndarray, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CROP x CROP window centred on the changed pixels, of the clean and the corrupted picture."""
    ys, xs = np.nonzero(np.abs(clean.astype(int) - bad.astype(int)).max(-1) > 2)
    h, w = bad.shape[:2]
    y0 = int(np.clip(ys.mean() - CROP // 2, 0, h - CROP))
    x0 = int(np.clip(xs.mean() - CROP // 2, 0, w - CROP))
    return clean[y0:y0 + CROP, x0:x0 + CROP], bad[y0:y0 + CROP, x0:x0 + CROP]


def measure(checkpoint: str, sets: dict) -> dict:
    """Per side: AUROC, false alarms (ours = our decoder's outputs, apart), detection overall and
    per kind at the checkpoint's threshold; detection at a threshold calibrated without our
    decoder's outputs; median scores of CONTEXT_KINDS whole and as a CROP-px crop around the defect."""
    from gan_style.core import checkpoints, metrics
    from gan_style.qc.regressor_trainer import global_scores

    regressor = checkpoints.load_model(checkpoint, "regressor.keras")
    threshold = float(checkpoints.read_manifest(checkpoint)["threshold"])
    report, scores = {"threshold": threshold}, {}
    for side, (names, clean, bad, kinds) in sets.items():
        sc, sb = global_scores(regressor, clean), global_scores(regressor, bad)
        ours = np.array([n.startswith("ours:") for n in names])
        scores[side] = sc, sb, ours
        auroc = float((sb[:, None] < sc[None]).mean() + 0.5 * (sb[:, None] == sc[None]).mean())
        flagged = sb < threshold
        context = {}
        for kind in CONTEXT_KINDS:
            chosen = [i for i, k in enumerate(kinds) if k == kind]
            crops = [_crop_around_change(clean[i], bad[i]) for i in chosen]
            context[kind] = {"whole_corrupted": float(np.median(sb[chosen])),
                             "crop_corrupted": float(np.median(global_scores(regressor, [b for _, b in crops]))),
                             "whole_clean": float(np.median(sc[chosen])),
                             "crop_clean": float(np.median(global_scores(regressor, [c for c, _ in crops])))}
        report[str(side)] = {
            "pictures": len(clean), "auroc": auroc, "false_alarms": float(np.mean(sc < threshold)),
            "false_alarms_ours": float(np.mean(sc[ours] < threshold)),
            "false_alarms_others": float(np.mean(sc[~ours] < threshold)),
            "detection": float(flagged.mean()),
            "detection_by_kind": {k: float(np.mean([f for f, kk in zip(flagged, kinds, strict=True) if kk == k]))
                                  for k in sorted(set(kinds))},
            "whole_vs_crop_medians": context,
        }
    # the rule of `calibrate_rgb` on these clean pictures, per side (the pipeline's thresholds by side):
    # comparable across checkpoints whatever clean pictures their manifests were calibrated on
    for side, (sc, sb, ours) in scores.items():
        t = float(metrics.threshold_for_fpr(sc, 0.05))
        flagged = sb < t
        kinds = sets[side][3]
        report[str(side)]["by_side"] = {
            "threshold": t, "false_alarms": float(np.mean(sc < t)),
            "false_alarms_ours": float(np.mean(sc[ours] < t)), "detection": float(flagged.mean()),
            "detection_by_kind": {k: float(np.mean([f for f, kk in zip(flagged, kinds, strict=True) if kk == k]))
                                  for k in sorted(set(kinds))}}
    # the rule of `calibrate_rgb` on the clean pictures that are not our decoder's outputs
    without = min(metrics.threshold_for_fpr(sc[~ours], 0.05) for sc, _, ours in scores.values())
    report["calibrated_without_ours"] = {"threshold": float(without), **{
        str(side): {"detection": float(np.mean(sb < without))} for side, (_, sb, _) in scores.items()}}
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoints", nargs="+", help="quality checkpoint folders or names")
    parser.add_argument("--out", help="write the report as JSON here")
    parser.add_argument("--cache", default=str(CACHE), help="folder of the drawn sets (drawn there when missing)")
    parser.add_argument("--seed", type=int, default=0, help="which draw of stylised pictures and corruptions")
    args = parser.parse_args()
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    start = time.time()
    sets = {side: cached_set(side, Path(args.cache), args.seed) for side in SIDES}
    print(f"sets ready in {time.time() - start:.0f} s")
    report = {"sides": list(SIDES), "cache": args.cache, "seed": args.seed, "checkpoints": {}}
    for checkpoint in args.checkpoints:
        report["checkpoints"][checkpoint] = row = measure(checkpoint, sets)
        for side in SIDES:
            r = row[str(side)]
            kinds = ", ".join(f"{k} {v:.0%}" for k, v in r["detection_by_kind"].items())
            print(f"{checkpoint} {side} px: AUROC {r['auroc']:.3f}, false alarms {r['false_alarms']:.1%} "
                  f"(ours {r['false_alarms_ours']:.1%}, others {r['false_alarms_others']:.1%}), "
                  f"detection {r['detection']:.0%} ({kinds}); whole / crop medians {r['whole_vs_crop_medians']}")
            b = r["by_side"]
            print(f"{checkpoint} {side} px, threshold by side {b['threshold']:.4f}: false alarms "
                  f"{b['false_alarms']:.1%} (ours {b['false_alarms_ours']:.1%}), detection {b['detection']:.0%} "
                  f"({', '.join(f'{k} {v:.0%}' for k, v in b['detection_by_kind'].items())})")
        print(f"{checkpoint} calibrated without our outputs: {row['calibrated_without_ours']}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
