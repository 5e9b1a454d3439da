"""Hyperparameters of the QC trainers (quality regressor, repair U-Net): one dataclass per trainer,
written into each checkpoint's manifest. Light (no TensorFlow or Keras): `python -m gan_style.train`
builds its flags from these before anything imports TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from gan_style.core.configs import ManifestConfig
from gan_style.qc.artifacts import ARTIFACTS
from gan_style.qc.fills import FILLS

HELD_OUT_KINDS = {"digits": ("smear", "ghost_stroke"), "rgb": ("tearing", "blocking")}
STRIDES = {"digits": 4, "rgb": 8}


@dataclass
class QualityConfig(ManifestConfig):
    """Hyperparameters of a quality-regressor run; written into the checkpoint's manifest."""

    # the VGG16 backbone and hard negatives (hard_share/pool/keep at their defaults: unused while
    # hard_steps was 0), removed after 3695294
    REMOVED: ClassVar[dict] = {"backbone": "none", "hard_steps": 0, "hard_share": 0.5, "hard_pool": 20000,
                               "hard_keep": 2000}

    domain: str = "digits"
    width: int = 32
    block: int = 1  # the global score's worst region is the worst block x block regions' best
    batch_size: int = 64
    steps: int = 3000
    learning_rate: float = 1e-3
    crop_size: int = 64  # RGB training crops
    rank_weight: float = 0.5
    failure_fraction: float = 0.15  # of abnormal training examples replaced by real failures
    num_failures: int = 1500
    max_fpr: float = 0.05
    seed: int = 0
    held_out_kinds: tuple[str, ...] = field(default=())
    # every artifact type in training, no held-out set (the shipped models since the independent
    # protocol, whose artifacts come from other code); `held_out_kinds` measures generalisation to unseen types
    all_kinds: bool = False
    pictures: str = "bundled"  # RGB training pictures: data.PICTURE_SOURCES, comma-separated, or "corpus"
    stylised_share: float = 0.0  # RGB: share of the clean training crops cut from stylised pictures
    style_sources: str = ""  # RGB: style-only sources (data.STYLE_SOURCES) their styles are also drawn from
    init: str = ""  # a quality checkpoint (folder) to start from, sha256-verified; "" = from scratch

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if self.all_kinds and self.held_out_kinds:
            raise ValueError(f"all_kinds trains on every type; got held_out_kinds {self.held_out_kinds}")
        if not self.held_out_kinds and not self.all_kinds:
            self.held_out_kinds = HELD_OUT_KINDS[self.domain]
        if not 0.0 <= self.stylised_share < 1.0 or (self.stylised_share and self.domain == "digits"):
            raise ValueError(f"stylised_share is an RGB share in [0, 1), got {self.stylised_share}")
        if self.style_sources and not self.stylised_share:
            raise ValueError(f"style_sources style the stylised crops; set stylised_share, got {self.style_sources!r}")

    @property
    def stride(self) -> int:
        return STRIDES[self.domain]

    def train_kinds(self) -> list[str]:
        """The artifact kinds a run of this config trains on, with today's simulator (a manifest's
        are `trained_kinds(manifest)`)."""
        return [k for k in ARTIFACTS[self.domain] if k not in self.held_out_kinds]


def trained_kinds(manifest: dict) -> list[str]:
    """The artifact kinds a quality checkpoint was trained on: its manifest's "kinds", or for a
    manifest written before they were recorded, the seen kinds of its evaluation. Not
    `QualityConfig.train_kinds()`, which lists today's simulator (RGB had 7 kinds before 3695294,
    11 since)."""
    if "kinds" in manifest:
        return list(manifest["kinds"])
    return list(manifest["metrics"]["seen"]["kinds"])


@dataclass
class RepairConfig(ManifestConfig):
    """Hyperparameters of a repair run; written into the checkpoint's manifest."""

    # the PatchGAN term, the corrector (sees_input, learn_fill) and large crops, removed after 3695294
    REMOVED: ClassVar[dict] = {"adversarial_weight": 0.0, "sees_input": False, "learn_fill": True, "large_crop": 0}

    domain: str = "digits"
    width: int = 32
    depth: int = 0  # 0: 2 for digits, 3 for RGB
    batch_size: int = 64
    steps: int = 2000
    learning_rate: float = 1e-3
    crop_size: int = 64  # RGB training crops
    hole_weight: float = 6.0
    valid_weight: float = 1.0
    norm: str = "l1"  # of the hole/valid terms: "l1", or "l2" (what PSNR measures)
    vary: bool = False  # RGB: random quarter turns, channel orders and intensity maps (vary_photos)
    perceptual_weight: float = 0.1  # RGB: encoder features of the composite vs the clean image
    style_weight: float = 0.1  # RGB: mean/std of those features
    pictures: str = "bundled"  # RGB training pictures: data.PICTURE_SOURCES, comma-separated
    intact_share: float = 0.3  # of the training holes laid over intact pixels only (repair_examples)
    # the coarse fill under the saved U-Net: a key of FILLS. It trains on Laplace's either way:
    # trained on the biharmonic fill, a U-Net learnt a residual where that fill is exact
    # (experiments/README.md, "The shipped RGB U-Net on a biharmonic fill")
    fill: str = "laplace"
    seed: int = 0

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.vary and self.domain != "rgb":
            raise ValueError("vary (turns, channel orders, intensity maps) is for RGB photos, not digits")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if not 0.0 <= self.intact_share < 1.0:
            raise ValueError(f"intact_share must be in [0, 1), got {self.intact_share}")
        if self.fill not in FILLS:
            raise ValueError(f"fill must be one of {', '.join(FILLS)}, got {self.fill!r}")
        if not self.depth:
            self.depth = 2 if self.domain == "digits" else 3

    @property
    def channels(self) -> int:
        return 1 if self.domain == "digits" else 3
