"""Experiment (issue 27, worst-case QC throughput): the quality regressor's pixel head, factored.

The pixel head is conv3x3(concat(up(x), f)) + b: x the low-resolution features (C = 128 channels
at 1/s of the size), up a bilinear resize to full size, f the first layer's full-size features.
Both the resize and a 3x3 convolution are linear, and a per-pixel channel map commutes with the
resize, so with W = [W_u; W_f] split by input channel,

    conv3x3(up(x), W_u) = sum over the 9 taps d of shift_d(up(x W_u[d]))

one 1x1 projection at low resolution to 9 x F channels, one resize, nine shifted sums: about a
twentieth of the multiply-adds of the head on the upsampled 160 channels, the same numbers up to
rounding. The pipeline's `marks` (the full regressor) costs about twice `assess` (the scorer
without the head) on this CPU, so a cheap head would speed every repair pass. Built here from the
shipped checkpoint's own layers and weights; compared with the shipped graph in one process,
interleaved, on the bench's batches (digits 256 x 28 px, RGB 16 x 256 px).

    PYTHONPATH=. .venv/bin/python experiments/qc_pixel_head_factored.py \
        --out experiments/qc-pixel-head-factored-DATE.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _producer(tensor):
    return tensor._keras_history.operation


def factored(regressor):
    """A function images -> (score_map, global_score, pixel_map) computing the pixel head factored."""
    import keras
    import tensorflow as tf

    head = regressor.get_layer("pixel_logits")
    act = _producer(head.input)
    conv = _producer(act.input)
    upsampled, full = _producer(conv.input).input
    low = _producer(upsampled).input[0]
    trunk = keras.Model(regressor.inputs, {"low": low, "full": full,
                                           "score_map": regressor.get_layer("score_map").output,
                                           "global_score": regressor.get_layer("global_score").output})
    kernel, bias, channels, filters = conv.kernel, conv.bias, low.shape[-1], conv.kernel.shape[-1]
    projection = tf.reshape(tf.transpose(kernel[:, :, :channels], [2, 0, 1, 3]), [channels, 9 * filters])

    def run(images):
        out = trunk(images, training=False)
        size = tf.shape(out["full"])[1:3]
        pixel = tf.nn.conv2d(out["full"], kernel[:, :, channels:], 1, "SAME") + bias
        taps = tf.image.resize(tf.einsum("bhwc,cn->bhwn", out["low"], projection), size, "bilinear")
        taps = tf.pad(taps, [[0, 0], [1, 1], [1, 1], [0, 0]])
        for i in range(3):
            for j in range(3):
                k = (3 * i + j) * filters
                pixel += taps[:, i:i + size[0], j:j + size[1], k:k + filters]
        return out["score_map"], out["global_score"], tf.nn.sigmoid(head(act(pixel)))

    return run


def shipped(regressor):
    """The same outputs from the shipped graph."""

    def run(images):
        out = regressor(images, training=False)
        return out["score_map"], out["global_score"], out["pixel_map"]

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import tensorflow as tf

    from gan_style.core import checkpoints, manifests, runtime

    runtime.quiet_tensorflow()
    report = {"rows": [], "provenance": manifests.measured(("quality_digits", "quality_rgb"))}
    for domain, (batch, side) in {"digits": (256, 28), "rgb": (16, 256)}.items():
        regressor = checkpoints.load_model(f"quality_{domain}", "regressor.keras")
        channels = regressor.inputs[0].shape[-1]
        x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (batch, side, side, channels)).astype("float32"))
        variants = {"shipped graph": tf.function(shipped(regressor)), "factored head": tf.function(factored(regressor))}
        outputs = {name: [o.numpy() for o in f(x)] for name, f in variants.items()}
        times = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, f in variants.items():
                start = time.perf_counter()
                [o.numpy() for o in f(x)]
                times[name].append(time.perf_counter() - start)
        a, b = outputs["shipped graph"], outputs["factored head"]
        row = {"domain": domain, "batch": batch, "side": side,
               "ms": {name: round(1000 * float(np.median(t)), 1) for name, t in times.items()},
               "pixel_map_max_abs_diff": float(np.abs(a[2] - b[2]).max()),
               "marks_agree": float(np.mean((a[2] > 0.5) == (b[2] > 0.5)))}
        report["rows"].append(row)
        print(row, flush=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
