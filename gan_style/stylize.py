"""`python -m gan_style.stylize CONTENT STYLE --out OUT.png`: render a content image in a style.

CONTENT and STYLE are image files or directories; with directories every content x style pair is
rendered into the folder `--out` as `<content>__<style>.png` (inputs sharing a stem are told apart
as the repair CLI does: `a__x`, `b__x`). In a folder that is also `--out`, files named like these
outputs are not taken as inputs. An existing output is replaced. Exit status: 0 all written, 1 some
inputs failed (one line each on stderr), 2 usage errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gan_style.core import cli
from gan_style.core.io import (
    DEFAULT_MAX_PIXELS,
    IMAGE_SUFFIXES,
    ImageError,
    output_names,
    read_image,
    scan_inputs,
    writable_folder,
    write_png,
)
from gan_style.style.eval import STYLE_SIDE, WORK_SIDE, ours, resize_long_side

MIN_SIDE = 16  # px: the encoder's relu3_1 is 4x smaller; a style or content under it cannot be read
MAX_SIDE = 4096  # px for --size, --style-size, --work-size: the decoder's memory grows with the square
OWN_OUTPUT = "an output of gan_style.stylize (this folder is --out)"
FLAT_STD = 2.0  # grey levels: a style whose channels all vary less is one colour, and so is its output


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def _fit(image: np.ndarray, size: int | None) -> np.ndarray:
    if size is None or max(image.shape[:2]) == size:
        return image
    return resize_long_side(image, size)


def stylize_files(contents: list[Path], styles: list[Path], out: Path, alpha: float = 1.0, fusion: str = "adain",
                  size: int | None = 512, generator=None, style_side: int | None = STYLE_SIDE,
                  work_side: int | None = WORK_SIDE, progress=None, precision: str = "auto",
                  max_pixels: int = DEFAULT_MAX_PIXELS, warn=None) -> list[str]:
    """Render every (content, style) pair; returns the one-line errors (empty when all were written).

    out is the output file for one pair, else a folder receiving `<content>__<style>.png`. The
    content's longer side is `size` px; adain encodes the style at `style_side` px (None: `size`),
    linear always at `size`; a content over `work_side` px is rendered at `work_side` and resized
    to `size` (None: rendered at `size`). progress: callable(done, total) after each pair.
    precision: the encoder's and decoder's (`FusionGenerator.from_pretrained`), when `generator` is None.
    max_pixels: larger inputs are refused (`read_image`). warn: callable(one line) for a style that
    is one colour (every channel's std under FLAT_STD levels): AdaIN gives its output that colour.
    """
    from gan_style.style.fusion_generator import FusionGenerator

    generator = generator or FusionGenerator.from_pretrained(fusion=fusion, precision=precision)
    render = ours(generator, alpha, fusion, style_side, work_side)
    style_size = style_side if fusion == "adain" and style_side else size  # linear: F_s sized as F_c
    errors, loaded, done = [], {}, 0
    content_names, style_names = output_names(contents), output_names(styles)

    def load(path, side):
        if (path, side) not in loaded:
            image = read_image(path, max_pixels)
            if min(image.shape[:2]) < MIN_SIDE:  # upscaled, it would be mostly made up
                raise ImageError(f"{path}: {image.shape[1]}x{image.shape[0]} is too small to stylize "
                                 f"(at least {MIN_SIDE} px a side)")
            loaded[path, side] = _fit(_rgb(image), side)
            if path in styles and warn is not None and loaded[path, side].std(axis=(0, 1)).max() < FLAT_STD:
                warn(f"{path}: the style is one colour (it varies by under {FLAT_STD:g} grey levels), "
                     "so the output is that colour too")
        return loaded[path, side]

    single = _single_file(contents, styles, out)
    for content, content_name in zip(contents, content_names, strict=True):
        for style, style_name in zip(styles, style_names, strict=True):
            try:
                target = out if single else out / f"{content_name}__{style_name}.png"
                if target.resolve() in (content.resolve(), style.resolve()):
                    raise ImageError(f"{target}: is an input; refusing to overwrite it")
                c_image, s_image = load(content, size), load(style, style_size)
                if min(c_image.shape[:2]) < MIN_SIDE:  # a thin picture brought to --size
                    raise ImageError(f"{content}: {c_image.shape[1]}x{c_image.shape[0]} at --size is too thin "
                                     f"(at least {MIN_SIDE} px a side)")
                write_png(target, render(c_image, s_image))
            except ImageError as exc:
                errors.append(str(exc))
            except OSError as exc:
                errors.append(f"{content} x {style}: cannot write output ({exc})")
            done += 1
            if progress is not None:
                progress(done, len(contents) * len(styles))
    return errors


def _single_file(contents: list[Path], styles: list[Path], out: Path) -> bool:
    """Whether `out` is the one pair's output file (else a folder of outputs)."""
    return len(contents) == 1 and len(styles) == 1 and out.suffix.lower() == ".png"


def out_problem(pairs: int, out: Path) -> str | None:
    """Why `--out` cannot take `pairs` outputs, or None: an image name other than .png for one pair
    (it would be a folder called `x.jpg`), an image name for several (they need a folder)."""
    suffix = out.suffix.lower()
    if suffix not in IMAGE_SUFFIXES or out.is_dir():
        return None
    if pairs == 1 and suffix != ".png":
        return f"--out {out}: stylize writes PNG; name the output {out.with_suffix('.png').name}"
    if pairs > 1:
        return f"--out {out} names one image, but there are {pairs} pairs: give a folder"
    return None


def own_output(out: Path):
    """A `scan_inputs` skip rule: in the folder `out`, files named like stylize's outputs."""
    folder = Path(out).resolve()

    def skip(path: Path) -> str | None:
        if path.parent.resolve() == folder and path.suffix.lower() == ".png" and "__" in path.stem:
            return OWN_OUTPUT
        return None

    return skip


def build_parser() -> cli.ArgumentParser:
    """The parser of `python -m gan_style.stylize` (argparse only: no TensorFlow)."""
    parser = cli.parser("python -m gan_style.stylize", __doc__)
    parser.add_argument("content", help="content image or folder")
    parser.add_argument("style", help="style image or folder")
    parser.add_argument("--out", required=True, help="OUT.png for one pair, else a folder")
    parser.add_argument("--alpha", type=float, default=1.0,
                        help="in [0, 1]; adain: the style's strength (0: the content redrawn); "
                             "linear: the content's weight (1: the content alone)")
    parser.add_argument("--fusion", default="adain", choices=["adain", "linear"],
                        help="how content and style features are fused")
    parser.add_argument("--size", type=int, default=512, help="longer side of the content in px")
    parser.add_argument("--style-size", type=int, default=STYLE_SIDE,
                        help="longer side at which adain encodes the style, px (0: --size)")
    parser.add_argument("--work-size", type=int, default=WORK_SIDE or 0,
                        help="longer side at which a larger content is rendered, then resized to --size, px "
                             "(0: render at --size)")
    parser.add_argument("--precision", default="auto", choices=["auto", "float32"],
                        help="the encoder's and decoder's: auto = bfloat16 where the CPU has AMX or AVX512-BF16 "
                             "(a whole call 1.9x faster at 512 px, the picture 45-56 dB from float32's), "
                             "else float32")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse larger input images (a decompression-bomb guard)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0.0 <= args.alpha <= 1.0:  # NaN fails this too
        parser.error(f"--alpha must be in [0, 1], got {args.alpha}")
    if not MIN_SIDE <= args.size <= MAX_SIDE:
        parser.error(f"--size must be in [{MIN_SIDE}, {MAX_SIDE}], got {args.size}")
    for flag, value in (("--style-size", args.style_size), ("--work-size", args.work_size)):
        if value != 0 and not MIN_SIDE <= value <= MAX_SIDE:
            parser.error(f"{flag} must be 0 or in [{MIN_SIDE}, {MAX_SIDE}], got {value}")
    if args.max_pixels < 1:
        parser.error(f"--max-pixels must be >= 1, got {args.max_pixels}")
    out = Path(args.out)
    skip = own_output(out)
    (contents, left_c), (styles, left_s) = scan_inputs([args.content], skip), scan_inputs([args.style], skip)
    if not contents or not styles:
        parser.error("no images found in " + (args.content if not contents else args.style))
    problem = out_problem(len(contents) * len(styles), out)
    if problem:
        parser.error(problem)
    skipped = {path for path, reason in left_c + left_s if reason == OWN_OUTPUT}
    if skipped:
        print(f"note: {len(skipped)} file(s) in {out} named like stylize's outputs were not taken as inputs",
              file=sys.stderr)
    try:
        writable_folder(out.parent if _single_file(contents, styles, out) else out)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.core.checkpoints import CheckpointError

    progress = cli.Progress("pairs")
    try:
        errors = stylize_files(contents, styles, out, args.alpha, args.fusion, args.size,
                               style_side=args.style_size or None, work_side=args.work_size or None,
                               progress=progress, precision=args.precision, max_pixels=args.max_pixels,
                               warn=lambda message: print(f"warning: {message}", file=sys.stderr))
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for message in dict.fromkeys(errors):  # a bad content fails with every style: said once
        print(f"error: {message}", file=sys.stderr)
    written = len(contents) * len(styles) - len(errors)
    print(f"wrote {written} of {len(contents) * len(styles)} image(s) to {args.out}, {len(errors)} failed, "
          f"in {progress.elapsed():.1f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
