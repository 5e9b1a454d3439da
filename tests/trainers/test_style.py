"""Style trainer: the named loss components are tracked and go down on a tiny fixed pair."""

import numpy as np
import tensorflow as tf

from gan_style import data
from gan_style.trainers.style import StyleConfig, build_style_trainer


def test_loss_decreases_on_a_tiny_fixed_pair():
    config = StyleConfig(width=4, crop_size=32, batch_size=2, learning_rate=1e-3, seed=3)
    content = data.random_crops([data.bundled_image("astronaut")], 32, 2, seed=0)
    style = data.random_crops([data.bundled_image("brick")], 32, 2, seed=1)
    pair = tf.data.Dataset.from_tensors((content, style)).repeat()
    trainer = build_style_trainer(config)
    history = trainer.fit(pair, epochs=6, steps_per_epoch=10, verbose=0).history
    assert set(history) == {"loss", "content", "style", "tv", "adversarial", "d_loss"}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["style"][-1] < history["style"][0]
    assert all(np.isfinite(v).all() for v in history.values())
    # only the decoder and D trained: the encoder kept its weights
    assert not trainer.encoder.trainable_weights
