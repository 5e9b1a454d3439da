"""What the trainers share: Mean trackers for reported scalars, distribution-aware gradient
steps, a seed generator owned by the model; for adversarial ones, two optimizers and an EMA
generator; and the end of every run (`finish_run`: save float32, evaluate, write the manifest)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf
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
