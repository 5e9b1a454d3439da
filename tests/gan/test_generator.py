import keras
import numpy as np
import pytest

from gan_style.gan.generator import build_dcgan_generator


@pytest.mark.parametrize("batchnorm", [True, False])
def test_shape_and_tanh_range(batchnorm):
    generator = build_dcgan_generator(latent_dim=16, base_filters=8, batchnorm=batchnorm)
    z = np.random.default_rng(0).standard_normal((5, 16)).astype("float32") * 10
    images = generator(z, training=False).numpy()
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_seed_architecture_by_default():
    generator = build_dcgan_generator()
    kinds = [type(layer).__name__ for layer in generator.layers]
    assert kinds.count("Conv2DTranspose") == 2 and kinds.count("BatchNormalization") == 2
    assert generator.get_layer(index=1).units == 7 * 7 * 128
    assert [layer.filters for layer in generator.layers if type(layer).__name__ == "Conv2DTranspose"] == [64, 1]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="got 0"):
        build_dcgan_generator(latent_dim=0)


def test_keras_save_load_round_trip(tmp_path):
    generator = build_dcgan_generator(latent_dim=8, base_filters=4)
    z = np.random.default_rng(1).standard_normal((3, 8)).astype("float32")
    generator.save(tmp_path / "g.keras")
    restored = keras.saving.load_model(tmp_path / "g.keras")
    np.testing.assert_array_equal(generator(z).numpy(), restored(z).numpy())
    generator.save_weights(tmp_path / "g.weights.h5")
    fresh = build_dcgan_generator(latent_dim=8, base_filters=4)
    fresh.load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_array_equal(generator(z).numpy(), fresh(z).numpy())


def test_categorical_code_is_a_uniform_one_hot_of_the_first_coordinate_and_keeps_the_rest():
    from gan_style.gan.generator import CategoricalCode

    z = np.random.default_rng(2).standard_normal((20000, 4)).astype("float32")
    code = keras.ops.convert_to_numpy(CategoricalCode(10)(z))
    assert code.shape == (20000, 13)
    np.testing.assert_array_equal(code[:, :10].sum(axis=1), 1.0)
    np.testing.assert_array_equal(code[:, 10:], z[:, 1:])
    counts = np.bincount(code[:, :10].argmax(axis=1), minlength=10)
    assert counts.min() > 1800 and counts.max() < 2200  # ~2,000 each: N(0, 1) -> its CDF is uniform
    order = np.argsort(z[:, 0])
    assert np.all(np.diff(code[order, :10].argmax(axis=1)) >= 0)  # bins in the order of z_0
    with pytest.raises(ValueError, match="got 1"):
        CategoricalCode(1)


def test_generator_with_categories_saves_and_loads(tmp_path):
    generator = build_dcgan_generator(latent_dim=8, base_filters=4, categories=10)
    z = np.random.default_rng(1).standard_normal((3, 8)).astype("float32")
    generator.save(tmp_path / "g.keras")
    restored = keras.saving.load_model(tmp_path / "g.keras")
    np.testing.assert_array_equal(generator(z).numpy(), restored(z).numpy())
    assert restored.get_layer(index=1).categories == 10
