"""Fusion-style generator (seed sections 3.2 / 4.2): encoder -> feature fusion (alpha) -> decoder.

    F_c = E(content)_relu4_1,  F_s = E(style)_relu4_1                          (B, h, w, 512)
    linear: F = alpha * F_c + (1 - alpha) * F_s                    (the seed's formula, literally)
    adain:  F = alpha * AdaIN(F_c, F_s) + (1 - alpha) * F_c,
            AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y)   (per image and channel)
    output = D(F), cropped back to the content's size, in [-1, 1].

With `skips = k` the decoder also takes the same fusion of the k levels under relu4_1 (relu3_1,
relu2_1, relu1_1), added at their scale (U-Net-like skips): relu4_1 is 1/8 of the image, too
coarse to keep edges, while the fused lower levels carry the content's structure with the style's
channel statistics. Each skip is added through a zero-initialised 1x1 convolution, so training
starts from the plain decoder.

Note the opposite roles of alpha: `linear` alpha = 1 is the content alone, `adain` alpha = 1 is
full stylisation (see docs/ERRATA.md for why the literal blend ghosts and AdaIN does not).
"""

from __future__ import annotations

import numbers

import keras
from keras import layers, ops

from gan_style.core import manifests
from gan_style.core.layers import EPSILON, BilinearUpsample2x, ReflectionPadding2D, mean_std
from gan_style.style.encoder import build_encoder

FUSIONS = ("adain", "linear")


def adain(content, style, epsilon: float = EPSILON):
    """AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y) (Huang & Belongie 2017).

    content (B, h, w, C), style (B, h', w', C) (any spatial size) -> (B, h, w, C) whose channel
    means are exactly the style's and stds the style's up to epsilon.
    """
    scale, shift = adain_affine(content, style, epsilon)
    return ops.cast(content, "float32") * scale + shift


def adain_affine(content, style, epsilon: float = EPSILON):
    """AdaIN as the per-channel affine map it is: AdaIN(x, y) = a * x + b with
    a = std(y) / std(x), b = mean(y) - a * mean(x); two (B, 1, 1, C) float32 tensors. Applied as
    one multiply-add per value (`fuse` folds alpha into a and b), not a normalise-then-scale."""
    c_mean, c_std = mean_std(content, epsilon)
    s_mean, s_std = mean_std(style, epsilon)
    scale = s_std / c_std
    return scale, s_mean - scale * c_mean


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
    # alpha * (a x + b) + (1 - alpha) x, as one multiply-add per value (`adain_affine`)
    scale, shift = adain_affine(content_features, style_features)
    return content_features * (alpha * scale + (1.0 - alpha)) + alpha * shift


def inference_dtype(precision: str) -> str | None:
    """The dtype policy of the encoder and decoder for an inference `precision`: "float32" -> None
    (the global policy); "auto" -> `runtime.auto_precision()` where it is a mixed one (bfloat16 on
    CPUs with AMX or AVX512-BF16: the encoder 2-7x and the decoder 2x faster at 512 px), else None
    (emulated bfloat16 is slower)."""
    from gan_style.core import runtime

    if precision not in ("float32", "auto"):
        raise ValueError(f"precision must be float32 or auto, got {precision!r}")
    auto = runtime.auto_precision() if precision == "auto" else "float32"
    return None if auto == "float32" else auto


SKIP_LEVELS = ("relu3_1", "relu2_1", "relu1_1")  # in decoding order
CHANNELS = {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256, "relu4_1": 512}
SKIP_SCALE = 0.1  # fused VGG activations have stds of 10-40 (Caffe scale): brought to about 1-4


def fused_levels(skips: int) -> tuple[str, ...]:
    """The encoder levels a decoder with `skips` skips takes: relu4_1, then the first `skips` of
    relu3_1, relu2_1, relu1_1."""
    if not 0 <= skips <= len(SKIP_LEVELS):
        raise ValueError(f"skips must be in [0, {len(SKIP_LEVELS)}], got {skips}")
    return ("relu4_1", *SKIP_LEVELS[:skips])


def build_decoder(width: int = 32, skips: int = 0, name: str = "fusion_decoder",
                  dtype: str | None = None) -> keras.Model:
    """relu4_1-level features (B, h, w, 512) -> image (B, 8h, 8w, 3) in about [-1, 1] (linear output).

    Mirrors the encoder: 3x3 reflect-padded convolutions with ReLU, bilinear x2 upsampling (no
    transposed convolutions: they checkerboard; nearest-neighbour x2 left a period-2 mesh, see
    docs/ERRATA.md), no normalisation. Channels 4w, 2w, w per scale
    (the AdaIN paper's decoder is w = 64; w = 32 is 4x lighter). With `skips` > 0 the input is a
    dict {level: (B, h_l, w_l, C_l)} of `fused_levels(skips)`; each lower level, through a 1x1
    convolution initialised to zero, is added right after the upsampling that reaches its scale.
    `dtype`: the layers' dtype policy (None: the global one), e.g. "mixed_bfloat16"; the output
    layer is float32 whatever it is.
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    levels = fused_levels(skips)

    def conv(x, filters, activation="relu"):
        x = ReflectionPadding2D(1, dtype=dtype)(x)
        return layers.Conv2D(filters, 3, activation=activation, dtype=dtype)(x)

    if skips:
        inputs = {level: keras.Input((None, None, CHANNELS[level]), name=level) for level in levels}
    else:
        inputs = keras.Input((None, None, 512), name="features")

    def up(x, level):
        x = BilinearUpsample2x(dtype=dtype)(x)
        if level not in levels[1:]:
            return x
        # a zero-initialised 1x1 projection of the scaled skip, added: training starts from the
        # plain decoder (concatenating raw VGG activations instead collapsed it to dead ReLUs)
        skip = layers.Rescaling(SKIP_SCALE, dtype=dtype)(inputs[level])
        skip = layers.Conv2D(x.shape[-1], 1, use_bias=False, kernel_initializer="zeros", name=f"skip_{level}",
                             dtype=dtype)(skip)
        return layers.Add(dtype=dtype)([x, skip])

    x = conv(inputs["relu4_1"] if skips else inputs, 4 * width)  # relu4_1 level
    x = up(x, "relu3_1")
    for _ in range(3):
        x = conv(x, 4 * width)                                    # relu3 level
    x = conv(x, 2 * width)
    x = up(x, "relu2_1")
    x = conv(x, 2 * width)                                        # relu2 level
    x = conv(x, width)
    x = up(x, "relu1_1")
    x = conv(x, width)                                            # relu1 level
    images = layers.Activation("linear", dtype="float32")(conv(x, 3, activation=None))
    return keras.Model(inputs, images, name=name)


@keras.saving.register_keras_serializable(package="gan_style")
class FusionGenerator(keras.Model):
    """(content (B, H, W, 3), style (B, H', W', 3)), RGB in [-1, 1], any sizes -> (B, H, W, 3) in [-1, 1].

    `call((content, style), alpha=1.0, fusion=None)`: alpha in [0, 1] (ValueError outside),
    fusion "adain" or "linear" (default: the model's `fusion`). The content is reflect-padded to
    a multiple of 8 and the output cropped back. `linear` needs F_c and F_s of one shape, so the
    style is resized to the padded content size first. The encoder is frozen; only the decoder
    trains. `encoder_dtype`: the encoder's dtype policy (None: the global one; "mixed_bfloat16"
    runs it 2-7x faster on CPUs with AMX or AVX512-BF16, features within 0.5%); the fusion is
    float32, the decoder what it was built with (`build_decoder`'s `dtype`).
    """

    def __init__(self, width: int = 32, fusion: str = "adain", encoder_weights: str | None = "hed",
                 encoder=None, decoder=None, skips: int = 0, encoder_padding: str = "reflect",
                 encoder_dtype: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        self.width, self.fusion, self.encoder_weights = width, fusion, encoder_weights
        self.skips, self.levels, self.encoder_padding = skips, fused_levels(skips), encoder_padding
        self.encoder = encoder or build_encoder(encoder_weights, padding=encoder_padding, dtype=encoder_dtype)
        self.decoder = decoder or build_decoder(width, skips)

    def decode(self, fused: dict, training=False):
        """Fused features {level: (B, h_l, w_l, C_l)} of `self.levels` -> images (B, 8h, 8w, 3)."""
        return self.decoder(fused if self.skips else fused["relu4_1"], training=training)

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
        content_features, style_features = self.encoder(padded), self.encoder(style)
        fused = {level: fuse(content_features[level], style_features[level], alpha, fusion) for level in self.levels}
        images = self.decode(fused, training=training)[:, :height, :width, :]
        return ops.clip(images, -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "fusion": self.fusion,
                "encoder_weights": self.encoder_weights, "skips": self.skips, "encoder_padding": self.encoder_padding}

    @classmethod
    def from_pretrained(cls, name: str = "fusion_style", fusion: str = "adain",
                        precision: str = "float32") -> FusionGenerator:
        """The shipped decoder (checkpoints/<name>/decoder.keras, sha256-verified) on the offline
        encoder named in its manifest (weights and padding; manifests before `encoder_padding`
        existed were trained on zero padding). `precision`: the encoder's and decoder's, "float32" or
        "auto" (`inference_dtype`: mixed bfloat16 on CPUs with AMX or AVX512-BF16, the whole call
        1.9x faster at 512 px, the picture 45-56 dB from float32's; float32 elsewhere, where
        bfloat16 is emulated and slower)."""
        dtype = inference_dtype(precision)
        manifest = manifests.verify(name)
        decoder = manifests.load_model(name, "decoder.keras")  # its custom layers are defined here
        config = manifest.get("config", {})
        width, skips = config.get("width", 32), config.get("skips", 0)
        if dtype is not None:  # the same weights in layers of the faster policy
            weights, decoder = decoder.get_weights(), build_decoder(width, skips, dtype=dtype)
            decoder.set_weights(weights)
        return cls(width=width, fusion=fusion, encoder_weights=config.get("encoder_weights", "hed"),
                   decoder=decoder, skips=skips,
                   encoder_padding=config.get("encoder_padding", "zeros"), encoder_dtype=dtype)
