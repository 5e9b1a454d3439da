"""Hyperparameters of the fusion-style trainer, written into each checkpoint's manifest. Light (no
TensorFlow or Keras): `python -m gan_style.train` builds its flags from it before anything imports
TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass

from gan_style.core.configs import ManifestConfig
from gan_style.core.levels import LEVELS, PADDINGS


@dataclass
class StyleConfig(ManifestConfig):
    """Hyperparameters of a fusion-style run; written into the checkpoint's manifest. The defaults are
    stage 1 of the shipped recipe; `make train-style` runs 1,700 steps of it, then stage 2 from
    there: `init` = stage 1, 2,000 steps, `lr_decay`, `structure_weight` 1500, `colour_weight`
    5e4, `style_jitter` 0.5 (bf16 where native)."""

    width: int = 32
    encoder_weights: str = "hed"
    encoder_padding: str = "zeros"  # levels.PADDINGS: "zeros" (VGG's own) drew a frame; stage 3: "reflect"
    crop_size: int = 128
    batch_size: int = 8
    steps: int = 2000
    learning_rate: float = 1e-4
    d_learning_rate: float = 1e-4
    lr_decay: bool = False  # both rates decay linearly to 0 over `steps`
    init: str = ""  # a checkpoint folder (decoder.keras, discriminator.keras) to start from; "" = fresh
    content_weight: float = 1.0
    structure_weight: float = 0.0  # normalised content loss (losses.structure_loss) ...
    structure_levels: str = "relu2_1,relu3_1"  # ... on these encoder levels, comma-separated
    style_weight: float = 10.0
    colour_weight: float = 0.0  # sliced Wasserstein distance of output and style colours (losses.colour_loss)
    tv_weight: float = 10.0
    phase_weight: float = 0.0  # losses.lattice_phase_loss: pixels paired on the even/odd lattice (the mesh)
    adversarial_weight: float = 50.0
    identity_weight: float = 0.0  # L1 of Dec(E(c)) vs c: the decoder must also reconstruct
    skips: int = 3  # fused lower levels added into the decoder (relu3_1, relu2_1, relu1_1); 0 = relu4_1 only
    discriminator_filters: int = 32
    adversarial_shift: int = 0  # D reads output and style crops shifted by (dy, dx) in [0, shift)^2 px; 0 = off
    num_crops: int = 1024  # per side (content, style), drawn once from the pictures' pyramids
    style_jitter: float = 0.0  # probability that a style crop's colours are recoloured (style_jitter)
    pictures: str = "bundled"  # training pictures: data.PICTURE_SOURCES, comma-separated; "" = only the folders given
    style_sources: str = ""  # styles besides `pictures`: data.STYLE_SOURCES, comma-separated
    precision: str = "float32"
    seed: int = 0

    def __post_init__(self):
        unknown = set(self.structure_levels.split(",")) - set(LEVELS)
        if unknown:
            raise ValueError(f"structure_levels must be among {LEVELS}, got {self.structure_levels!r}")
        if not 0.0 <= self.style_jitter <= 1.0:
            raise ValueError(f"style_jitter is a probability in [0, 1], got {self.style_jitter}")
        if self.encoder_padding not in PADDINGS:
            raise ValueError(f"encoder_padding must be one of {PADDINGS}, got {self.encoder_padding!r}")
        if not 0 <= self.adversarial_shift <= self.crop_size // 4:
            raise ValueError(f"adversarial_shift must be in [0, crop_size / 4], got {self.adversarial_shift}")
        if self.phase_weight and self.crop_size % 16:
            raise ValueError(f"phase_weight needs crop_size a multiple of 16, got {self.crop_size}")
        if self.crop_size % 8:
            raise ValueError(f"crop_size must be a multiple of 8, got {self.crop_size}")
