"""`python -m gan_style.generate --num N --out DIR [--seed S]`: digits from the shipped DCGAN.

Writes DIR/000000.png ... (28x28 grayscale) and DIR/grid.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def sample_images(generator, num: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """num images (num, 28, 28, 1) float32 in [-1, 1] from z ~ N(0, I) drawn with numpy `seed`."""
    latent_dim = generator.input_shape[-1]
    z = np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")
    return generator.predict(z, batch_size=batch_size, verbose=0)


def generate(num: int, out: str | Path, seed: int = 0, checkpoint: str = "dcgan_mnist") -> list[Path]:
    """Write `num` PNG samples and grid.png to `out`; returns the paths written."""
    from gan_style import checkpoints, io, viz

    generator = checkpoints.load_model(checkpoint, "generator.keras")
    images = sample_images(generator, num, seed)
    out = Path(out)
    paths = [io.write_png(out / f"{i:06d}.png", io.to_uint8(image)) for i, image in enumerate(images)]
    paths.append(viz.save_grid(out / "grid.png", images[:100], scale=2))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_style.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=64, help="number of samples (default 64)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    parser.add_argument("--checkpoint", default="dcgan_mnist", help="checkpoint name or folder")
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f"--num must be >= 1, got {args.num}")
    from gan_style import runtime

    runtime.quiet_tensorflow()
    from gan_style.checkpoints import CheckpointError

    try:
        paths = generate(args.num, args.out, args.seed, args.checkpoint)
    except (CheckpointError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(paths) - 1} samples and {paths[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
