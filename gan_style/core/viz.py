"""Pictures: sample grids and loss curves (matplotlib, headless)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gan_style.core.io import atomic_path, to_uint8, write_png


def image_grid(images: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """images (N, H, W, C) float in [-1, 1] -> one uint8 grid image (rows*(H+pad), cols*(W+pad), C)."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y : y + h, x : x + w] = image
    return grid


def save_grid(path: str | os.PathLike, images: np.ndarray, cols: int | None = None, scale: int = 2) -> Path:
    """Write `image_grid(images)` as PNG, upscaled by `scale` (nearest) for legibility."""
    grid = image_grid(images, cols)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return write_png(path, grid)


def plot_loss_curves(history: dict[str, list[float]], path: str | os.PathLike, title: str = "") -> Path:
    """One line per series of `history` (e.g. d_loss, g_loss per epoch), written as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for name, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp)
    finally:
        plt.close(fig)
    return path
