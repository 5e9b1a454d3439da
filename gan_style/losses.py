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
