"""The QC pipeline measured on an independent set (`independent.py`): what a user would see.

Every picture goes through the whole pipeline (assess -> locate -> repair -> re-check) clean and
corrupted, at its own size. Reported (issue 27's protocol):

- detection: image AUROC of 1 - score (corrupted vs clean; also plain and stylised apart), the
  false-positive rate on clean pictures at the pipeline's threshold (plain and stylised apart),
  the detection rate of each artifact kind;
- location, against the changed pixels, per corrupted image (a missed image counts 0): pixel
  IoU / F1 of the located pixels (`QCResult.located_pixels`: the pixel head's marks in flagged
  regions), region IoU / F1 of the flagged regions (the map's cells: `regions` in the report);
- repair, in the bounding box of the true mask against the clean original: PSNR / SSIM of the
  returned image and its gain over the corrupted input, next to oracle-mask `cv2.inpaint`
  (Telea, NS), `skimage` biharmonic and our repairer on the same true masks; the fix rate
  (flagged corrupted pictures accepted after repair); clean pictures returned at >= 45 dB;
- digits: the share of accepted repairs whose class (the shipped MNIST classifier) differs from
  the clean original's.
"""

from __future__ import annotations

import numpy as np

from gan_style.core import metrics
from gan_style.core.data import shape_batches
from gan_style.qc.independent import CorruptedSet

CLEAN_DB = 45.0  # a clean picture returned this close to its input counts as untouched


def _signed(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 127.5 - 1.0


def run_pipeline(pipeline, images: list[np.ndarray], batch_size: int = 8) -> dict:
    """The pipeline on pictures of any sizes (grouped by shape): per picture score_before,
    score_after, abnormal, accepted, passes, the located regions and pixels
    ((H, W) bool each), the returned image (uint8: the repair if accepted, else the input, as the
    CLI's `repaired.png`)."""
    from gan_style.core.io import to_domain, to_uint8

    n = len(images)
    out = {"score_before": np.zeros(n), "score_after": np.zeros(n), "abnormal": np.zeros(n, bool),
           "accepted": np.zeros(n, bool), "passes": np.zeros(n, int), "located": [None] * n, "pixels": [None] * n,
           "returned": [None] * n}
    for chunk in shape_batches(images, batch_size):
        result = pipeline.run(np.stack([to_domain(images[i], pipeline.domain) for i in chunk]))
        for j, i in enumerate(chunk):
            out["score_before"][i], out["score_after"][i] = result.score_before[j], result.score_after[j]
            out["abnormal"][i], out["accepted"][i] = result.abnormal[j], result.accepted[j]
            out["passes"][i] = result.passes[j]
            out["located"][i] = result.located(j)[0]
            out["pixels"][i] = result.located_pixels[j]
            # what the CLI writes as repaired.png: a rejected picture comes back as it came in
            out["returned"][i] = to_uint8(result.repaired[j]) if result.accepted[j] else images[i]
    return out


def _box(mask: np.ndarray, least: int = 7) -> tuple[slice, slice]:
    """The bounding box of `mask`, grown to at least `least` px a side inside the picture."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h, w = mask.shape

    def grow(a, b, size):
        if b - a >= least:
            return a, b
        a = min(max(0, (a + b - least) // 2), max(0, size - least))
        return a, min(size, a + least)

    (y0, y1), (x0, x1) = grow(y0, y1, h), grow(x0, x1, w)
    return slice(y0, y1), slice(x0, x1)


def box_quality(output: np.ndarray, clean: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(PSNR capped at 100 dB, SSIM) of uint8 `output` against `clean` in the box of `mask`."""
    from skimage.metrics import structural_similarity

    box = _box(mask)
    a, b = _signed(output[box]), _signed(clean[box])
    psnr = min(metrics.psnr(a, b), 100.0)
    win = min(7, *(s - 1 + s % 2 for s in a.shape[:2]))
    ssim = structural_similarity(a, b, data_range=2.0, channel_axis=-1, win_size=max(3, win))
    return float(psnr), float(ssim)


def oracle_inpainters(pipeline) -> dict:
    """Inpainters (image float (H, W, C) in [-1, 1], mask (H, W) bool) -> float image, given the
    true mask: cv2 Telea / NS (when OpenCV is installed), biharmonic, and our repairer (with the
    pipeline's exemplar texture where it uses it)."""
    from gan_style.qc import repair_eval

    methods = {"ours (true mask)": repair_eval.unet_inpainter(
        pipeline.repairer, cell=pipeline.texture_cell if pipeline.texture else None)}
    for flag in ("telea", "ns"):
        method = repair_eval.cv2_inpainter(flag)
        if method is not None:
            methods[f"cv2 {flag}"] = method
    methods["biharmonic"] = repair_eval.biharmonic_inpainter
    return {name: (lambda x, m, f=f: f(x[None], m[None])[0]) for name, f in methods.items()}


def evaluate_set(pipeline, data: CorruptedSet, classifier=None, baselines: bool = True) -> dict:
    """Issue 27's numbers for `pipeline` on `data` (module docstring); `classifier` (digits):
    the MNIST classifier for the class-change rate."""
    from gan_style.core.io import to_domain, to_uint8

    clean, bad = run_pipeline(pipeline, data.clean), run_pipeline(pipeline, data.corrupted)
    stylised = np.array([bool(s) for s in data.stylised])
    kinds = np.array(data.kinds)
    t = pipeline.threshold_for(data.clean[0].shape)  # a set's pictures share their longer side
    report: dict = {"images": len(data.clean), "threshold": t, "stylised": int(stylised.sum()),
                    "auroc": metrics.auroc(1 - bad["score_before"], 1 - clean["score_before"])}
    for name, keep in (("plain", ~stylised), ("stylised", stylised)):
        if keep.any():
            report[f"auroc_{name}"] = metrics.auroc(1 - bad["score_before"][keep], 1 - clean["score_before"][keep])
            report[f"fpr_{name}"] = float(np.mean(clean["abnormal"][keep]))
    report["fpr"] = float(np.mean(clean["abnormal"]))
    report["detection_rate"] = float(np.mean(bad["abnormal"]))
    report["detection_by_kind"] = {k: float(np.mean(bad["abnormal"][kinds == k])) for k in dict.fromkeys(data.kinds)}
    for name, key in (("pixel", "pixels"), ("region", "located")):
        scores = np.array([metrics.mask_iou_f1(p, m) for p, m in zip(bad[key], data.masks, strict=True)])
        report[f"{name}_iou"], report[f"{name}_f1"] = (float(v) for v in scores.mean(axis=0))
    damage = [min(metrics.psnr(_signed(r), _signed(c)), 100.0)
              for r, c in zip(clean["returned"], data.clean, strict=True)]
    report["clean_returned_45db"] = float(np.mean(np.array(damage) >= CLEAN_DB))
    flagged = bad["abnormal"]
    report["fix_rate"] = float(np.mean(bad["accepted"][flagged])) if flagged.any() else None
    before = [box_quality(x, c, m) for x, c, m in zip(data.corrupted, data.clean, data.masks, strict=True)]
    after = [box_quality(x, c, m) for x, c, m in zip(bad["returned"], data.clean, data.masks, strict=True)]
    repair = {"corrupted": _summary(before, before), "pipeline": _summary(after, before)}
    if baselines:
        for name, inpaint in oracle_inpainters(pipeline).items():
            outputs = [to_uint8(inpaint(to_domain(x, pipeline.domain), m))
                       for x, m in zip(data.corrupted, data.masks, strict=True)]
            repair[name] = _summary([box_quality(o, c, m) for o, c, m in zip(outputs, data.clean, data.masks,
                                                                              strict=True)], before)
    report["repair_in_box"] = repair
    if classifier is not None:
        changed = _class_changes(classifier, data, bad)
        report.update(changed)
    report["per_image"] = [
        {"name": n, "kind": k, "stylised": s, "clean_score": round(float(cs), 4),
         "corrupted_score": round(float(bs), 4), "clean_abnormal": bool(ca), "corrupted_abnormal": bool(ba),
         "accepted": bool(acc), "passes": int(p)}
        for n, k, s, cs, bs, ca, ba, acc, p in zip(
            data.names, data.kinds, data.stylised, clean["score_before"], bad["score_before"], clean["abnormal"],
            bad["abnormal"], bad["accepted"], bad["passes"], strict=True)]
    return report


def _summary(scores: list[tuple[float, float]], before: list[tuple[float, float]]) -> dict:
    psnr, ssim = np.array(scores).T
    return {"psnr": round(float(psnr.mean()), 3), "ssim": round(float(ssim.mean()), 4),
            "gain_db": round(float((psnr - np.array(before)[:, 0]).mean()), 3)}


def _class_changes(classifier, data: CorruptedSet, bad: dict) -> dict:
    """Among accepted repairs (flagged, repaired, accepted): the share whose predicted class
    differs from the clean original's."""
    repaired = bad["abnormal"] & bad["accepted"] & (bad["passes"] > 0)
    if not repaired.any():
        return {"accepted_repairs": 0, "class_changed": None}
    idx = np.flatnonzero(repaired)
    original = np.stack([_signed(data.clean[i]) for i in idx])
    returned = np.stack([_signed(bad["returned"][i]) for i in idx])
    before = np.argmax(classifier.predict(original, verbose=0), axis=-1)
    after = np.argmax(classifier.predict(returned, verbose=0), axis=-1)
    return {"accepted_repairs": int(len(idx)), "class_changed": float(np.mean(before != after))}


def _number(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_report(name: str, report: dict) -> str:
    """A few lines of a set's report, for the terminal."""
    rows = [f"{name}: {report['images']} pictures ({report['stylised']} stylised), threshold {report['threshold']:.3f}",
            f"  AUROC {report['auroc']:.3f}" + "".join(f"  {k} {report[k]:.3f}" for k in (
                "auroc_plain", "auroc_stylised", "fpr_plain", "fpr_stylised") if k in report),
            f"  detection {report['detection_rate']:.3f}: " + ", ".join(
                f"{k} {v:.2f}" for k, v in report["detection_by_kind"].items()),
            f"  pixel IoU {report['pixel_iou']:.3f} F1 {report['pixel_f1']:.3f} (regions {report['region_iou']:.3f}); "
            f"fix rate "
            f"{_number(report['fix_rate'])}; clean returned >= 45 dB "
            f"{report['clean_returned_45db']:.3f}"]
    for method, r in report["repair_in_box"].items():
        rows.append(f"  box {method:18s} PSNR {r['psnr']:6.2f} SSIM {r['ssim']:.3f} gain {r['gain_db']:+.2f} dB")
    if "class_changed" in report and report["class_changed"] is not None:
        rows.append(f"  accepted repairs {report['accepted_repairs']}, class changed {report['class_changed']:.3f}")
    return "\n".join(rows)


def evaluate_independent(domain: str, sizes: tuple[int, ...] = (256, 512), num: int | None = None, seed: int = 0,
                         baselines: bool = True, quality: str | None = None, done=None) -> dict:
    """The shipped pipeline of `domain` (with `quality`, another quality checkpoint) on the
    independent sets: digits (`num` held-out digits, default 400) or RGB at each longer side of
    `sizes` (`num` reserved pictures, default all). -> {"digits": report} or {"rgb_<side>": report};
    `done(name, report)`, when given, is called as each set is finished (minutes apart on RGB)."""
    from gan_style.core import checkpoints
    from gan_style.qc import independent
    from gan_style.qc.pipeline import QCPipeline

    pipeline = QCPipeline.from_pretrained(domain, quality=quality)
    reports = {}
    if domain == "digits":
        classifier = checkpoints.load_model("mnist_classifier", "classifier.keras")
        reports["digits"] = evaluate_set(pipeline, independent.digit_set(num or 400, seed), classifier, baselines)
        if done:
            done("digits", reports["digits"])
        return reports
    pictures = independent.reserved_pictures()
    for side in sizes:
        name = f"rgb_{side}"
        reports[name] = evaluate_set(pipeline, independent.rgb_set(side, num, seed, pictures=pictures),
                                     baselines=baselines)
        if done:
            done(name, reports[name])
    return reports
