"""Discriminators. DCGAN (seed section 5.2.2, corrected) for 28x28 images."""

from __future__ import annotations

import keras
from keras import layers


def build_discriminator(
    input_shape: tuple[int, int, int] = (28, 28, 1),
    base_filters: int = 64,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """images (B, H, W, C) in [-1, 1] -> logits (B, 1) float32 (real > 0; no sigmoid).

    The seed's layers: Conv2D(f, 5x5, stride 2) -> LeakyReLU(0.2) -> Conv2D(2f, 5x5, stride 2)
    -> LeakyReLU(0.2) -> Flatten -> Dense(1). Corrections: downsampling by strided convolutions
    (no pooling), logits out so losses use the numerically stable `from_logits` form; no dropout
    (the seed's 0.3 did not help, experiments/README.md).
    """
    images = keras.Input(input_shape, name="images")
    x = images
    for filters in (base_filters, 2 * base_filters):  # (B, H/2, W/2, f), (B, H/4, W/4, 2f)
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def build_patchgan_discriminator(
    channels: int = 3,
    base_filters: int = 32,
    num_layers: int = 3,
    num_scales: int = 2,
    name: str = "patchgan_discriminator",
) -> keras.Model:
    """Multi-scale PatchGAN: images (B, H, W, C) in [-1, 1], any H, W -> list of `num_scales`
    logit maps (B, h_k, w_k, 1) float32, one per scale k (the image average-pooled 2^k times).

    Each scale is a PatchGAN (Isola et al. 2017): `num_layers` 4x4 stride-2 convolutions
    (filters f, 2f, 4f, ...), LeakyReLU(0.2), then a 4x4 stride-1 convolution to one logit per
    patch, so every logit judges a local patch (about 46 px for 3 layers at scale 0) and texture
    statistics are what D can use. No normalisation: batches of style crops are small.
    """
    if num_layers < 1 or num_scales < 1:
        raise ValueError(f"num_layers and num_scales must be >= 1, got {num_layers}, {num_scales}")
    images = keras.Input((None, None, channels), name="images")
    outputs, x_scale = [], images
    for scale in range(num_scales):
        if scale:
            x_scale = layers.AveragePooling2D(2, padding="same")(x_scale)
        x = x_scale
        for i in range(num_layers):
            x = layers.Conv2D(base_filters * 2 ** min(i, 3), 4, strides=2, padding="same")(x)
            x = layers.LeakyReLU(0.2)(x)
        outputs.append(layers.Conv2D(1, 4, padding="same", dtype="float32", name=f"logits_{scale}")(x))
    return keras.Model(images, outputs, name=name)
