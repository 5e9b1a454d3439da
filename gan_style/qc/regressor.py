"""Quality regressor (seed section 3.3.1-3.3.2): a per-region score map and a global score."""

from __future__ import annotations

import math

import keras
from keras import layers

from gan_style.core.layers import ResizeLike

OUTPUTS = ("region_logits", "global_logit", "score_map", "global_score", "pixel_logits", "pixel_map")


def build_quality_regressor(
    channels: int = 1,
    stride: int = 4,
    width: int = 32,
    name: str = "quality_regressor",
    block: int = 1,
) -> keras.Model:
    """images (B, H, W, C) float32 in [-1, 1], any H and W -> dict of four tensors:

    - region_logits (B, ceil(H/s), ceil(W/s), 1): abnormality logit of each s x s region;
    - global_logit (B, 1): abnormality logit of the whole image (a pooled head);
    - score_map = sigmoid(-region_logits), in [0, 1], 1 = clean region;
    - global_score = min(sigmoid(-global_logit), min over blocks of `block` x `block` regions
      of the block's best score), in [0, 1]: with block 2 (RGB) an image is as good as its
      worst 2 x 2 regions, so one stray region does not flag a photo of a thousand;
    - pixel_logits (B, H, W, 1) and pixel_map = their sigmoid in [0, 1], 1 = abnormal pixel: a
      light full-resolution head (the region features upsampled bilinearly, joined with the first
      layer's) that says which pixels of a flagged region changed. The map's stride s bounds the
      pixel IoU a region mask can reach (0.50 on the digit artifacts at s = 4).

    The image is as good as its worst region and as the global head says. Fully convolutional:
    stride s = 2^k comes from k stride-2 convolutions; dilated convolutions widen the context of
    each region to about 8 regions without more downsampling.
    """
    if stride < 1 or stride & (stride - 1):
        raise ValueError(f"stride must be a power of 2, got {stride}")
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")

    def conv(x, filters, **kw):
        x = layers.Conv2D(filters, 3, padding="same", **kw)(x)
        return layers.LeakyReLU(0.2)(x)

    images = keras.Input((None, None, channels), name="images")
    x = full_resolution = conv(images, width)
    filters = width
    for _ in range(int(math.log2(stride))):
        filters = min(4 * width, 2 * filters)
        x = conv(x, filters, strides=2)
        x = conv(x, filters)
    for rate in (2, 4):  # context without downsampling: residual dilated convolutions
        x = layers.Add()([x, conv(x, filters, dilation_rate=rate)])
    region_logits = layers.Conv2D(1, 1, dtype="float32", name="region_logits")(x)
    pooled = layers.Concatenate()([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    hidden = layers.LeakyReLU(0.2)(layers.Dense(64)(pooled))
    global_logit = layers.Dense(1, dtype="float32", name="global_logit")(hidden)

    score_map = layers.Activation("sigmoid", dtype="float32", name="score_map")(
        layers.Rescaling(-1.0, dtype="float32")(region_logits)
    )
    head_score = layers.Activation("sigmoid", dtype="float32")(layers.Rescaling(-1.0, dtype="float32")(global_logit))
    blocks = score_map
    if block > 1:  # each block's best region: a flag needs the whole block under the threshold
        blocks = layers.MaxPooling2D(block, strides=1, padding="same", dtype="float32")(score_map)
    worst_region = layers.Rescaling(-1.0, dtype="float32")(
        layers.GlobalMaxPooling2D(dtype="float32")(layers.Rescaling(-1.0, dtype="float32")(blocks))
    )  # min over blocks = -max(-score)
    global_score = layers.Minimum(dtype="float32", name="global_score")([head_score, worst_region])
    upsampled = ResizeLike("bilinear")(x, full_resolution)
    pixel = conv(layers.Concatenate()([upsampled, full_resolution]), width)
    pixel_logits = layers.Conv2D(1, 1, dtype="float32", name="pixel_logits")(pixel)
    outputs = {
        "region_logits": region_logits,
        "global_logit": global_logit,
        "score_map": score_map,
        "global_score": global_score,
        "pixel_logits": pixel_logits,
        "pixel_map": layers.Activation("sigmoid", dtype="float32", name="pixel_map")(pixel_logits),
    }
    return keras.Model(images, outputs, name=name)


def scoring_model(regressor: keras.Model) -> keras.Model:
    """The regressor cut down to what the QC pipeline reads: images -> {"global_score" (B, 1),
    "score_map" (B, h, w, 1)}. Shares the weights; skips the pixel head (about 40% of the work on
    digits), in eager and compiled runs alike."""
    outputs = {name: regressor.get_layer(name).output for name in ("global_score", "score_map")}
    return keras.Model(regressor.inputs, outputs, name=f"{regressor.name}_scores")


def block_size(regressor: keras.Model) -> int:
    """The `block` a regressor of `build_quality_regressor` was built with (1: no blocks): the
    size of the blocks of regions whose best score its global score takes the worst of."""
    pools = [layer for layer in regressor.layers if isinstance(layer, layers.MaxPooling2D)]
    return int(pools[0].pool_size[0]) if pools else 1
