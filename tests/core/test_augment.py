import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_style.core import augment


def test_parse_policy():
    assert augment.parse_policy("translation, cutout") == ("translation", "cutout")
    assert augment.parse_policy("") == ()
    with pytest.raises(ValueError, match="color"):
        augment.parse_policy("color")


def test_translation_shifts_content_and_fills_background():
    image = -np.ones((1, 8, 8, 1), np.float32)
    image[0, 3, 4, 0] = 1.0
    seed = keras.random.SeedGenerator(3)
    shifted = [augment.translate(image, seed, ratio=0.25).numpy() for _ in range(20)]
    for out in shifted:
        assert out.shape == image.shape
        assert sorted(np.unique(out)) == [-1.0, 1.0] and (out == 1.0).sum() == 1
        y, x = np.argwhere(out[0, ..., 0] == 1.0)[0]
        assert abs(y - 3) <= 2 and abs(x - 4) <= 2
    assert len({tuple(np.argwhere(o == 1.0)[0]) for o in shifted}) > 1


def test_cutout_blanks_one_square_per_image():
    images = np.ones((4, 16, 16, 1), np.float32)
    out = augment.cutout(images, keras.random.SeedGenerator(0), ratio=0.25).numpy()
    blanked = (out == -1.0).sum(axis=(1, 2, 3))
    assert np.all(blanked > 0) and np.all(blanked <= 5 * 5)


def test_augmentations_are_differentiable():
    x = tf.Variable(tf.random.uniform((2, 28, 28, 1), -1, 1))
    seed = keras.random.SeedGenerator(0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(augment.diff_augment(x, ("translation", "cutout"), seed))
    grad = tape.gradient(y, x)
    assert grad is not None and float(tf.reduce_sum(grad)) > 0
