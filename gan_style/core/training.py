"""What the trainers share: Mean trackers for reported scalars, distribution-aware gradient
steps, a seed generator owned by the model; for adversarial ones, two optimizers and an EMA
generator, and a jitted training loop for the JAX backend (`fit_stateless`); and the end of every
run (`finish_run`: save float32, evaluate, write the manifest)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from keras import ops

from gan_style.core import manifests

log = logging.getLogger(__name__)


def finish_run(
    out_dir: str | Path,
    networks: dict[str, keras.Model],
    *,
    start: float,
    evaluate: Callable[[dict[str, keras.Model]], dict] | None = None,
    **fields,
) -> dict:
    """The last steps of every trainer, in this order, in a new folder beside `out_dir` (same
    filesystem) that replaces it only once it is complete:

    1. the global dtype policy goes back to float32 and each of `networks` ({file name: model}) is
       saved as `<file>` in float32 (`manifests.save_model`), whatever precision trained it;
    2. `evaluate(saved)`, on those files reloaded (what ships is what is measured), returns
       manifest fields, e.g. {"metrics": {...}} (none when `evaluate` is None);
    3. MANIFEST.json gets `fields`, the evaluation's fields, `wall_time_s` since `start`
       (`time.time()` when the run began), the provenance (commit, library versions, schema) and the
       sha256 of every saved file (`manifests.write_manifest`);
    4. the folder takes `out_dir`'s place (`_replace_folder`): an existing `out_dir` keeps its
       other files (loss curves, sample grids), not its old networks or manifest.
    If any step fails, `out_dir` is left as it was (an existing checkpoint still verifies and
    loads). Networks already saved are kept, unverified, in `<out_dir>.unfinished/` (a failed
    evaluation must not cost the training run); otherwise the new folder is removed. Returns the
    manifest.
    """
    keras.mixed_precision.set_global_policy("float32")
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    saved = {}
    try:
        for file, model in networks.items():
            manifests.save_model(model, staging / file)
        saved = {file: keras.saving.load_model(staging / file, compile=False, safe_mode=True) for file in networks}
        evaluated = evaluate(saved) if evaluate is not None else {}
        manifest = manifests.write_manifest(staging, list(saved), **{"name": out_dir.name, **fields},
                                            wall_time_s=round(time.time() - start, 1), **evaluated)
        os.chmod(staging, 0o755)
        _replace_folder(staging, out_dir, replaced={manifests.MANIFEST, *networks})
    except BaseException:
        if saved:
            kept = out_dir.with_name(out_dir.name + ".unfinished")
            shutil.rmtree(kept, ignore_errors=True)
            staging.rename(kept)
            log.error("the run's networks are kept, unverified and with no manifest, in %s", kept)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it took out_dir's place
    return manifest


def _replace_folder(new: Path, old: Path, replaced: set[str]) -> None:
    """Put the complete folder `new` in `old`'s place: the entries of an existing `old` that are
    not in `replaced` nor listed in its manifest move into `new` first; then `old` is renamed
    aside, `new` renamed in and the old folder removed (each rename is atomic on one filesystem)."""
    if not old.exists():
        new.rename(old)
        return
    try:
        replaced = replaced | set(manifests.read_manifest(old).get("files", {}))
    except manifests.CheckpointError:
        pass  # no (readable) manifest: every file but the new ones is kept
    for entry in old.iterdir():
        if entry.name not in replaced and not (new / entry.name).exists():
            entry.rename(new / entry.name)
    aside = Path(tempfile.mkdtemp(prefix=f".{old.name}.old-", dir=old.parent))
    old.rename(aside / old.name)
    new.rename(old)
    shutil.rmtree(aside, ignore_errors=True)


def linear_decay(learning_rate: float, steps: int, enabled: bool = True):
    """The learning rate decayed linearly to 0 over `steps` optimizer steps, or as given when not
    `enabled`."""
    return keras.optimizers.schedules.PolynomialDecay(learning_rate, steps, 0.0) if enabled else learning_rate


class TrackedModel(keras.Model):
    """A trainer that reports the scalars named in `tracked` through `keras.metrics.Mean` trackers
    (so `fit` prints them) and owns a `SeedGenerator` for its randomness."""

    tracked: tuple[str, ...] = ()

    def __init__(self, *, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def minimize(self, tape, loss, optimizer, variables) -> None:
        """One optimizer step on `variables` from a tape that recorded `loss` (a replica's mean).

        Under tf.distribute the gradients of all replicas are summed, so the loss is divided by
        the number of replicas first; a LossScaleOptimizer scales and unscales for float16.
        """
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        # d(scale * loss / replicas)/dw = (scale / replicas) * dloss/dw: the factor is passed as
        # the upstream gradient, so the tape needs nothing recorded beyond `loss`.
        factor = optimizer.scale_loss(tf.constant(1.0 / replicas, loss.dtype))
        grads = tape.gradient(loss, variables, output_gradients=factor)
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    def track(self, values: dict) -> dict:
        """Update the Mean trackers from `values` and return every tracker's current result."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class AdversarialTrainer(TrackedModel):
    """Base trainer holding `generator`, `discriminator` and an optional EMA copy of the generator.

    Subclasses implement `train_step` with `self.minimize(...)` per network and report scalars
    through `self.track(...)`; `fit` then prints them in Keras' progress bar.

    ema_decay: 0 disables the EMA; else after generator step t (from 0)
        d_t = min(ema_decay, (1 + t) / (10 + t)),   w_ema <- d_t * w_ema + (1 - d_t) * w
    for every generator weight (the warm-up keeps the first, untrained weights from lingering in
    short runs), and `ema_generator` (refreshed by `sync_ema()`) is the network to sample from.
    """

    def __init__(self, generator, discriminator, *, ema_decay: float = 0.0, seed: int = 0, **kwargs):
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.ema_decay = ema_decay
        if ema_decay:
            # One variable per generator weight, updated in replica context: ONLY_FIRST_REPLICA
            # makes the (identical) update legal under MirroredStrategy.
            self._ema_weights = [
                keras.Variable(
                    ops.convert_to_tensor(w), trainable=False, name=f"ema_{i}",
                    aggregation="only_first_replica",
                )
                for i, w in enumerate(generator.weights)
            ]
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        # Every variable exists now (the networks are built functional models), so the trainer
        # is built: BackupAndRestore can restore into it before the first step.
        self.built = True

    def compile(self, d_optimizer, g_optimizer, loss_fn=None, **kwargs):
        """Two optimizers, each updating only its own network; `loss_fn(targets, logits)` optional.

        The generator's optimizer doubles as the model's `optimizer` (Keras would otherwise add an
        unused RMSprop that BackupAndRestore builds over every weight).
        """
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        super().compile(optimizer=g_optimizer, **kwargs)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
        # Built here, inside the caller's strategy scope: otherwise MirroredStrategy fails in fit
        # with "You must feed a value for placeholder tensor" (see docs/design.md, pitfalls).
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def call(self, inputs, training=False):
        """D's logits for a batch of images: `fit` calls this on a data batch to build the
        trainer under a strategy ("Unable to automatically build the model" otherwise)."""
        return self.discriminator(inputs, training=training)

    def update_ema(self) -> None:
        """w_ema <- d_t * w_ema + (1 - d_t) * w for every generator weight (call after G's step)."""
        if not self.ema_decay:
            return
        t = ops.cast(self.g_optimizer.iterations, "float32") - 1.0  # the step just taken
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for ema, weight in zip(self._ema_weights, self.generator.weights, strict=True):
            ema.assign(decay * ema + (1.0 - decay) * ops.cast(weight, ema.dtype))

    def sync_ema(self) -> keras.Model:
        """Copy the EMA weights into `ema_generator` and return the generator to sample from."""
        if not self.ema_decay:
            return self.generator
        for target, ema in zip(self.ema_generator.weights, self._ema_weights, strict=True):
            target.assign(ema)
        return self.ema_generator


def fit_stateless(trainer: AdversarialTrainer, batches, steps: int, *, log_every: int = 100,
                  callbacks: list | None = None) -> dict[str, list[float]]:
    """Train `trainer` for `steps` on the JAX backend, where Keras' `fit` cannot drive two
    optimizers (the GPU machine has JAX and no TensorFlow).

    The trainer provides `losses_of(batch, training) -> (g_loss, parts, d_loss)`, all keras.ops;
    each step evaluates it once (one forward, as `StyleTrainer.train_step` under two tapes) and
    updates both networks from that forward: G by d g_loss / d theta_G, D by d d_loss / d theta_D,
    each with its own optimizer (`stateless_apply`), in one jitted function that takes and returns
    the weights and optimizer states. `batches` yields (content, style) numpy batches.

    Every `log_every` steps (an "epoch" for `callbacks`: CSVLogger, LossCurves, TimeLimit) the
    weights are written back into the Keras variables, the window's mean of every reported scalar
    ("loss", the parts, "d_loss") goes to `on_epoch_end`, and the run stops early if a callback set
    `trainer.stop_training`. Returns those means per window, as Keras' history.
    """
    import jax
    import jax.numpy as jnp

    g_vars, d_vars = trainer.generator.trainable_variables, trainer.discriminator.trainable_variables
    trained = {id(v) for v in g_vars + d_vars}
    fixed = [v for v in trainer.non_trainable_variables if id(v) not in trained]
    g_opt, d_opt = trainer.g_optimizer, trainer.d_optimizer
    updated = (g_vars, d_vars, g_opt.variables, d_opt.variables)

    def losses(g_values, d_values, fixed_values, batch):
        mapping = [*zip(g_vars + d_vars + fixed, [*g_values, *d_values, *fixed_values], strict=True)]
        with keras.StatelessScope(state_mapping=mapping):
            g_loss, parts, d_loss = trainer.losses_of(batch, training=True)
        return (g_loss, d_loss), parts

    @jax.jit
    def step(g_values, d_values, g_state, d_state, fixed_values, batch):
        (g_loss, d_loss), pullback, parts = jax.vjp(
            lambda g, d: losses(g, d, fixed_values, batch), g_values, d_values, has_aux=True)
        g_grads = pullback((jnp.ones_like(g_loss), jnp.zeros_like(d_loss)))[0]
        d_grads = pullback((jnp.zeros_like(g_loss), jnp.ones_like(d_loss)))[1]
        g_values, g_state = g_opt.stateless_apply(g_state, g_grads, g_values)
        d_values, d_state = d_opt.stateless_apply(d_state, d_grads, d_values)
        return g_values, d_values, g_state, d_state, {"loss": g_loss, **parts, "d_loss": d_loss}

    callbacks = keras.callbacks.CallbackList(callbacks, model=trainer)
    state = [[v.value for v in variables] for variables in updated]
    fixed_values = [v.value for v in fixed]
    history: dict[str, list[float]] = {}
    window: list[dict] = []
    trainer.stop_training = False
    callbacks.on_train_begin()
    iterator = iter(batches)
    for index in range(steps):
        *state, reported = step(*state, fixed_values, tuple(np.asarray(x) for x in next(iterator)))
        window.append(reported)
        if len(window) < log_every and index < steps - 1:
            continue
        for variables, values in zip(updated, state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)
        means = {k: float(np.mean([float(r[k]) for r in window])) for k in window[0]}
        for k, v in means.items():
            history.setdefault(k, []).append(v)
        callbacks.on_epoch_end(len(history["loss"]) - 1, means)
        window = []
        if trainer.stop_training:
            break
    callbacks.on_train_end()
    return history
