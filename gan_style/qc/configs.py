"""Hyperparameters of the QC trainers (quality regressor, repair U-Net): one dataclass per trainer,
written into each checkpoint's manifest. Light (no TensorFlow or Keras): `python -m gan_style.train`
builds its flags from these before anything imports TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field

from gan_style.qc.artifacts import ARTIFACTS

HELD_OUT_KINDS = {"digits": ("smear", "ghost_stroke"), "rgb": ("tearing", "blocking")}
STRIDES = {"digits": 4, "rgb": 8}


@dataclass
class QualityConfig:
    """Hyperparameters of a quality-regressor run; written into the checkpoint's manifest."""

    domain: str = "digits"
    width: int = 32
    block: int = 1  # the global score's worst region is the worst block x block regions' best
    backbone: str = "none"  # RGB: "vgg16_hed", frozen VGG16 relu3_1 features join the trunk
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
    init: str = ""  # a quality checkpoint (folder) to start from, sha256-verified; "" = from scratch
    # hard negatives: the last `hard_steps` (whole tenths of `steps`) train on batches a
    # `hard_share` of which is drawn from the `hard_keep` lowest-scored of `hard_pool` fresh clean
    # training crops (0: off)
    hard_steps: int = 0
    hard_share: float = 0.5
    hard_pool: int = 20000
    hard_keep: int = 2000

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if self.all_kinds and self.held_out_kinds:
            raise ValueError(f"all_kinds trains on every type; got held_out_kinds {self.held_out_kinds}")
        if not self.held_out_kinds and not self.all_kinds:
            self.held_out_kinds = HELD_OUT_KINDS[self.domain]
        tenth = self.steps // 10  # the trainer runs 10 epochs; the hard phase is whole epochs
        in_range = 0 <= self.hard_steps < self.steps
        whole_tenths = self.hard_steps == 0 or (tenth > 0 and self.hard_steps % tenth == 0)
        if not (in_range and whole_tenths):
            raise ValueError(f"hard_steps must be whole tenths of steps (of {tenth}) below "
                             f"steps, got {self.hard_steps}")
        if not 0.0 < self.hard_share < 1.0:
            raise ValueError(f"hard_share must be in (0, 1), got {self.hard_share}")
        if not 0.0 <= self.stylised_share < 1.0 or (self.stylised_share and self.domain == "digits"):
            raise ValueError(f"stylised_share is an RGB share in [0, 1), got {self.stylised_share}")
        if self.hard_steps and not 0 < self.hard_keep <= self.hard_pool:
            raise ValueError(f"need 0 < hard_keep <= hard_pool, got {self.hard_keep} and {self.hard_pool}")

    @classmethod
    def from_dict(cls, values: dict) -> QualityConfig:
        """The config recorded in a manifest (JSON lists back to tuples)."""
        return cls(**{**values, "held_out_kinds": tuple(values.get("held_out_kinds", ()))})

    @property
    def stride(self) -> int:
        return STRIDES[self.domain]

    def train_kinds(self) -> list[str]:
        return [k for k in ARTIFACTS[self.domain] if k not in self.held_out_kinds]


@dataclass
class RepairConfig:
    """Hyperparameters of a repair run; written into the checkpoint's manifest."""

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
    adversarial_weight: float = 0.0  # > 0 adds a PatchGAN on the composites
    pictures: str = "bundled"  # RGB training pictures: data.PICTURE_SOURCES, comma-separated
    sees_input: bool = False  # a corrector: reads the input under the mask (build_repair_unet)
    intact_share: float = 0.3  # of the training holes laid over intact pixels only (repair_examples)
    learn_fill: bool = True  # False: a corrector keeps its coarse fill and learns the trust alone
    large_crop: int = 0  # RGB: > 0 adds crops of this side, every other batch, with as many pixels
    seed: int = 0

    def __post_init__(self):
        if self.domain not in STRIDES:
            raise ValueError(f"domain must be digits or rgb, got {self.domain!r}")
        if self.vary and self.domain != "rgb":
            raise ValueError("vary (turns, channel orders, intensity maps) is for RGB photos, not digits")
        if self.domain == "digits" and self.pictures != "bundled":
            raise ValueError(f"pictures are for the RGB domain; digits train on MNIST, got {self.pictures!r}")
        if self.large_crop and (self.domain != "rgb" or self.large_crop <= self.crop_size):
            raise ValueError(f"large_crop is for RGB and above crop_size {self.crop_size}, got {self.large_crop}")
        if not 0.0 <= self.intact_share < 1.0:
            raise ValueError(f"intact_share must be in [0, 1), got {self.intact_share}")
        if not self.depth:
            self.depth = 2 if self.domain == "digits" else 3

    @property
    def channels(self) -> int:
        return 1 if self.domain == "digits" else 3
