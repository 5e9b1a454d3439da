import numpy as np
import pytest

from gan_style.core import metrics


def test_frechet_distance_of_known_gaussians():
    # FD(N(m1, a^2 I), N(m2, b^2 I)) in d dims = |m1 - m2|^2 + d (a - b)^2
    d = 4
    mu1, mu2 = np.zeros(d), np.full(d, 0.5)
    value = metrics.frechet_distance(mu1, 4.0 * np.eye(d), mu2, 1.0 * np.eye(d))
    assert value == pytest.approx(d * 0.25 + d * (2.0 - 1.0) ** 2, rel=1e-9)


def test_frechet_distance_non_diagonal_against_closed_form():
    s1 = np.array([[2.0, 0.3], [0.3, 1.0]])
    s2 = np.array([[1.0, -0.2], [-0.2, 0.5]])
    from scipy.linalg import sqrtm

    expected = np.trace(s1 + s2 - 2 * np.real(sqrtm(s1 @ s2)))
    assert metrics.frechet_distance([0, 0], s1, [0, 0], s2) == pytest.approx(expected, rel=1e-9)
    assert metrics.frechet_distance([1, 2], s1, [1, 2], s1) == pytest.approx(0.0, abs=1e-8)


def test_feature_statistics_from_samples():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (20000, 3))
    mu, sigma = metrics.feature_statistics(x)
    np.testing.assert_allclose(mu, 3.0, atol=0.05)
    np.testing.assert_allclose(sigma, 4.0 * np.eye(3), atol=0.15)


def test_classifier_score_bounds():
    confident_balanced = np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(confident_balanced) == pytest.approx(10.0, rel=1e-6)
    collapsed = np.eye(10)[np.zeros(1000, int)]
    assert metrics.classifier_score(collapsed) == pytest.approx(1.0, rel=1e-6)
    uniform = np.full((100, 10), 0.1)
    assert metrics.classifier_score(uniform) == pytest.approx(1.0, rel=1e-6)


def test_classifier_score_hand_computed():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    marginal = p.mean(0)
    kl = (p * np.log(p / marginal)).sum(1)
    assert metrics.classifier_score(p) == pytest.approx(np.exp(kl.mean()), rel=1e-9)


def test_label_entropy():
    balanced = np.eye(10)[np.arange(100) % 10]
    assert metrics.label_entropy(balanced) == pytest.approx(np.log(10))
    halves = np.eye(10)[np.array([0, 1] * 50)]
    assert metrics.label_entropy(halves) == pytest.approx(np.log(2))


def test_psnr():
    a = np.zeros((4, 4))
    assert metrics.psnr(a, a) == float("inf")
    assert metrics.psnr(a, a + 0.2) == pytest.approx(10 * np.log10(4 / 0.04))


def test_auroc_against_pairwise_count():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1, 1, 50), rng.normal(0, 1, 70)
    pos[:5] = neg[:5]  # ties count half
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert metrics.auroc(pos, neg) == pytest.approx(pairs)
    assert metrics.auroc([2, 3], [0, 1]) == 1.0 and metrics.auroc([0], [1]) == 0.0


def test_mask_iou_f1():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[:2, :2] = True  # 4 px
    b[:2, :3] = True  # 6 px, 4 shared
    iou, f1 = metrics.mask_iou_f1(a, b)
    assert iou == pytest.approx(4 / 6) and f1 == pytest.approx(8 / 10)
    assert metrics.mask_iou_f1(np.zeros(3, bool), np.zeros(3, bool)) == (1.0, 1.0)


def test_threshold_for_fpr_flags_at_most_the_allowed_fraction():
    scores = np.random.default_rng(0).uniform(0, 1, 1000)
    t = metrics.threshold_for_fpr(scores, 0.05)
    assert np.mean(scores < t) <= 0.05 and np.mean(scores < t) >= 0.045


def test_frechet_distance_with_singular_covariances_is_finite_and_silent():
    import warnings

    rng = np.random.default_rng(0)
    a = np.concatenate([rng.normal(size=(200, 3)), np.zeros((200, 2))], axis=1)  # two dead features
    b = np.concatenate([rng.normal(1.0, 1.0, size=(200, 3)), np.zeros((200, 2))], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = metrics.frechet_distance(*metrics.feature_statistics(a), *metrics.feature_statistics(b))
    assert np.isfinite(value) and value == pytest.approx(3.0, rel=0.3)  # ~ |mu1 - mu2|^2 = 3


def test_patch_swd_is_zero_for_the_same_image_and_grows_with_colour_shift():
    from gan_style.core import data
    from gan_style.core.metrics import patch_swd

    image = data.bundled_image("brick")[:128, :128]
    shifted = np.clip(image.astype(int) + 40, 0, 255).astype(np.uint8)
    more = np.clip(image.astype(int) + 100, 0, 255).astype(np.uint8)
    same = patch_swd(image, image)
    assert same < 0.01 < patch_swd(image, shifted) < patch_swd(image, more)


def test_sliced_wasserstein_of_shifted_points_is_the_projected_shift():
    from gan_style.core.metrics import sliced_wasserstein

    points = np.random.default_rng(0).normal(size=(500, 1))
    assert abs(sliced_wasserstein(points, points + 0.5, num_projections=4) - 0.5) < 1e-9  # 1-D: |shift|


def test_edge_ssim_is_one_for_identical_edges_and_low_for_unrelated_images():
    from gan_style.core import data
    from gan_style.core.metrics import edge_ssim

    a = data.bundled_image("astronaut")[:128, :128]
    b = data.bundled_image("coffee")[:128, :128]
    assert edge_ssim(a, a) > 0.999
    assert edge_ssim(a, np.clip(a.astype(int) + 30, 0, 255).astype(np.uint8)) > 0.95  # same edges, brighter
    assert edge_ssim(a, b) < 0.5
    assert abs(edge_ssim(a, a.astype(np.float32) / 255.0) - 1.0) < 1e-6  # floats in [0, 1]: the same picture
    dark = (a // 128).astype(np.uint8)  # uint8 values 0..1 stay uint8 (faint edges), not [0, 1] floats
    assert edge_ssim(dark * 255, dark) < 0.9  # read as [0, 1] floats these would be equal: 1.0


def test_biharmonic_baseline_survives_empty_and_full_masks():
    from gan_style.qc.repair_eval import biharmonic_inpainter

    images = np.random.default_rng(0).uniform(-1, 1, (3, 16, 16, 1)).astype(np.float32)
    masks = np.zeros((3, 16, 16), bool)
    masks[1] = True
    masks[2, 4:8, 4:8] = True
    out = biharmonic_inpainter(images, masks)
    np.testing.assert_array_equal(out[:2], images[:2])
    np.testing.assert_array_equal(out[2][~masks[2]], images[2][~masks[2]])
    assert not np.array_equal(out[2], images[2])
