"""What the repair job makes of each image, shared by its two drivers, the CLI
(`gan_style.repair`) and the Beam pipeline (`gan_style.scale.beam`), so their rows and PNGs
cannot drift: an image's domain (`judge_domain`), its batch (`group_batches`), the
run of a batch (`run_batch`), the row and output images of a `QCResult` (`image_outputs`), an
output's file name (`output_name`, `output_file`) and the run's summary (`tally`, `summary`).

Imports no TensorFlow at module level: the CLI answers usage errors before loading it.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import PurePosixPath
from typing import TypeVar

import numpy as np

from gan_style.core.io import DEFAULT_MAX_PIXELS, ImageError, to_uint8

FIELDS = ("input", "domain", "score_before", "score_after", "threshold", "abnormal", "regions", "worst", "passes",
          "accepted", "repaired", "mask", "error", "overlay", "attempt", "outcome", "note", "skipped", "sha256")
OUTPUT_KINDS = ("repaired", "mask", "overlay", "attempt")
OWN_OUTPUT = re.compile(r"\.(repaired|mask|overlay|attempt)\.png$", re.IGNORECASE)
OWN_OUTPUT_REASON = "an output of gan_style.repair (this folder is --out)"
MIN_SIDE = {"digits": 28, "rgb": 32}  # smaller images cannot be judged (RGB: 4 x 4 cells of 8 px)
BATCH_PIXELS = 640 * 640  # a batch of small images holds at most one tile's worth of pixels
NAME_HASH_DIGITS = 16
SUMMARY_KEYS = ("inputs", "processed", "failed", "skipped", "flagged", "repaired", "accepted", "rejected")

T = TypeVar("T")


def entry(source: object, **fields) -> dict:
    """A report row: every field of `FIELDS` (None, no regions, 0 passes), `input` = str(source)."""
    row = dict.fromkeys(FIELDS)
    row.update({"input": str(source), "regions": [], "passes": 0, **fields})
    return row


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception (TensorFlow's start with "Graph execution error:")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    lines = [line for line in lines if line != "Graph execution error:"] or [type(exc).__name__]
    return lines[0][:300]


# ---------------------------------------------------------------------------------------------
# an image's domain and batch


def judge_domain(image: np.ndarray, domain: str = "auto", source: object = "image") -> str:
    """The domain uint8 `image` (H, W, 1|3) is judged in: `domain`, or with "auto" 28x28
    single-channel -> digits, else rgb. Raises `ImageError` (one line naming `source`) when the
    image is smaller than the domain's `MIN_SIDE`."""
    from gan_style.qc.pipeline import detect_domain

    domain = detect_domain(image) if domain == "auto" else domain
    height, width = image.shape[:2]
    side = MIN_SIDE[domain]
    if min(height, width) < side:
        raise ImageError(f"{source}: {width}x{height} is too small to judge as {domain} "
                         f"(at least {side}x{side} px)")
    return domain


def batch_limit(pixels: int, batch_size: int, batch_pixels: int = BATCH_PIXELS) -> int:
    """How many images of `pixels` pixels one batch holds: at most `batch_size` and
    `batch_pixels` pixels in all, and always at least one (a larger image runs alone, in tiles)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return max(1, min(batch_size, batch_pixels // max(1, pixels)))


def group_batches(items: Iterable[T], key: Callable[[T], Hashable], pixels: Callable[[T], int],
                  batch_size: int, batch_pixels: int = BATCH_PIXELS) -> Iterator[list[T]]:
    """Consecutive `items` of one `key` (domain and shape) in batches of `batch_limit` items;
    a new key starts a new batch. Lazy: one batch (and the next item) is held at a time."""
    group: list[T] = []
    current, limit = None, 0
    for item in items:
        item_key = key(item)
        if group and (item_key != current or len(group) >= limit):
            yield group
            group = []
        if not group:
            current, limit = item_key, batch_limit(pixels(item), batch_size, batch_pixels)
        group.append(item)
    if group:
        yield group


def run_batch(pipeline, batch: np.ndarray, repair: bool = True, max_passes: int | None = None,
              threshold: float | None = None):
    """`pipeline.run` on a batch (B, H, W, C) float32 in [-1, 1], or, for one image too large
    for a batch, `tiles.run_tiled`: a `QCResult`."""
    from gan_style.qc import tiles

    if len(batch) == 1 and not tiles.fits(batch.shape[1:]):
        return tiles.run_tiled(pipeline, batch[0], repair=repair, max_passes=max_passes, threshold=threshold)
    return pipeline.run(batch, repair=repair, max_passes=max_passes, threshold=threshold)


def failure(source: object, shape: tuple, exc: BaseException) -> str:
    """The one-line error of an image (H, W, C) whose batch raised `exc`."""
    import tensorflow as tf

    text = str(exc)
    if isinstance(exc, (MemoryError, tf.errors.ResourceExhaustedError)) or "OOM when allocating" in text:
        return (f"{source}: out of memory at {shape[1]}x{shape[0]} ({shape[0] * shape[1]} pixels); "
                "lower --max-pixels or free memory")
    return f"{source}: {one_line(exc)}"


# ---------------------------------------------------------------------------------------------
# an image's row and output images


NEAR_MISS = 10.0  # the overlay's red starts at scores this many times the threshold


def closeness(scores: np.ndarray, threshold: float, span: float = NEAR_MISS) -> np.ndarray:
    """How near each score (any shape, in (0, 1]) is to being flagged, on a log scale: 0 at
    `span` x threshold and above, 1 at the threshold and below,
        clip(log(span * threshold / score) / log(span), 0, 1).
    Scores of clean pictures spread over decades (cells of 0.02-0.9 where the threshold is 0.011),
    so red in proportion to 1 - score painted regions 30x above the threshold deep red on images
    judged clean; this shows only the near misses."""
    scores = np.maximum(np.asarray(scores, np.float32), 1e-12)
    return np.clip(np.log(span * threshold / scores) / np.log(span), 0.0, 1.0).astype(np.float32)


def overlay(image: np.ndarray, badness: np.ndarray, mask: np.ndarray, rows: int = 512) -> np.ndarray:
    """Heat map over the image: uint8 (H, W, 3). Red in proportion to badness (H, W) in [0, 1]
    (`closeness` to the threshold of each cell's part in the verdict, `regions.decision_scores`: a
    lone low cell of an RGB picture, which does not flag it, stays clear), abnormal regions
    outlined in yellow.
    Computed `rows` rows at a time, so a large image needs no whole-image float copies."""
    from scipy import ndimage

    height, width = image.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    edge = mask & ~ndimage.binary_erosion(mask)
    for y in range(0, height, rows):
        part = image[y:y + rows]
        rgb = np.repeat(part, 3, axis=-1) if part.shape[-1] == 1 else part
        alpha = (0.75 * np.clip(badness[y:y + rows], 0, 1))[..., None]
        chunk = (1 - alpha) * rgb.astype(np.float32) + alpha * np.array([255.0, 0.0, 0.0], np.float32)
        chunk[edge[y:y + rows]] = (255.0, 220.0, 0.0)
        out[y:y + rows] = np.clip(np.rint(chunk), 0, 255).astype(np.uint8)
    return out


def digit_note(image: np.ndarray) -> str | None:
    """Why a digits-domain image (uint8 (H, W, C)) cannot be judged, or None. A digit is ink on
    a dark background: every held-out MNIST digit has >= 69% of its pixels under 64 and >= 23
    over 128, and the simulated artifacts keep >= 53% dark and >= 3 bright; an image with fewer
    than 3 pixels at 64 or more is blank, one under 40% dark is noise or not a digit. The
    repair network would paint a digit into either."""
    gray = image.mean(axis=-1) if image.shape[-1] > 1 else image[..., 0]
    if int((gray >= 64).sum()) < 3:
        return "blank image: no strokes to judge; not accepted, returned unchanged"
    if float((gray < 64).mean()) < 0.4:
        return "not a digit on a dark background (noise?): cannot be judged; not accepted, returned unchanged"
    return None


def image_outputs(result, index: int, *, source: object, domain: str, raw: np.ndarray, image: np.ndarray,
                  repair: bool = True, sha256: str | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """Image `index` of a `QCResult` -> (its report row, {kind: uint8 image to write}).

    raw: the input as read, uint8 (H, W, 1|3); image: it in the domain, float32 (H, W, C) in
    [-1, 1] (`to_domain`). The kinds are those of `OUTPUT_KINDS` it has: mask (0/255, the
    located abnormal pixels), overlay (`overlay`) and, with `repair`, repaired (the kept repair,
    or a rejected image's input unchanged) and, for a rejected image whose best repair changed
    it, attempt. The row's output fields stay None: the caller writes the images and fills them.
    """
    from gan_style.qc.regions import decision_scores, pixel_scores, worst_block

    j = index
    note = digit_note(raw) if domain == "digits" else None
    mask, regions = result.located(j)
    worst = worst_block(result.score_map[j], mask.shape, result.block)
    worst["score"] = round(worst["score"], 4)  # as the row's scores: runs of the same image agree
    changed = repair and bool(result.masks[j].any())
    accepted = bool(result.accepted[j]) and note is None
    kept = changed and accepted
    score_before = round(float(result.score_before[j]), 4)
    row = entry(source, domain=domain, score_before=score_before, threshold=float(result.threshold),
                abnormal=bool(result.abnormal[j]), regions=regions,
                worst=worst, passes=int(result.passes[j]),
                accepted=accepted, sha256=sha256, note=note)
    row["score_after"] = (round(float(result.score_after[j]), 4) if kept else score_before) if repair else None
    row["outcome"] = "repaired" if kept else "clean" if accepted else "rejected"
    shown = raw if raw.shape[-1] == image.shape[-1] else to_uint8(image)
    files = {"mask": (mask * 255).astype(np.uint8),
             "overlay": overlay(shown, pixel_scores(closeness(decision_scores(result.score_map[j], result.block),
                                                              float(result.threshold)), mask.shape), mask)}
    if repair:
        files["repaired"] = to_uint8(result.repaired[j]) if kept else raw  # rejected: the input unchanged
        if changed and not kept:
            files["attempt"] = to_uint8(result.repaired[j])
            if row["note"] is None:
                row["note"] = (f"rejected: repaired.png is the input unchanged; the best repair "
                               f"(score {float(result.score_after[j]):.4f}) is attempt.png")
    return row, files


# ---------------------------------------------------------------------------------------------
# output names


def output_file(name: str, kind: str) -> str:
    """The file name of an output: `<name>.<kind>.png`, kind one of `OUTPUT_KINDS`."""
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"kind must be one of {OUTPUT_KINDS}, got {kind!r}")
    return f"{name}.{kind}.png"


def output_name(path: str) -> str:
    """An input's output name from its path alone (local or a Beam URL such as gs://b/a/x.png):
    its stem made ASCII-safe (`_safe_stem`: at most 150 printable ASCII characters) and the first 16
    hex digits of the sha256 of the whole path, `x-1f0e5c...`; a path that is not valid UTF-8 (a
    byte name `os.fsdecode` turned into surrogates) is hashed as its original bytes. Two paths
    that differ in any character (case included) get names that differ in their digits, so a
    per-file worker never overwrites another file's outputs without knowing the others: for n
    inputs sharing a stem, the chance of any clash is about n**2 / 2**65 (1e-8 for a million).
    The CLI, which sees every input, keeps plain stems (`io.output_names`)."""
    text = str(path)
    stem = _safe_stem(PurePosixPath(text.replace("\\", "/")).stem)
    return f"{stem}-{hashlib.sha256(text.encode('utf-8', errors='surrogateescape')).hexdigest()[:NAME_HASH_DIGITS]}"


_UNSAFE = re.compile(r'[^\x20-\x7e]|[\\/:*?"<>|]')  # not printable ASCII, or reserved on some filesystem


def _safe_stem(stem: str, limit: int = 150) -> str:
    """`stem` with every character that is not printable ASCII (accents, undecodable bytes,
    control characters) or is reserved on some filesystem replaced by "_", cut to `limit`
    characters; "image" when empty. The hash beside it tells apart the names this merges."""
    return _UNSAFE.sub("_", stem)[:limit].strip() or "image"


def is_output_name(name: str) -> bool:
    """Whether a file name looks like one of the job's outputs (`<name>.<kind>.png`)."""
    return bool(OWN_OUTPUT.search(name))


# ---------------------------------------------------------------------------------------------
# the job's command-line options (the repair CLI's and the Beam job's)


def _threshold(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def add_qc_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of what the job does to each image, shared by `python -m gan_style.repair` and
    `python -m gan_style.scale` (neither imports the other); `qc_settings` turns them into
    `repair.repair_files`' keywords."""
    parser.add_argument("--domain", default="auto", choices=["auto", "digits", "rgb"],
                        help="auto: 28x28 single-channel -> digits, else rgb; digits or rgb: every input")
    parser.add_argument("--threshold", type=_threshold, default=None,
                        help="score under which a region is abnormal (default: the checkpoint's)")
    parser.add_argument("--max-passes", type=_non_negative, default=None,
                        help="repair passes (default: the pipeline's, qc.MAX_PASSES = 4)")
    parser.add_argument("--no-repair", action="store_true", help="assess and locate only")
    parser.add_argument("--unmarked", default="cell", choices=["cell", "keep"],
                        help="a flagged cell in which the pixel head marks nothing: repaired whole "
                             "(cell, the default) or left as it is (keep: fewer clean images changed, "
                             "a few artifacts missed; README)")
    parser.add_argument("--smooth", action="store_true",
                        help="RGB: keep the repair network's smooth fill (highest PSNR) instead of adding "
                             "texture copied from around the hole (the default: natural-looking repairs)")
    parser.add_argument("--multi-scale", action="store_true",
                        help="RGB: also score photos shrunk 2 and 4 times, to find whole defects larger than "
                             "the regressor's 64 px training crops (repairs more of them; more false alarms; README)")
    parser.add_argument("--max-pixels", type=_positive, default=DEFAULT_MAX_PIXELS,
                        help="refuse larger images (memory and decompression-bomb guard; docs/repair.md gives "
                             "peak memory by size)")
    parser.add_argument("--batch-size", type=_positive, default=64,
                        help="images of one shape scored and repaired together")
    return parser


def qc_settings(args: argparse.Namespace) -> dict:
    """`add_qc_options`' values as keywords of `repair_files` (and of `scale.beam.Settings`)."""
    from gan_style.qc.pipeline import RGB_SCALES

    return {"domain": args.domain, "threshold": args.threshold, "max_passes": args.max_passes,
            "repair": not args.no_repair, "max_pixels": args.max_pixels, "batch_size": args.batch_size,
            "unmarked": args.unmarked, "texture": False if args.smooth else None,
            "scales": RGB_SCALES if args.multi_scale else (1,)}


# ---------------------------------------------------------------------------------------------
# the run's summary


def tally(row: dict | None) -> dict[str, int]:
    """One row's counts toward the summary (`SUMMARY_KEYS`); all zeros for None."""
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    if row is None:
        return counts
    if row["skipped"]:
        counts["skipped"] = 1
        return counts
    counts["inputs"] = 1
    if row["error"]:
        counts["failed"] = 1
        return counts
    counts.update(processed=1, flagged=int(bool(row["abnormal"])), repaired=int(row["outcome"] == "repaired"),
                  accepted=int(bool(row["accepted"])), rejected=int(row["outcome"] == "rejected"))
    return counts


def summary(rows: Iterable[dict]) -> dict[str, int]:
    """{inputs, processed, failed, skipped, flagged, repaired, accepted, rejected} of a run's rows."""
    total = tally(None)
    for row in rows:
        for key, value in tally(row).items():
            total[key] += value
    return total
