"""Discriminators. DCGAN (seed section 5.2.2, corrected) for 28x28 images."""

from __future__ import annotations

import keras
from keras import layers


def build_discriminator(
    input_shape: tuple[int, int, int] = (28, 28, 1),
    base_filters: int = 64,
    dropout: float = 0.3,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """images (B, H, W, C) in [-1, 1] -> logits (B, 1) float32 (real > 0; no sigmoid).

    The seed's layers: Conv2D(f, 5x5, stride 2) -> LeakyReLU(0.2) -> Conv2D(2f, 5x5, stride 2)
    -> LeakyReLU(0.2) -> Flatten -> Dense(1). Corrections: downsampling by strided convolutions
    (no pooling), logits out so losses use the numerically stable `from_logits` form.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    images = keras.Input(input_shape, name="images")
    x = images
    for filters in (base_filters, 2 * base_filters):  # (B, H/2, W/2, f), (B, H/4, W/4, 2f)
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
