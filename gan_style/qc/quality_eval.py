"""Measurement of a quality regressor on validation crops never trained on: AUROC, false-positive
rate at the threshold, pixel/cell/region IoU, on seen and held-out artifact types and on real
generation failures, beside trivial detectors (the floor). `python -m gan_style.evaluate quality
--protocol crops` runs it on the shipped regressors; the trainer runs it after training."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from gan_style.core import metrics
from gan_style.qc import regions
from gan_style.qc.artifacts import corrupt
from gan_style.qc.clean import clean_images
from gan_style.qc.failures import FAILURE_SETS
from gan_style.qc.failures import real_failures as collect_real_failures


def trivial_scores(images: np.ndarray) -> dict[str, np.ndarray]:
    """Abnormality scores of the floor detectors, per image: the 95th percentile of the 5x5 local
    variance, and the mean squared Laplacian (noise, grids and blocking raise both)."""
    gray = images.mean(axis=-1)
    mean = ndimage.uniform_filter(gray, size=(1, 5, 5))
    variance = ndimage.uniform_filter(gray**2, size=(1, 5, 5)) - mean**2
    laplacian = np.stack([ndimage.laplace(g) for g in gray])
    return {
        "local_variance": np.percentile(variance.reshape(len(gray), -1), 95, axis=1),
        "laplacian_energy": (laplacian**2).reshape(len(gray), -1).mean(axis=1),
    }


def _detection(regressor, clean, corrupted, masks, threshold, clean_scores, kind_of=None) -> dict:
    """Image-, pixel- and region-level numbers for one set of corrupted images against clean ones
    (with `kind_of`, the artifact name of each corrupted image, also the AUROC of each kind).

    Pixel IoU compares the pixel mask (pixels of flagged cells that the pixel head marks, p > 0.5)
    with exactly the changed pixels, cell IoU the flagged cells upsampled with the same pixels (its
    ceiling is the stride's); region IoU compares flagged cells with the cells that contain any
    changed pixel (the map's resolution).
    """
    from gan_style.core import losses  # Keras: imported when a regressor is measured

    out = regressor.predict(corrupted, batch_size=128, verbose=0)
    scores = out["global_score"][:, 0]
    cells = np.stack([regions.abnormal_mask(m[..., 0], threshold, corrupted.shape[1:3]) for m in out["score_map"]])
    cell_iou, _ = metrics.mask_iou_f1(cells, masks > 0)
    iou, f1 = metrics.mask_iou_f1(cells & (out["pixel_map"][..., 0] > 0.5), masks > 0)
    stride = regions.cell_strides(out["score_map"].shape[1:3], corrupted.shape[1:3])[0]
    true_cells = np.asarray(losses.region_targets(masks, stride))[..., 0] > 0
    region_iou, _ = metrics.mask_iou_f1(out["score_map"][..., 0] < threshold, true_cells)
    result = {
        "auroc": metrics.auroc(1 - scores, 1 - clean_scores),
        "detection_rate": float(np.mean(scores < threshold)),
        "pixel_iou": iou, "pixel_f1": f1, "cell_iou": cell_iou, "region_iou": region_iou, "images": len(corrupted),
    }
    if kind_of is not None:
        result["auroc_by_kind"] = {str(kind): metrics.auroc(1 - scores[kind_of == kind], 1 - clean_scores)
                                   for kind in dict.fromkeys(kind_of)}
    clean_trivial, corrupted_trivial = trivial_scores(clean), trivial_scores(corrupted)
    result["floor_auroc"] = {
        name: metrics.auroc(corrupted_trivial[name], clean_trivial[name]) for name in clean_trivial
    }
    return result


def corrupted_sets(test: np.ndarray, config, seed: int,
                   kinds: list[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The clean test images (N, H, W, C) corrupted once with the seen kinds (`kinds`, by default
    `config.train_kinds()`) and once with the held-out ones (each kind in turn, strength uniform
    in [0.3, 1], one rng of `seed` for both):
    {"seen" | "held_out": (corrupted, masks (n, H, W) bool, kind of each (n,))}, leaving out the
    artifacts that changed nothing."""
    rng = np.random.default_rng(seed)
    sets = {}
    seen = config.train_kinds() if kinds is None else list(kinds)
    for name, group in (("seen", seen), ("held_out", list(config.held_out_kinds))):
        if not group:  # a model trained on every type has no held-out set
            continue
        kind_of = np.array([group[i % len(group)] for i in range(len(test))])
        pairs = [corrupt(x, kind, rng, float(rng.uniform(0.3, 1.0)), config.domain)
                 for x, kind in zip(test, kind_of, strict=True)]
        corrupted, masks = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
        keep = masks.reshape(len(masks), -1).any(axis=1)  # an artifact that changed nothing is no artifact
        sets[name] = corrupted[keep], masks[keep], kind_of[keep]
    return sets


def evaluate_quality(regressor, config, num: int = 1000, seed: int = 12345, real_failures: bool = True,
                     threshold: float | None = None, kinds: list[str] | None = None) -> dict:
    """Measure a quality regressor on validation images never trained on.

    Half of the clean validation images choose the threshold (largest with at most
    `config.max_fpr` of them flagged) unless `threshold` is given; the other half are the clean
    test set, corrupted once with seen artifact types (`kinds`, those the regressor trained on:
    `trained_kinds(manifest)` for a checkpoint; by default `config.train_kinds()`) and once with
    held-out types. Real failures (early DCGAN samples,
    early fusion-decoder outputs) are scored against the clean test images too. Floor: trivial
    detectors on the same images.
    """
    images, source = clean_images(config.domain, "validation", num, seed, config.crop_size)
    calibration, test = images[: len(images) // 2], images[len(images) // 2 :]
    predict = lambda x: regressor.predict(x, batch_size=128, verbose=0)["global_score"][:, 0]  # noqa: E731
    if threshold is None:
        threshold = metrics.threshold_for_fpr(predict(calibration), config.max_fpr)
    clean_scores = predict(test)
    report = {"domain": config.domain, "validation_source": source, "threshold": threshold,
              "clean_images": len(test), "false_positive_rate": float(np.mean(clean_scores < threshold))}
    seen = config.train_kinds() if kinds is None else list(kinds)
    for name, (corrupted, masks, kind_of) in corrupted_sets(test, config, seed, seen).items():
        report[name] = _detection(regressor, test, corrupted, masks, threshold, clean_scores, kind_of)
        report[name]["kinds"] = seen if name == "seen" else list(config.held_out_kinds)
    if real_failures:
        # another run than training's; RGB contents come from the held-out photos
        fakes = collect_real_failures(config.domain, len(test), config.seed + 7, "validation", config.crop_size)
        fake_scores = predict(fakes)
        report[FAILURE_SETS[config.domain]] = {
            "auroc": metrics.auroc(1 - fake_scores, 1 - clean_scores),
            "detection_rate": float(np.mean(fake_scores < threshold)), "images": len(fakes),
        }
    return report
