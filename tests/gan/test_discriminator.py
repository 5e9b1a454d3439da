import keras
import numpy as np

from gan_style.gan.discriminator import build_discriminator


def test_logits_shape_and_unbounded():
    discriminator = build_discriminator(base_filters=4)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    logits = discriminator(x * 50, training=False).numpy()
    assert logits.shape == (6, 1)
    assert np.abs(logits).max() > 1.0  # logits, not sigmoid probabilities


def test_downsamples_with_strided_convs_not_pooling():
    discriminator = build_discriminator()
    convs = [layer for layer in discriminator.layers if type(layer).__name__ == "Conv2D"]
    assert [c.strides for c in convs] == [(2, 2), (2, 2)]
    assert not any("Pooling" in type(layer).__name__ for layer in discriminator.layers)


def test_keras_save_load_round_trip(tmp_path):
    discriminator = build_discriminator(base_filters=4)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    discriminator.save(tmp_path / "d.keras")
    restored = keras.saving.load_model(tmp_path / "d.keras")
    np.testing.assert_array_equal(discriminator(x).numpy(), restored(x).numpy())


def test_patchgan_returns_one_logit_map_per_scale_for_any_size():
    from gan_style.gan.discriminator import build_patchgan_discriminator

    model = build_patchgan_discriminator(3, base_filters=8, num_layers=3, num_scales=2)
    for size in ((64, 64), (48, 80)):
        maps = model(np.zeros((2, *size, 3), np.float32))
        assert [tuple(m.shape) for m in maps] == [(2, size[0] // 8, size[1] // 8, 1),
                                                  (2, size[0] // 16, size[1] // 16, 1)]
        assert all(m.dtype == "float32" for m in maps)
