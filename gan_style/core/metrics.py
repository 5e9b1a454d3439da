"""Evaluation metrics. Generator quality is measured on a classifier trained in this repo:

- Frechet distance between Gaussians fitted to penultimate features ("classifier FID"),
      FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2));
- classifier score  exp(E_x[KL(p(y|x) || p(y))])  (10 at best for 10 balanced, confident classes);
- entropy of the predicted-label histogram, in nats (ln 10 = 2.303 when balanced; low = collapse).

`gan.eval.ClassifierEvaluator` applies them to a classifier's features and probabilities.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """features (N, D) -> (mean (D,), covariance (D, D)), float64."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be (N >= 2, D), got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (>= 0)."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            covmean = linalg.sqrtm(sigma1 @ sigma2)
            singular = not np.isfinite(covmean).all()
        except linalg.LinAlgWarning:
            singular = True
    if singular:  # e.g. dead ReLU features: regularise as the FID reference code does
        offset = np.eye(len(sigma1)) * 1e-6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", linalg.LinAlgWarning)
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def classifier_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x[KL(p(y|x) || p(y))]) from class probabilities (N, K); in [1, K]."""
    probs = np.asarray(probs, np.float64)
    marginal = probs.mean(axis=0, keepdims=True)
    kl = np.sum(probs * (np.log(probs + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def label_entropy(probs: np.ndarray) -> float:
    """Entropy (nats) of the histogram of argmax labels; in [0, ln K]."""
    probs = np.asarray(probs)
    counts = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]).astype(np.float64)
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 2.0) -> float:
    """Peak signal-to-noise ratio in dB between two images of the same range (default [-1, 1])."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(data_range**2 / mse)


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Area under the ROC curve for `positive` scores ranking above `negative` ones (ties count
    half): the Mann-Whitney U statistic divided by n_pos * n_neg."""
    from scipy.stats import rankdata

    positive, negative = np.ravel(positive), np.ravel(negative)
    if not len(positive) or not len(negative):
        raise ValueError(f"auroc needs both classes, got {len(positive)} positive, {len(negative)} negative")
    ranks = rankdata(np.concatenate([positive, negative]))
    u = ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def mask_iou_f1(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Pixel IoU and F1 of boolean masks, pooled over everything given (1, 1 when both empty)."""
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    tp = np.logical_and(predicted, truth).sum()
    fp = np.logical_and(predicted, ~truth).sum()
    fn = np.logical_and(~predicted, truth).sum()
    if tp + fp + fn == 0:
        return 1.0, 1.0
    return float(tp / (tp + fp + fn)), float(2 * tp / (2 * tp + fp + fn))


def threshold_for_fpr(clean_scores: np.ndarray, max_fpr: float = 0.05) -> float:
    """Largest threshold t with at most `max_fpr` of clean scores below it (score < t = abnormal)."""
    scores = np.sort(np.ravel(clean_scores))
    allowed = int(np.floor(max_fpr * len(scores)))  # how many clean images may be flagged
    return float(scores[allowed]) if allowed < len(scores) else float(scores[-1])


# ---------------------------------------------------------------------------------------------
# style transfer: network-free measures (they do not favour our encoder)


def random_patches(image: np.ndarray, size: int, num: int, rng: np.random.Generator) -> np.ndarray:
    """`num` random size x size patches of `image` (H, W, C), flattened: (num, size * size * C)."""
    h, w = image.shape[:2]
    ys = rng.integers(0, h - size + 1, num)
    xs = rng.integers(0, w - size + 1, num)
    offsets = np.arange(size)
    rows = (ys[:, None] + offsets)[:, :, None]
    cols = (xs[:, None] + offsets)[:, None, :]
    return image[rows, cols].reshape(num, -1)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, num_projections: int = 128, seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between point clouds a (N, D) and b (N, D): the W1 distance
    of their 1-D projections on random unit directions, averaged over directions."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(a.shape[1], num_projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    pa, pb = np.sort(a @ directions, axis=0), np.sort(b @ directions, axis=0)
    return float(np.mean(np.abs(pa - pb)))


def patch_swd(output: np.ndarray, style: np.ndarray, patch: int = 7, num: int = 4096, seed: int = 0) -> float:
    """Style match, network-free: sliced Wasserstein distance between random `patch` x `patch` RGB
    patches of output and style image (uint8 or float images; compared in [0, 1] units). Lower is
    closer in colour and local texture."""
    rng = np.random.default_rng(seed)
    scale = 255.0 if np.asarray(output).dtype == np.uint8 else 1.0
    a = random_patches(np.asarray(output, np.float32) / scale, patch, num, rng)
    b = random_patches(np.asarray(style, np.float32) / scale, patch, num, rng)
    return sliced_wasserstein(a, b, seed=seed)


def edge_ssim(content: np.ndarray, output: np.ndarray) -> float:
    """Structure kept: SSIM between the Sobel edge magnitudes of content and output (H, W, 3; uint8
    in [0, 255] or floats in [0, 1]; same H, W), both as grayscale in [0, 1]. In [-1, 1] as any
    SSIM: 1 = the same edges, ~0 = unrelated, < 0 = anti-correlated (an untrained decoder can land
    there)."""
    from skimage.filters import sobel
    from skimage.metrics import structural_similarity

    def edges(image):
        image = np.asarray(image)
        scale = 255.0 if np.issubdtype(image.dtype, np.integer) else 1.0  # by dtype, not by max()
        return sobel(image.astype(np.float32).mean(axis=-1) / scale)

    a, b = edges(content), edges(output)
    return float(structural_similarity(a, b, data_range=max(float(a.max()), float(b.max()), 1e-6)))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 2.0) -> float:
    """SSIM of two images (H, W, C) with values spanning `data_range`."""
    from skimage.metrics import structural_similarity

    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return float(structural_similarity(a, b, data_range=data_range, channel_axis=-1 if a.ndim == 3 else None))
