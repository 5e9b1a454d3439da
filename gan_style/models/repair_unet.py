"""Repair U-Net (seed section 3.3.3): inpaint the abnormal regions of a generated image.

    y = x * (1 - m) + G(x * (1 - m), m) * m          x (B, H, W, C) in [-1, 1], m (B, H, W, 1) in {0, 1}

Gated convolutions (Yu et al. 2019, "Free-Form Image Inpainting with Gated Convolution"): every
layer learns a soft gate sigmoid(W_g * x) that decides, per pixel and channel, how much of its
features W_f * x pass, so hole pixels (zeros in the input) do not pollute the valid ones.
Upsampling is a resize to the skip connection's size followed by a convolution (no transposed
convolutions: checkerboards), which also makes any H, W work, odd ones included.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gan_style")
class GatedConv2D(layers.Layer):
    """y = act(W_f * x) * sigmoid(W_g * x), 'same' padding. (B, H, W, C) -> (B, H/s, W/s, filters)."""

    def __init__(self, filters: int, kernel_size: int = 3, strides: int = 1, dilation_rate: int = 1,
                 activation: str | None = "elu", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.dilation_rate, self.activation = dilation_rate, activation
        options = dict(kernel_size=kernel_size, strides=strides, dilation_rate=dilation_rate, padding="same")
        self.features = layers.Conv2D(filters, activation=activation, dtype=self.dtype_policy, **options)
        self.gate = layers.Conv2D(filters, activation="sigmoid", dtype=self.dtype_policy, **options)

    def build(self, input_shape):
        self.features.build(input_shape)
        self.gate.build(input_shape)

    def call(self, x):
        return self.features(x) * self.gate(x)

    def compute_output_shape(self, input_shape):
        return self.features.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "dilation_rate": self.dilation_rate, "activation": self.activation}


@keras.saving.register_keras_serializable(package="gan_style")
class ResizeLike(layers.Layer):
    """Resize x (B, h, w, C) to the H, W of `reference` (B, H, W, *) (nearest neighbour)."""

    def call(self, x, reference):
        import tensorflow as tf

        return tf.image.resize(x, tf.shape(reference)[1:3], method="nearest")

    def compute_output_shape(self, x_shape, reference_shape):
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])


@keras.saving.register_keras_serializable(package="gan_style")
class Composite(layers.Layer):
    """x * (1 - m) + clip(prediction, -1, 1) * m: the input wherever the mask is 0, bit for bit."""

    def call(self, image, prediction, mask):
        mask = ops.cast(mask, image.dtype)
        return image * (1.0 - mask) + ops.clip(ops.cast(prediction, image.dtype), -1.0, 1.0) * mask


def build_repair_unet(channels: int = 1, width: int = 32, depth: int = 2, name: str = "repair_unet") -> keras.Model:
    """{"images": (B, H, W, C) in [-1, 1], "masks": (B, H, W, 1) in {0, 1} (1 = repair)} ->
    {"repaired": composited (B, H, W, C) in [-1, 1], "prediction": raw G output (B, H, W, C),
    unbounded; the composite clips it to [-1, 1]}.

    U-Net of gated convolutions: `depth` stride-2 levels (channels w, 2w, ... up to 4w), a
    bottleneck of dilated gated convolutions (rates 2, 4, 8) for context across the hole, and
    resize + gated conv on the way up with skip connections. Any H and W.
    """
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be >= 1, got {depth}, {width}")
    images = keras.Input((None, None, channels), name="images")
    masks = keras.Input((None, None, 1), name="masks")
    holes = layers.Multiply()([images, layers.Rescaling(-1.0, offset=1.0)(masks)])  # x * (1 - m)
    x = GatedConv2D(width, 5)(layers.Concatenate()([holes, masks]))
    skips, filters = [], width
    for _ in range(depth):
        skips.append(x)
        filters = min(4 * width, 2 * filters)
        x = GatedConv2D(filters, 3, strides=2)(x)
        x = GatedConv2D(filters, 3)(x)
    for rate in (2, 4, 8):
        x = GatedConv2D(filters, 3, dilation_rate=rate)(x)
    for skip in reversed(skips):
        x = ResizeLike()(x, skip)
        filters = skip.shape[-1]
        x = GatedConv2D(filters, 3)(layers.Concatenate()([x, skip]))
        x = GatedConv2D(filters, 3)(x)
    # Linear, not tanh: the background of digits is exactly -1, which a tanh only reaches by
    # saturating, and a saturated output stops learning (measured: it collapsed to all -1).
    prediction = layers.Conv2D(channels, 3, padding="same", dtype="float32", name="prediction")(x)
    repaired = Composite(dtype="float32", name="repaired")(images, prediction, masks)
    return keras.Model({"images": images, "masks": masks}, {"repaired": repaired, "prediction": prediction},
                       name=name)
