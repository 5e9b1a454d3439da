"""A small MNIST classifier used only to evaluate generators (classifier FID / score)."""

from __future__ import annotations

import keras
from keras import layers

FEATURES_LAYER = "features"


def build_mnist_classifier(width: int = 32, name: str = "mnist_classifier") -> keras.Model:
    """images (B, 28, 28, 1) in [-1, 1] -> class logits (B, 10).

    Two conv blocks (w, 2w filters, BatchNorm, max-pool) then a 128-unit ReLU layer named
    "features": its activations are the embedding for the Frechet distance.
    """
    images = keras.Input((28, 28, 1), name="images")
    x = images
    for filters in (width, 2 * width):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)  # (B, 14, 14, w) then (B, 7, 7, 2w)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(0.3)(features)
    logits = layers.Dense(10, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def feature_and_logit_model(classifier: keras.Model) -> keras.Model:
    """images -> (features (B, 128), logits (B, 10)) from a built classifier."""
    return keras.Model(
        classifier.inputs,
        [classifier.get_layer(FEATURES_LAYER).output, classifier.outputs[0]],
        name=f"{classifier.name}_features",
    )
