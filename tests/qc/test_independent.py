import numpy as np
import pytest

from gan_style.qc import independent


def _picture(seed=0, shape=(96, 128, 3)):
    """A picture with texture and edges (uint8): a gradient, a disk and noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    base = np.stack([xx * 255 / shape[1], yy * 255 / shape[0], 128 + 60 * np.sin(xx / 5.0)], -1)
    base[(yy - 40) ** 2 + (xx - 60) ** 2 < 400] = (30, 200, 90)
    return np.clip(base + rng.normal(0, 12, shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", independent.RGB_KINDS)
def test_rgb_artifacts_change_exactly_their_mask_and_are_sized_by_the_picture(kind):
    image = _picture()
    out, mask = independent.corrupt_rgb(image, kind, np.random.default_rng(3))
    changed = (np.abs(out.astype(int) - image.astype(int)) > 1).any(-1)
    np.testing.assert_array_equal(changed, mask)
    np.testing.assert_array_equal(out[~mask], image[~mask])  # nothing else moved, not even by one level
    assert independent.MIN_CHANGED <= mask.mean() <= 0.12
    again, mask2 = independent.corrupt_rgb(image, kind, np.random.default_rng(3))
    np.testing.assert_array_equal(again, out)  # seeded


@pytest.mark.parametrize("kind", independent.DIGIT_KINDS)
def test_digit_defects_change_exactly_their_mask(kind):
    from gan_style.core.data import load_mnist

    digit = load_mnist("test").images[7][..., None].astype(np.uint8)
    out, mask = independent.corrupt_digit(digit, kind, np.random.default_rng(5))
    assert out.shape == (28, 28, 1) and mask.sum() >= 4
    np.testing.assert_array_equal(np.abs(out[..., 0].astype(int) - digit[..., 0]) > 1, mask)


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="got 'tear'"):
        independent.corrupt_rgb(_picture(), "tear", np.random.default_rng(0))
    with pytest.raises(ValueError, match="got 'hole'"):
        independent.corrupt_digit(np.zeros((28, 28, 1), np.uint8), "hole", np.random.default_rng(0))


def test_reserved_packages_hold_pictures_and_train_on_none_of_them():
    from gan_style.core import data

    files = independent.reserved_files()
    assert set(files) == set(data.RESERVED_PACKAGES)
    for package, found in files.items():
        if not found:
            pytest.fail(f"{package} is not installed: `make test` installs it (make data)")
        assert all(f.suffix.lower() in (".jpg", ".png", ".webp") for f in found)
    reserved = {f for found in files.values() for f in found}
    used = {f for package in data.PACKAGE_PICTURES for f in data.PACKAGE_PICTURES[package]}
    assert not reserved & used
    assert not set(data.TRAIN_PACKAGES) & set(data.VALIDATION_PACKAGES)


def test_rgb_set_keeps_aspect_stylises_half_and_corrupts_each_once():
    pictures = {f"p:{i}": _picture(i, (90 + 10 * i, 160, 3)) for i in range(4)}
    data = independent.rgb_set(64, seed=1, pictures=pictures, which=("lite-builtin",))
    assert len(data.clean) == len(data.corrupted) == len(data.masks) == 4
    assert sum(bool(s) for s in data.stylised) == 2
    for clean, bad, mask in zip(data.clean, data.corrupted, data.masks, strict=True):
        assert max(clean.shape[:2]) == 64 and clean.shape == bad.shape and mask.shape == clean.shape[:2]
        assert mask.any() and (bad[~mask] == clean[~mask]).all()
    again = independent.rgb_set(64, seed=1, pictures=pictures, which=("lite-builtin",))
    assert again.kinds == data.kinds and all((a == b).all() for a, b in zip(again.corrupted, data.corrupted,
                                                                               strict=True))
