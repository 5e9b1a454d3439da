import numpy as np
import pytest
from PIL import Image

from gan_style import io, viz


def test_to_uint8_maps_signed_unit_range():
    out = io.to_uint8(np.array([-1.0, 0.0, 1.0, 3.0]))
    np.testing.assert_array_equal(out, [0, 128, 255, 255])


def test_write_png_round_trip(tmp_path):
    image = np.arange(28 * 28, dtype=np.uint16).reshape(28, 28, 1).astype(np.uint8)
    io.write_png(tmp_path / "a.png", image)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png")), image[..., 0])


def test_failed_write_keeps_the_existing_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    io.write_png(target, np.zeros((4, 4), np.uint8))
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        io.write_png(target, np.full((4, 4), 255, np.uint8))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_write_png_rejects_float_pixels(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        io.write_png(tmp_path / "x.png", np.zeros((2, 2), np.float32))


def test_image_grid_layout():
    images = np.stack([np.full((3, 3, 1), v) for v in (-1.0, 1.0, -1.0)])
    grid = viz.image_grid(images, cols=2, pad=1)
    assert grid.shape == (2 * 4 + 1, 2 * 4 + 1, 1)
    assert grid[1:4, 5:8].min() == 255 and grid[1:4, 1:4].max() == 0


def test_atomic_path_publishes_on_success_and_cleans_up_on_error(tmp_path):
    target = tmp_path / "plot.png"
    with io.atomic_path(target, mode=0o640) as tmp:
        assert tmp.name == "plot.png" and tmp.parent != tmp_path  # real name, private folder
        tmp.write_bytes(b"first")
    assert target.read_bytes() == b"first" and (target.stat().st_mode & 0o777) == 0o640
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
