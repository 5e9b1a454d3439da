"""`python -m gan_style.generate --num N --out DIR [--seed S]`: digits from the shipped DCGAN.

Writes DIR/000000.png ... (28x28 grayscale) and DIR/grid.png. N is 1 to MAX_NUM, S 0 to MAX_SEED;
samples are drawn and written `CHUNK` at a time, so memory does not grow with N.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gan_style.core import checkpoints, cli, io, viz
from gan_style.core.checkpoints import CheckpointError
from gan_style.gan.eval import sample_images  # noqa: F401 - part of this module's API (README)

MAX_NUM = 1_000_000  # 28x28 PNGs: about 0.3 GB of files; one folder should not hold more
MAX_SEED = 2**63 - 1
CHUNK = 500


def _check(num: int, seed: int) -> None:
    if not 1 <= num <= MAX_NUM:
        raise ValueError(f"num must be in [1, {MAX_NUM}], got {num}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**63 - 1], got {seed}")


def generate(num: int, out: str | Path, seed: int = 0, checkpoint: str = "dcgan_mnist",
             progress=None) -> list[Path]:
    """Write `num` PNG samples and grid.png to `out`; returns the paths written. The noise is
    drawn as in `sample_images` (one stream for all `num`), `CHUNK` samples at a time.
    progress: callable(done, total) after each chunk."""
    _check(num, seed)
    generator = checkpoints.load_model(checkpoint, "generator.keras")
    rng = np.random.default_rng(seed)
    out = Path(out)
    paths, first = [], None
    for start in range(0, num, CHUNK):
        count = min(CHUNK, num - start)
        z = rng.standard_normal((count, generator.input_shape[-1])).astype("float32")
        images = generator.predict(z, batch_size=CHUNK, verbose=0)
        first = images[:100] if first is None else first
        paths += [io.write_png(out / f"{start + i:06d}.png", io.to_uint8(image)) for i, image in enumerate(images)]
        if progress is not None:
            progress(start + count, num)
    paths.append(viz.save_grid(out / "grid.png", first, scale=2))
    return paths


def build_parser() -> cli.ArgumentParser:
    """The parser of `python -m gan_style.generate` (argparse only: no TensorFlow)."""
    parser = cli.parser("python -m gan_style.generate", __doc__)
    parser.add_argument("--num", type=int, default=64, help=f"number of samples, 1 to {MAX_NUM}")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="noise seed, 0 to 2**63 - 1")
    parser.add_argument("--checkpoint", default="dcgan_mnist", help="checkpoint name or folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.num <= MAX_NUM:
        parser.error(f"--num must be in [1, {MAX_NUM}], got {args.num}")
    if not 0 <= args.seed <= MAX_SEED:
        parser.error(f"--seed must be in [0, 2**63 - 1], got {args.seed}")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        parser.error(f"--out {args.out} exists and is not a directory")
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    progress = cli.Progress("samples")
    try:
        paths = generate(args.num, args.out, args.seed, args.checkpoint, progress)
    except (CheckpointError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(paths) - 1} samples and {paths[-1]} in {progress.elapsed():.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
