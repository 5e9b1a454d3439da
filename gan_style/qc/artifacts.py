"""Simulator of generation artifacts, with ground-truth masks.

Every artifact takes a clean image (H, W, C) float32 in [-1, 1] (digits: C = 1, background -1;
RGB: C = 3), a `numpy.random.Generator` and a strength in (0, 1], and returns a corrupted copy.
`corrupt` then derives the mask of *changed* pixels (any channel moved by more than one uint8
level, 2/255 in [-1, 1] units) and puts every other pixel back exactly, so the mask marks
exactly the pixels that differ. Seeded: the same seed gives the same corruption.

Each artifact imitates a real failure of the generators in this project (named in its docstring).
`ArtifactBatcher` makes training batches from clean ones, in numpy or inside `tf.data`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import fft, ndimage

TOLERANCE = 2.0 / 255.0  # one uint8 level in [-1, 1] units: smaller changes are invisible

Artifact = Callable[[np.ndarray, np.random.Generator, float], np.ndarray]


# ---------------------------------------------------------------------------------------------
# helpers


def _box(shape, rng, strength, lo=0.2, hi=0.5, center=None):
    """A random box (y0, y1, x0, x1) whose side grows with strength, optionally around `center`."""
    h, w = shape[:2]
    side_h = max(2, int(round(h * (lo + (hi - lo) * strength))))
    side_w = max(2, int(round(w * (lo + (hi - lo) * strength))))
    if center is None:
        y0, x0 = rng.integers(0, h - side_h + 1), rng.integers(0, w - side_w + 1)
    else:
        y0 = int(np.clip(center[0] - side_h // 2, 0, h - side_h))
        x0 = int(np.clip(center[1] - side_w // 2, 0, w - side_w))
    return y0, y0 + side_h, x0, x0 + side_w


def _ink_center(image, rng):
    """A random pixel on the strokes (or anywhere when the image is blank)."""
    ink = np.argwhere(image.max(axis=-1) > 0.0)
    if len(ink) == 0:
        return rng.integers(0, image.shape[0]), rng.integers(0, image.shape[1])
    return tuple(ink[rng.integers(len(ink))])


def _disk(shape, center, radius):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - center[0]) ** 2 + (xx - center[1]) ** 2 <= radius**2


def _gaussian(shape, center, sigma):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((yy - center[0]) ** 2 + (xx - center[1]) ** 2) / (2 * sigma**2))


def _motion_blur(patch, rng, length):
    """Average `patch` along a random direction over `length` pixels."""
    angle = rng.uniform(0, np.pi)
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    for t in np.linspace(-c, c, 2 * length):
        kernel[int(round(c + t * np.sin(angle))), int(round(c + t * np.cos(angle)))] = 1.0
    kernel /= kernel.sum()
    return np.stack([ndimage.convolve(patch[..., k], kernel, mode="nearest") for k in range(patch.shape[-1])], -1)


# ---------------------------------------------------------------------------------------------
# digits


def broken_stroke(image, rng, strength=1.0):
    """Erase a piece of a stroke. Cause: an under-trained generator that fails to connect strokes."""
    out = image.copy()
    radius = 1.5 + 2.5 * strength
    out[_disk(image.shape, _ink_center(image, rng), radius)] = -1.0
    return out


def _off_ink(image, rng, near=(1.5, 9.0)):
    """A random pixel (y, x) `near[0]` to `near[1]` pixels from the strokes (anywhere off the
    strokes if there is no such pixel)."""
    distance = ndimage.distance_transform_edt(image.max(axis=-1) <= 0.0)
    candidates = np.argwhere((distance >= near[0]) & (distance <= near[1]))
    if len(candidates) == 0:
        candidates = np.argwhere(distance > 0) if (distance > 0).any() else np.argwhere(distance == 0)
    return tuple(candidates[rng.integers(len(candidates))])


def spurious_blob(image, rng, strength=1.0):
    """Add an isolated ink blob, small or large, anywhere or just off the strokes. Cause: stray
    activations of G that paint ink off the digit."""
    h, w = image.shape[:2]
    center = _off_ink(image, rng) if rng.random() < 0.5 else (rng.uniform(3, h - 3), rng.uniform(3, w - 3))
    blob = _gaussian(image.shape, center, rng.uniform(0.6, 1.0 + 1.5 * strength))[..., None] * (1.0 + strength)
    return np.clip(image + 2.0 * blob, -1.0, 1.0)


def stray_fragment(image, rng, strength=1.0):
    """A short stroke off the digit (2-8 px long, 1.5-9 px from it). Cause: G drawing a piece of
    another digit's stroke."""
    cy, cx = _off_ink(image, rng)
    angle, half = rng.uniform(0, np.pi), rng.uniform(1.0, 2.0 + 2.0 * strength)
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]]
    along = (yy - cy) * np.sin(angle) + (xx - cx) * np.cos(angle)
    across = -(yy - cy) * np.cos(angle) + (xx - cx) * np.sin(angle)
    width = rng.uniform(0.5, 1.2)
    ink = np.clip(1.5 - np.abs(across) / width, 0, 1) * (np.abs(along) <= half)
    return np.clip(image + 2.0 * (0.5 + 0.5 * strength) * ink[..., None], -1.0, 1.0)


def salt_noise(image, rng, strength=1.0):
    """Isolated bright pixels in a box. Cause: a generator whose output saturates at single
    pixels (dead or exploding units)."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.25, 0.5)
    salt = rng.random((y1 - y0, x1 - x0)) < 0.1 + 0.25 * strength
    out[y0:y1, x0:x1][salt] = rng.uniform(0.3, 1.0)
    return out


def inverted_patch(image, rng, strength=1.0):
    """Invert a box (ink <-> background). Cause: a generator whose output sign flips in a
    region (a saturated tanh stuck at the wrong end)."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.15, 0.35)
    out[y0:y1, x0:x1] = -out[y0:y1, x0:x1]
    return out


def checkerboard(image, rng, strength=1.0):
    """Add a period-2 checkerboard in a box. Cause: uneven overlap of stride-2 transposed
    convolutions (Odena et al. 2016), the DCGAN generator's upsampling."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.3, 0.7)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    period = int(rng.choice([2, 4])) if image.shape[-1] == 3 else 2
    pattern = np.where(((yy // (period // 2)) + (xx // (period // 2))) % 2 == 0, 1.0, -1.0)[..., None]
    out[y0:y1, x0:x1] = np.clip(out[y0:y1, x0:x1] + (0.25 + 0.45 * strength) * pattern, -1, 1)
    return out


def local_noise(image, rng, strength=1.0):
    """Gaussian noise in a box. Cause: an early-training generator that still passes its input
    noise through to the pixels."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength)
    noise = rng.normal(0.0, 0.3 + 0.5 * strength, out[y0:y1, x0:x1].shape)
    out[y0:y1, x0:x1] = np.clip(out[y0:y1, x0:x1] + noise, -1, 1)
    return out


def smear(image, rng, strength=1.0):
    """Motion-blur a box around the strokes. Cause: a generator averaging several modes
    (blurry, washed-out strokes)."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.3, 0.6, center=_ink_center(image, rng))
    length = 3 + 2 * int(round(2 * strength))
    out[y0:y1, x0:x1] = _motion_blur(image, rng, length)[y0:y1, x0:x1]
    return out


def ghost_stroke(image, rng, strength=1.0):
    """Overlay a faint shifted, rotated copy of the strokes. Cause: mode mixing, two digits
    half-superimposed by a generator that has not separated its modes."""
    angle = rng.uniform(-40, 40)
    shift = rng.integers(-6, 7, size=2)
    ghost = ndimage.rotate(image[..., 0] + 1.0, angle, reshape=False, order=1)
    ghost = ndimage.shift(ghost, shift, order=1)[..., None]
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.4, 0.8)
    region = np.zeros_like(ghost)
    region[y0:y1, x0:x1] = 1.0
    return np.clip(image + (0.4 + 0.5 * strength) * ghost * region, -1.0, 1.0)


# ---------------------------------------------------------------------------------------------
# RGB


def color_droplet(image, rng, strength=1.0):
    """A saturated colour blob with a soft edge. Cause: the 'droplet' artifacts of generators that
    normalise features (AdaIN) and smuggle a strong local signal past the normalisation."""
    h, w = image.shape[:2]
    center = (rng.uniform(0, h), rng.uniform(0, w))
    alpha = np.clip(_gaussian(image.shape, center, (0.04 + 0.08 * strength) * min(h, w)) * 1.6, 0, 1)[..., None]
    colour = np.eye(3)[rng.integers(3)] * 2.0 - 1.0  # a saturated primary
    return image * (1 - alpha) + colour * alpha


def tearing(image, rng, strength=1.0):
    """Shift a horizontal band sideways. Cause: misaligned feature maps in decoders (wrong
    padding or cropping when sizes are not multiples of the stride)."""
    h, w = image.shape[:2]
    band = max(2, int(h * (0.05 + 0.15 * strength)))
    y0 = rng.integers(0, h - band + 1)
    out = image.copy()
    shift = int(max(2, w * (0.05 + 0.15 * strength))) * int(rng.choice([-1, 1]))
    out[y0 : y0 + band] = np.roll(image[y0 : y0 + band], shift, axis=1)
    return out


def hole(image, rng, strength=1.0):
    """A flat patch of one colour. Cause: dead (zero) decoder features over a region."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.1, 0.3)
    out[y0:y1, x0:x1] = rng.uniform(-1, 1, size=image.shape[-1])
    return out


def blocking(image, rng, strength=1.0):
    """Replace a box by averages over 4x4 or 8x8 blocks. Cause: low-resolution features upsampled
    without smoothing (and compression)."""
    out = image.copy()
    block = 8 if strength > 0.5 else 4
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.25, 0.5)
    y1, x1 = y0 + (y1 - y0) // block * block, x0 + (x1 - x0) // block * block
    if y1 <= y0 or x1 <= x0:
        y1, x1 = min(image.shape[0], y0 + block), min(image.shape[1], x0 + block)
    patch = out[y0:y1, x0:x1]
    ph, pw = patch.shape[0] // block * block, patch.shape[1] // block * block
    coarse = patch[:ph, :pw].reshape(ph // block, block, pw // block, block, -1).mean(axis=(1, 3))
    out[y0 : y0 + ph, x0 : x0 + pw] = coarse.repeat(block, 0).repeat(block, 1)
    return out


def rgb_smear(image, rng, strength=1.0):
    """Motion-blur a box. Cause: an under-trained decoder that renders texture as streaks."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.2, 0.45)
    out[y0:y1, x0:x1] = _motion_blur(image, rng, 5 + 2 * int(round(3 * strength)))[y0:y1, x0:x1]
    return out


def noise_burst(image, rng, strength=1.0):
    """Strong colour noise in a box. Cause: an exploding activation that decodes to noise."""
    return local_noise(image, rng, strength)


# JPEG's luma quantisation table (ITU T.81, Annex K), scaled by quality as libjpeg does
_JPEG_LUMA = np.array([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
                       [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
                       [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
                       [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], np.float32)
_YCC = np.array([[0.299, 0.587, 0.114], [-0.1687, -0.3313, 0.5], [0.5, -0.4187, -0.0813]], np.float32)


def compression(image, rng, strength=1.0):
    """Lossy block coding of a box on the 8 px grid: Y'CbCr, 8x8 DCT, coefficients rounded to
    the JPEG luma table at quality q = 25 - 23 * strength (chroma twice as coarse), back. Cause:
    generated images stored or streamed through a codec at low quality (blocks, ringing)."""
    out = image.copy()
    h, w = image.shape[:2]
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.25, 0.6)
    y0, x0 = y0 // 8 * 8, x0 // 8 * 8
    y1, x1 = min(max(y0 + 8, y1 // 8 * 8), h // 8 * 8), min(max(x0 + 8, x1 // 8 * 8), w // 8 * 8)
    if y1 <= y0 or x1 <= x0:
        return out
    quality = 25.0 - 23.0 * strength
    step = np.maximum(_JPEG_LUMA * (5000.0 / quality) / 100.0, 1.0) / 127.5  # [-1, 1] units
    steps = np.stack([step, 2 * step, 2 * step])  # (3, 8, 8): Y', Cb, Cr
    ycc = out[y0:y1, x0:x1] @ _YCC.T
    bh, bw = (y1 - y0) // 8, (x1 - x0) // 8
    blocks = ycc.reshape(bh, 8, bw, 8, 3).transpose(0, 2, 4, 1, 3)  # (bh, bw, 3, 8, 8)
    coef = np.round(fft.dctn(blocks, axes=(-2, -1), norm="ortho") / steps) * steps
    back = fft.idctn(coef, axes=(-2, -1), norm="ortho").transpose(0, 3, 1, 4, 2).reshape(ycc.shape)
    out[y0:y1, x0:x1] = np.clip(back @ np.linalg.inv(_YCC).T, -1, 1)
    return out


def defocus(image, rng, strength=1.0):
    """Gaussian blur (sigma 1-4 px) in a box, feathered over 3 px at its edges. Cause: a decoder
    that renders fine texture as a smooth wash over a region (detail lost, not streaked)."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.2, 0.5)
    sigma = 1.0 + 3.0 * strength * rng.uniform(0.5, 1.0)
    blurred = ndimage.gaussian_filter(image, (sigma, sigma, 0), mode="reflect")[y0:y1, x0:x1]
    yy, xx = np.arange(y1 - y0), np.arange(x1 - x0)
    edge = np.minimum(np.minimum(yy, yy[::-1])[:, None], np.minimum(xx, xx[::-1])[None])
    a = np.clip(edge / 3.0, 0, 1)[..., None]
    out[y0:y1, x0:x1] = a * blurred + (1 - a) * out[y0:y1, x0:x1]
    return out


def warp(image, rng, strength=1.0):
    """A smooth random displacement of up to 2-8 px inside a box (a cubic-upsampled 3-6 x 3-6
    grid of offsets), tapering to 0 at its edges. Cause: misregistered decoder features, bent
    lines and wobbly edges."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.25, 0.6)
    bh, bw = y1 - y0, x1 - x0
    amp, grid = 2.0 + 6.0 * strength, int(rng.integers(3, 7))
    taper = np.sin(np.pi * np.linspace(0, 1, bh))[:, None] * np.sin(np.pi * np.linspace(0, 1, bw))[None]
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    coords = [axis + amp * taper * ndimage.zoom(rng.uniform(-1, 1, (grid, grid)), (bh / grid, bw / grid),
                                               order=3)[:bh, :bw] for axis in (yy, xx)]
    for c in range(image.shape[-1]):
        out[y0:y1, x0:x1, c] = ndimage.map_coordinates(image[..., c], coords, order=1, mode="reflect")
    return out


def dead_pixels(image, rng, strength=1.0):
    """Scattered pixels (5-30% of a box) stuck at black, white or one random colour. Cause:
    saturated or non-finite activations that decode to isolated dead pixels."""
    out = image.copy()
    y0, y1, x0, x1 = _box(image.shape, rng, strength, 0.2, 0.5)
    hit = rng.random((y1 - y0, x1 - x0)) < 0.05 + 0.25 * strength
    colour = rng.uniform(-1, 1, image.shape[-1]) if rng.random() < 0.3 else np.full(image.shape[-1],
                                                                                     rng.choice([-1.0, 1.0]))
    out[y0:y1, x0:x1][hit] = colour
    return out


DIGIT_ARTIFACTS: dict[str, Artifact] = {
    "broken_stroke": broken_stroke,
    "spurious_blob": spurious_blob,
    "checkerboard": checkerboard,
    "local_noise": local_noise,
    "smear": smear,
    "ghost_stroke": ghost_stroke,
    "stray_fragment": stray_fragment,
    "salt_noise": salt_noise,
    "inverted_patch": inverted_patch,
}
RGB_ARTIFACTS: dict[str, Artifact] = {
    "checkerboard": checkerboard,
    "color_droplet": color_droplet,
    "tearing": tearing,
    "smear": rgb_smear,
    "hole": hole,
    "noise_burst": noise_burst,
    "blocking": blocking,
    "compression": compression,
    "defocus": defocus,
    "warp": warp,
    "dead_pixels": dead_pixels,
}
ARTIFACTS = {"digits": DIGIT_ARTIFACTS, "rgb": RGB_ARTIFACTS}


def corrupt(image: np.ndarray, kind: str, rng: np.random.Generator, strength: float = 1.0,
            domain: str = "digits") -> tuple[np.ndarray, np.ndarray]:
    """Apply artifact `kind` of `domain`; returns (corrupted (H, W, C) float32, mask (H, W) bool).

    mask[y, x] is True exactly where the returned image differs from `image`.
    """
    table = ARTIFACTS[domain]
    if kind not in table:
        raise ValueError(f"{domain} artifacts are {sorted(table)}, got {kind!r}")
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    image = np.asarray(image, np.float32)
    raw = table[kind](image, rng, strength).astype(np.float32)
    mask = np.abs(raw - image).max(axis=-1) > TOLERANCE
    return np.where(mask[..., None], raw, image), mask


def corrupt_batch(images: np.ndarray, kinds: list[str], seed: int, domain: str = "digits",
                  clean_fraction: float = 0.5, strength_range=(0.3, 1.0)):
    """Corrupt a random subset of `images` (B, H, W, C) with random `kinds`.

    Returns (images, masks (B, H, W) float32, abnormal (B,) float32, kind index (B,) int; -1 clean).
    `abnormal` is graded: 0 clean, 0.5 + strength / 2 for an artifact of that strength.
    """
    rng = np.random.default_rng(seed)
    out, masks = images.astype(np.float32).copy(), np.zeros(images.shape[:3], np.float32)
    labels, kind_ids = np.zeros(len(images), np.float32), np.full(len(images), -1, np.int64)
    for i in range(len(images)):
        if rng.random() < clean_fraction:
            continue
        k = int(rng.integers(len(kinds)))
        strength = float(rng.uniform(*strength_range))
        out[i], mask = corrupt(images[i], kinds[k], rng, strength, domain)
        if mask.any():
            masks[i], labels[i], kind_ids[i] = mask, 0.5 + 0.5 * strength, k
    return out, masks, labels, kind_ids


class ArtifactBatcher:
    """Turns clean batches into training batches for the quality regressor, in numpy or tf.data.

    A random half (`clean_fraction`) stays clean; the rest gets one artifact of `kinds`, or, with
    probability `failure_fraction`, is replaced by a real failure from `failures` (N, H, W, C)
    (e.g. early-epoch GAN samples): abnormal (1.0), but with no pixel mask (`mask_known` = 0).
    """

    def __init__(self, kinds: list[str], domain: str = "digits", clean_fraction: float = 0.5,
                 failures: np.ndarray | None = None, failure_fraction: float = 0.0):
        unknown = sorted(set(kinds) - set(ARTIFACTS[domain]))
        if unknown:
            raise ValueError(f"{domain} artifacts are {sorted(ARTIFACTS[domain])}, got {unknown}")
        self.kinds, self.domain, self.clean_fraction = list(kinds), domain, clean_fraction
        self.failures = failures
        self.failure_fraction = failure_fraction if failures is not None and len(failures) else 0.0

    def numpy(self, images: np.ndarray, seed: int):
        """images (B, H, W, C) -> (images, masks (B, H, W), abnormal (B,), mask_known (B,)), float32."""
        out, masks, labels, _ = corrupt_batch(images, self.kinds, seed, self.domain, self.clean_fraction)
        known = np.ones(len(images), np.float32)
        if self.failure_fraction:
            rng = np.random.default_rng([seed, 1])
            for i in np.flatnonzero(labels > 0):
                if rng.random() < self.failure_fraction:
                    out[i] = self.failures[rng.integers(len(self.failures))]
                    masks[i], known[i], labels[i] = 0.0, 0.0, 1.0
        return out, masks, labels, known

    def tf(self, images, seed):
        """`numpy` inside a tf.data map: images (B, H, W, C) float32 tensor, seed an int64 tensor."""
        import tensorflow as tf

        outs = tf.numpy_function(lambda x, s: self.numpy(x, int(s)), [images, seed], [tf.float32] * 4)
        for tensor, shape in zip(outs, (images.shape, images.shape[:3], images.shape[:1], images.shape[:1]),
                                 strict=True):
            tensor.set_shape(shape)
        return tuple(outs)


# ---------------------------------------------------------------------------------------------
# masks for training the repair network


def free_form_mask(shape: tuple[int, int], rng: np.random.Generator, max_strokes: int = 3) -> np.ndarray:
    """Random free-form strokes (Yu et al. 2019): thick random walks, (H, W) bool, never empty."""
    h, w = shape
    mask = np.zeros(shape, bool)
    for _ in range(int(rng.integers(1, max_strokes + 1))):
        y, x = rng.uniform(0, h), rng.uniform(0, w)
        radius = rng.uniform(0.04, 0.1) * min(h, w)
        for _ in range(int(rng.integers(2, 6))):
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.4) * min(h, w)
            for t in np.linspace(0, 1, max(2, int(length))):
                mask |= _disk(shape, (y + t * length * np.sin(angle), x + t * length * np.cos(angle)), radius)
            y = float(np.clip(y + length * np.sin(angle), 0, h - 1))
            x = float(np.clip(x + length * np.cos(angle), 0, w - 1))
    return mask


def snap_to_cells(mask: np.ndarray, stride: int) -> np.ndarray:
    """(H, W) bool -> every stride x stride cell that holds a True pixel becomes all True: the
    shape of the masks the QC pipeline derives from a score map of that stride."""
    h, w = mask.shape
    cells = np.zeros((-(-h // stride), -(-w // stride)), bool)
    ys, xs = np.nonzero(mask)
    cells[ys // stride, xs // stride] = True
    return np.repeat(np.repeat(cells, stride, 0), stride, 1)[:h, :w]


def repair_examples(images: np.ndarray, domain: str, stride: int, seed: int,
                    intact: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs for the repair network: (inputs (B, H, W, C), holes (B, H, W) float32 in
    {0, 1}, none empty). Per image one of: an artifact's mask snapped to the detector's cells (what
    the pipeline will ask to repair: the artifact and intact pixels around it; 45 / 70 of the rest),
    the same mask dilated by a pixel, or, for a share `intact` of the images, free-form strokes
    over intact pixels (a false alarm). The inputs are the
    images with those artifacts applied; the repair U-Net (an inpainter) reads none of the hole."""
    rng = np.random.default_rng(seed)
    kinds = list(ARTIFACTS[domain])
    inputs, masks = images.astype(np.float32), np.zeros(images.shape[:3], np.float32)
    for i, image in enumerate(images):
        choice = rng.random()
        mask = np.zeros(image.shape[:2], bool)
        if choice < 1.0 - intact:
            for _ in range(5):  # an artifact can miss (e.g. erasing where there is no ink)
                corrupted, mask = corrupt(image, kinds[rng.integers(len(kinds))], rng,
                                          float(rng.uniform(0.3, 1.0)), domain)
                if mask.any():
                    inputs[i] = corrupted
                    break
            snapped = choice < (1.0 - intact) * 45 / 70
            mask = snap_to_cells(mask, stride) if snapped else ndimage.binary_dilation(mask)
        if not mask.any():
            mask = free_form_mask(image.shape[:2], rng)
        masks[i] = mask
    return inputs, masks


def repair_masks(images: np.ndarray, domain: str, stride: int, seed: int) -> np.ndarray:
    """The holes of `repair_examples` alone, (B, H, W) float32 in {0, 1}: an inpainter's training
    masks (it never reads the pixels under them)."""
    return repair_examples(images, domain, stride, seed)[1]
