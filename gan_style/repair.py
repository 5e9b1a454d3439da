"""`python -m gan_style.repair INPUT... --out DIR`: score generated images, locate abnormal
regions, repair them, score again, and report.

For each input `<stem>.<ext>` it writes `DIR/<stem>.repaired.png`, `DIR/<stem>.mask.png` (0/255,
input size: the abnormal regions), `DIR/<stem>.overlay.png` (heat map over the image) and one JSON
report (`DIR/report.json` unless --report), a list with one object per input. Exit status: 0 when
every input was processed, 1 when some failed (each with its one-line `error`; the others are still
written), 2 on usage errors. Outputs are written atomically; inputs are never modified.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gan_style.io import DEFAULT_MAX_PIXELS, ImageError, list_images, read_image, to_uint8, write_png, write_text

FIELDS = ("input", "domain", "score_before", "score_after", "abnormal", "regions", "passes", "accepted",
          "repaired", "mask", "error")


def _entry(path: Path, **fields) -> dict:
    entry = dict.fromkeys(FIELDS)
    entry.update({"input": str(path), "regions": [], "passes": 0, **fields})
    return entry


def to_domain(image: np.ndarray, domain: str) -> np.ndarray:
    """uint8 (H, W, 1|3) -> float32 (H, W, C) in [-1, 1], C = 1 for digits (RGB averaged), 3 for RGB."""
    x = image.astype(np.float32) / 127.5 - 1.0
    if domain == "digits" and x.shape[-1] == 3:
        return x.mean(axis=-1, keepdims=True)
    if domain == "rgb" and x.shape[-1] == 1:
        return np.repeat(x, 3, axis=-1)
    return x


def overlay(image: np.ndarray, badness: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Heat map over the image: uint8 (H, W, 3). Red in proportion to badness (H, W) in [0, 1]
    (1 - the region's score), abnormal regions outlined in yellow."""
    from scipy import ndimage

    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    alpha = (0.75 * np.clip(badness, 0, 1))[..., None]
    out = (1 - alpha) * rgb.astype(np.float32) + alpha * np.array([255.0, 0.0, 0.0])
    edge = mask & ~ndimage.binary_erosion(mask)
    out[edge] = (255.0, 220.0, 0.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _batches(paths: list[Path], domain: str, batch_size: int, max_pixels: int, errors: dict) -> Iterator:
    """Read images in order and group consecutive ones of one shape and domain into batches:
    yields (indices, domain, float32 batch (B, H, W, C)). Unreadable files go to `errors`."""
    from gan_style.qc import detect_domain

    group: list[int] = []
    images: list[np.ndarray] = []
    key = None
    for index, path in enumerate(paths):
        try:
            raw = read_image(path, max_pixels)
        except ImageError as exc:
            errors[index] = str(exc)
            continue
        image_domain = detect_domain(raw) if domain == "auto" else domain
        x = to_domain(raw, image_domain)
        if group and ((x.shape, image_domain) != key or len(group) == batch_size):
            yield group, key[1], np.stack(images)
            group, images = [], []
        key = (x.shape, image_domain)
        group.append(index)
        images.append(x)
    if group:
        yield group, key[1], np.stack(images)


def stream(paths: list[Path], domain: str = "auto", batch_size: int = 64,
           max_pixels: int = DEFAULT_MAX_PIXELS, errors: dict | None = None) -> Iterator:
    """`_batches` through a prefetching tf.data pipeline: reading the next batch overlaps the
    current one's work, and at most two batches are held, whatever the number of files."""
    import tensorflow as tf

    errors = {} if errors is None else errors
    domains = ("digits", "rgb")
    source = ((np.asarray(g, np.int64), domains.index(d), b)
              for g, d, b in _batches(paths, domain, batch_size, max_pixels, errors))
    dataset = tf.data.Dataset.from_generator(lambda: source, output_signature=(
        tf.TensorSpec((None,), tf.int64), tf.TensorSpec((), tf.int32),
        tf.TensorSpec((None, None, None, None), tf.float32)))
    for indices, domain_id, batch in dataset.prefetch(1).as_numpy_iterator():
        yield indices.tolist(), domains[int(domain_id)], batch


def _output_stems(paths: list[Path]) -> list[str]:
    """`<stem>` per input, made unique (`<stem>-1`, ...) when two inputs share one."""
    seen: dict[str, int] = {}
    stems = []
    for path in paths:
        stem = path.stem
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        stems.append(stem if count == 0 else f"{stem}-{count}")
    return stems


def repair_files(inputs: list, out_dir: str | Path, domain: str = "auto", threshold: float | None = None,
                 max_passes: int | None = None, repair: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS,
                 batch_size: int = 64, pipelines: dict | None = None, unmarked: str = "cell",
                 texture: bool | None = None, scales: tuple[int, ...] = (1,)) -> list[dict]:
    """Run the QC pipeline on image files; returns the report (one dict per input, in order).

    pipelines: domain -> QCPipeline (default: `QCPipeline.from_pretrained` with `unmarked`,
    `texture` (None: on for RGB) and `scales` (`qc.RGB_SCALES`: `--multi-scale`), loaded on first use).
    max_passes: None = the pipeline's (`qc.MAX_PASSES` for shipped ones).
    """
    from gan_style.qc import QCPipeline
    from gan_style.regions import pixel_scores

    paths = list_images(inputs)
    out_dir = Path(out_dir)
    protected = {p.resolve() for p in paths if p.exists()}
    stems = _output_stems(paths)
    pipelines = {} if pipelines is None else pipelines
    errors: dict[int, str] = {}
    report: list[dict | None] = [None] * len(paths)
    for indices, batch_domain, batch in stream(paths, domain, batch_size, max_pixels, errors):
        try:
            if batch_domain not in pipelines:
                pipelines[batch_domain] = QCPipeline.from_pretrained(
                    batch_domain, threshold=threshold, unmarked=unmarked, texture=texture, scales=scales
                )
            pipeline = pipelines[batch_domain]
            result = pipeline.run(batch, repair=repair, max_passes=max_passes, threshold=threshold)
        except Exception as exc:  # a missing checkpoint, an image too small for the networks...
            for i in indices:
                errors[i] = f"{paths[i]}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            continue
        for j, i in enumerate(indices):
            path, stem = paths[i], stems[i]
            score_map = result.score_map[j]
            mask, regions = result.located(j)
            entry = _entry(
                path, domain=batch_domain, score_before=round(float(result.score_before[j]), 4),
                abnormal=bool(result.abnormal[j]), regions=regions, passes=int(result.passes[j]),
            )
            entry["score_after"] = round(float(result.score_after[j]), 4) if repair else None
            entry["accepted"] = bool(result.accepted[j])
            try:
                image = to_uint8(batch[j])
                files = {
                    "mask": (out_dir / f"{stem}.mask.png", (mask * 255).astype(np.uint8)),
                    "overlay": (out_dir / f"{stem}.overlay.png",
                                overlay(image, 1.0 - pixel_scores(score_map, mask.shape), mask)),
                }
                if repair:
                    files["repaired"] = (out_dir / f"{stem}.repaired.png", to_uint8(result.repaired[j]))
                for name, (target, pixels) in files.items():
                    if target.resolve() in protected:
                        raise OSError(f"{target} is an input; refusing to overwrite it")
                    write_png(target, pixels)
                    if name in ("mask", "repaired"):
                        entry[name] = str(target)
            except OSError as exc:
                entry["error"] = f"{path}: cannot write outputs ({exc})"
            report[i] = entry
    for i, message in errors.items():
        report[i] = _entry(paths[i], error=message)
    return [entry for entry in report if entry is not None]


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


def main(argv: list[str] | None = None) -> int:
    from gan_style import runtime

    runtime.quiet_tensorflow()  # before anything imports TensorFlow
    from gan_style.qc import MAX_PASSES, RGB_SCALES

    parser = argparse.ArgumentParser(prog="python -m gan_style.repair", description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, directories or globs")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    parser.add_argument("--domain", default="auto", choices=["auto", "digits", "rgb"],
                        help="auto: 28x28 single-channel -> digits, else rgb")
    parser.add_argument("--threshold", type=_threshold, default=None,
                        help="score under which a region is abnormal (default: the checkpoint's)")
    parser.add_argument("--max-passes", type=_non_negative, default=MAX_PASSES,
                        help=f"repair passes (default {MAX_PASSES})")
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
    parser.add_argument("--report", help="JSON report path (default DIR/report.json)")
    parser.add_argument("--max-pixels", type=_positive, default=DEFAULT_MAX_PIXELS,
                        help=f"refuse larger images (decompression bombs; default {DEFAULT_MAX_PIXELS})")
    parser.add_argument("--batch-size", type=_positive, default=64)
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        parser.error(f"--out {out_dir} exists and is not a directory")
    if not list_images(args.inputs):
        parser.error("no input images found in " + " ".join(args.inputs))
    report_path = Path(args.report) if args.report else out_dir / "report.json"
    try:
        report = repair_files(args.inputs, out_dir, args.domain, args.threshold, args.max_passes,
                              not args.no_repair, args.max_pixels, args.batch_size, unmarked=args.unmarked,
                              texture=False if args.smooth else None, scales=RGB_SCALES if args.multi_scale else (1,))
        write_text(report_path, json.dumps(report, indent=2) + "\n")
    except (OSError, RuntimeError, ValueError) as exc:  # e.g. the report's folder is not writable
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 1
    failed = [entry for entry in report if entry["error"]]
    for entry in failed:
        print(f"error: {entry['error']}", file=sys.stderr)
    for entry in report:
        if not entry["error"]:
            after = "" if entry["score_after"] is None else f" -> {entry['score_after']:.3f}"
            verdict = "accepted" if entry["accepted"] else "rejected"
            print(f"{entry['input']}: {entry['domain']} score {entry['score_before']:.3f}{after}, "
                  f"{len(entry['regions'])} region(s), {entry['passes']} pass(es), {verdict}")
    print(f"{len(report) - len(failed)} of {len(report)} processed; report: {report_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
