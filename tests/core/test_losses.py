import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_style.core import losses


def _log_sigmoid(x):
    return -np.log1p(np.exp(-x))


def test_discriminator_loss_matches_hand_computed():
    real, fake = np.array([[2.0], [-1.0]]), np.array([[0.5], [-3.0]])
    total, parts = losses.dcgan_discriminator_loss(real, fake)
    # -E[log D(x)] - E[log(1 - D(G(z)))], with log(1 - sigmoid(l)) = log_sigmoid(-l)
    expected_real = -np.mean(_log_sigmoid(real))
    expected_fake = -np.mean(_log_sigmoid(-fake))
    np.testing.assert_allclose(float(parts["d_real"]), expected_real, rtol=1e-6)
    np.testing.assert_allclose(float(parts["d_fake"]), expected_fake, rtol=1e-6)
    np.testing.assert_allclose(float(total), expected_real + expected_fake, rtol=1e-6)


def test_generator_loss_is_non_saturating():
    fake = np.array([[-6.0], [1.0]])
    np.testing.assert_allclose(float(losses.dcgan_generator_loss(fake)), -np.mean(_log_sigmoid(fake)), rtol=1e-6)
    # Gradient stays large where D confidently rejects fakes (the saturating log(1 - D) would vanish).
    x = tf.Variable([[-8.0]])
    with tf.GradientTape() as tape:
        loss = losses.dcgan_generator_loss(x)
    assert abs(float(tape.gradient(loss, x)[0, 0])) > 0.99


def test_keras_bce_loss_fn_gives_the_same_value():
    real, fake = np.array([[0.3], [2.0]], "float32"), np.array([[-0.4], [1.0]], "float32")
    ours, _ = losses.dcgan_discriminator_loss(real, fake)
    keras_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    theirs, _ = losses.dcgan_discriminator_loss(real, fake, loss_fn=keras_fn)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-5)


def test_region_targets_mark_any_masked_pixel():
    masks = np.zeros((1, 8, 8), np.float32)
    masks[0, 5, 1] = 1.0
    targets = np.asarray(losses.region_targets(masks, 4))
    assert targets.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(targets[0, ..., 0], [[0, 0], [1, 0]])


def test_pairwise_ranking_loss_hand_computed():
    scores = np.array([0.9, 0.2, 0.5], np.float32)  # clean, abnormal, abnormal
    abnormal = np.array([0, 1, 1], np.float32)
    # pairs (0,1): gap 0.7 -> max(0, 0.3 - 0.7) = 0; (0,2): gap 0.4 -> 0
    assert float(losses.pairwise_ranking_loss(scores, abnormal, margin=0.3)) == pytest.approx(0.0)
    # margin 0.5: (0,1) -> 0, (0,2) -> 0.1; mean over 2 pairs = 0.05
    assert float(losses.pairwise_ranking_loss(scores, abnormal, margin=0.5)) == pytest.approx(0.05, abs=1e-6)
    assert float(losses.pairwise_ranking_loss(scores, np.zeros(3, np.float32))) == 0.0


def test_graded_ranking_loss_orders_by_badness():
    scores = np.array([0.8, 0.6, 0.7], np.float32)
    badness = np.array([0.0, 0.6, 1.0], np.float32)
    # pairs: (0,1) need 0.3*0.6=0.18, have 0.2 -> 0; (0,2) need 0.3, have 0.1 -> 0.2;
    # (1,2) need 0.3*0.4=0.12, have -0.1 -> 0.22; mean over 3 pairs
    expected = (0.0 + 0.2 + 0.22) / 3
    assert float(losses.pairwise_ranking_loss(scores, badness, margin=0.3)) == pytest.approx(expected, abs=1e-6)


def test_masked_error_splits_hole_and_valid_means():
    from gan_style.core.losses import masked_error

    predicted = np.zeros((1, 2, 2, 2), np.float32)
    target = np.array([[[[1, 1], [0, 0]], [[0.5, 0.5], [0, 0]]]], np.float32)  # errors 1, 0, 0.5, 0 per pixel
    mask = np.array([[[[1], [1]], [[0], [0]]]], np.float32)  # hole: the first row
    hole, valid = masked_error(predicted, target, mask)
    assert float(hole) == pytest.approx(0.5) and float(valid) == pytest.approx(0.25)
    hole, valid = masked_error(predicted, target, mask, "l2")
    assert float(hole) == pytest.approx(0.5) and float(valid) == pytest.approx(0.125)
    with pytest.raises(ValueError, match="got 'l3'"):
        masked_error(predicted, target, mask, "l3")


def test_structure_loss_ignores_channel_statistics_and_sees_layout():
    rng = np.random.default_rng(0)
    content = {level: rng.normal(size=(2, 8, 8, 4)).astype("float32") for level in ("relu2_1", "relu3_1")}
    # any positive per-channel gain and shift (what AdaIN and the style loss set): no structure lost
    scale, shift = rng.uniform(0.5, 3.0, (1, 1, 1, 4)), rng.normal(size=(1, 1, 1, 4))
    restyled = {k: (v * scale + shift).astype("float32") for k, v in content.items()}
    assert float(losses.structure_loss(restyled, content)) == pytest.approx(0.0, abs=1e-6)
    # the layout negated: normalised maps n and -n, mean (2n)^2 = 4 per level (n has unit variance)
    negated = {k: -v for k, v in content.items()}
    assert float(losses.structure_loss(negated, content)) == pytest.approx(8.0, rel=1e-3)
    # only the levels asked for
    assert float(losses.structure_loss(negated, content, levels=("relu3_1",))) == pytest.approx(4.0, rel=1e-3)


def test_colour_loss_compares_colour_distributions_not_layouts():
    directions = losses.colour_directions(16)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=0), 1.0, rtol=1e-6)
    assert (directions[2] > 0).all()  # one half-sphere: d and -d give the same 1-D distance
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32")
    # the same pixels in another place: the same colours, distance 0
    shuffled = image.reshape(2, 64, 3)[:, rng.permutation(64)].reshape(2, 8, 8, 3)
    assert float(losses.colour_loss(shuffled, image)) == pytest.approx(0.0, abs=1e-10)
    # every pixel shifted by v: each projection moves by v . d, so the loss is mean_d (v . d)^2
    v = np.array([0.1, -0.2, 0.05], "float32")
    expected = np.mean((v @ directions) ** 2)
    assert float(losses.colour_loss(image + v, image)) == pytest.approx(expected, rel=1e-4)
    # per image, not pooled over the batch: (dark, bright) against (bright, dark) is far apart
    dark, bright = image[:1] * 0.5 - 0.5, image[:1] * 0.5 + 0.5
    swapped = float(losses.colour_loss(np.concatenate([dark, bright]), np.concatenate([bright, dark])))
    assert swapped == pytest.approx(np.mean(directions.sum(axis=0) ** 2), rel=1e-4)  # a shift of 1 per channel


def test_lattice_phase_loss_sees_paired_pixels_not_texture():
    from gan_style.core.data import bundled_image
    from gan_style.style.eval import resize_to

    rng = np.random.default_rng(0)
    photo = resize_to(bundled_image("chelsea"), 128, 128)[None] / 127.5 - 1.0
    noise = rng.normal(size=(1, 64, 64, 3)) * 0.3
    texture = rng.normal(size=(1, 128, 128, 3)) * 0.3  # detail at every frequency, no phase
    nearest = np.repeat(np.repeat(noise, 2, axis=1), 2, axis=2)  # pairs (2i, 2i+1) equal
    bilinear = tf.image.resize(noise, (128, 128), "bilinear").numpy()
    value = {name: float(losses.lattice_phase_loss(np.asarray(x, np.float32)))
             for name, x in (("photo", photo), ("texture", texture), ("nearest", nearest), ("bilinear", bilinear))}
    assert value["photo"] < 0.01 and value["texture"] < 0.01, value
    assert value["nearest"] > 0.9 and value["bilinear"] > 0.05, value
    # shifted by one pixel the pairs sit across the lattice: (e - o) changes sign, the loss stays
    shifted = float(losses.lattice_phase_loss(np.asarray(nearest[:, 1:-15, 1:-15], np.float32)[:, :112, :112]))
    assert shifted > 0.9
    # its gradient undoes the pairing with small changes (measured: 0.106 -> 0.017, mean |change| 0.007)
    image = tf.Variable(np.asarray(bilinear, np.float32))
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss = losses.lattice_phase_loss(image)
        image.assign_sub(2.0 * tape.gradient(loss, image))
    assert float(losses.lattice_phase_loss(image)) < 0.3 * value["bilinear"]
    assert np.abs(image.numpy() - bilinear).mean() < 0.02
