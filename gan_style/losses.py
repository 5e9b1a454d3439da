"""Losses, as named generator/discriminator pairs. All take logits, never probabilities.

With D(x) = sigmoid(logit(x)), binary cross-entropy from logits is
    bce(y, l) = softplus(l) - y * l        (= -y log D - (1 - y) log(1 - D), numerically stable)
Composite losses return `(total, {name: component})`.
"""

from __future__ import annotations

from keras import ops


def bce_from_logits(targets, logits):
    """Element-wise binary cross-entropy of `targets` in [0, 1] against `logits`."""
    logits = ops.cast(logits, "float32")
    return ops.softplus(logits) - ops.cast(targets, "float32") * logits


def dcgan_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0, loss_fn=None):
    """Loss_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]   (corrected seed eq. for Loss_D).

    With one-sided label smoothing s the real target is 1 - s. `loss_fn(targets, logits)` defaults
    to `bce_from_logits` (a `keras.losses.BinaryCrossentropy(from_logits=True)` also fits). Returns
    `(total, {"d_real": ..., "d_fake": ...})`, scalars averaged over the batch.
    """
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}")
    loss_fn = loss_fn or bce_from_logits
    d_real = ops.mean(loss_fn(ops.full_like(real_logits, 1.0 - label_smoothing), real_logits))
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
                 pos_weight: float = 3.0, rank_weight: float = 0.5):
    """Quality-regressor loss: per-region BCE against the masks (only where masks are known),
    BCE of the global head against image labels, and a ranking loss on the global score.

    outputs: the regressor's dict; masks (B, H, W); mask_known (B,) in {0, 1}; abnormal (B,) in
    [0, 1], the graded target of the global head and the ranking (0 = clean).
    Returns (total, {"region": ..., "global": ..., "rank": ...}).
    """
    targets = region_targets(masks, stride)
    weights = (1.0 + (pos_weight - 1.0) * targets) * ops.reshape(ops.cast(mask_known, "float32"), (-1, 1, 1, 1))
    per_region = bce_from_logits(targets, outputs["region_logits"]) * weights
    region = ops.sum(per_region) / ops.maximum(ops.sum(weights), 1.0)
    global_ = ops.mean(bce_from_logits(ops.reshape(abnormal, (-1, 1)), outputs["global_logit"]))
    rank = pairwise_ranking_loss(outputs["global_score"], abnormal)
    total = region + global_ + rank_weight * rank
    return total, {"region": region, "global": global_, "rank": rank}
