"""Repair evaluation: our U-Net beside classical inpainting on the same validation holes.

Validation images (never trained on) get one simulated artifact each; a method fills the mask from
the corrupted image. Measured inside the mask against the clean original: PSNR and SSIM, and the
PSNR gain over leaving the corrupted pixels. Masks: the true masks of changed pixels, and the
masks the shipped quality regressor predicts (what the pipeline really repairs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gan_style.core import metrics
from gan_style.core.io import to_uint8
from gan_style.qc.artifacts import ARTIFACTS, corrupt
from gan_style.qc.clean import clean_images

# method(images (B, H, W, C) in [-1, 1], masks (B, H, W) bool) -> repaired images, same range
Inpainter = Callable[[np.ndarray, np.ndarray], np.ndarray]


def masked_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray, data_range: float = 2.0) -> float:
    """PSNR over the pixels where `mask` (H, W) is True (all channels); inf when identical."""
    diff = (np.asarray(a, np.float64) - np.asarray(b, np.float64))[mask]
    mse = float(np.mean(diff**2)) if diff.size else 0.0
    return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))


def masked_ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray, data_range: float = 2.0) -> float:
    """Mean of the SSIM map over the masked pixels (7x7 windows; images (H, W, C))."""
    from skimage.metrics import structural_similarity

    _, full = structural_similarity(a, b, data_range=data_range, channel_axis=-1, full=True, win_size=7)
    return float(full.mean(axis=-1)[mask].mean())


def unet_inpainter(repairer, cell: int | None = None) -> Inpainter:
    """The repair U-Net on (images, masks) batches of 64; with `cell`, plus exemplar detail in the
    hole as the RGB pipeline repairs (`texture.detailed_repair`)."""
    import tensorflow as tf

    from gan_style.qc.texture import detailed_repair

    spec = tf.TensorSpec((None, None, None, repairer.inputs[0].shape[-1]), tf.float32)

    @tf.function(input_signature=[spec, tf.TensorSpec((None, None, None, 1), tf.float32)])
    def run(images, masks):
        outputs = repairer({"images": images, "masks": masks}, training=False)
        return outputs["repaired"] if cell is None else detailed_repair(outputs, images, masks, cell=cell)

    def inpaint(images, masks):
        out = []
        for start in range(0, len(images), 64):
            x, m = images[start : start + 64], masks[start : start + 64, ..., None].astype(np.float32)
            out.append(run(tf.constant(x, tf.float32), tf.constant(m)).numpy())
        return np.concatenate(out)

    return inpaint


def texture_inpainter(repairer, cell: int = 8) -> Inpainter:
    """The U-Net's fill plus exemplar detail (`texture.detailed_repair`), what the RGB pipeline
    repairs with: costs PSNR inside the hole (copied detail is not the lost detail) and buys
    texture where the smooth fill is a blob."""
    return unet_inpainter(repairer, cell=cell)


def coarse_fill_inpainter(images: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The U-Net's own starting point alone (`CoarseFill`, no network): the ablation that shows
    what training adds."""
    from gan_style.qc.repair_unet import CoarseFill

    return np.asarray(CoarseFill()(images.astype(np.float32), masks[..., None].astype(np.float32)))


def cv2_inpainter(flag: str) -> Inpainter | None:
    """`cv2.inpaint` with "telea" or "ns" (radius 3), or None when OpenCV is not installed."""
    try:
        import cv2
    except ImportError:
        return None
    method = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[flag]

    def inpaint(images, masks):
        out = []
        for image, mask in zip(images, masks, strict=True):
            filled = cv2.inpaint(to_uint8(image), mask.astype(np.uint8), 3, method)
            filled = filled.reshape(image.shape).astype(np.float32) / 127.5 - 1.0
            out.append(np.where(mask[..., None], filled, image))
        return np.stack(out)

    return inpaint


def biharmonic_inpainter(images: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """`skimage.restoration.inpaint_biharmonic` per image (channels filled jointly); an image
    masked everywhere has no known pixel to solve from and is returned unchanged."""
    from skimage.restoration import inpaint_biharmonic

    out = []
    for image, mask in zip(images, masks, strict=True):
        # nothing to fill, or no known pixel to fill from (a wholly flagged image): left as it is
        filled = inpaint_biharmonic(image, mask, channel_axis=-1) if mask.any() and not mask.all() else image
        out.append(np.where(mask[..., None], filled, image).astype(np.float32))
    return np.stack(out)


def validation_set(domain: str, num: int, seed: int = 2024, size: int = 64):
    """(clean, corrupted, true masks (B, H, W) bool, kinds) on validation images; every artifact
    kind in turn, strengths uniform in [0.3, 1]; artifacts that change nothing are dropped."""
    images, _ = clean_images(domain, "validation", num, seed, size)
    rng = np.random.default_rng(seed)
    kinds = list(ARTIFACTS[domain])
    pairs = [corrupt(x, kinds[i % len(kinds)], rng, float(rng.uniform(0.3, 1.0)), domain)
             for i, x in enumerate(images)]
    corrupted, masks = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    keep = masks.reshape(len(masks), -1).any(axis=1)
    return images[keep], corrupted[keep], masks[keep], [kinds[i % len(kinds)] for i in np.flatnonzero(keep)]


def score_inpainting(method: Inpainter, clean, corrupted, masks) -> dict:
    """Mean masked PSNR / SSIM against the clean images and the PSNR gain over the corrupted ones."""
    repaired = method(corrupted, masks)
    keep = masks.reshape(len(masks), -1).any(axis=1)
    psnr = [min(masked_psnr(r, c, m), 100.0) for r, c, m, k in zip(repaired, clean, masks, keep, strict=True) if k]
    before = [min(masked_psnr(x, c, m), 100.0) for x, c, m, k in zip(corrupted, clean, masks, keep, strict=True) if k]
    ssim = [masked_ssim(r, c, m) for r, c, m, k in zip(repaired, clean, masks, keep, strict=True) if k]
    return {"psnr": round(float(np.mean(psnr)), 3), "ssim": round(float(np.mean(ssim)), 4),
            "psnr_gain": round(float(np.mean(psnr) - np.mean(before)), 3), "images": int(keep.sum())}


def evaluate_repair(repairer, domain: str, num: int = 200, seed: int = 2024, baselines: bool = True,
                    pipeline=None) -> dict:
    """Repair quality with true masks (ours and, with `baselines`, cv2 Telea / NS and biharmonic);
    with a `pipeline` (QCPipeline) also on its predicted masks, damage to clean images and fix rate."""
    clean, corrupted, masks, kinds = validation_set(domain, num, seed)
    methods: dict[str, Inpainter | None] = {"ours": unet_inpainter(repairer)}
    if domain == "rgb":
        methods["ours_texture"] = texture_inpainter(repairer, cell=8)
    if baselines:
        methods.update({"coarse_fill_only": coarse_fill_inpainter, "cv2_telea": cv2_inpainter("telea"),
                        "cv2_ns": cv2_inpainter("ns"), "biharmonic": biharmonic_inpainter})
    report = {"domain": domain, "images": len(clean), "kinds": sorted(set(kinds)),
              "true_masks": {}, "missing": [n for n, m in methods.items() if m is None]}
    for name, method in methods.items():
        if method is not None:
            report["true_masks"][name] = score_inpainting(method, clean, corrupted, masks)
    if pipeline is not None:
        flagged = pipeline_masks(pipeline, corrupted)
        report["predicted_masks"] = {
            name: score_inpainting(method, clean, corrupted, flagged)
            for name, method in methods.items() if method is not None
        }
        report["predicted_masks"]["mask_iou"] = round(float(np.mean(
            [metrics.mask_iou_f1(f, m)[0] for f, m in zip(flagged, masks, strict=True)])), 4)
        report.update(pipeline_numbers(pipeline, clean, corrupted))
    return report


def capped_psnr(a: np.ndarray, b: np.ndarray, cap: float = 100.0) -> np.ndarray:
    """Whole-image PSNR of each pair of (B, H, W, C) batches, capped at `cap` dB (identical: cap)."""
    return np.array([min(metrics.psnr(x, y), cap) for x, y in zip(a, b, strict=True)])


def pipeline_masks(pipeline, images: np.ndarray) -> np.ndarray:
    """The pixels the pipeline's first pass repairs, (B, H, W) bool, whether or not the repair
    is kept (none in an image scored clean)."""
    return pipeline.run(images, max_passes=1).tried


def pipeline_numbers(pipeline, clean: np.ndarray, corrupted: np.ndarray, masks: np.ndarray | None = None) -> dict:
    """Damage to clean images (PSNR output vs input), fix rate (abnormal images accepted after
    repair) and whole-image PSNR of the corrupted images to their clean originals, before and after
    the whole pipeline (PSNR capped at 100 dB); with the true `masks` (B, H, W) bool, the share of
    their pixels repaired in the returned images."""
    clean_run = pipeline.run(clean)
    damage = capped_psnr(clean_run.repaired, clean)
    bad_run = pipeline.run(corrupted)
    abnormal = bad_run.abnormal
    before, after = capped_psnr(corrupted, clean), capped_psnr(bad_run.repaired, clean)
    return {
        "corrupted_psnr_before": round(float(np.mean(before)), 2),
        "corrupted_psnr_after": round(float(np.mean(after)), 2),
        "clean_psnr": round(float(np.mean(damage)), 2),
        "clean_psnr_median": round(float(np.median(damage)), 2),
        "clean_at_least_45db": round(float(np.mean(np.asarray(damage) >= 45.0)), 4),
        "clean_flagged": round(float(np.mean(clean_run.abnormal)), 4),
        "corrupted_flagged": round(float(np.mean(abnormal)), 4),
        "fix_rate": round(float(np.mean(bad_run.accepted[abnormal])), 4) if abnormal.any() else None,
        "mean_passes": round(float(np.mean(bad_run.passes[abnormal])), 3) if abnormal.any() else 0.0,
        **({} if masks is None else {"true_mask_repaired": round(float(bad_run.masks[masks].mean()), 4)}),
    }
