"""Fusion-style generator trainer: an AdaIN decoder on the frozen encoder, plus a PatchGAN."""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from gan_style.core import checkpoints, data, losses, runtime
from gan_style.core.callbacks import LossCurves, TimeLimit
from gan_style.core.io import read_rgb_folder
from gan_style.core.training import AdversarialTrainer, finish_run, fit_stateless, linear_decay
from gan_style.gan.discriminator import build_patchgan_discriminator
from gan_style.style.configs import StyleConfig
from gan_style.style.eval import evaluate_style, style_pairs_grid
from gan_style.style.fusion_generator import SKIP_LEVELS, FusionGenerator, adain

BACKUP_STEPS = 250  # the most steps in one epoch: what a killed CPU run can lose (12-17 min at 256 px)


class StyleTrainer(AdversarialTrainer):
    """Trains `fusion_generator.decoder` (the only trainable part) with a PatchGAN on style crops.

    Batches are (content, style), RGB in [-1, 1]. With t = AdaIN(E(c), E(s)) at relu4_1 and the
    output o = Dec(t) (with skips, Dec also takes AdaIN(E(c)_l, E(s)_l) of the lower levels l):
        L_G = w_c * ||E(o)_4 - t||^2 + w_st * sum_{l in structure_levels} ||IN(E(o)_l) - IN(E(c)_l)||^2
              + w_s * sum_l (||mu(E(o)_l) - mu(E(s)_l)||^2
              + ||sigma(E(o)_l) - sigma(E(s)_l)||^2) + w_col * SW_2(colours(o), colours(s))
              + w_tv * TV(o) + w_ph * L_phase(o) + w_adv * L_adv(D(o))
              + w_id * mean|Dec(E(c)_4) - c|
        L_D = PatchGAN loss, style crops real, outputs fake.
    L_phase (`losses.lattice_phase_loss`) penalises pixels paired on the even/odd lattice: the
    mesh an x2 upsampling draws when the decoder renders texture at half resolution.
    With `adversarial_shift` k > 0 the batches carry a third element, shifts (4,) int in [0, k):
    D reads o[dy_o:, dx_o:] and s[dy_s:, dx_s:], each cropped by k px (`lattice_crop`). D's
    strided convolutions give dL_adv/do a lattice of periods 2-16 px (measured:
    experiments/style_gradient_grid.py); a new shift per step averages it out of what the decoder
    learns (the translation of Zhao et al. 2020's DiffAugment, on both D inputs).
    The identity term (Park & Lee 2019's identity loss, pixel part; AdaIN(E(c), E(c)) = E(c)) asks
    the decoder to render the content back: it keeps edges that relu4_1 alone lets blur.
    """

    tracked = ("loss", "content", "structure", "style", "colour", "tv", "phase", "adversarial", "identity", "d_loss")

    def __init__(self, fusion_generator: FusionGenerator, discriminator, config: StyleConfig, **kwargs):
        super().__init__(fusion_generator.decoder, discriminator, seed=config.seed, **kwargs)
        self.fusion_generator, self.encoder = fusion_generator, fusion_generator.encoder
        self.weights_ = {k: getattr(config, f"{k}_weight")
                         for k in ("content", "structure", "style", "colour", "tv", "phase", "adversarial", "identity")}
        self.structure_levels = tuple(config.structure_levels.split(","))
        self.adversarial_shift = config.adversarial_shift

    def losses_of(self, batch, training):
        """(L_G, {part: value}, L_D) of a (content, style) batch; keras.ops only, so the same code
        trains under TensorFlow's tapes (`train_step`) and JAX's `fit_stateless`."""
        content, style = batch[:2]  # (content, style) from a dataset, (x, y, None) from train_on_batch
        style_features, content_features = self.encoder(style), self.encoder(content)
        levels = self.fusion_generator.levels
        fused = {level: adain(content_features[level], style_features[level]) for level in levels}
        target = fused["relu4_1"]
        output = self.fusion_generator.decode(fused, training=training)
        output_features = self.encoder(output)
        shifts = batch[2] if len(batch) > 2 and batch[2] is not None else None
        margin = self.adversarial_shift if shifts is not None else 0
        fake_logits = self.discriminator(lattice_crop(output, shifts, 0, margin), training=training)
        zero = ops.zeros((), "float32")
        parts = {
            "content": losses.content_loss(output_features["relu4_1"], target),
            "structure": losses.structure_loss(output_features, content_features, self.structure_levels),
            "style": losses.style_loss(output_features, style_features),
            "colour": losses.colour_loss(output, style) if self.weights_["colour"] else zero,
            "tv": losses.total_variation(output),
            "phase": losses.lattice_phase_loss(output) if self.weights_["phase"] else zero,
            "adversarial": losses.patch_generator_loss(fake_logits),
            "identity": zero,
        }
        if self.weights_["identity"]:
            reconstruction = self.fusion_generator.decode({k: content_features[k] for k in levels}, training=training)
            parts["identity"] = ops.mean(ops.abs(ops.cast(reconstruction, "float32") - content))
        total = sum(self.weights_[k] * v for k, v in parts.items())
        real_logits = self.discriminator(lattice_crop(style, shifts, 2, margin), training=training)
        d_loss = losses.patch_discriminator_loss(real_logits, fake_logits)
        return total, parts, d_loss

    def train_step(self, data):
        import tensorflow as tf  # Keras' fit on the TensorFlow backend; `fit_stateless` on JAX

        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            total, parts, d_loss = self.losses_of(data, training=True)
        self.minimize(g_tape, total, self.g_optimizer, self.generator.trainable_variables)
        self.minimize(d_tape, d_loss, self.d_optimizer, self.discriminator.trainable_variables)
        return self.track({"loss": total, **parts, "d_loss": d_loss})

    def test_step(self, data):
        total, parts, d_loss = self.losses_of(data, training=False)
        return self.track({"loss": total, **parts, "d_loss": d_loss})


def lattice_crop(images, shifts, first: int, margin: int):
    """images (B, H, W, C) -> (B, H - margin, W - margin, C) from row shifts[first] and column
    shifts[first + 1] (ints in [0, margin)); as given when `margin` is 0. keras.ops (a dynamic
    slice under jit)."""
    if not margin:
        return images
    shape = ops.shape(images)
    start = (0, shifts[first], shifts[first + 1], 0)
    return ops.slice(images, start, (shape[0], shape[1] - margin, shape[2] - margin, shape[3]))


def build_style_trainer(config: StyleConfig) -> StyleTrainer:
    """The trainer of `config`: fresh networks, or with `config.init` the weights of a checkpoint
    folder (sha256-verified; its decoder must have the same width and skips); fresh optimizers."""
    generator = FusionGenerator(config.width, "adain", config.encoder_weights, skips=config.skips,
                                encoder_padding=config.encoder_padding)
    discriminator = build_patchgan_discriminator(3, config.discriminator_filters)
    if config.init:
        discriminator.set_weights(checkpoints.load_model(config.init, "discriminator.keras").get_weights())
        generator.decoder.set_weights(kept_weights(checkpoints.load_model(config.init, "decoder.keras"),
                                                  generator.levels))
    trainer = StyleTrainer(generator, discriminator, config)

    trainer.compile(
        d_optimizer=keras.optimizers.Adam(linear_decay(config.d_learning_rate, config.steps, config.lr_decay),
                                          beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(linear_decay(config.learning_rate, config.steps, config.lr_decay)),
    )
    return trainer


def trainer_from_backup(config: StyleConfig, work_dir: str | Path | None = None) -> StyleTrainer:
    """The trainer of a resumable run (`train_style(work_dir=...)`), built from the run's config
    (its flags through `train.parse_config`) in float32 and without `init`; with `work_dir`, its
    networks and optimizer states from the run's last backup (work_dir/backup/latest.weights.h5).
    `trainer.fusion_generator` then renders as the run would at that step."""
    trainer = build_style_trainer(dataclasses.replace(config, precision="float32", init=""))
    if work_dir is not None:
        weights = Path(work_dir) / "backup" / "latest.weights.h5"
        if not weights.exists():
            raise FileNotFoundError(f"no backup weights at {weights}")
        trainer.load_weights(str(weights))
    return trainer


def kept_weights(decoder: keras.Model, levels: tuple[str, ...]) -> list:
    """The weights of `decoder` for a decoder of the same width that fuses `levels`: those of its
    skips into other levels dropped (a decoder with more skips starts one with fewer)."""
    dropped = {f"skip_{level}" for level in SKIP_LEVELS if level not in levels}
    return [w for layer in decoder.layers if layer.name not in dropped for w in layer.get_weights()]


def folder_pictures(directory: str | Path | None) -> list[np.ndarray]:
    """Every readable image of `directory` as uint8 RGB (unreadable ones are skipped with a warning)."""
    return list(read_rgb_folder(directory).values()) if directory else []


def recolour(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A style crop (S, S, 3) in [-1, 1] with its hue rotated by u ~ U(-1/2, 1/2) turn and its
    saturation scaled by 2^v, v ~ U(-1, 1) (clipped to [0, 1]): the same picture in another
    palette. A few bundled pictures give the decoder few palettes; AdaIN must render any style's
    statistics."""
    from skimage.color import hsv2rgb, rgb2hsv

    hsv = rgb2hsv(np.clip((crop + 1.0) / 2.0, 0.0, 1.0))
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-0.5, 0.5)) % 1.0
    hsv[..., 1] = np.clip(hsv[..., 1] * 2.0 ** rng.uniform(-1.0, 1.0), 0.0, 1.0)
    return (hsv2rgb(hsv) * 2.0 - 1.0).astype(np.float32)


class StyleBatches:
    """(content, style) batches (B, S, S, 3) float32 in [-1, 1] drawn from two crop arrays, numpy
    only (any Keras backend). Batch `step` is fixed by (`seed`, `step`): B content and B style
    crops drawn with replacement, each style crop recoloured (`recolour`) with probability
    `jitter`; with `shift` k > 0 also the discriminator's lattice shifts, int32 (4,) uniform in
    [0, k) (`StyleTrainer`). Iterating yields batches 0, 1, 2, ... without end."""

    def __init__(self, content: np.ndarray, style: np.ndarray, batch_size: int, jitter: float = 0.0,
                 seed: int = 0, shift: int = 0):
        self.content, self.style, self.batch_size, self.jitter, self.seed = content, style, batch_size, jitter, seed
        self.shift = shift

    def __getitem__(self, step: int) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng((self.seed, step))
        content = self.content[rng.integers(len(self.content), size=self.batch_size)]
        style = self.style[rng.integers(len(self.style), size=self.batch_size)]
        recoloured = rng.random(self.batch_size) < self.jitter
        for i in np.flatnonzero(recoloured):
            style[i] = recolour(style[i], rng)
        if self.shift:
            return content, style, rng.integers(self.shift, size=4).astype(np.int32)
        return content, style

    def __iter__(self):
        return self.iterate()

    def iterate(self, start: int = 0):
        """Batches start, start + 1, ... without end (a resumed run goes on where it stopped)."""
        return (self[step] for step in itertools.count(start))


def style_dataset(config: StyleConfig, content_dir=None, style_dir=None) -> tuple[StyleBatches, str]:
    """Endless (content, style) batches of `config` (`StyleBatches`) and a description of their source.

    Content: the training photos of `config.pictures` ("" = none; not the bundled textures) and
    those of `content_dir`; style: all of those, the bundled textures, the `config.style_sources`
    and `style_dir`. `config.num_crops`
    random crops a side at 4 scales, flipped half the time (`data.random_crops`); style crops come
    from a wider scale range, so textures appear at several sizes; with `config.style_jitter`,
    some are recoloured.
    """
    pictures = data.training_pictures(config.pictures) if config.pictures else {}
    photos = {k: v for k, v in pictures.items() if k not in data.BUNDLED_TEXTURES}
    more_photos = folder_pictures(content_dir)
    contents = list(photos.values()) + more_photos
    style_only = data.style_pictures(config.style_sources)
    styles = list(pictures.values()) + more_photos + list(style_only.values()) + folder_pictures(style_dir)
    content = data.random_crops(contents, config.crop_size, config.num_crops, config.seed)
    style = data.random_crops(styles, config.crop_size, config.num_crops, config.seed + 1, scales=(0.25, 1.0))
    source = f"content: {data.describe_pictures(photos)}"
    source += f" + {data.describe_folder(content_dir)}" if content_dir else ""
    source += f" | style: {data.describe_pictures({**pictures, **style_only})}"
    source += f" + {data.describe_folder(style_dir)}" if style_dir else ""
    batches = StyleBatches(content, style, config.batch_size, config.style_jitter, config.seed + 2,
                           shift=config.adversarial_shift)
    return batches, source


def train_style(config: StyleConfig, out_dir: str | Path, content_dir=None, style_dir=None,
                time_limit_minutes: float | None = None, command: str = "", verbose: int = 2,
                evaluate: bool = True, work_dir: str | Path | None = None) -> dict:
    """Train, then write `out_dir` (`finish_run`): decoder.keras and discriminator.keras in float32,
    samples.png, loss_curves.png and MANIFEST.json (with the style metrics on the held-out pairs).
    With `work_dir`, networks and optimizers are backed up there at every epoch end (a twentieth
    of the steps, at most BACKUP_STEPS), and a killed run started again with the same command
    resumes from the last backup, on the batches after it; the work dir also keeps log.csv. On
    Keras' JAX backend (the GPU machine) the same steps run in `fit_stateless`, without the backup
    (chain runs with `config.init`). Returns the manifest."""
    start = time.time()
    config = dataclasses.replace(config, precision=runtime.configure(precision=config.precision))
    keras.utils.set_random_seed(config.seed)
    dataset, source = style_dataset(config, content_dir, style_dir)
    trainer = build_style_trainer(config)
    out_dir = Path(out_dir)
    steps_per_epoch = max(1, min(config.steps // 20, BACKUP_STEPS))
    epochs = -(-config.steps // steps_per_epoch)
    callbacks = [LossCurves(out_dir / "loss_curves.png", "fusion-style decoder")]
    if time_limit_minutes:
        callbacks.append(TimeLimit(time_limit_minutes))
    if work_dir:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        callbacks.append(keras.callbacks.CSVLogger(str(Path(work_dir) / "log.csv"), append=True))
    if keras.backend.backend() == "jax":  # no resuming: one GPU call is one run; chain runs with `init`
        history = fit_stateless(trainer, dataset, steps_per_epoch * epochs, log_every=steps_per_epoch,
                                callbacks=callbacks)
    else:
        first_epoch = 0
        if work_dir:
            backup = Path(work_dir) / "backup"
            callbacks.insert(0, keras.callbacks.BackupAndRestore(str(backup)))
            if (backup / "training_metadata.json").exists():  # where BackupAndRestore will resume
                first_epoch = json.loads((backup / "training_metadata.json").read_text())["epoch"]
        history = trainer.fit(dataset.iterate(first_epoch * steps_per_epoch), epochs=epochs,
                              steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=verbose,
                              shuffle=False).history
    steps = int(ops.convert_to_numpy(trainer.g_optimizer.iterations))
    final = {"final_losses": {k: round(float(v[-1]), 4) for k, v in history.items()}}
    init_record = {}
    if config.init:  # provenance: which weights the run started from (top level, as the quality trainer's)
        started = checkpoints.read_manifest(config.init)
        init_record["init"] = {"checkpoint": str(config.init), "files": started.get("files"),
                               "steps": started.get("steps")}

    def measure(saved):
        metrics = dict(final)
        if evaluate:
            generator = FusionGenerator(config.width, "adain", config.encoder_weights, decoder=saved["decoder.keras"],
                                        skips=config.skips, encoder_padding=config.encoder_padding)
            metrics.update(held_out_metrics(generator, out_dir))
        return {"metrics": metrics}

    return finish_run(
        out_dir, {"decoder.keras": trainer.generator, "discriminator.keras": trainer.discriminator},
        start=start, evaluate=measure,
        command=command, data_source=source, seed=config.seed, steps=steps, epochs=len(history["loss"]),
        device=runtime.device_name(), config=config.to_dict(), **init_record,
    )


def held_out_metrics(generator: FusionGenerator, out_dir: str | Path) -> dict:
    """The style metrics a checkpoint's manifest carries: `evaluate_style` of AdaIN at alpha 1 on
    the held-out pairs at 256 and 512 px; also writes `out_dir`/samples.png (`style_pairs_grid`)."""
    metrics = evaluate_style({"ours adain 1.0": (generator, 1.0, "adain")}, sizes=(256, 512))
    style_pairs_grid(generator, Path(out_dir) / "samples.png")
    return metrics


def record_held_out_metrics(checkpoint: str | Path, command: str) -> dict:
    """Measure a checkpoint written without its metrics (`--no-evaluate`, e.g. trained on the GPU
    machine, where they cannot run) as `train_style` would have, and write them into its
    manifest's "metrics" (the run's own entries, such as final_losses, kept). Returns the metrics."""
    directory = checkpoints.resolve(checkpoint)
    metrics = {**checkpoints.read_manifest(directory).get("metrics", {}),
               **held_out_metrics(FusionGenerator.from_pretrained(str(directory)), directory)}
    checkpoints.update_manifest(directory, {"metrics": metrics}, what="held-out style metrics measured",
                                command=command)
    return metrics
