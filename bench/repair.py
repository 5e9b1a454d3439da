"""QC repair: quality beside classical inpainting, whole-pipeline throughput (tf.function vs eager),
and peak memory when a directory of images streams through the CLI's library function."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.harness import measure_memory, time_call


def _pipeline(domain: str, tiny: bool, compiled: bool = True):
    from gan_style.qc.pipeline import QCPipeline

    if not tiny:
        pipeline = QCPipeline.from_pretrained(domain)
        if not compiled:
            pipeline = pipeline.replace(compiled=False)
        return pipeline
    from gan_style.qc.regressor import build_quality_regressor
    from gan_style.qc.repair_unet import build_repair_unet

    channels, stride = (1, 4) if domain == "digits" else (3, 8)
    return QCPipeline(build_quality_regressor(channels, stride, 8), build_repair_unet(channels, 4, 2),
                      0.5, domain, compiled=compiled, texture=domain == "rgb")  # as from_pretrained


def quality(tiny: bool) -> dict:
    """`evaluate_repair` with the baselines and the shipped pipeline, per domain."""
    from gan_style.core import checkpoints
    from gan_style.qc.repair_eval import evaluate_repair

    reports = {}
    for domain in ("digits", "rgb"):
        try:
            pipeline = _pipeline(domain, tiny)
        except checkpoints.CheckpointError as exc:
            reports[domain] = {"domain": domain, "error": str(exc)}
            continue
        num = 16 if tiny else (500 if domain == "digits" else 160)
        reports[domain] = evaluate_repair(pipeline.repairer, domain, num=num, pipeline=pipeline)
        if domain == "rgb":  # the same pipeline without the exemplar texture (`--smooth`), same images
            from gan_style.qc.repair_eval import pipeline_numbers, validation_set

            clean, corrupted, _, _ = validation_set(domain, num)
            smooth = pipeline.replace(texture=False)
            reports[domain]["smooth_pipeline"] = pipeline_numbers(smooth, clean, corrupted)
    return reports


def throughput(batches: dict, repeats: int = 3, tiny: bool = False) -> list[dict]:
    """images/s of the whole pipeline (assess -> repair -> re-check, up to 4 passes) on a batch
    where every image is abnormal (threshold 0.999: the worst case), tf.function vs eager."""
    rows = []
    for domain, (batch, side) in batches.items():
        channels = 1 if domain == "digits" else 3
        x = np.random.default_rng(0).uniform(-1, 1, (batch, side, side, channels)).astype("float32")
        eager = None
        for mode, compiled in (("eager", False), ("tf.function", True)):
            pipeline = _pipeline(domain, tiny, compiled)
            for stage, kwargs in (("assess", {"repair": False}), ("assess+repair", {"threshold": 0.999})):
                timing = time_call(lambda p=pipeline, k=kwargs, x=x: p.run(x, **k), repeats=repeats, warmup=1)
                row = {"domain": domain, "batch": batch, "side": side, "stage": stage, "mode": mode,
                       "images_per_s": batch / timing["median_s"]}
                if mode == "eager":
                    eager = eager or {}
                    eager[stage] = timing["median_s"]
                else:
                    row["speedup_vs_eager"] = eager[stage] / timing["median_s"]
                rows.append(row)
        if domain == "rgb":  # the same compiled pipeline without the exemplar texture (`--smooth`)
            smooth = _pipeline(domain, tiny).replace(texture=False)
            timing = time_call(lambda s=smooth, x=x: s.run(x, threshold=0.999), repeats=repeats, warmup=1)
            rows.append({"domain": domain, "batch": batch, "side": side, "stage": "assess+repair",
                         "mode": "tf.function, smooth fill", "images_per_s": batch / timing["median_s"]})
    return rows


def one_artifact(sides: tuple[int, ...], repeats: int = 3, tiny: bool = False) -> list[dict]:
    """The CLI's usual RGB case: one photo (chelsea, resized to side x side) with one `hole`
    artifact, the compiled pipeline at its shipped threshold; seconds per image with the exemplar
    texture and without (`--smooth`). The texture search reads only the box around the hole."""
    import tensorflow as tf
    from skimage import data

    from gan_style.qc.artifacts import corrupt

    base = _pipeline("rgb", tiny)
    photo = data.chelsea().astype(np.float32) / 127.5 - 1.0
    rows = []
    for side in sides:
        image = tf.image.resize(photo, (side, side)).numpy()
        x = corrupt(image, "hole", np.random.default_rng(side), 0.5, "rgb")[0][None]
        for fill, texture in (("texture", True), ("smooth (--smooth)", False)):
            p = base.replace(texture=texture)
            result = p.run(x)
            timing = time_call(lambda p=p, x=x: p.run(x), repeats=repeats, warmup=1)
            rows.append({"side": side, "fill": fill, "abnormal": bool(result.abnormal[0]),
                         "passes": int(result.passes[0]), "repainted_share": float(result.tried.mean()),
                         "score_after": float(result.score_after[0]), "seconds": timing["median_s"]})
    return rows


def flat_check_cost(sides: tuple[int, ...], repeats: int = 3, tiny: bool = False) -> list[dict]:
    """What the RGB foreign-patch check (`regions.foreign_patches`) costs: the compiled pipeline's
    assessment (`run(repair=False)`) of four clean bundled photos, longer side `side`, one at a
    time (the CLI's case), with the check (the default) and without, side by side; seconds per image."""
    from skimage import data

    from gan_style.core.data import fit_long_side

    base = _pipeline("rgb", tiny)
    photos = [data.chelsea(), data.astronaut(), data.coffee(), data.rocket()]
    rows = []
    for side in sides:
        images = [fit_long_side(p, side).astype(np.float32)[None] / 127.5 - 1.0 for p in photos]
        for label, flat in (("with the check (default)", True), ("without", False)):
            p = base.replace(texture=False, flat_patches=flat)
            timing = time_call(lambda p=p, xs=images: [p.run(x, repair=False) for x in xs], repeats=repeats, warmup=1)
            rows.append({"side": side, "check": label, "images": len(images),
                         "flagged": int(sum(p.run(x, repair=False).abnormal[0] for x in images)),
                         "seconds": timing["median_s"] / len(images)})
    return rows


def photo_scale(sides: dict[int, int], tiny: bool = False) -> list[dict]:
    """RGB validation crops at photo sizes (side -> images: as many clean as corrupted, every
    artifact kind in turn), through the compiled pipeline scored at one scale (the default) and at
    `qc.pipeline.RGB_SCALES` (`--multi-scale`): clean images flagged and returned at >= 45 dB, corrupted ones
    flagged, fixed, their PSNR to the originals, the share of the true mask repaired, s/image."""
    import time

    from gan_style.qc.pipeline import RGB_SCALES
    from gan_style.qc.repair_eval import pipeline_numbers, validation_set

    base = _pipeline("rgb", tiny)
    min_side = 32 if tiny else base.min_side  # tiny: 64 px crops, so that scale 2 is used at all
    rows = []
    for side, num in sides.items():
        clean, corrupted, masks, _ = validation_set("rgb", num, size=side)
        for label, scales in (("one (default)", (1,)), ("1, 2, 4 (--multi-scale)", RGB_SCALES)):
            p = base.replace(texture=True, scales=scales, min_side=min_side)
            p.run(corrupted[:1])  # trace outside the timing
            start = time.perf_counter()
            numbers = pipeline_numbers(p, clean, corrupted, masks)
            seconds = (time.perf_counter() - start) / (2 * len(clean))
            rows.append({"side": side, "scales": label, "images": len(clean), **numbers, "seconds": seconds})
    return rows


def directory_point(args: dict) -> dict:
    """One isolated point: `repair_files` over a folder of `num` digit PNGs (real MNIST digits,
    a third with a blob); peak memory above the start, seconds, images/s."""
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    import time

    from gan_style.core.io import to_uint8, write_png
    from gan_style.qc.clean import clean_images
    from gan_style.repair import repair_files

    pipelines = {"digits": _pipeline("digits", args.get("tiny", False))}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        images, _ = clean_images("digits", "validation", 0, seed=0)
        for i in range(args["num"]):
            image = images[i % len(images)].copy()
            if i % 3 == 0:
                image[4:12, 4:12] = 1.0
            write_png(folder / f"{i:06d}.png", to_uint8(image))
        start = time.perf_counter()
        memory = measure_memory(lambda: repair_files([folder], Path(tmp) / "out", pipelines=pipelines,
                                                     batch_size=256))
        seconds = time.perf_counter() - start
    return {"images": args["num"], "seconds": round(seconds, 2), "images_per_s": args["num"] / seconds, **memory}


if __name__ == "__main__":
    print(json.dumps(directory_point(json.loads(sys.argv[1]))))
