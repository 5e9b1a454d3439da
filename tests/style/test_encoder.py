"""The frozen VGG16 encoder: offline weights, frozen, shapes per level, preprocessing inside."""

import h5py
import numpy as np
import pytest

from gan_style.style.encoder import LEVELS, build_encoder, hed_weights_file


@pytest.fixture(scope="module")
def encoder():
    return build_encoder("hed")


def test_loads_hed_weights_offline_and_is_frozen(encoder):
    with h5py.File(hed_weights_file(), "r") as weights:
        expected = weights["block3/layers/conv2d_2/vars/0"][()]
    np.testing.assert_array_equal(encoder.get_layer("block3_conv3").get_weights()[0], expected)
    assert not encoder.trainable and encoder.trainable_weights == []


def test_levels_have_the_vgg_shapes(encoder):
    features = encoder(np.zeros((2, 40, 56, 3), np.float32))
    assert list(features) == list(LEVELS)
    shapes = {k: tuple(v.shape) for k, v in features.items()}
    assert shapes == {"relu1_1": (2, 40, 56, 64), "relu2_1": (2, 20, 28, 128),
                      "relu3_1": (2, 10, 14, 256), "relu4_1": (2, 5, 7, 512)}
    assert all(float(np.min(v)) >= 0.0 for v in features.values())  # ReLU outputs


def test_preprocessing_is_inside_and_range_aware():
    rng = np.random.default_rng(0)
    unit = rng.uniform(0, 1, (1, 32, 32, 3)).astype(np.float32)
    signed = build_encoder("hed")(unit * 2 - 1)["relu2_1"]
    zero_one = build_encoder("hed", value_range=(0, 1))(unit)["relu2_1"]
    np.testing.assert_allclose(signed, zero_one, rtol=1e-4, atol=1e-3)


def test_pretrained_features_respond_to_edges_not_flat_images(encoder):
    flat = np.zeros((1, 32, 32, 3), np.float32)
    edge = flat.copy()
    edge[:, :, 16:] = 1.0
    assert float(np.std(encoder(edge)["relu1_1"])) > 2 * float(np.std(encoder(flat)["relu1_1"]))


def test_unknown_weights_is_a_value_error():
    with pytest.raises(ValueError, match="weights must be one of"):
        build_encoder("vgg19")


def test_up_to_stops_at_a_level_with_the_same_features(encoder):
    short = build_encoder("hed", up_to="relu3_1")
    x = np.random.default_rng(3).uniform(-1, 1, (1, 32, 40, 3)).astype(np.float32)
    features, full = short(x), encoder(x)
    assert list(features) == ["relu1_1", "relu2_1", "relu3_1"]
    np.testing.assert_allclose(features["relu3_1"], full["relu3_1"], rtol=1e-5, atol=1e-4)
    assert short.count_params() < encoder.count_params() / 5 and not short.trainable_weights
    with pytest.raises(ValueError, match="up_to must be one of"):
        build_encoder("hed", up_to="relu5_1")


def test_reflect_padding_has_no_border_on_a_flat_picture_and_the_same_interior(encoder):
    reflect = build_encoder("hed", padding="reflect")
    flat = np.full((1, 48, 48, 3), 0.3, np.float32)
    for level in ("relu1_1", "relu4_1"):
        spread = np.ptp(np.asarray(reflect(flat)[level]), axis=(1, 2)).max()
        zero_spread = np.ptp(np.asarray(encoder(flat)[level]), axis=(1, 2)).max()
        assert spread < 1e-3 * max(zero_spread, 1.0) and zero_spread > 1.0  # zeros draw a border; reflect does not
    x = np.random.default_rng(5).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    # relu2_1 sees 10 px: far from the border both paddings compute the same thing
    np.testing.assert_allclose(np.asarray(reflect(x)["relu2_1"])[:, 8:-8, 8:-8],
                               np.asarray(encoder(x)["relu2_1"])[:, 8:-8, 8:-8], rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="padding must be one of"):
        build_encoder("hed", padding="same")
