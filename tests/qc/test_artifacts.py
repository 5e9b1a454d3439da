import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

from gan_style.core import data
from gan_style.qc import artifacts


@pytest.fixture(scope="module")
def digits():
    return data.load_mnist("test").images[:12, ..., None].astype(np.float32) / 127.5 - 1.0


@pytest.fixture(scope="module")
def photo():
    return data.random_crops({"astronaut": data.bundled_image("astronaut")}, 64, 1, seed=0)[0]


def _cases(digits, photo):
    return [(d, k, "digits") for k in artifacts.DIGIT_ARTIFACTS for d in digits[:6]] + \
           [(photo, k, "rgb") for k in artifacts.RGB_ARTIFACTS]


def test_mask_marks_exactly_the_changed_pixels(digits, photo):
    for seed, (image, kind, domain) in enumerate(_cases(digits, photo)):
        corrupted, mask = artifacts.corrupt(image, kind, np.random.default_rng(seed), 1.0, domain)
        changed = np.abs(corrupted - image).max(axis=-1) > 0
        np.testing.assert_array_equal(mask, changed, err_msg=f"{domain}/{kind}")
        assert mask.any(), f"{domain}/{kind} changed nothing"
        assert corrupted.dtype == np.float32 and corrupted.min() >= -1 and corrupted.max() <= 1


def test_same_seed_same_corruption(digits):
    for kind in artifacts.DIGIT_ARTIFACTS:
        a = artifacts.corrupt(digits[0], kind, np.random.default_rng(3))
        b = artifacts.corrupt(digits[0], kind, np.random.default_rng(3))
        np.testing.assert_array_equal(a[0], b[0])


def test_stronger_corruption_changes_more(digits):
    for kind in ("broken_stroke", "local_noise", "checkerboard"):
        weak = [artifacts.corrupt(d, kind, np.random.default_rng(i), 0.2)[1].sum() for i, d in enumerate(digits)]
        strong = [artifacts.corrupt(d, kind, np.random.default_rng(i), 1.0)[1].sum() for i, d in enumerate(digits)]
        assert np.mean(strong) > np.mean(weak), kind


def test_unknown_kind_and_bad_strength_are_errors(digits):
    with pytest.raises(ValueError, match="got 'droplet'"):
        artifacts.corrupt(digits[0], "droplet", np.random.default_rng(0))
    with pytest.raises(ValueError, match="strength"):
        artifacts.corrupt(digits[0], "smear", np.random.default_rng(0), 0.0)


def test_batcher_inside_tf_data(digits):
    failures = np.full((3, 28, 28, 1), 0.5, np.float32)
    batcher = artifacts.ArtifactBatcher(["local_noise", "broken_stroke"], failures=failures, failure_fraction=0.5)
    ds = tf.data.Dataset.from_tensor_slices(digits).batch(12).enumerate().map(lambda i, x: batcher.tf(x, i))
    images, masks, abnormal, known = next(iter(ds))
    assert images.shape == (12, 28, 28, 1) and masks.shape == (12, 28, 28) and abnormal.shape == (12,)
    images, masks, abnormal, known = (t.numpy() for t in (images, masks, abnormal, known))
    assert np.all((abnormal == 0) | ((abnormal >= 0.5) & (abnormal <= 1.0)))  # graded by strength
    clean = abnormal == 0
    np.testing.assert_array_equal(images[clean], digits[clean])  # clean ones untouched
    assert not masks[clean].any()
    replaced = known == 0
    assert np.all(images[replaced] == 0.5) and not masks[replaced].any()  # real failures: no mask
    assert np.all(abnormal[replaced] == 1.0)
    synthetic = (abnormal > 0) & (known == 1)
    assert all(masks[i].any() for i in np.flatnonzero(synthetic))


def _photo(side=128):
    return data.random_crops({"astronaut": data.bundled_image("astronaut")}, side, 1, seed=1)[0]


def test_compression_works_on_the_8px_grid_and_stronger_loses_more():
    image = _photo()
    errors = []
    for strength in (0.2, 1.0):
        out, mask = artifacts.corrupt(image, "compression", np.random.default_rng(4), strength, "rgb")
        ys, xs = np.nonzero(mask)
        assert ys.min() % 8 == 0 and xs.min() % 8 == 0 and (ys.max() + 1) % 8 == 0 and (xs.max() + 1) % 8 == 0
        errors.append(np.abs(out - image)[mask].mean())
    assert errors[1] > errors[0]


def test_defocus_removes_detail_where_it_changed():
    image = _photo()
    out, mask = artifacts.corrupt(image, "defocus", np.random.default_rng(0), 1.0, "rgb")
    detail = lambda x: np.abs(ndimage.laplace(x.mean(-1)))[mask].mean()  # noqa: E731
    assert detail(out) < 0.5 * detail(image)


def test_warp_moves_pixels_at_most_8px():
    image = _photo()
    out, mask = artifacts.corrupt(image, "warp", np.random.default_rng(2), 1.0, "rgb")
    lo = ndimage.minimum_filter(image, size=(19, 19, 1))
    hi = ndimage.maximum_filter(image, size=(19, 19, 1))
    assert mask.mean() > 0.02 and np.all(out >= lo - 1e-5) and np.all(out <= hi + 1e-5)


def test_dead_pixels_share_one_colour():
    image = _photo()
    out, mask = artifacts.corrupt(image, "dead_pixels", np.random.default_rng(5), 0.5, "rgb")
    assert 0.0 < mask.mean() < 0.25 and len(np.unique(out[mask], axis=0)) == 1
