"""`python -m gan_style.demo --out demo_out` (what `make demo` runs): the main job on embedded inputs.

Samples digits from the shipped DCGAN and stylises a bundled photo (held out from training) with
the shipped fusion-style generator, runs the QC pipeline on them through the repair CLI's library
function, and writes the repaired images, masks, overlays, `report.json` and `summary.png`
(before / mask / after with scores) into the output folder; prints a summary table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gan_style.core import cli


def make_inputs(folder: Path, num_digits: int = 12, seed: int = 0) -> list[Path]:
    """Write the demo's generated images: DCGAN digits and one stylised photo (PNG)."""
    from gan_style.core import checkpoints, data
    from gan_style.core.io import to_uint8, write_png
    from gan_style.gan.eval import sample_images
    from gan_style.style.eval import ours, resize_long_side
    from gan_style.style.fusion_generator import FusionGenerator

    paths = []
    generator = checkpoints.load_model("dcgan_mnist", "generator.keras")
    for i, digit in enumerate(sample_images(generator, num_digits, seed=seed)):
        paths.append(write_png(folder / f"digit_{i:02d}.png", to_uint8(digit)))
    content = resize_long_side(data.bundled_image("chelsea"), 256)
    style = resize_long_side(data.bundled_image("gravel"), 256)
    stylised = ours(FusionGenerator.from_pretrained())(content, style)
    paths.append(write_png(folder / "chelsea_x_gravel.png", stylised))
    return paths


def summary_figure(report: list[dict], path: Path, rows: int = 6) -> None:
    """before / mask / after for the worst-scored inputs, with scores."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from gan_style.core.io import atomic_path

    done = sorted((e for e in report if not e["error"]), key=lambda e: e["score_before"])[:rows]
    fig, axes = plt.subplots(len(done), 3, figsize=(7, 2.3 * len(done)), squeeze=False)
    for row, entry in zip(axes, done, strict=True):
        before = np.asarray(Image.open(entry["input"]).convert("RGB"))
        after = np.asarray(Image.open(entry["repaired"]).convert("RGB")) if entry["repaired"] else before
        panels = ((before, f"before {entry['score_before']:.2f}"),
                  (np.asarray(Image.open(entry["mask"])), f"{len(entry['regions'])} region(s)"),
                  (after, f"after {entry['score_after']:.2f}, {'accepted' if entry['accepted'] else 'rejected'}"))
        for ax, (image, title) in zip(row, panels, strict=True):
            ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(f"{Path(entry['input']).stem}: {title}" if image is before else title, fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def build_parser() -> cli.ArgumentParser:
    """The parser of `python -m gan_style.demo` (argparse only: no TensorFlow)."""
    parser = cli.parser("python -m gan_style.demo", __doc__)
    parser.add_argument("--out", default="demo_out", help="output folder (created)")
    parser.add_argument("--num-digits", type=int, default=12, help="generated digits to check and repair")
    parser.add_argument("--seed", type=int, default=0, help="noise seed of the digits")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    import json

    from gan_style.core.checkpoints import CheckpointError
    from gan_style.core.io import write_text
    from gan_style.repair import repair_files

    out = Path(args.out)
    try:
        inputs = make_inputs(out / "inputs", args.num_digits, args.seed)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report = repair_files(inputs, out)
    write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    summary_figure(report, out / "summary.png")
    print(f"{'input':24s} {'domain':6s} {'before':>6s} {'after':>6s} {'regions':>7s} {'passes':>6s}  verdict")
    for e in report:
        if e["error"]:
            print(f"{Path(e['input']).name:24s} error: {e['error']}")
            continue
        print(f"{Path(e['input']).name:24s} {e['domain']:6s} {e['score_before']:6.3f} {e['score_after']:6.3f} "
              f"{len(e['regions']):7d} {e['passes']:6d}  {'accepted' if e['accepted'] else 'rejected'}")
    abnormal = [e for e in report if e["abnormal"]]
    print(f"{len(abnormal)} of {len(report)} flagged, {sum(e['accepted'] for e in abnormal)} of them accepted "
          f"after repair; wrote {out}/ (repaired, mask, overlay PNGs, report.json, summary.png)")
    return 1 if any(e["error"] for e in report) else 0


if __name__ == "__main__":
    sys.exit(main())
