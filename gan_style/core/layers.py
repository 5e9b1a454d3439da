"""Small layers and feature statistics shared by several models and losses."""

from __future__ import annotations

import keras
from keras import layers, ops

EPSILON = 1e-5


def mean_std(features, epsilon: float = EPSILON):
    """Per-image, per-channel mean and std over H, W: (B, H, W, C) -> two (B, 1, 1, C) tensors.

    The epsilon is inside the square root: std = sqrt(var + eps), finite gradients at var = 0.
    """
    features = ops.cast(features, "float32")
    mean = ops.mean(features, axis=(1, 2), keepdims=True)
    var = ops.mean(ops.square(features - mean), axis=(1, 2), keepdims=True)
    return mean, ops.sqrt(var + epsilon)


def instance_normalize(features, epsilon: float = EPSILON):
    """(F - mean(F)) / std(F) per image and channel (`mean_std`): (B, H, W, C) float32, each channel
    of zero mean and unit spread."""
    mean, std = mean_std(features, epsilon)
    return (ops.cast(features, "float32") - mean) / std


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


@keras.saving.register_keras_serializable(package="gan_style")
class ReflectionPadding2D(layers.Layer):
    """Pad H and W by `padding` pixels, mirroring the border (no dark frame as with zeros):
    `ops.pad(x, ..., mode="reflect")`'s values, as concatenated slices, which TensorFlow runs 1.5-3x
    faster than its MirrorPad kernel in bfloat16 (the encoder and decoder pad before every
    convolution: 20 ms of the decoder's 128 at 512 px)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        if p == 0:
            return x
        return self._reflect(self._reflect(x, 1, p), 2, p)

    @staticmethod
    def _reflect(x, axis: int, p: int):
        """x mirrored by p pixels at both ends of `axis` (1 or 2), the edge pixel not repeated."""
        if axis == 1:
            before, after = x[:, 1:p + 1], x[:, -p - 1:-1]
        else:
            before, after = x[:, :, 1:p + 1], x[:, :, -p - 1:-1]
        if p > 1:
            before, after = ops.flip(before, axis=axis), ops.flip(after, axis=axis)
        return ops.concatenate([before, x, after], axis=axis)

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="gan_style")
class BilinearUpsample2x(layers.Layer):
    """x (B, H, W, C) -> (B, 2H, 2W, C), bilinear with half-pixel centres and edge clamping (what
    `tf.image.resize(..., "bilinear")` gives at twice the size): along each axis
        y[2i] = 3/4 x[i] + 1/4 x[i-1],   y[2i+1] = 3/4 x[i] + 1/4 x[i+1]   (x[-1] = x[0], x[n] = x[n-1]).
    Any H, W inside a compiled function (Keras' `UpSampling2D(interpolation="bilinear")` needs
    static sizes in a TensorFlow graph): on TensorFlow, `tf.image.resize` itself (its kernel is
    5-7x faster than the formula's gathers: 25 -> 4 ms over the decoder's three at 512 px here);
    on the other backends the formula in `keras.ops` (`formula`, tested equal)."""

    @classmethod
    def formula(cls, x):
        """The equations above in `keras.ops` (any backend, dynamic shapes)."""
        return cls._double(cls._double(x, 1), 2)

    @staticmethod
    def _double(x, axis: int):
        n = ops.shape(x)[axis]
        first = ops.take(x, ops.convert_to_tensor([0]), axis=axis)
        last = ops.take(x, ops.reshape(n - 1, (1,)), axis=axis)
        before = ops.concatenate([first, ops.take(x, ops.arange(0, n - 1), axis=axis)], axis=axis)
        after = ops.concatenate([ops.take(x, ops.arange(1, n), axis=axis), last], axis=axis)
        pairs = ops.stack([0.75 * x + 0.25 * before, 0.75 * x + 0.25 * after], axis=axis + 1)
        shape = ops.shape(x)
        return ops.reshape(pairs, [shape[i] if i != axis else 2 * n for i in range(4)])

    def call(self, x):
        if keras.backend.backend() != "tensorflow":
            return self.formula(x)
        import tensorflow as tf

        return tf.cast(tf.image.resize(x, 2 * tf.shape(x)[1:3], method="bilinear"), x.dtype)

    def compute_output_shape(self, shape):
        double = lambda n: None if n is None else 2 * n  # noqa: E731
        return (shape[0], double(shape[1]), double(shape[2]), shape[3])
