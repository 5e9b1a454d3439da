"""Differentiable augmentation applied to both real and fake images before the discriminator.

On small data (5,000 digits) a discriminator memorises the training set and its gradients stop
helping the generator; the same random translation and cutout on real and fake batches keep it
honest without leaking augmentations into the generator (DiffAugment, Zhao et al. 2020).
"""

from __future__ import annotations

import keras
from keras import ops

POLICIES = ("translation", "cutout")


def parse_policy(policy: str | None) -> tuple[str, ...]:
    """"translation,cutout" -> ("translation", "cutout"); "" or None -> ()."""
    names = tuple(p.strip() for p in (policy or "").split(",") if p.strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(f"augment policy must use {POLICIES}, got {unknown}")
    return names


def translate(images, seed, ratio: float = 0.125, fill: float = -1.0):
    """Shift each image by a random integer offset in [-ratio*size, ratio*size], filling with `fill`.

    images (B, H, W, C) -> (B, H, W, C); implemented with gathers so gradients flow to pixels.
    """
    shape = ops.shape(images)
    batch, height, width = shape[0], images.shape[1], images.shape[2]
    pad_h, pad_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    padded = ops.pad(images, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]], constant_values=fill)
    oy = keras.random.randint((batch, 1), 0, 2 * pad_h + 1, seed=seed)
    ox = keras.random.randint((batch, 1), 0, 2 * pad_w + 1, seed=seed)
    rows = oy + ops.arange(height)[None, :]  # (B, H)
    cols = ox + ops.arange(width)[None, :]  # (B, W)
    import tensorflow as tf  # batch_dims gathers are TF-specific

    out = tf.gather(padded, rows, axis=1, batch_dims=1)  # (B, H, W + 2 pad_w, C)
    return tf.gather(out, cols, axis=2, batch_dims=1)  # (B, H, W, C)


def cutout(images, seed, ratio: float = 0.25, fill: float = -1.0):
    """Set one random (ratio*H, ratio*W) square per image to `fill` (background)."""
    shape = ops.shape(images)
    batch, height, width = shape[0], images.shape[1], images.shape[2]
    size_h, size_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    cy = keras.random.randint((batch, 1, 1), 0, height, seed=seed)
    cx = keras.random.randint((batch, 1, 1), 0, width, seed=seed)
    ys = ops.arange(height)[None, :, None]
    xs = ops.arange(width)[None, None, :]
    inside = (ops.abs(ys - cy) <= size_h // 2) & (ops.abs(xs - cx) <= size_w // 2)  # (B, H, W)
    keep = ops.cast(ops.logical_not(inside), images.dtype)[..., None]
    return images * keep + ops.cast(fill, images.dtype) * (1 - keep)


def diff_augment(images, policy: tuple[str, ...], seed):
    """Apply each named augmentation of `policy` in order; images in [-1, 1], background -1."""
    for name in policy:
        images = translate(images, seed) if name == "translation" else cutout(images, seed)
    return images
