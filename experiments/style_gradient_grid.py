"""Which loss term drives the decoder's mesh (issue 28)? The gradient of each term of the style
trainer's L_G with respect to the output image, read for periodic structure like the grid measure.

A decoder with x2 upsamplings can draw patterns of period 2/4/8 px locked to its lattice; it
draws them when the loss gradient dL/do has them at a fixed phase on every step. The loss networks
put them there: the encoder's 2x2 max pools pass the gradient to one pixel of four, the PatchGAN's
strided convolutions sample every other pixel. This script measures, per term (weighted as in
`make train-style-fresh`), on the held-out pairs at 256 px through the shipped decoder:

    rms:  sqrt(mean (w dL/do)^2)                         (how much the term pushes)
    peak: mean over images, axes and periods T in {2, 4, 8, 16} of max(0, pi_T(g)), pi as in
          `style.eval.grid_prominence` (log power at N/T over its spectral neighbours), on the
          channel-summed gradient g and on |g|: 0 for a gradient without a lattice.

and the same of the gradient averaged over the lattice shifts (dy, dx) in [0, K)^2 (`--shifts K`,
default 4: every phase of periods 2 and 4; the loss read on the output cropped by (dy, dx), the
gradient put back in place): what a decoder trained with a random shift per step is pushed by on
average. The content term is read unshifted (its target lives on the relu4_1 lattice).

    PYTHONPATH=. .venv/bin/python experiments/style_gradient_grid.py --out experiments/style-gradient-grid-DATE.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def prominence(signal: np.ndarray, periods=(2, 4, 8, 16)) -> np.ndarray:
    """float64 (2, len(periods)): spectral peak of a float (H, W) map at each period, along x and y,
    max over the map and its magnitude (grid_prominence's rule, on floats)."""
    out = np.full((2, len(periods)), -np.inf)
    for axis, lines in enumerate((signal, signal.T)):
        n = lines.shape[1] // 16 * 16
        for s in (lines[:, :n], np.abs(lines[:, :n])):
            s = s - s.mean(axis=1, keepdims=True)
            power = (np.abs(np.fft.rfft(s * np.hanning(n), axis=1)) ** 2).mean(axis=0) + 1e-30
            for i, period in enumerate(periods):
                j = n // period
                near = [j + k for k in (-6, -5, -4, -3, -2, 2, 3, 4, 5, 6) if 0 < j + k <= n // 2]
                out[axis, i] = max(out[axis, i], np.log(power[j] / np.median(power[near])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--shifts", type=int, default=4, help="shifts dy, dx in [0, K)")
    args = parser.parse_args()
    from gan_style.core import runtime

    runtime.quiet_tensorflow()
    import tensorflow as tf

    from gan_style.core import data, losses
    from gan_style.core.manifests import load_model
    from gan_style.style.encoder import build_encoder
    from gan_style.style.eval import CONTENTS, STYLES, resize_to
    from gan_style.style.fusion_generator import FusionGenerator, adain

    generator = FusionGenerator.from_pretrained("fusion_style")
    encoder = build_encoder("hed", padding="reflect")  # the fresh run's loss encoder
    discriminator = load_model("fusion_style", "discriminator.keras")
    weights = {"content": 1.0, "style": 10.0, "colour": 5e4, "tv": 10.0, "adversarial": 50.0}
    size = args.size
    pairs = [(c, s) for c in CONTENTS for s in STYLES]
    content = np.stack([resize_to(data.bundled_image(c), size, size) for c, _ in pairs]) / 127.5 - 1.0
    style = np.stack([resize_to(data.bundled_image(s), size, size) for _, s in pairs]) / 127.5 - 1.0
    content, style = tf.constant(content, tf.float32), tf.constant(style, tf.float32)
    output = tf.clip_by_value(generator((content, style)), -1.0, 1.0)
    content_f, style_f = encoder(content), encoder(style)
    target = adain(content_f["relu4_1"], style_f["relu4_1"])

    def term(name, o, c, s, t):
        if name == "content":
            return losses.content_loss(encoder(o)["relu4_1"], t)
        if name == "style":
            return losses.style_loss(encoder(o), encoder(s))
        if name == "colour":
            return losses.colour_loss(o, s)
        if name == "tv":
            return losses.total_variation(o)
        return losses.patch_generator_loss(discriminator(o))

    def gradient(name, dy=0, dx=0):
        """w dL/do (B, H, W, 3) with the loss read on o[:, dy:, dx:] cropped to a multiple of 8."""
        h = (size - dy) // 8 * 8
        w = (size - dx) // 8 * 8
        with tf.GradientTape() as tape:
            tape.watch(output)
            o = output[:, dy:dy + h, dx:dx + w]
            if name == "content":  # the target lives on the unshifted lattice: read it unshifted
                o, t = output, target
            else:
                t = None
            value = weights[name] * term(name, o, content[:, dy:dy + h, dx:dx + w], style[:, dy:dy + h, dx:dx + w], t)
        return tape.gradient(value, output).numpy()

    def read(g):
        g = g[:, 8:-8, 8:-8]  # leave out the border band the shifted crops leave unseen
        peaks = [np.maximum(0.0, prominence(gi.sum(axis=-1))).mean() for gi in g]
        per_period = np.mean([np.maximum(0.0, prominence(gi.sum(axis=-1))).mean(axis=0) for gi in g], axis=0)
        return {"rms": float(np.sqrt(np.mean(g**2))), "peak": round(float(np.mean(peaks)), 3),
                "peak_per_period": [round(float(p), 3) for p in per_period]}

    shifts = [(dy, dx) for dy in range(args.shifts) for dx in range(args.shifts)]
    report = {"size": size, "pairs": pairs, "weights": weights, "shifts": shifts, "terms": {}}
    total, total_shifted = 0.0, 0.0
    for name in weights:
        g = gradient(name)
        shifted = np.mean([gradient(name, dy, dx) for dy, dx in shifts], axis=0)
        total, total_shifted = total + g, total_shifted + shifted
        report["terms"][name] = {"fixed": read(g), "shifted": read(shifted)}
        print(name, json.dumps(report["terms"][name]), flush=True)
    report["terms"]["total"] = {"fixed": read(total), "shifted": read(total_shifted)}
    print("total", json.dumps(report["terms"]["total"]))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
