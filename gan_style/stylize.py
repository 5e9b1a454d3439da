"""`python -m gan_style.stylize CONTENT STYLE --out OUT.png`: render a content image in a style.

CONTENT and STYLE are image files or directories; with directories every content x style pair is
rendered into the folder `--out` as `<content>__<style>.png`. Exit status: 0 all written, 1 some
inputs failed (one line each on stderr), 2 usage errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gan_style.core import cli
from gan_style.core.io import ImageError, list_images, read_image, writable_folder, write_png
from gan_style.style.eval import STYLE_SIDE, WORK_SIDE, ours, resize_long_side

MIN_SIDE = 16  # px: the encoder's relu3_1 is 4x smaller; a style or content under it cannot be read
MAX_SIDE = 4096  # px for --size, --style-size, --work-size: the decoder's memory grows with the square


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def _fit(image: np.ndarray, size: int | None) -> np.ndarray:
    if size is None or max(image.shape[:2]) == size:
        return image
    return resize_long_side(image, size)


def stylize_files(contents: list[Path], styles: list[Path], out: Path, alpha: float = 1.0, fusion: str = "adain",
                  size: int | None = 512, generator=None, style_side: int | None = STYLE_SIDE,
                  work_side: int | None = WORK_SIDE, progress=None, precision: str = "auto") -> list[str]:
    """Render every (content, style) pair; returns the one-line errors (empty when all were written).

    out is the output file for one pair, else a folder receiving `<content>__<style>.png`. The
    content's longer side is `size` px; adain encodes the style at `style_side` px (None: `size`),
    linear always at `size`; a content over `work_side` px is rendered at `work_side` and resized
    to `size` (None: rendered at `size`). progress: callable(done, total) after each pair.
    precision: the encoder's and decoder's (`FusionGenerator.from_pretrained`), when `generator` is None.
    """
    from gan_style.style.fusion_generator import FusionGenerator

    generator = generator or FusionGenerator.from_pretrained(fusion=fusion, precision=precision)
    render = ours(generator, alpha, fusion, style_side, work_side)
    style_size = style_side if fusion == "adain" and style_side else size  # linear: F_s sized as F_c
    errors, loaded, done = [], {}, 0

    def load(path, side):
        if (path, side) not in loaded:
            image = read_image(path)
            if min(image.shape[:2]) < MIN_SIDE:  # upscaled, it would be mostly made up
                raise ImageError(f"{path}: {image.shape[1]}x{image.shape[0]} is too small to stylize "
                                 f"(at least {MIN_SIDE} px a side)")
            loaded[path, side] = _fit(_rgb(image), side)
        return loaded[path, side]

    single = _single_file(contents, styles, out)
    for content in contents:
        for style in styles:
            try:
                target = out if single else out / f"{content.stem}__{style.stem}.png"
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


def build_parser() -> cli.ArgumentParser:
    """The parser of `python -m gan_style.stylize` (argparse only: no TensorFlow)."""
    parser = cli.parser("python -m gan_style.stylize", __doc__)
    parser.add_argument("content", help="content image or folder")
    parser.add_argument("style", help="style image or folder")
    parser.add_argument("--out", required=True, help="OUT.png for one pair, else a folder")
    parser.add_argument("--alpha", type=float, default=1.0, help="style strength, in [0, 1]")
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
    contents, styles = list_images([args.content]), list_images([args.style])
    if not contents or not styles:
        parser.error("no images found in " + (args.content if not contents else args.style))

    out = Path(args.out)
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
                               progress=progress, precision=args.precision)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    written = len(contents) * len(styles) - len(errors)
    print(f"wrote {written} of {len(contents) * len(styles)} image(s) to {args.out}, {len(errors)} failed, "
          f"in {progress.elapsed():.1f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
