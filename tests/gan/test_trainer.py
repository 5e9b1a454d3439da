import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_style.gan.trainer import DCGANConfig, DCGANTrainer, build_dcgan_trainer

TINY = dict(latent_dim=8, base_filters=4, batch_size=8, batchnorm=False)


def _real_batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    images = -np.ones((n, 28, 28, 1), np.float32)
    for i in range(n):  # bright vertical bars: something D can learn to recognise
        x = rng.integers(6, 22)
        images[i, 4:24, x - 2 : x + 2] = 1.0
    return images


def _weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def _changed(before, model):
    return [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights, strict=True)]


@pytest.mark.parametrize("frozen", ["generator", "discriminator"])
def test_each_optimizer_updates_only_its_own_network(frozen):
    config = DCGANConfig(**TINY, ema_decay=0.0)
    config.g_learning_rate = 0.0 if frozen == "generator" else 1e-3
    config.d_learning_rate = 0.0 if frozen == "discriminator" else 1e-3
    trainer = build_dcgan_trainer(config)
    g0, d0 = _weights(trainer.generator), _weights(trainer.discriminator)
    logs = trainer.train_step(tf.constant(_real_batch()))
    g_changed, d_changed = _changed(g0, trainer.generator), _changed(d0, trainer.discriminator)
    if frozen == "generator":
        assert not any(g_changed) and all(d_changed)
    else:
        assert not any(d_changed) and all(g_changed)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0.0 <= float(logs["d_real"]) <= 1.0 and 0.0 <= float(logs["d_fake"]) <= 1.0


def test_both_networks_change_in_a_normal_step():
    trainer = build_dcgan_trainer(DCGANConfig(**TINY))
    g0, d0 = _weights(trainer.generator), _weights(trainer.discriminator)
    trainer.train_step(tf.constant(_real_batch()))
    assert all(_changed(g0, trainer.generator)) and all(_changed(d0, trainer.discriminator))


def test_discriminator_loss_goes_down_on_a_tiny_fixed_batch():
    config = DCGANConfig(**TINY, ema_decay=0.0, g_learning_rate=0.0, d_learning_rate=2e-3)
    trainer = build_dcgan_trainer(config)
    real = tf.constant(_real_batch())
    losses = [float(trainer.train_step(real)["d_loss"]) for _ in range(40)]
    trainer.trackers["d_loss"].reset_state()
    last = float(trainer.train_step(real)["d_loss"])
    assert last < 0.5 * losses[0], (losses[0], last)


def test_fit_under_mirrored_strategy_on_two_logical_cpus():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        trainer = build_dcgan_trainer(DCGANConfig(**{**TINY, "batchnorm": True}, ema_decay=0.9))
    g0 = _weights(trainer.generator)
    ema0 = [w.numpy().copy() for w in trainer._ema_weights]
    dataset = tf.data.Dataset.from_tensor_slices(_real_batch(32)).batch(8, drop_remainder=True)
    history = trainer.fit(dataset, epochs=2, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all() and np.isfinite(history.history["g_loss"]).all()
    assert all(_changed(g0, trainer.generator))
    assert not np.array_equal(ema0[0], trainer._ema_weights[0].numpy())


def test_ema_follows_the_update_rule_with_warm_up():
    trainer = build_dcgan_trainer(DCGANConfig(**TINY, ema_decay=0.75))
    for step in range(30):
        ema_before = [v.numpy().copy() for v in trainer._ema_weights]
        trainer.train_step(tf.constant(_real_batch()))
        decay = min(0.75, (1 + step) / (10 + step))  # warm-up, then the configured decay
        for before, ema, weight in zip(ema_before, trainer._ema_weights, trainer.generator.weights, strict=True):
            expected = decay * before + (1 - decay) * weight.numpy()
            np.testing.assert_allclose(ema.numpy(), expected, rtol=1e-5, atol=1e-6)
    sampler = trainer.sync_ema()
    assert sampler is trainer.ema_generator
    z = np.zeros((2, 8), np.float32)
    assert not np.allclose(sampler(z).numpy(), trainer.generator(z, training=False).numpy())


def test_jit_compiled_step_runs_and_matches_shapes():
    trainer = build_dcgan_trainer(DCGANConfig(**TINY, jit_compile=True))
    dataset = tf.data.Dataset.from_tensor_slices(_real_batch(16)).batch(8, drop_remainder=True)
    history = trainer.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][0])


def test_killed_run_resumes_from_its_backup(tmp_path):
    dataset = tf.data.Dataset.from_tensor_slices(_real_batch(16)).batch(8, drop_remainder=True)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.weights = [w.numpy().copy() for w in self.model.weights]
                raise KeyboardInterrupt("killed")

    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            if not self.epochs:
                self.first_weights = [w.numpy().copy() for w in self.model.weights]
            self.epochs.append(epoch)

    kill = Kill()
    first = build_dcgan_trainer(DCGANConfig(**TINY))
    with pytest.raises(KeyboardInterrupt):
        first.fit(dataset, epochs=4, verbose=0, callbacks=[backup, kill])

    record = Record()
    second = build_dcgan_trainer(DCGANConfig(**TINY))  # a fresh process would rebuild the same
    resumed_backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    second.fit(dataset, epochs=4, verbose=0, callbacks=[resumed_backup, record])
    assert record.epochs == [2, 3]
    # every variable (both networks, EMA, optimizer-independent state) resumes as it was
    for saved, restored in zip(kill.weights, record.first_weights, strict=True):
        np.testing.assert_array_equal(saved, restored)
    assert second.d_optimizer.iterations.numpy() == 4 * 2


def test_trainer_rejects_bad_ema_decay():
    with pytest.raises(ValueError, match="got 1.0"):
        DCGANTrainer(None, None, ema_decay=1.0)


def test_lr_decay_reaches_zero_at_the_last_step():
    config = DCGANConfig(**TINY, lr_decay=True, epochs=2, g_learning_rate=4e-4, d_learning_rate=2e-4)
    trainer = build_dcgan_trainer(config, steps_per_epoch=5)
    assert float(trainer.g_optimizer.learning_rate) == pytest.approx(4e-4)
    for optimizer, start in ((trainer.g_optimizer, 4e-4), (trainer.d_optimizer, 2e-4)):
        optimizer.iterations.assign(5)
        assert float(optimizer.learning_rate) == pytest.approx(start / 2)
        optimizer.iterations.assign(10)
        assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
