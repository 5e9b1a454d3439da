"""DCGAN generator for 28x28 digits (seed section 5.2.1, corrected)."""

from __future__ import annotations

import keras
from keras import layers


def build_dcgan_generator(
    latent_dim: int = 100,
    base_filters: int = 64,
    batchnorm: bool = True,
    name: str = "dcgan_generator",
) -> keras.Model:
    """z (B, latent_dim) ~ N(0, I) -> images (B, 28, 28, 1) float32 in [-1, 1] (tanh).

    The seed's layers: Dense(7*7*2f) -> reshape (7, 7, 2f) -> Conv2DTranspose(f, 5x5, stride 2)
    -> Conv2DTranspose(1, 5x5, stride 2) -> tanh, with f = `base_filters` = 64. Corrections:
    BatchNorm after the hidden layers (optional; biases dropped where BatchNorm follows) and
    LeakyReLU(0.2) imported and used as a layer. Training data must be in [-1, 1] as well.
    """
    if latent_dim < 1 or base_filters < 1:
        raise ValueError(f"latent_dim and base_filters must be >= 1, got {latent_dim}, {base_filters}")

    def norm_act(x):
        if batchnorm:
            x = layers.BatchNormalization()(x)
        return layers.LeakyReLU(0.2)(x)

    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 2 * base_filters, use_bias=not batchnorm)(z)
    x = layers.Reshape((7, 7, 2 * base_filters))(norm_act(x))  # (B, 7, 7, 2f)
    x = layers.Conv2DTranspose(
        base_filters, 5, strides=2, padding="same", use_bias=not batchnorm
    )(x)  # (B, 14, 14, f)
    x = norm_act(x)
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same")(x)  # (B, 28, 28, 1)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)
