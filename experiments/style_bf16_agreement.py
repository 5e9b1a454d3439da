"""`stylize --precision auto` (encoder and decoder in bfloat16 on CPUs with AMX or AVX512-BF16) against
`--precision float32`: the same picture? On the validation pairs of `style_border_grid.py` (4 contents
x 4 styles, never trained on) at 256, 512 and 1024 px: PSNR and largest pixel difference between
the two uint8 outputs, and the issue-28 measures of each (patch SWD, halo, grid, border).

    PYTHONPATH=. .venv/bin/python experiments/style_bf16_agreement.py --out experiments/style-bf16-agreement-DATE.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--checkpoint", default="fusion_style", help="a decoder's checkpoint (name or folder)")
    args = parser.parse_args()

    from style_border_grid import CONTENTS, STYLES, pictures

    from gan_style.core import manifests, runtime
    from gan_style.core.metrics import patch_swd
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    runtime.quiet_tensorflow()
    if runtime.auto_precision() == "float32":
        raise SystemExit("this CPU has no native bfloat16: --precision auto is float32 here")
    methods = {p: style_eval.ours(FusionGenerator.from_pretrained(args.checkpoint, precision=p))
               for p in ("float32", "auto")}
    pics = pictures()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for c_name in CONTENTS:
            content = style_eval.resize_long_side(pics[c_name], size)
            for s_name in STYLES:
                style = style_eval.resize_long_side(pics[s_name], size)
                out = {p: m(content, style) for p, m in methods.items()}
                diff = out["auto"].astype(np.float64) - out["float32"]
                row = {"size": size, "content": c_name, "style": s_name,
                       "psnr_db": round(float(10 * np.log10(255 ** 2 / max(np.mean(diff ** 2), 1e-12))), 2),
                       "max_abs": int(np.abs(diff).max())}
                for p, o in out.items():
                    row[p] = {"swd": round(patch_swd(o, style), 5),
                              "halo": round(style_eval.halo_measure(o, content), 5),
                              "grid": round(style_eval.grid_measure(o, content, style), 5),
                              "border": round(style_eval.border_measure(o, content), 5)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = {}
    for size in sorted({r["size"] for r in rows}):
        at = [r for r in rows if r["size"] == size]
        summary[size] = {"pairs": len(at), "psnr_db_min": min(r["psnr_db"] for r in at),
                         "psnr_db_mean": round(float(np.mean([r["psnr_db"] for r in at])), 2),
                         "max_abs": max(r["max_abs"] for r in at),
                         **{f"{m}_{p}": round(float(np.mean([r[p][m] for r in at])), 5)
                            for m in ("swd", "halo", "grid", "border") for p in ("float32", "auto")}}
    report = {"checkpoint": args.checkpoint, "machine": runtime.auto_precision(), "summary": summary, "rows": rows,
              "provenance": manifests.measured(("fusion_style",))}
    print(json.dumps(summary, indent=1))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
