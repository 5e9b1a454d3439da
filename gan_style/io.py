"""Image files: atomic PNG writes, never touching an existing file until the new one is complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def _publish(tmp: str, path: Path) -> None:
    """Give the finished temporary file the usual mode (0666 minus umask), then rename it over `path`."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map float images in `value_range` to uint8 [0, 255] (values outside are clipped)."""
    lo, hi = value_range
    scaled = (np.asarray(images, np.float32) - lo) / (hi - lo)
    return np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8)


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write a uint8 image (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) as PNG, atomically.

    The PNG goes to a temporary file in the same folder, then `os.replace` swaps it in, so a
    crash never leaves a half-written file and an existing file is only replaced by a whole one.
    """
    from PIL import Image

    path = Path(path)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"write_png expects uint8 pixels, got {array.dtype}")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            Image.fromarray(array).save(handle, format="PNG")
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text atomically (temporary file in the same folder, then `os.replace`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
