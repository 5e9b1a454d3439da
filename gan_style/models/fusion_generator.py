"""Fusion-style generator (seed sections 3.2 / 4.2): encoder -> feature fusion (alpha) -> decoder.

    F_c = E(content)_relu4_1,  F_s = E(style)_relu4_1                          (B, h, w, 512)
    linear: F = alpha * F_c + (1 - alpha) * F_s                    (the seed's formula, literally)
    adain:  F = alpha * AdaIN(F_c, F_s) + (1 - alpha) * F_c,
            AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y)   (per image and channel)
    output = D(F), cropped back to the content's size, in [-1, 1].

Note the opposite roles of alpha: `linear` alpha = 1 is the content alone, `adain` alpha = 1 is
full stylisation (see docs/ERRATA.md for why the literal blend ghosts and AdaIN does not).
"""

from __future__ import annotations

import numbers

import keras
from keras import layers, ops

from gan_style.models.encoder import build_encoder
from gan_style.models.layers import EPSILON, mean_std

FUSIONS = ("adain", "linear")


def adain(content, style, epsilon: float = EPSILON):
    """AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y) (Huang & Belongie 2017).

    content (B, h, w, C), style (B, h', w', C) (any spatial size) -> (B, h, w, C) whose channel
    means are exactly the style's and stds the style's up to epsilon.
    """
    c_mean, c_std = mean_std(content, epsilon)
    s_mean, s_std = mean_std(style, epsilon)
    return s_std * (ops.cast(content, "float32") - c_mean) / c_std + s_mean


def check_alpha(alpha) -> None:
    """ValueError for a Python/numpy number outside [0, 1] (tensors are the caller's business)."""
    if isinstance(alpha, numbers.Number) and not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")


def fuse(content_features, style_features, alpha=1.0, fusion: str = "adain"):
    """The fusion step on relu4_1 features; see the module docstring for both equations."""
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
    check_alpha(alpha)
    content_features = ops.cast(content_features, "float32")
    if fusion == "linear":
        return alpha * content_features + (1.0 - alpha) * ops.cast(style_features, "float32")
    return alpha * adain(content_features, style_features) + (1.0 - alpha) * content_features


@keras.saving.register_keras_serializable(package="gan_style")
class ReflectionPadding2D(layers.Layer):
    """Pad H and W by `padding` pixels, mirroring the border (no dark frame as with zeros)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def build_decoder(width: int = 32, name: str = "fusion_decoder") -> keras.Model:
    """relu4_1-level features (B, h, w, 512) -> image (B, 8h, 8w, 3) in about [-1, 1] (linear output).

    Mirrors the encoder: 3x3 reflect-padded convolutions with ReLU, nearest-neighbour x2 upsampling
    (no transposed convolutions: they checkerboard), no normalisation. Channels 4w, 2w, w per scale
    (the AdaIN paper's decoder is w = 64; w = 32 is 4x lighter).
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")

    def conv(x, filters, activation="relu"):
        x = ReflectionPadding2D(1)(x)
        return layers.Conv2D(filters, 3, activation=activation)(x)

    features = keras.Input((None, None, 512), name="features")
    x = conv(features, 4 * width)                                 # relu4_1 level
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    for _ in range(3):
        x = conv(x, 4 * width)                                    # relu3 level
    x = conv(x, 2 * width)
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    x = conv(x, 2 * width)                                        # relu2 level
    x = conv(x, width)
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    x = conv(x, width)                                            # relu1 level
    images = layers.Activation("linear", dtype="float32")(conv(x, 3, activation=None))
    return keras.Model(features, images, name=name)


@keras.saving.register_keras_serializable(package="gan_style")
class FusionGenerator(keras.Model):
    """(content (B, H, W, 3), style (B, H', W', 3)), RGB in [-1, 1], any sizes -> (B, H, W, 3) in [-1, 1].

    `call((content, style), alpha=1.0, fusion=None)`: alpha in [0, 1] (ValueError outside),
    fusion "adain" or "linear" (default: the model's `fusion`). The content is reflect-padded to
    a multiple of 8 and the output cropped back. `linear` needs F_c and F_s of one shape, so the
    style is resized to the padded content size first. The encoder is frozen; only the decoder
    trains.
    """

    def __init__(self, width: int = 32, fusion: str = "adain", encoder_weights: str | None = "hed",
                 encoder=None, decoder=None, **kwargs):
        super().__init__(**kwargs)
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        self.width, self.fusion, self.encoder_weights = width, fusion, encoder_weights
        self.encoder = encoder or build_encoder(encoder_weights)
        self.decoder = decoder or build_decoder(width)

    def encode(self, images) -> dict:
        """Encoder features of images in [-1, 1]: {relu1_1 .. relu4_1}."""
        return self.encoder(images)

    def call(self, inputs, alpha=1.0, fusion: str | None = None, training=False):
        content, style = inputs
        fusion = fusion or self.fusion
        check_alpha(alpha)
        height, width = ops.shape(content)[1], ops.shape(content)[2]
        pad_h, pad_w = (-height) % 8, (-width) % 8
        padded = ops.pad(content, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="reflect")
        if fusion == "linear":
            import tensorflow as tf  # ops.image.resize wants static sizes; any-size input needs tf's

            style = tf.image.resize(style, tf.shape(padded)[1:3], method="bilinear", antialias=True)
        fused = fuse(self.encoder(padded)["relu4_1"], self.encoder(style)["relu4_1"], alpha, fusion)
        images = self.decoder(fused, training=training)[:, :height, :width, :]
        return ops.clip(images, -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "fusion": self.fusion,
                "encoder_weights": self.encoder_weights}

    @classmethod
    def from_pretrained(cls, name: str = "fusion_style", fusion: str = "adain") -> FusionGenerator:
        """The shipped decoder (checkpoints/<name>/decoder.keras, sha256-verified) on the offline
        encoder named in its manifest."""
        from gan_style import checkpoints

        manifest = checkpoints.verify(name)
        decoder = checkpoints.load_model(name, "decoder.keras")
        config = manifest.get("config", {})
        return cls(width=config.get("width", 32), fusion=fusion,
                   encoder_weights=config.get("encoder_weights", "hed"), decoder=decoder)
