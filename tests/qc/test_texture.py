"""Exemplar detail transfer: only hole pixels change; a periodic texture comes back in full; a smooth
region keeps its fill; random grain gets its surroundings' detail energy from the full copy and
part of it by default; the copy's amplitude is its least-squares gain around the cell; only the
hole's neighbourhood is read; traced once."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

from gan_style.qc.texture import FLOOR, _copy_amplitude, _search, shift_table, textured_part, transfer_detail


def _hole(size=64, box=(20, 44, 16, 40)):
    mask = np.zeros((1, size, size, 1), np.float32)
    y0, y1, x0, x1 = box
    mask[0, y0:y1, x0:x1] = 1.0
    return mask


def _mean_fill(image, mask):
    """The smoothest fill: the hole set to the mean colour of the valid pixels."""
    mean = image[mask[..., 0] == 0].mean(axis=0)
    return np.where(mask > 0, mean, image).astype(np.float32)


def _in_hole_psnr(a, b, mask):
    return 10 * np.log10(4.0 / np.mean((a - b)[mask[..., 0] > 0] ** 2))


def test_pixels_outside_the_hole_are_returned_bit_for_bit():
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (2, 40, 52, 3)).astype(np.float32)
    mask = np.zeros((2, 40, 52, 1), np.float32)
    mask[0, 5:17, 9:30], mask[1, 22:39, 30:51] = 1.0, 1.0
    out = transfer_detail(image, mask).numpy()
    outside = np.broadcast_to(mask == 0, image.shape)
    np.testing.assert_array_equal(out[outside], image[outside])
    assert not np.allclose(out[~outside], image[~outside])  # the hole did get detail
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_a_periodic_texture_is_restored_far_better_than_by_the_smooth_fill():
    yy, xx = np.mgrid[:64, :64]
    texture = 0.6 * np.sin(2 * np.pi * yy / 8) * np.cos(2 * np.pi * xx / 8)
    image = np.stack([texture, 0.5 * texture, -texture], -1)[None].astype(np.float32)
    mask = _hole()
    fill = _mean_fill(image, mask)
    out = transfer_detail(fill, mask).numpy()
    # sigma 2 keeps ~71% of a period-8 wave as detail: about 10 dB closer than the flat fill
    assert _in_hole_psnr(out, image, mask) > _in_hole_psnr(fill, image, mask) + 6.0
    # the copy predicts the known texture around, so it keeps (nearly) its full amplitude: 38.6 dB
    # against the full copy's 39.1 (the flat fill's edge leaks into the known detail through the
    # blur); a quarter of the amplitude everywhere would give about 20 dB
    full = transfer_detail(fill, mask, floor=1.0).numpy()
    assert _in_hole_psnr(out, image, mask) > _in_hole_psnr(full, image, mask) - 1.0


def test_only_parts_of_the_hole_a_5px_square_fits_in_take_detail():
    mask = _hole(32, (8, 20, 0, 14))  # a block touching the left border: no valid pixel there
    mask[0, 25:29, 2:30] = 1.0  # a 4-px scratch
    mask[0, 2, 20] = 1.0  # a dead pixel
    part = textured_part(tf.constant(mask), 2).numpy()[0, ..., 0]
    np.testing.assert_array_equal(part[8:20, 0:14], 1.0)  # the block, to its edges
    assert part[25:29].max() == 0.0 and part[2, 20] == 0.0  # the scratch and the dead pixel: none
    assert part[mask[0, ..., 0] == 0].max() == 0.0
    rng = np.random.default_rng(1)
    texture = np.repeat(rng.uniform(-0.8, 0.8, (1, 48, 48, 1)), 3, -1).astype(np.float32)
    dead = np.zeros((1, 48, 48, 1), np.float32)
    dead[0, rng.integers(4, 44, 30), rng.integers(4, 44, 30)] = 1.0
    fill = _mean_fill(texture, dead)
    np.testing.assert_array_equal(transfer_detail(fill, dead).numpy(), fill)  # isolated pixels: the fill
    assert not np.allclose(transfer_detail(fill, dead, thin=0).numpy(), fill)  # thin=0: detail everywhere


def test_a_smooth_region_keeps_its_fill():
    yy, xx = np.mgrid[:48, :48]
    ramp = np.stack([yy / 48 - 0.5, xx / 48 - 0.5, 0 * yy + 0.2], -1)[None].astype(np.float32)
    mask = _hole(48, (12, 30, 14, 34))
    out = transfer_detail(ramp, mask).numpy()  # the ramp is its own (exact) fill: no detail to add
    np.testing.assert_allclose(out, ramp, atol=2e-3)


def test_random_grain_gets_its_surroundings_energy_in_full_and_part_of_it_by_default():
    """The full copy (floor 1) gives a hole in random grain the detail energy around it; by default
    the copy there predicts little of the known detail, so it comes back fainter, but not flat."""
    rng = np.random.default_rng(3)
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (64, 64)), 1.0)
    image = np.repeat((0.4 * grain / grain.std())[None, ..., None], 3, -1).astype(np.float32)
    mask = _hole()
    fill = _mean_fill(image, mask)
    hole = mask[0, ..., 0] > 0
    ring = ndimage.binary_dilation(hole, iterations=8) & ~hole

    def detail_std(x, where):
        gray = x[0].mean(-1)
        return (gray - ndimage.gaussian_filter(gray, 2.0))[where].std()

    full = detail_std(transfer_detail(fill, mask, floor=1.0).numpy(), hole) / detail_std(image, ring)
    assert 0.6 < full < 1.4, full
    ratio = detail_std(transfer_detail(fill, mask).numpy(), hole) / detail_std(image, ring)
    assert 0.9 * FLOOR * full < ratio < 0.75 * full, (ratio, full)
    inner = ndimage.binary_erosion(hole, iterations=6)  # away from the flat fill's own edge
    assert detail_std(fill, inner) < 0.05 * detail_std(image, ring)


def test_copy_amplitude_is_the_least_squares_gain_on_the_known_pixels_around_each_cell():
    """`_copy_amplitude` against a direct sum: for each cell, over the pixels of it and its 8
    neighbours whose source under the cell's shift is known too, sum D_q D_(q-s) / sum D_(q-s)^2."""
    rng = np.random.default_rng(6)
    height, width, cell = 27, 35, 8  # partial cells at the bottom and right
    detail = rng.normal(0, 1, (1, height, width, 3)).astype(np.float32)
    valid = (rng.random((1, height, width, 1)) > 0.3).astype(np.float32)
    shifts = shift_table(24, 4, cell)[:7]
    chosen = rng.integers(-1, len(shifts), (1, 4, 5, 1)).astype(np.int32)
    got = _copy_amplitude(tf.constant(detail), tf.constant(valid), tf.constant(chosen),
                          tf.constant(shifts), cell, 1).numpy()
    for i in range(4):
        for j in range(5):
            if chosen[0, i, j, 0] < 0:
                continue
            dy, dx = shifts[chosen[0, i, j, 0]]
            cross = energy = 0.0
            for y in range(max(0, (i - 1) * cell), min(height, (i + 2) * cell)):
                for x in range(max(0, (j - 1) * cell), min(width, (j + 2) * cell)):
                    sy, sx = y - dy, x - dx
                    if 0 <= sy < height and 0 <= sx < width and valid[0, y, x, 0] and valid[0, sy, sx, 0]:
                        cross += float(detail[0, y, x] @ detail[0, sy, sx])
                        energy += float(detail[0, sy, sx] @ detail[0, sy, sx])
            np.testing.assert_allclose(got[0, i, j, 0], cross / (energy + 1e-8), rtol=1e-4, atol=1e-6)


def test_searching_the_box_around_the_hole_equals_searching_the_whole_image():
    """The search reads only a box of whole cells around each image's holes: the same hole
    pixels, bit for bit, as the search over the whole picture (the hole far from its border), a
    hole-free image of the batch comes back as it is, and a batch whose boxes cover most of it
    (searched whole, in one go) gets the same pixels."""
    rng = np.random.default_rng(4)
    image = ndimage.gaussian_filter(rng.normal(0, 0.5, (2, 160, 192, 3)), (0, 1, 1, 0)).astype(np.float32)
    mask = np.zeros((2, 160, 192, 1), np.float32)
    mask[0, 60:84, 90:110] = 1.0
    out = transfer_detail(image, mask).numpy()
    whole = _search(image[:1], mask[:1], shift_table(24, 4, 8), 8, 8, 2.0).numpy()
    np.testing.assert_array_equal(out[0], whole[0])
    assert not np.array_equal(out[0], image[0])
    np.testing.assert_array_equal(out[1], image[1])
    # beside an image full of scattered holes the batch is searched whole: the same pixels again
    mask[1] = (np.random.default_rng(5).random((160, 192, 1)) < 0.5).astype(np.float32)
    np.testing.assert_array_equal(transfer_detail(image, mask).numpy()[0], out[0])


def test_a_cell_without_a_valid_source_keeps_the_fill():
    image = np.random.default_rng(1).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    mask = np.ones((1, 16, 16, 1), np.float32)  # every source touches the hole
    np.testing.assert_array_equal(transfer_detail(image, mask).numpy(), image)


def test_shift_table_leaves_out_the_cell_itself_and_checks_its_arguments():
    shifts = shift_table(24, 4, 8)
    assert np.abs(shifts).max() <= 24 and (np.abs(shifts).max(axis=1) >= 4).all()
    assert {tuple(s) for s in shifts} == {tuple(-s) for s in shifts}  # symmetric
    with pytest.raises(ValueError, match="radius"):
        shift_table(2, 1, 8)
    with pytest.raises(ValueError, match="step"):
        shift_table(24, 0, 8)


def test_compiled_transfer_traces_once_for_any_batch_and_size():
    spec = [tf.TensorSpec((None, None, None, 3), tf.float32), tf.TensorSpec((None, None, None, 1), tf.float32)]
    run = tf.function(transfer_detail, input_signature=spec)
    rng = np.random.default_rng(2)
    for batch, h, w in ((1, 64, 64), (3, 37, 50), (2, 128, 96)):
        image = rng.uniform(-1, 1, (batch, h, w, 3)).astype(np.float32)
        mask = (rng.random((batch, h, w, 1)) < 0.1).astype(np.float32)
        eager = transfer_detail(image, mask).numpy()
        np.testing.assert_allclose(run(image, mask).numpy(), eager, atol=1e-5)
    assert run.experimental_get_tracing_count() == 1
