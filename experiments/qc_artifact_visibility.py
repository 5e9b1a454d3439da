"""Experiment (issue 27): how visible are the independent RGB set's artifacts, and are the missed
ones the faint ones?

The independent set (`gan_style.qc.independent.rgb_set`) keeps an artifact when it changes at least
0.4% of the picture by more than one uint8 level. On the smooth wallpapers of the reserved packages
a blur or a grid distortion can pass that rule and still be invisible. This script draws the same
seeded set again (the command of `bench/results/independent/qc-rgb-2026-12-06c.json`: every
reserved picture, seed 0, sides 256 and 512), measures each artifact's strength against its clean
picture, and joins it with that file's per-picture rows (detected or not, by the shipped pipeline;
nothing is run through the QC models here):

- `rms`: the root-mean-square change inside the mask, in uint8 levels (all channels);
- `ssim_box`: SSIM (luma) of corrupted against clean in the mask's bounding box (>= 7 px a side);
- faint: `ssim_box` >= FAINT_SSIM (a change that leaves the box's structure as it was).

Per side and kind: count, detection, the median `rms` and `ssim_box` of detected and missed
artifacts, the share that is faint, and detection among the others. Also a picture of every
missed blur and grid distortion (clean, corrupted, mask outline). Reported beside the targets,
not instead of them: the protocol is unchanged. Run:

    PYTHONPATH=. .venv/bin/python experiments/qc_artifact_visibility.py \
        --out experiments/qc-artifact-visibility-DATE.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

FAINT_SSIM = 0.95
RESULTS = Path("bench/results/independent/qc-rgb-2026-12-06c.json")


def strength(clean: np.ndarray, bad: np.ndarray, mask: np.ndarray) -> dict:
    """rms (levels, inside `mask`) and luma SSIM in the mask's box of `bad` against `clean`."""
    from skimage.metrics import structural_similarity

    diff = bad.astype(np.float64) - clean.astype(np.float64)
    rms = float(np.sqrt((diff[mask] ** 2).mean())) if mask.any() else 0.0
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    grow_y, grow_x = max(0, 7 - (y1 - y0)), max(0, 7 - (x1 - x0))
    y0, y1 = max(0, y0 - grow_y), min(h, y1 + grow_y)
    x0, x1 = max(0, x0 - grow_x), min(w, x1 + grow_x)
    luma = np.array([0.299, 0.587, 0.114])
    a, b = clean[y0:y1, x0:x1] @ luma, bad[y0:y1, x0:x1] @ luma
    ssim = float(structural_similarity(a, b, data_range=255.0, win_size=7))
    return {"rms": round(rms, 2), "ssim_box": round(ssim, 4)}


def montage(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], path: Path, side: int = 256) -> None:
    """Clean | corrupted | corrupted with the mask outlined in red, one row per artifact."""
    import cv2
    from PIL import Image

    strips = []
    for clean, bad, mask in rows:
        scale = side / max(clean.shape[:2])
        size = (round(clean.shape[1] * scale), round(clean.shape[0] * scale))
        a, b = (cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in (clean, bad))
        m = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        c = b.copy()
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(c, contours, -1, (255, 0, 0), 1)
        strip = np.concatenate([a, b, c], axis=1)
        strips.append(np.pad(strip, ((0, side - strip.shape[0]), (0, 3 * side - strip.shape[1]), (0, 0))))
    Image.fromarray(np.concatenate(strips, axis=0)).save(path, quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sides", default="256,512")
    args = parser.parse_args()

    from gan_style.qc import independent

    recorded = json.loads(RESULTS.read_text())
    pictures = independent.reserved_pictures()
    report = {"results_file": str(RESULTS), "faint_ssim": FAINT_SSIM, "sides": {}}
    for side in (int(s) for s in args.sides.split(",")):
        rows = recorded[f"rgb_{side}"]["per_image"]
        data = independent.rgb_set(side, None, 0, pictures=pictures)
        assert [r["name"] for r in rows] == data.names and [r["kind"] for r in rows] == data.kinds, \
            "the set drawn again differs from the recorded one"
        per_image, missed = [], []
        for row, clean, bad, mask in zip(rows, data.clean, data.corrupted, data.masks, strict=True):
            s = strength(clean, bad, mask)
            per_image.append({"name": row["name"], "kind": row["kind"], "stylised": row["stylised"],
                              "detected": bool(row["corrupted_abnormal"]), **s})
            if not row["corrupted_abnormal"] and row["kind"] in ("blur", "grid_distortion"):
                missed.append((clean, bad, mask))
        kinds = {}
        for kind in dict.fromkeys(r["kind"] for r in per_image):
            group = [r for r in per_image if r["kind"] == kind]
            seen = [r for r in group if r["ssim_box"] < FAINT_SSIM]

            def median(key, rows):
                return round(float(np.median([r[key] for r in rows])), 4) if rows else None

            kinds[kind] = {
                "count": len(group),
                "detected": round(float(np.mean([r["detected"] for r in group])), 3),
                "faint": round(1 - len(seen) / len(group), 3),
                "detected_not_faint": round(float(np.mean([r["detected"] for r in seen])), 3) if seen else None,
                "rms_detected": median("rms", [r for r in group if r["detected"]]),
                "rms_missed": median("rms", [r for r in group if not r["detected"]]),
                "ssim_detected": median("ssim_box", [r for r in group if r["detected"]]),
                "ssim_missed": median("ssim_box", [r for r in group if not r["detected"]]),
            }
            print(side, kind, kinds[kind], flush=True)
        report["sides"][side] = {"by_kind": kinds, "per_image": per_image}
        picture = Path(args.out).with_name(Path(args.out).stem + f"-missed-{side}.jpg")
        montage(missed, picture)
        report["sides"][side]["missed_picture"] = str(picture)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
