"""Stylised training pictures: styles come from the pool asked for, never the picture itself."""

import numpy as np

from gan_style.style.stylised import stylise_pictures


def _tinted(rgb: tuple[int, int, int], seed: int, side: int = 64) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 20, (side, side, 3))
    return np.clip(np.array(rgb, np.float32) + noise, 0, 255).astype(np.uint8)


def test_styles_are_drawn_from_the_given_pool_other_than_the_picture():
    pictures = {"grey": _tinted((128, 128, 128), 0), "blue": _tinted((40, 60, 220), 1)}
    red = {"grey": pictures["grey"], "red": _tinted((220, 50, 40), 2)}

    default = stylise_pictures(pictures, 64, seed=0, which=("ours",))["ours:grey"]  # styled by "blue"
    pooled = stylise_pictures(pictures, 64, seed=0, which=("ours",), styles=red)["ours:grey"]  # by "red"

    assert default.shape == pooled.shape == (64, 64, 3) and default.dtype == pooled.dtype == np.uint8
    r, _, b = pooled.reshape(-1, 3).mean(0)
    r0, _, b0 = default.reshape(-1, 3).mean(0)
    assert r > b + 40 and b0 > r0 + 40, (r, b, r0, b0)
