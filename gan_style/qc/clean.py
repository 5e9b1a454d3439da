"""Clean images for training and validation: MNIST digits or crops of the bundled photos (plain
or stylised), float32 in [-1, 1]. Data-side: the quality and repair trainers train on them, the
evaluations measure on their validation split."""

from __future__ import annotations

import numpy as np

from gan_style.core import data
from gan_style.style.stylised import stylise_pictures

STYLISED_SIDE = 512  # px, the longer side at which training pictures are stylised


def clean_images(domain: str, split: str, num: int, seed: int, crop_size: int = 64, data_dir=None,
                 pictures: str = "bundled", stylised_share: float = 0.0, style_sources: str = ""):
    """Clean images float32 in [-1, 1]: MNIST digits (N, 28, 28, 1) or photo crops (N, S, S, 3).

    split: "train" or "validation" (digits: the held-out MNIST split; RGB: the held-out bundled
    pictures, whatever `pictures`, the training sources, says). RGB training crops are cut from
    the pictures at 1/4 to 1 of a 512-px longer side (a crop of S >= 128 px is then up to a whole
    picture), a `stylised_share` of them from stylised versions of the same pictures
    (`stylised.stylise_pictures`, each picture twice), with styles drawn from the same pictures
    and the `style_sources` (data.STYLE_SOURCES: patterns and textures, comma-separated).
    """
    if domain == "digits":
        arrays = data.load_mnist("train" if split == "train" else "test", data_dir)
        images = arrays.images[..., None].astype(np.float32) / 127.5 - 1.0
        order = np.random.default_rng(seed).permutation(len(images))
        return images[order[:num]] if num else images[order], arrays.source
    chosen = data.training_pictures(pictures) if split == "train" else data.bundled_images("validation")
    scales = (0.25, 1.0) if crop_size >= 128 else (0.5, 1.0)
    if not stylised_share:
        return data.random_crops(chosen, crop_size, num, seed, scales), data.describe_pictures(chosen)
    styles = {**chosen, **data.style_pictures(style_sources)}
    stylised = {**stylise_pictures(chosen, STYLISED_SIDE, seed, styles=styles),
                **stylise_pictures(chosen, STYLISED_SIDE, seed + 1, styles=styles)}
    share = int(round(num * stylised_share))
    crops = np.concatenate([data.random_crops(chosen, crop_size, num - share, seed, scales),
                            data.random_crops(stylised, crop_size, share, seed + 1, scales)])
    methods = ", ".join(sorted({k.split(":")[0] for k in stylised}))
    source = f"{data.describe_pictures(chosen)}; each stylised twice ({methods})"
    if style_sources:
        source += f" with styles from the same pictures and {style_sources}"
    return crops, source
