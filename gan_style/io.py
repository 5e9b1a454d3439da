"""Image files: atomic PNG writes, never touching an existing file until the new one is complete."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path, with `path`'s file name, in a private folder beside it; when the
    block ends without error, set its mode (`mode`, else 0666 minus the umask) and rename it
    over `path`. On error nothing is left behind and an existing `path` is untouched, so a
    crash never leaves a half-written file. Writers that pick a format from the file name
    (`model.save`, `savefig`) see the real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tmp = tmp_dir / path.name
        yield tmp
        if mode is None:
            umask = os.umask(0)  # read the umask: setting is the only way to read it
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map float images in `value_range` to uint8 [0, 255] (values outside are clipped)."""
    lo, hi = value_range
    scaled = (np.asarray(images, np.float32) - lo) / (hi - lo)
    return np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8)


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write a uint8 image (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) as PNG, atomically.

    See `atomic_path`: an existing file is only ever replaced by a whole new one.
    """
    from PIL import Image

    path = Path(path)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"write_png expects uint8 pixels, got {array.dtype}")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        Image.fromarray(array).save(handle, format="PNG")
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text atomically (see `atomic_path`)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
