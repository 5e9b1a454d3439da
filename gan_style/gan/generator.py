"""DCGAN generator for 28x28 digits (seed section 5.2.1, corrected)."""

from __future__ import annotations

import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gan_style")
class CategoricalCode(layers.Layer):
    """z (B, d) ~ N(0, I) -> (B, K + d - 1): z's first coordinate, pushed through the normal CDF
    (uniform in (0, 1)), picks one of K categories, given as a one-hot; the other d - 1 stay.

    A discrete part of the noise inside the generator (as InfoGAN's categorical code, Chen et al.
    2016, here without the mutual-information term): the ten digits are disconnected, and a smooth
    map of one connected Gaussian must put some noise between two of them; with the code it can
    jump. Callers still draw plain N(0, I) noise of width d.
    """

    def __init__(self, categories: int, **kwargs):
        super().__init__(**kwargs)
        if categories < 2:
            raise ValueError(f"categories must be >= 2, got {categories}")
        self.categories = categories

    def call(self, z):
        uniform = 0.5 * (1.0 + ops.erf(z[:, :1] / math.sqrt(2.0)))
        index = ops.minimum(ops.floor(uniform * self.categories), self.categories - 1)
        one_hot = ops.cast(ops.equal(index, ops.arange(self.categories, dtype=index.dtype)), z.dtype)
        return ops.concatenate([one_hot, z[:, 1:]], axis=-1)

    def get_config(self):
        return {**super().get_config(), "categories": self.categories}


def build_dcgan_generator(
    latent_dim: int = 100,
    base_filters: int = 64,
    batchnorm: bool = True,
    categories: int = 0,
    name: str = "dcgan_generator",
) -> keras.Model:
    """z (B, latent_dim) ~ N(0, I) -> images (B, 28, 28, 1) float32 in [-1, 1] (tanh).

    The seed's layers: Dense(7*7*2f) -> reshape (7, 7, 2f) -> Conv2DTranspose(f, 5x5, stride 2)
    -> Conv2DTranspose(1, 5x5, stride 2) -> tanh, with f = `base_filters` = 64. Corrections:
    BatchNorm after the hidden layers (optional; biases dropped where BatchNorm follows) and
    LeakyReLU(0.2) imported and used as a layer. Training data must be in [-1, 1] as well.
    `categories` > 0 feeds the Dense layer through `CategoricalCode` (z's first coordinate becomes
    a one-hot of that many categories).
    """
    if latent_dim < 1 or base_filters < 1:
        raise ValueError(f"latent_dim and base_filters must be >= 1, got {latent_dim}, {base_filters}")

    def norm_act(x):
        if batchnorm:
            x = layers.BatchNormalization()(x)
        return layers.LeakyReLU(0.2)(x)

    z = keras.Input((latent_dim,), name="z")
    code = CategoricalCode(categories)(z) if categories else z
    x = layers.Dense(7 * 7 * 2 * base_filters, use_bias=not batchnorm)(code)
    x = layers.Reshape((7, 7, 2 * base_filters))(norm_act(x))  # (B, 7, 7, 2f)
    x = layers.Conv2DTranspose(
        base_filters, 5, strides=2, padding="same", use_bias=not batchnorm
    )(x)  # (B, 14, 14, f)
    x = norm_act(x)
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same")(x)  # (B, 28, 28, 1)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)
