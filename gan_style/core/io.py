"""Image files: atomic PNG writes, never touching an existing file until the new one is complete."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

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


def writable_folder(folder: str | os.PathLike) -> Path:
    """Create `folder` if needed and check that a file can be written in it; otherwise OSError
    with one plain line: which folder, and why ("cannot write to the output folder X: it is a
    file" / ": Permission denied"), for a CLI to print before any work."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OSError(f"cannot write to the output folder {folder}: it is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise OSError(f"cannot write to the output folder {folder}: {exc.strerror or exc}") from None
    return folder


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read 1 MiB at a time."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map float images in `value_range` to uint8 [0, 255] (values outside are clipped)."""
    lo, hi = value_range
    scaled = np.asarray(images, np.float32) - lo  # a new array: the rest works in place, same steps as
    scaled /= hi - lo                              # (x - lo) / (hi - lo) * 255 without three more copies
    scaled *= 255.0
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def to_domain(image: np.ndarray, domain: str) -> np.ndarray:
    """uint8 (H, W, 1|3) -> float32 (H, W, C) in [-1, 1], C = 1 for digits (RGB averaged), 3 for RGB."""
    x = image.astype(np.float32) / 127.5 - 1.0
    if domain == "digits" and x.shape[-1] == 3:
        return x.mean(axis=-1, keepdims=True)
    if domain == "rgb" and x.shape[-1] == 1:
        return np.repeat(x, 3, axis=-1)
    return x


def encode_png(image: np.ndarray) -> bytes:
    """The PNG file of a uint8 image (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), as bytes (to
    write anywhere: a local file with `write_png`, a Beam filesystem, a socket)."""
    from PIL import Image

    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"PNG pixels must be uint8, got {array.dtype}")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    buffer = BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write a uint8 image (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) as PNG (`encode_png`),
    atomically: see `atomic_path`, an existing file is only ever replaced by a whole new one.
    """
    path = Path(path)
    data = encode_png(image)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_jpeg(path: str | os.PathLike, image: np.ndarray, quality: int = 92) -> Path:
    """Write a uint8 RGB image (H, W, 3) as JPEG at `quality` (1-95), atomically (`atomic_path`):
    for large picture grids kept in the repository, about 6x smaller than PNG."""
    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="JPEG", quality=quality)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text atomically (see `atomic_path`)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# reading

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
DEFAULT_MAX_PIXELS = 40_000_000  # decompression-bomb guard: about a 6,300 x 6,300 image


class ImageError(ValueError):
    """An input image that cannot be used; the message is one line naming the file and why."""


def read_image(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read PNG, JPEG, BMP, GIF or WebP (first frame) as uint8 (H, W, 1) grayscale or (H, W, 3) RGB:
    `decode_image` of the file, streamed from disk. A directory, FIFO or device ("not a regular
    file"), a missing or unreadable file, and whatever `decode_image` refuses raise `ImageError`
    (one line naming the file)."""
    path = Path(path)
    try:
        info = path.stat()  # follows links: a dangling one is "no such file"
        if stat.S_ISDIR(info.st_mode):
            raise ImageError(f"{path}: is a directory")
        if not stat.S_ISREG(info.st_mode):  # never open a FIFO (it blocks) or a device
            raise ImageError(f"{path}: not a regular file")
        if info.st_size == 0:
            raise ImageError(f"{path}: empty file")
        with open(path, "rb") as handle:
            return decode_image(handle, max_pixels, source=path)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except PermissionError:
        raise ImageError(f"{path}: permission denied") from None


def decode_image(data: bytes | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS,
                 source: str | os.PathLike = "image") -> np.ndarray:
    """Decode the bytes of a PNG, JPEG, BMP, GIF or WebP (first frame; or a binary file object open at
    its start) as uint8 (H, W, 1) grayscale or (H, W, 3) RGB, upright: an EXIF orientation tag is
    applied (`PIL.ImageOps.exif_transpose`).

    Grayscale and grayscale+alpha stay one channel; palette, RGBA (alpha dropped, composited on
    nothing) and CMYK become RGB; 16-bit samples are scaled to 8 bits. Anything else, no bytes,
    a truncated or corrupt file, or more than `max_pixels` pixels (checked before the pixels are
    decoded) raises `ImageError`: one line that starts with `source` (a path or URL) and says why.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    formats = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
    if isinstance(data, (bytes, bytearray, memoryview)):
        if not len(data):
            raise ImageError(f"{source}: empty file")
        data = BytesIO(data)
    try:
        with Image.open(data, formats=formats) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(f"{source}: {width}x{height} = {width * height} pixels is over the limit of "
                                 f"{max_pixels} (decompression-bomb guard; raise it with --max-pixels)")
            if width == 0 or height == 0:
                raise ImageError(f"{source}: image has no pixels")
            image.seek(0)
            image.load()
            return _to_array(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{source}: not a PNG, JPEG, BMP, GIF or WebP image") from None
    except MemoryError:
        raise ImageError(f"{source}: out of memory while decoding") from None
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, ZeroDivisionError,
            Image.DecompressionBombError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageError(f"{source}: unreadable image ({reason})") from None


def _to_array(image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or wide.max() > 255 else 255.0
        return np.clip(np.rint(wide / top * 255.0), 0, 255).astype(np.uint8)[..., None]
    if mode in ("L", "LA", "1"):
        return np.asarray(image.convert("L"), dtype=np.uint8)[..., None]
    if mode in ("P", "PA") and _palette_is_gray(image):
        return np.asarray(image.convert("L"), dtype=np.uint8)[..., None]
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _palette_is_gray(image) -> bool:
    rgb = np.asarray(image.convert("RGB"))
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """`read_image` as uint8 RGB (H, W, 3): grayscale repeated to three channels."""
    image = read_image(path)
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def read_rgb_folder(directory: str | os.PathLike, limit: int | None = None) -> dict[str, np.ndarray]:
    """The readable images of `directory` in name order (at most `limit`), as {file name: uint8
    (H, W, 3)}: grayscale repeated to RGB; an unreadable file is skipped with a warning."""
    import logging

    pictures: dict[str, np.ndarray] = {}
    for file in list_images([directory]):
        if limit is not None and len(pictures) >= limit:
            break
        try:
            pictures[file.name] = read_rgb(file)
        except ImageError as exc:
            logging.getLogger(__name__).warning("skipped %s", exc)
    return pictures


def list_images(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand files, directories (their images, sorted, not recursive) and glob patterns. Files
    named explicitly are kept whatever their suffix (reading them says what is wrong). What a
    folder or pattern holds that is not an image file is left out: `scan_inputs` says why."""
    return scan_inputs(inputs)[0]


def scan_inputs(inputs: list[str | os.PathLike], skip=None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """`list_images`, plus every path a directory or glob pattern held that is left out, with its
    reason: (images, [(path, reason)]), each sorted by name within its folder or pattern.

    skip: optional callable path -> reason or None, asked of each regular image file found in a
    folder or pattern (e.g. the caller's own outputs); files named explicitly are never skipped.
    """
    import glob

    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []

    def consider(candidate: Path) -> None:
        reason = _not_an_image(candidate)
        if reason is None and skip is not None:
            reason = skip(candidate)
        if reason is None:
            found.append(candidate)
        else:
            skipped.append((candidate, reason))

    for item in inputs:
        item = str(item)
        path = Path(item)
        if path.is_dir():
            for candidate in sorted(path.iterdir()):
                consider(candidate)
        elif any(c in item for c in "*?[") and not path.exists() and not path.is_symlink():
            for candidate in sorted(Path(p) for p in glob.glob(item)):
                consider(candidate)
        else:
            found.append(path)
    return found, skipped


def _not_an_image(path: Path) -> str | None:
    """Why a path found in a folder is not an image to read, or None."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot stat ({exc.strerror or type(exc).__name__})"
    if stat.S_ISLNK(mode):
        try:
            mode = path.stat().st_mode
        except OSError:
            return "broken symbolic link"
    if stat.S_ISDIR(mode):
        return "directory (folders are not searched recursively)"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return name_reason(path.name)


def name_reason(name: str) -> str | None:
    """Why a file a folder or pattern holds is not an image to read, from its name alone (a
    hidden file, or not an image suffix), or None."""
    if name.startswith("."):
        return "hidden file"
    if os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
        return f"not an image file name (expected {', '.join(IMAGE_SUFFIXES)})"
    return None


def output_names(paths: list[Path]) -> list[str]:
    """One output name per input, unique (case-insensitively) across the run: the input's stem
    when no other input shares it, else its path relative to the inputs' common folder with `__`
    between the parts (`a/x.png` -> `a__x`; the suffix too when only it differs); a name that
    still clashes with another (a real stem `a__x`) gets `~2`, `~3`... A stem such as `x-1`
    can never take another input's name."""
    if not paths:
        return []
    stems = [p.stem for p in paths]
    shared = _counts(stems)
    parents = [Path(os.path.realpath(p)).parent for p in paths]
    base = Path(os.path.commonpath([str(p) for p in parents]))
    wanted = [stem if shared[stem.casefold()] == 1 else "__".join([*parent.relative_to(base).parts, stem])
              for stem, parent in zip(stems, parents, strict=True)]
    twins = _counts([name for name, stem in zip(wanted, stems, strict=True) if shared[stem.casefold()] > 1])
    wanted = [f"{name}__{path.suffix.lstrip('.') or 'nosuffix'}" if twins.get(name.casefold(), 0) > 1 else name
              for name, path in zip(wanted, paths, strict=True)]
    taken = {stem.casefold() for stem in stems if shared[stem.casefold()] == 1}  # real stems keep theirs
    names = []
    for name, stem in zip(wanted, stems, strict=True):
        candidate, k = name, 1
        while shared[stem.casefold()] > 1 and candidate.casefold() in taken:
            k += 1
            candidate = f"{name}~{k}"
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def _counts(names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    return counts
