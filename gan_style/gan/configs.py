"""Hyperparameters of the generation-stage trainers (DCGAN, MNIST classifier): one dataclass per
trainer, written into each checkpoint's manifest. Light (no TensorFlow or Keras): `python -m
gan_style.train` builds its flags from these before anything imports TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gan_style.core.configs import ManifestConfig


@dataclass
class ClassifierConfig(ManifestConfig):
    """Hyperparameters of the MNIST evaluation classifier."""

    width: int = 32
    batch_size: int = 64
    epochs: int = 40
    learning_rate: float = 2e-3
    seed: int = 0


@dataclass
class DCGANConfig(ManifestConfig):
    """Hyperparameters of a DCGAN run; written into every checkpoint's manifest.

    Networks default to the seed's layers; the rest to the shipped recipe (docs/results.md): 8-d
    noise instead of the seed's 100 (fewer samples between two digits), its first coordinate a
    10-way categorical code inside G (`categories`; G can jump between digits), an EMA generator, G's
    learning rate 8x D's, both decayed linearly to 0 over the run (without it the class balance
    drifts in long runs), batch 32 (more updates per second on a small CPU). Augmentation, R1,
    top-k, label smoothing, dropout and spectral norm were measured and did not help
    (experiments/README.md); they are no longer options.
    """

    REMOVED: ClassVar[dict] = {"augment": "", "r1_gamma": 0.0, "g_top_k": 1.0, "label_smoothing": 0.0,
                               "d_dropout": 0.0, "spectral_norm": False}

    latent_dim: int = 8
    base_filters: int = 64
    batchnorm: bool = True
    batch_size: int = 32
    g_learning_rate: float = 1.6e-3
    d_learning_rate: float = 2e-4
    beta_1: float = 0.5
    ema_decay: float = 0.999
    lr_decay: bool = True
    categories: int = 10
    epochs: int = 160
    seed: int = 0
    jit_compile: bool = False
    precision: str = "float32"
