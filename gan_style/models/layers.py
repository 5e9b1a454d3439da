"""Small layers shared by several models."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="gan_style")
class ResizeLike(layers.Layer):
    """Resize x (B, h, w, C) to the H, W of `reference` (B, H, W, *): any sizes, odd ones included."""

    def __init__(self, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.interpolation = interpolation

    def call(self, x, reference):
        import tensorflow as tf

        return tf.cast(tf.image.resize(x, tf.shape(reference)[1:3], method=self.interpolation), x.dtype)

    def compute_output_shape(self, x_shape, reference_shape):
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}
