"""Post-generation quality control (seed sections 3.3-3.4): assess -> locate -> repair -> re-check.

    s, S, P = Q(x)              global score (B,), score map (B, h, w), both in [0, 1] with 1 =
                                clean, and the pixel head's map P (B, H, W), 1 = changed pixel
                                (`scales`, e.g. `RGB_SCALES` = 1, 2, 4, CLI `--multi-scale`:
                                also Q of x shrunk k times, for every k that leaves the shorter
                                side >= `min_side`; S and s are the minimum over scales on the
                                full-size grid, P the maximum)
    s <- 0 if F                 RGB, `flat_patches`: F = the pasted-on flat blocks of x
                                (`regions.foreign_patches`); the reported map's cells over F are 0
                                too (the regions of `QCResult.located`)
    t = t(side)                 the threshold: RGB, chosen per longer side on clean validation
                                pictures (`side_thresholds`: that of the smallest calibrated side
                                at least the image's, 256 or 512 px); else one value
    c = up(S < t)               abnormal cells: every map cell under the threshold t, whole
    m = c * grow(P > 0.5)       the pixels the head marks in them (RGB: or `impulse_marks`, pixels
                                over 0.4 from their 3x3 median), grown by `grow` pixels (a
                                flagged cell where it marks nothing is repaired whole, or with
                                `unmarked="keep"` left as it is); RGB, `flat_patches`: m is grown
                                over F (with a 2-px rim) and every flat patch of one colour that
                                it touches (at most 15% of the picture,
                                `regions.grow_over_flat_patches`): a hole located in part would be
                                filled back with its own colour from the rest
    x <- x * (1 - m) + R(x, m) * m   repair only those pixels, then score again
                                (RGB, `texture`: R's smooth fill plus detail copied from the
                                valid surroundings, `texture.detailed_repair`)
repeated while an image is still abnormal, up to `max_passes`. Each image comes back as the best-
scored of its versions (the input and every pass), so the pipeline never returns an image it
scores lower than what came in: a repair that lowered the score (a false positive repainted, a
pass that made things worse) is dropped; accepted = that best s >= t. An image
whose low score comes from the global head alone (no cell under t) has nothing to repair: it is
reported abnormal with no regions and 0 passes. `area="cells"` repairs the whole cells c instead,
which redraws intact strokes too: on the bench's validation artifacts the corrupted digits' PSNR to
their originals stays at 18.6 dB (pixels: 19.7), fix rate 87% (92%); RGB, with the previous
2,000-step regressor, 31.2 dB (32.1), fix rate 70% (68%), from 26.4 dB before repair.

Scales (an option, off by default): the regressor was trained on 64 px crops, so in a photo it
sees a 50-100 px defect only by its edges (a `hole` in a 256 px chelsea: 8% of it located). Shrunk
2 or 4 times, the defect has the size it was trained on (99% located). A coarse scale is used only
where the shrunk image keeps the training crop's side, so images under twice that size (every crop
the threshold was chosen on) are scored exactly as at one scale. On the bench's 256 px crops it
repairs more of each defect and brings them closer to their originals, but it also flags more
clean images and accepts fewer repairs (`make bench`, "RGB pipeline at photo sizes"): a choice
for photos with large defects, not a default.

The hot path (one pass over a batch) is a `tf.function` with an input signature of unknown batch,
height and width, traced once per pipeline: new batch sizes and image sizes never retrace it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from gan_style.qc.regions import cell_strides, extract_regions, foreign_patches, grow_over_flat_patches
from gan_style.qc.regressor import block_size, scoring_model
from gan_style.qc.texture import detailed_repair

DOMAINS = ("digits", "rgb")
AREAS = ("pixels", "cells")
UNMARKED = ("cell", "keep")  # what a pass does with a flagged cell the pixel head marks nothing in
MAX_PASSES = 4  # digits validation artifacts: fix rate 73% after 1 pass, 86% after 2, 92% after 4, 93% after 8
# RGB marks also pixels this far from their 3x3 median in flagged cells (`impulse_marks`); on the
# validation pictures (experiments/qc-impulse-marks-2026-12-06.json) box gain +1.72 -> +1.88 dB at
# 256 px and +3.52 -> +3.81 at 512, pixel IoU 0.412 -> 0.422 and 0.335 -> 0.344, dead pixels +1.2 ->
# +2.4 and +1.9 -> +3.4 dB (0.25: less gain, fix rate down at 512)
IMPULSE_LEVEL = 0.4
RGB_SCALES = (1, 2, 4)  # `--multi-scale`: defects of up to ~4x the training crops' (module docstring)


# the median of 9 by 19 compare-exchanges (a sorting network's pruned form, Paeth 1990 / Devillard):
# each pair (a, b) leaves min in a and max in b; the median ends in position 4
_MEDIAN9 = ((1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
            (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2))


def impulse_marks(images, level: float):
    """Pixels far from their 3x3 neighbourhood's median: images (B, H, W, C) in [-1, 1] ->
    (B, H, W) float32 in {0, 1}, 1 where max_c |x - med_3x3(x)| > `level` (reflect-padded): dead
    pixels, dropped pixels, salt and strong noise, which a pixel head may miss (a white dot on a
    bright band). Elementwise min / max only (`_MEDIAN9`): about as costly as a few convolutions'
    worth of memory traffic, no sort."""
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    p = [padded[:, dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)]
    for a, b in _MEDIAN9:
        p[a], p[b] = tf.minimum(p[a], p[b]), tf.maximum(p[a], p[b])
    return tf.cast(tf.reduce_max(tf.abs(images - p[4]), axis=-1) > level, tf.float32)


def _impulse_level(domain: str, impulses: float | bool | None) -> float | None:
    """`QCPipeline`'s `impulses` argument -> the level of `impulse_marks`, None when off."""
    if impulses is None:
        impulses = domain == "rgb"
    if isinstance(impulses, bool):
        return IMPULSE_LEVEL if impulses else None
    return float(impulses)


def detect_domain(image: np.ndarray) -> str:
    """`auto` domain: a 28x28 single-channel image is a digit, anything else RGB."""
    return "digits" if image.shape[:2] == (28, 28) and image.shape[-1] == 1 else "rgb"


@dataclass
class QCResult:
    """One batch through the pipeline; arrays in [-1, 1], scores in [0, 1]."""

    repaired: np.ndarray      # (B, H, W, C) the returned images: the best-scored version of each
    score_before: np.ndarray  # (B,)
    score_after: np.ndarray   # (B,) of the returned images (= before when no repair was kept)
    score_map: np.ndarray     # (B, h, w) of the first assessment
    masks: np.ndarray         # (B, H, W) bool: the pixels repaired in the returned images
    passes: np.ndarray        # (B,) repair passes run (kept or not)
    threshold: float
    tried: np.ndarray         # (B, H, W) bool: every pixel any pass repainted, kept or not
    located_pixels: np.ndarray | None = None  # (B, H, W) bool: the abnormal pixels located by the first
    # assessment (the pixel head's marks in flagged cells; a flagged cell it marks nothing in, whole), ungrown
    block: int = 1  # the regressor's blocks of cells (`regions.block_scores`): what the global score judges

    @property
    def abnormal(self) -> np.ndarray:
        return self.score_before < self.threshold

    @property
    def accepted(self) -> np.ndarray:
        return self.score_after >= self.threshold

    def located(self, index: int) -> tuple[np.ndarray, list[dict]]:
        """(pixel mask (H, W) bool, regions) of image `index` from its first score map (see
        `regions.extract_regions`); none for an image scored clean (its cells may dip under the
        threshold only with the global head above it, which the pipeline does not repair)."""
        shape = self.masks.shape[1:3]
        if not self.abnormal[index]:
            return np.zeros(shape, bool), []
        return extract_regions(self.score_map[index], self.threshold, shape)

    def regions(self, index: int) -> list[dict]:
        """Abnormal regions of image `index`: [{"bbox", "area", "score"}], worst first."""
        return self.located(index)[1]


class QCPipeline:
    """Quality regressor + repair U-Net + threshold for one domain.

    `run(images)` takes (B, H, W, C) float32 in [-1, 1] (C = 1 digits, 3 RGB) and returns a
    `QCResult`. `from_pretrained(domain)` loads the shipped, sha256-verified checkpoints and the
    threshold chosen on validation images from the manifest (at most 3% false positives for
    digits, 5% for RGB: each run's `--max-fpr`).

    `side_thresholds` ({longer side in px: threshold}, RGB): thresholds chosen apart at each of
    those sides (a 512-px picture has four times the places to go wrong of a 256-px one, so its
    clean pictures score lower); `threshold_for(shape)` gives an image's, and a `run` without a
    `threshold` uses it. None: `threshold` at every size.

    `impulses`: the level of `impulse_marks` added to the pixel head's marks (None: IMPULSE_LEVEL for
    RGB, off for digits, whose strokes end in single bright pixels; True / False: on / off).

    `texture` (default: on for RGB in `from_pretrained`) adds exemplar detail to the repairer's
    fill in cells of `texture_cell` pixels: a smooth fill in a textured region is an artifact of
    its own, which the regressor rightly flags (RGB validation artifacts, true masks: 53% of
    smooth repairs of 200 validation crops accepted, 88% with the full copy; on whole pictures at 256 px 67%
    smooth, 76% with the detail at its own amplitude, `texture.FLOOR`; at 512 px 96% and 89%).
    """

    def __init__(self, regressor, repairer, threshold: float, domain: str = "digits",
                 max_passes: int = MAX_PASSES, compiled: bool = True, area: str = "pixels", grow: int = 1,
                 unmarked: str = "cell", texture: bool = False, texture_cell: int = 8,
                 scales: tuple[int, ...] = (1,), min_side: int = 64, classifier=None,
                 flat_patches: bool | None = None, impulses: float | bool | None = None,
                 side_thresholds: dict[int, float] | None = None):
        self._arguments = {k: v for k, v in locals().items() if k != "self"}  # for `replace`
        if domain not in DOMAINS:
            raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        if max_passes < 0:
            raise ValueError(f"max_passes must be >= 0, got {max_passes}")
        if area not in AREAS:
            raise ValueError(f"area must be one of {AREAS}, got {area!r}")
        if unmarked not in UNMARKED:
            raise ValueError(f"unmarked must be one of {UNMARKED}, got {unmarked!r}")
        self.regressor, self.repairer = regressor, repairer
        # the same work in eager and compiled runs; any callable images -> dict of the two also works
        self.scorer = scoring_model(regressor) if isinstance(regressor, keras.Model) else regressor
        self.block = block_size(regressor) if isinstance(regressor, keras.Model) else 1
        self.threshold, self.domain, self.max_passes = float(threshold), domain, max_passes
        self.side_thresholds = tuple(sorted((int(k), float(v)) for k, v in (side_thresholds or {}).items()))
        for side, value in self.side_thresholds:
            if side < 1 or not 0.0 < value < 1.0:
                raise ValueError(f"side thresholds must map sides >= 1 to (0, 1), got {side}: {value}")
        self.channels = 1 if domain == "digits" else 3
        self.area, self.grow, self.unmarked = area, int(grow), unmarked
        if texture_cell < 1:
            raise ValueError(f"texture_cell must be >= 1, got {texture_cell}")
        self.texture, self.texture_cell = bool(texture), int(texture_cell)
        scales = tuple(int(k) for k in scales)
        if not scales or scales[0] != 1 or list(scales) != sorted(set(scales)):
            raise ValueError(f"scales must start at 1 and increase, got {scales}")
        if min_side < 1:
            raise ValueError(f"min_side must be >= 1, got {min_side}")
        self.scales, self.min_side = scales, int(min_side)
        self.classifier = classifier
        self.flat_patches = domain == "rgb" if flat_patches is None else bool(flat_patches)
        self.impulses = _impulse_level(domain, impulses)
        # pixel marks need the full regressor (its pixel head); whole cells need none
        self.uses_marks = area == "pixels" and isinstance(regressor, keras.Model)
        self.assess, self.marks, self.locate, self.repair_pass, self.classes = (  # eager
            self._assess, self._marks, self._pass_mask, self._repair_pass, self._classes)
        if compiled:
            spec = tf.TensorSpec((None, None, None, self.channels), tf.float32)
            maps = tf.TensorSpec((None, None, None), tf.float32)
            scalar = tf.TensorSpec((), tf.float32)
            self.assess = tf.function(self._assess, input_signature=[spec])
            self.marks = tf.function(self._marks, input_signature=[spec])
            self.locate = tf.function(self._pass_mask, input_signature=[maps, maps, scalar])
            self.repair_pass = tf.function(self._repair_pass, input_signature=[spec, maps])
            self.classes = tf.function(self._classes, input_signature=[spec, spec, maps, scalar])

    def replace(self, **changes) -> QCPipeline:
        """A new pipeline with this one's constructor arguments (networks, thresholds, classifier,
        options), `changes` applied: e.g. `replace(texture=False)` is the same pipeline with the
        smooth fill."""
        return QCPipeline(**{**self._arguments, **changes})

    def threshold_for(self, shape) -> float:
        """The threshold of an image of `shape` ((H, W, ...)): `threshold` without
        `side_thresholds`; else that of the smallest calibrated side at least as long as the
        image's longer side (beyond the largest, the largest's). A clean picture scores lower the
        more places it has to go wrong, so an image is held to the rule of pictures at least its
        size: between 256 and 512 px, the 512-px threshold (on validation pictures at 384 px,
        log-linear interpolation flagged 7.8% of the clean ones, this rule 4.4%)."""
        if not self.side_thresholds:
            return self.threshold
        side = max(int(shape[0]), int(shape[1]))
        return next((t for k, t in self.side_thresholds if k >= side), self.side_thresholds[-1][1])

    @classmethod
    def from_pretrained(cls, domain: str, max_passes: int = MAX_PASSES, threshold: float | None = None,
                        area: str = "pixels", grow: int = 1, unmarked: str = "cell",
                        texture: bool | None = None, scales: tuple[int, ...] = (1,),
                        class_guard: bool = True, quality: str | None = None,
                        checkpoints: str | os.PathLike | None = None,
                        impulses: float | bool | None = None) -> QCPipeline:
        """The shipped models of `domain`; `texture` None: on for RGB (photos have texture to
        copy), off for digits (ink on a flat background). Coarse `scales` stop at the regressor's
        training crop (RGB 128 px; digits 28 px: never used on digits). Digits, `class_guard`: the
        shipped MNIST classifier drops a repair that changes the digit's class, or whose class
        differs from that of the flagged cells repaired whole (`_guard_class`). `quality`: another
        quality checkpoint (name or folder) than the shipped `quality_<domain>`, with its threshold
        (and its thresholds by side where its manifest's calibration has them; a given
        `threshold` replaces both).
        `checkpoints`: the folder holding the checkpoint folders (`quality_<domain>`,
        `repair_<domain>`, `mnist_classifier`; default `manifests.root()`: $GAN_STYLE_CHECKPOINTS,
        else the repository's checkpoints/), e.g. where a wheel's user or a pipeline worker put them.
        `impulses`: as in the class."""
        from gan_style.core import checkpoints as store

        def where(name: str):
            if checkpoints is None or os.sep in name or Path(name).is_absolute():
                return name
            return Path(checkpoints) / name

        quality = where(quality or f"quality_{domain}")
        manifest = store.verify(quality)
        regressor = store.load_model(quality, "regressor.keras")
        repairer = store.load_model(where(f"repair_{domain}"), "repairer.keras")
        classifier = None
        if domain == "digits" and class_guard:
            classifier = store.load_model(where("mnist_classifier"), "classifier.keras")
        sides = (manifest.get("calibration") or {}).get("thresholds_by_side") if threshold is None else None
        return cls(regressor, repairer, manifest["threshold"] if threshold is None else threshold,
                   domain, max_passes, area=area, grow=grow, unmarked=unmarked,
                   texture=domain == "rgb" if texture is None else texture, texture_cell=manifest["stride"],
                   scales=scales, min_side=manifest["config"].get("crop_size", 64) if domain == "rgb" else 28,
                   classifier=classifier, impulses=impulses, side_thresholds=sides)

    # -- the compiled hot path --------------------------------------------------------------

    def _assess(self, images):
        """images (B, H, W, C) -> (global score (B,), score map (B, h, w)), over `scales`."""
        return self._scored(images, marks=False)

    def _assess_with_marks(self, images):
        """`_assess` plus the marks (B, H, W) float32 in {0, 1}: the pixel head's (p > 0.5), from one
        forward pass of the regressor per scale, or `impulse_marks` where `impulses` is set (over the
        whole image; `_locate` keeps those in flagged cells); zeros when the repair area is whole cells."""
        if not self.uses_marks:
            return (*self._assess(images), tf.zeros(tf.shape(images)[:3]))
        score, score_map, pixel = self._scored(images, marks=True)
        marks = tf.cast(pixel > 0.5, tf.float32)
        if self.impulses is not None:
            marks = tf.maximum(marks, impulse_marks(images, self.impulses))
        return score, score_map, marks

    def _forward(self, images, marks):
        """One scale: (global score (B,), score map (B, h, w)) and, with `marks`, the pixel map
        (B, H, W) of the full regressor."""
        if not marks:
            outputs = self.scorer(images, training=False)
            return outputs["global_score"][:, 0], outputs["score_map"][..., 0]
        outputs = self.regressor(images, training=False)
        return outputs["global_score"][:, 0], outputs["score_map"][..., 0], outputs["pixel_map"][..., 0]

    def _scored(self, images, marks):
        """`_forward` at every scale k of `scales` that leaves the shorter side >= `min_side`,
        the image shrunk k times (antialiased): the score and the map (nearest-resized to the
        full-size grid) are the minimum over scales, the pixel map (bilinear) the maximum."""
        outputs = self._forward(images, marks)
        size = tf.shape(images)[1:3]
        for k in self.scales[1:]:
            def coarse(k=k, outputs=outputs):
                small = self._forward(tf.image.resize(images, size // k, antialias=True), marks)
                grid = tf.shape(outputs[1])[1:3]
                merged = (tf.minimum(outputs[0], small[0]),
                          tf.minimum(outputs[1], tf.image.resize(small[1][..., None], grid, "nearest")[..., 0]))
                if marks:
                    merged += (tf.maximum(outputs[2], tf.image.resize(small[2][..., None], size, "bilinear")[..., 0]),)
                return merged

            outputs = tf.cond(tf.reduce_min(size) // k >= self.min_side, coarse, lambda o=outputs: o)
        return tuple(outputs)

    def _marks(self, images):
        """images (B, H, W, C) -> the marks of `_assess_with_marks`."""
        return self._assess_with_marks(images)[2]

    def _locate(self, score_map, marks, threshold, size, grow=None):
        """The pixels a pass repairs, (B, H, W) float32 in {0, 1}: in the cells of `score_map`
        (B, h, w) under `threshold`, the `marks` (B, H, W) grown by `grow` pixels (None: the
        pipeline's); a flagged cell with no mark is repaired whole (as every flagged cell is with
        `area="cells"`), or with `unmarked="keep"` not at all."""
        cells = self.cell_mask(score_map, threshold, size)
        if not self.uses_marks:
            return cells
        grow = self.grow if grow is None else grow
        if grow:
            marks = tf.nn.max_pool2d(marks[..., None], 2 * grow + 1, 1, "SAME")[..., 0]
        marks = marks * cells
        if self.unmarked == "keep":
            return marks
        cells_hw = tf.shape(score_map)[1:3]
        stride = cell_strides(cells_hw, size)
        padded = tf.pad(marks, [[0, 0], [0, cells_hw[0] * stride[0] - size[0]],
                                [0, cells_hw[1] * stride[1] - size[1]]])
        blocks = tf.reshape(padded, [-1, cells_hw[0], stride[0], cells_hw[1], stride[1]])
        any_marked = tf.reduce_max(blocks, axis=[2, 4])
        return tf.maximum(marks, self.cell_mask(any_marked, 0.5, size) * cells)

    def _pass_mask(self, score_map, marks, threshold):
        """`_locate` with the pipeline's `grow`, for score maps (B, h, w) and marks (B, H, W)."""
        return self._locate(score_map, marks, threshold, tf.shape(marks)[1:3])

    def _repair_pass(self, images, mask):
        """Repair `mask` (B, H, W) float32 in {0, 1} of images, score again. -> (images, score
        after, map after, marks after)."""
        outputs = self.repairer({"images": images, "masks": mask[..., None]}, training=False)
        repaired = outputs["repaired"]
        if self.texture:
            repaired = detailed_repair(outputs, images, mask[..., None], cell=self.texture_cell)
        return (repaired, *self._assess_with_marks(repaired))

    def _grown(self, images: np.ndarray, masks: np.ndarray, foreign: np.ndarray) -> np.ndarray:
        """masks (B, H, W) with the `foreign` patches (B, H, W) and a 2-px rim added, grown over
        the flat patches of images (B, H, W, C) they touch, when `flat_patches` (see
        `regions.grow_over_flat_patches`); bool."""
        masks = np.asarray(masks) > 0
        if not self.flat_patches:
            return masks
        masks = masks | ndimage.binary_dilation(foreign, structure=np.ones((1, 3, 3), bool), iterations=2)
        return np.stack([grow_over_flat_patches(image, mask) for image, mask in zip(images, masks, strict=True)])

    def _foreign(self, images: np.ndarray, score: np.ndarray) -> np.ndarray:
        """The foreign flat patches of images (B, H, W, C) (`regions.foreign_patches`: pasted-on
        blocks), (B, H, W) bool, when `flat_patches` (else none); the `score` (B,) of an image with
        one is set to 0 in place: a pasted block is a defect whatever the regressor makes of it."""
        foreign = np.zeros(images.shape[:3], bool)
        if self.flat_patches:
            for b, image in enumerate(images):
                foreign[b] = foreign_patches(image)
            score[foreign.any(axis=(1, 2))] = 0.0
        return foreign

    @staticmethod
    def _zero_cells(score_map: np.ndarray, pixels: np.ndarray) -> np.ndarray:
        """A copy of `score_map` (B, h, w) with every cell holding a pixel of `pixels` (B, H, W) at 0."""
        out = score_map.copy()
        stride = cell_strides(score_map.shape[1:3], pixels.shape[1:3])
        b, ys, xs = np.nonzero(pixels)
        out[b, ys // stride[0], xs // stride[1]] = 0.0
        return out

    @staticmethod
    def cell_mask(score_map, threshold, size):
        """Map (B, h, w) -> pixel mask (B, H, W) float32: each cell's flag (score under
        `threshold`) copied to its s x s pixels, s = ceil(H / h)."""
        flags = tf.cast(score_map < threshold, tf.float32)
        stride = cell_strides(tf.shape(flags)[1:3], size)
        up = tf.repeat(tf.repeat(flags, stride[0], axis=1), stride[1], axis=2)
        return up[:, : size[0], : size[1]]

    def _classes(self, images, repaired, score_map, threshold):
        """`classifier`'s classes (argmax), (3, B) int64: of `images` (B, H, W, C), of their
        `repaired` versions and of the probe, `images` with the cells of `score_map` (B, h, w) under
        `threshold` repaired whole (`_guard_class`)."""
        cells = self.cell_mask(score_map, threshold, tf.shape(images)[1:3])
        probe = self.repairer({"images": images, "masks": cells[..., None]}, training=False)["repaired"]
        return tf.stack([tf.argmax(self.classifier(x, training=False), axis=-1) for x in (images, repaired, probe)])

    # -- the loop --------------------------------------------------------------------------

    def run(self, images: np.ndarray, repair: bool = True, max_passes: int | None = None,
            threshold: float | None = None) -> QCResult:
        """Assess, then (with `repair`) repair the abnormal images up to `max_passes` times;
        `threshold` None: `threshold_for` the batch's size."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] != self.channels:
            raise ValueError(f"{self.domain} images must be (B, H, W, {self.channels}), got {images.shape}")
        threshold = self.threshold_for(images.shape[1:3]) if threshold is None else float(threshold)
        max_passes = self.max_passes if max_passes is None else max_passes
        score, score_map = (t.numpy() for t in self.assess(tf.constant(images)))
        foreign = self._foreign(images, score)
        result = QCResult(images.copy(), score, score.copy(), self._zero_cells(score_map, foreign),
                          np.zeros(images.shape[:3], bool),
                          np.zeros(len(images), np.int64), threshold, np.zeros(images.shape[:3], bool),
                          np.zeros(images.shape[:3], bool), self.block)
        current, current_map, t = images.copy(), score_map, tf.constant(threshold, tf.float32)
        current_marks = np.zeros(images.shape[:3], np.float32)
        first = np.flatnonzero(score < threshold)
        if len(first) and self.uses_marks:
            current_marks[first] = self.marks(tf.constant(images[first])).numpy()
        if len(first):
            located = self._locate(tf.constant(score_map[first]), tf.constant(current_marks[first]), t,
                                   tf.shape(images[first])[1:3], grow=0)
            result.located_pixels[first] = self._grown(images[first], located.numpy(), foreign[first])
        if not repair:
            return result
        unlocated = np.zeros(len(images), bool)  # abnormal by the global head, no cell under t
        current_score = score.copy()  # of the latest version, kept or not
        for _ in range(max_passes):
            # accepted images stay as they are; so do those with nothing located to repair
            todo = np.flatnonzero((current_score < threshold) & ~unlocated)
            if not len(todo):
                break
            mask = self._grown(current[todo], self.locate(tf.constant(current_map[todo]),
                                                          tf.constant(current_marks[todo]), t).numpy(), foreign[todo])
            repaired, after, after_map, after_marks = (x.numpy() for x in self.repair_pass(
                tf.constant(current[todo]), tf.constant(mask.astype(np.float32))))
            located = (mask > 0).reshape(len(todo), -1).any(axis=1)
            unlocated[todo[~located]] = True
            todo, repaired, mask, after, after_map, after_marks = (
                todo[located], repaired[located], mask[located], after[located], after_map[located],
                after_marks[located])
            foreign[todo] = self._foreign(repaired, after)
            current[todo], current_map = repaired, current_map.copy()
            current_map[todo], current_marks[todo] = after_map, after_marks
            current_score[todo] = after
            result.tried[todo] |= mask > 0
            result.passes[todo] += 1
            better = todo[after > result.score_after[todo]]  # the best version so far
            result.repaired[better], result.score_after[better] = current[better], current_score[better]
            result.masks[better] = result.tried[better]
        if self.classifier is not None:
            self._guard_class(images, result)
        return result

    def _guard_class(self, images: np.ndarray, result: QCResult) -> None:
        """Give back the input (its score, no mask) wherever the returned repair is a digit of
        another class by `classifier` (argmax of its outputs) than the input, or than a probe: the
        input with the first assessment's flagged cells repaired whole. A repair that turns a 5
        into a 9 is not a repair; and where the class depends on which pixels of the flagged cells
        are repainted (pixel marks a little off an erased stroke keep the 7 it became; the whole
        cell gives back its 9), the digit is not known. Validation digits
        (experiments/digit-repair-area-2026-12-07.json): accepted repairs of another class than the
        clean digit 1.08% -> 0.94% (simulator kinds), 2.9% -> 1.8% (independent kinds, other
        held-out digits), fix rate 67.6% -> 66.3% and 77.8% -> 76.2%."""
        changed = np.flatnonzero(result.masks.reshape(len(images), -1).any(axis=1))
        if not len(changed):
            return
        before, after, probed = self.classes(tf.constant(images[changed]), tf.constant(result.repaired[changed]),
                                             tf.constant(result.score_map[changed]),
                                             tf.constant(result.threshold, tf.float32)).numpy()
        revert = changed[(before != after) | (probed != after)]
        result.repaired[revert], result.score_after[revert] = images[revert], result.score_before[revert]
        result.masks[revert] = False
