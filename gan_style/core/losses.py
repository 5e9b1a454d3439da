"""Losses, as named generator/discriminator pairs. All take logits, never probabilities.

With D(x) = sigmoid(logit(x)), binary cross-entropy from logits is
    bce(y, l) = softplus(l) - y * l        (= -y log D - (1 - y) log(1 - D), numerically stable)
Composite losses return `(total, {name: component})`.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from gan_style.core.layers import instance_normalize, mean_std


def bce_from_logits(targets, logits):
    """Element-wise binary cross-entropy of `targets` in [0, 1] against `logits`."""
    logits = ops.cast(logits, "float32")
    return ops.softplus(logits) - ops.cast(targets, "float32") * logits


def dcgan_discriminator_loss(real_logits, fake_logits, loss_fn=None):
    """Loss_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]   (corrected seed eq. for Loss_D).

    `loss_fn(targets, logits)` defaults to `bce_from_logits` (a
    `keras.losses.BinaryCrossentropy(from_logits=True)` also fits). Returns
    `(total, {"d_real": ..., "d_fake": ...})`, scalars averaged over the batch.
    """
    loss_fn = loss_fn or bce_from_logits
    d_real = ops.mean(loss_fn(ops.ones_like(real_logits), real_logits))
    d_fake = ops.mean(loss_fn(ops.zeros_like(fake_logits), fake_logits))
    return d_real + d_fake, {"d_real": d_real, "d_fake": d_fake}


def dcgan_generator_loss(fake_logits, loss_fn=None):
    """Non-saturating Loss_G = -E_z[log D(G(z))]  (instead of the seed's saturating log(1 - D))."""
    loss_fn = loss_fn or bce_from_logits
    return ops.mean(loss_fn(ops.ones_like(fake_logits), fake_logits))


def region_targets(masks, stride: int):
    """Pixel masks (B, H, W) in {0, 1} -> region targets (B, ceil(H/s), ceil(W/s), 1): a region is
    abnormal when any of its pixels is."""
    masks = ops.cast(masks, "float32")[..., None]
    return ops.max_pool(masks, pool_size=stride, strides=stride, padding="same")


def pairwise_ranking_loss(scores, badness, margin: float = 0.3, min_gap: float = 0.05):
    """Mean over pairs (i, j) with b_j > b_i + min_gap of max(0, margin * (b_j - b_i) - (s_i - s_j)).

    scores (B,) in [0, 1] (1 = clean); badness (B,) in [0, 1] (0 = clean). Each image must score
    above every worse one by a margin that grows with how much worse it is; with binary badness
    this is "every clean image above every abnormal one by `margin`". Zero with no pair.
    """
    scores = ops.reshape(ops.cast(scores, "float32"), (-1,))
    badness = ops.reshape(ops.cast(badness, "float32"), (-1,))
    worse = badness[None, :] - badness[:, None]  # [i, j]: how much worse j is than i
    pairs = ops.cast(worse > min_gap, "float32")
    gaps = ops.relu(margin * worse - (scores[:, None] - scores[None, :]))
    return ops.sum(gaps * pairs) / ops.maximum(ops.sum(pairs), 1.0)


def quality_loss(outputs, masks, abnormal, mask_known, stride: int,
                 pos_weight: float = 3.0, rank_weight: float = 0.5, pixel_weight: float = 1.0):
    """Quality-regressor loss: per-region BCE against the masks (only where masks are known),
    per-pixel BCE of the pixel head (same weighting), BCE of the global head against image
    labels, and a ranking loss on the global score.

    outputs: the regressor's dict; masks (B, H, W); mask_known (B,) in {0, 1}; abnormal (B,) in
    [0, 1], the graded target of the global head and the ranking (0 = clean).
    Returns (total, {"region": ..., "pixel": ..., "global": ..., "rank": ...}).
    """
    known = ops.reshape(ops.cast(mask_known, "float32"), (-1, 1, 1, 1))

    def weighted_bce(targets, logits):
        weights = (1.0 + (pos_weight - 1.0) * targets) * known
        return ops.sum(bce_from_logits(targets, logits) * weights) / ops.maximum(ops.sum(weights), 1.0)

    region = weighted_bce(region_targets(masks, stride), outputs["region_logits"])
    parts = {"region": region}
    if "pixel_logits" in outputs:
        parts["pixel"] = weighted_bce(ops.cast(masks, "float32")[..., None], outputs["pixel_logits"])
    global_ = ops.mean(bce_from_logits(ops.reshape(abnormal, (-1, 1)), outputs["global_logit"]))
    rank = pairwise_ranking_loss(outputs["global_score"], abnormal)
    total = region + pixel_weight * parts.get("pixel", 0.0) + global_ + rank_weight * rank
    return total, {**parts, "global": global_, "rank": rank}


# ---------------------------------------------------------------------------------------------
# style transfer (features are encoder activations (B, h, w, C), float32)


def content_loss(output_features, target_features):
    """Mean squared error between relu4_1 features of the output and the fused target."""
    diff = ops.cast(output_features, "float32") - ops.cast(target_features, "float32")
    return ops.mean(ops.square(diff))


def style_loss(output_features: dict, style_features: dict, levels=("relu1_1", "relu2_1", "relu3_1", "relu4_1")):
    """Sum over levels of ||mean(o) - mean(s)||^2 + ||std(o) - std(s)||^2 (per channel, averaged)
    (AdaIN paper, eq. 3): matching feature statistics, not Gram matrices."""
    total = 0.0
    for level in levels:
        o_mean, o_std = mean_std(output_features[level])
        s_mean, s_std = mean_std(style_features[level])
        total = total + ops.mean(ops.square(o_mean - s_mean)) + ops.mean(ops.square(o_std - s_std))
    return total


def structure_loss(output_features: dict, content_features: dict, levels=("relu2_1", "relu3_1")):
    """Sum over levels of the mean squared error between instance-normalised features of output and
    content, (F - mean(F)) / std(F) per image and channel (the normalised content loss of StyTr^2,
    Deng et al. 2022): the content's spatial layout at levels finer than relu4_1, free of the
    channel statistics that the style loss sets."""
    total = 0.0
    for level in levels:
        diff = instance_normalize(output_features[level]) - instance_normalize(content_features[level])
        total = total + ops.mean(ops.square(diff))
    return total


def colour_directions(count: int = 16) -> np.ndarray:
    """`count` unit vectors (3, count) spread evenly over a half-sphere of RGB space (a Fibonacci
    lattice): the fixed projections of `colour_loss`. A half-sphere is enough: projecting on -d
    gives the same 1-D distance as d."""
    i = np.arange(count) + 0.5
    z = i / count  # z in (0, 1): the upper half-sphere
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z]).astype("float32")


def colour_loss(output, style, directions=None):
    """Sliced Wasserstein-2 distance between the colours of output and style, per image:
    mean_d mean_i (sort(o . d)_i - sort(s . d)_i)^2 over the pixels i and the fixed unit directions
    d of `colour_directions` (the histogram loss of Risser et al. 2017 on the pixels, sliced as in
    Heitz et al. 2021). output, style (B, H, W, 3) in [-1, 1], the same H * W. The style losses on
    encoder features match means and spreads; this matches the whole colour distribution."""
    directions = colour_directions() if directions is None else directions
    o = ops.reshape(ops.cast(output, "float32"), (ops.shape(output)[0], -1, 3))
    s = ops.reshape(ops.cast(style, "float32"), (ops.shape(style)[0], -1, 3))
    po = ops.sort(ops.transpose(ops.matmul(o, directions), (0, 2, 1)), axis=-1)  # (B, D, N)
    ps = ops.sort(ops.transpose(ops.matmul(s, directions), (0, 2, 1)), axis=-1)
    return ops.mean(ops.square(po - ps))


def lattice_phase_loss(images, window: int = 16):
    """How much neighbouring pixels pair up on the image's even/odd lattice, locally:

        L = mean over axes, images and windows of ((e - o) / (e + o + 1e-3))^2,

    e, o the mean |step| at even (2i -> 2i+1) and odd (2i+1 -> 2i+2) positions along the axis,
    over `window` x `window` px windows of the luma (H, W multiples of `window`; the last odd step
    of a line repeats the one before it). A picture has no preferred phase (e = o in expectation:
    photos' e/o 0.97-0.98 at 256 px, L ~ 0.003); an x2 upsampling of half-resolution detail pairs
    the pixels (e < o: the fusion decoders' mesh, e/o 0.67-0.81; nearest x2 of noise L ~ 1).
    images (B, H, W, 3) in [-1, 1]."""
    images = ops.cast(images, "float32")
    luma = ops.sum(images * ops.convert_to_tensor([0.299, 0.587, 0.114]), axis=-1)  # (B, H, W)
    total = 0.0
    for lines in (luma, ops.transpose(luma, (0, 2, 1))):  # steps along x, then along y
        shape = ops.shape(lines)
        steps = ops.abs(lines[:, :, 1:] - lines[:, :, :-1])                                # (B, H, W - 1)
        steps = ops.concatenate([steps, steps[:, :, -1:]], axis=2)                         # (B, H, W): pairs
        pairs = ops.reshape(steps, (shape[0], shape[1] // window, window, shape[2] // window, window // 2, 2))
        even, odd = ops.mean(pairs[..., 0], axis=(2, 4)), ops.mean(pairs[..., 1], axis=(2, 4))
        total = total + ops.mean(ops.square((even - odd) / (even + odd + 1e-3)))
    return total / 2.0


def total_variation(images):
    """Mean absolute difference between neighbouring pixels (B, H, W, C): penalises noise."""
    images = ops.cast(images, "float32")
    dy = ops.mean(ops.abs(images[:, 1:] - images[:, :-1]))
    dx = ops.mean(ops.abs(images[:, :, 1:] - images[:, :, :-1]))
    return dx + dy


def patch_discriminator_loss(real_logits: list, fake_logits: list):
    """Loss_D of a multi-scale PatchGAN: the DCGAN loss on every patch, averaged over scales."""
    parts = [dcgan_discriminator_loss(r, f)[0] for r, f in zip(real_logits, fake_logits, strict=True)]
    return sum(parts) / len(parts)


def patch_generator_loss(fake_logits: list):
    """Non-saturating Loss_G of a multi-scale PatchGAN, averaged over patches and scales."""
    return sum(dcgan_generator_loss(f) for f in fake_logits) / len(fake_logits)


# ---------------------------------------------------------------------------------------------
# repair


def masked_error(predicted, target, mask, norm: str = "l1"):
    """L1 ("l1") or squared ("l2") error inside and outside the mask: (hole, valid), each the mean
    over its own pixels. predicted, target (B, H, W, C); mask (B, H, W, 1) in {0, 1}, 1 = hole."""
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be l1 or l2, got {norm!r}")
    mask = ops.cast(mask, "float32")
    error = ops.cast(predicted, "float32") - ops.cast(target, "float32")
    error = ops.abs(error) if norm == "l1" else ops.square(error)
    channels = ops.cast(ops.shape(error)[-1], "float32")
    hole = ops.sum(error * mask) / ops.maximum(ops.sum(mask) * channels, 1.0)
    valid = ops.sum(error * (1.0 - mask)) / ops.maximum(ops.sum(1.0 - mask) * channels, 1.0)
    return hole, valid


def feature_losses(output_features: dict, target_features: dict, levels=("relu1_1", "relu2_1", "relu3_1")):
    """Perceptual and style terms on encoder features, each level normalised by the target's mean
    magnitude (scale-free): {"perceptual": sum_l |o_l - t_l| / |t_l|,
    "style": sum_l (|mu(o_l) - mu(t_l)| + |sigma(o_l) - sigma(t_l)|) / |t_l|}."""
    perceptual, style = 0.0, 0.0
    for level in levels:
        o, t = ops.cast(output_features[level], "float32"), ops.cast(target_features[level], "float32")
        scale = ops.mean(ops.abs(t)) + 1e-3
        perceptual = perceptual + ops.mean(ops.abs(o - t)) / scale
        (o_mean, o_std), (t_mean, t_std) = mean_std(o), mean_std(t)
        style = style + (ops.mean(ops.abs(o_mean - t_mean)) + ops.mean(ops.abs(o_std - t_std))) / scale
    return {"perceptual": perceptual, "style": style}
