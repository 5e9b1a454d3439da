from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_style.core import io, viz


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


# ---------------------------------------------------------------------------------------------
# reading


def _save(path, array, **kwargs):
    from PIL import Image

    Image.fromarray(array).save(path, **kwargs)
    return path


@pytest.mark.parametrize(
    ("name", "make", "channels"),
    [
        ("gray.png", lambda: np.arange(64, dtype=np.uint8).reshape(8, 8), 1),
        ("rgb.jpg", lambda: np.full((8, 8, 3), 90, np.uint8), 3),
        ("rgb.bmp", lambda: np.full((8, 8, 3), 200, np.uint8), 3),
        ("rgba.png", lambda: np.full((8, 8, 4), 120, np.uint8), 3),
    ],
)
def test_read_image_formats(tmp_path, name, make, channels):
    from gan_style.core.io import read_image

    image = read_image(_save(tmp_path / name, make()))
    assert image.dtype == np.uint8 and image.shape == (8, 8, channels)


def test_read_image_16_bit_palette_and_gif_first_frame(tmp_path):
    from PIL import Image

    from gan_style.core.io import read_image

    wide = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    image = read_image(tmp_path / "wide.png")
    assert image.shape == (8, 8, 1) and image[-1, -1, 0] == round(63000 / 65535 * 255)
    palette = Image.fromarray(np.full((8, 8, 3), (255, 0, 0), np.uint8)).convert("P")
    palette.save(tmp_path / "palette.png")
    assert tuple(read_image(tmp_path / "palette.png")[0, 0]) == (255, 0, 0)
    frames = [Image.fromarray(np.full((8, 8), v, np.uint8)) for v in (10, 250)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert read_image(tmp_path / "anim.gif")[0, 0, 0] == 10
    # WebP (GNOME's wallpapers are .webp): lossless RGBA comes back as its RGB, exactly
    rgba = np.dstack([np.arange(48, dtype=np.uint8).reshape(6, 8) * 5] * 3 + [np.full((6, 8), 255, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "wall.webp", lossless=True)
    assert np.array_equal(read_image(tmp_path / "wall.webp"), rgba[..., :3])


def test_read_image_errors_are_one_line(tmp_path):
    from gan_style.core.io import ImageError, read_image

    png = _save(tmp_path / "ok.png", np.zeros((64, 64, 3), np.uint8))
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "cut.png").write_bytes(png.read_bytes()[:60])
    cases = {"empty.png": "empty", "text.png": "not a PNG", "cut.png": "unreadable", "missing.png": "no such file"}
    for name, reason in cases.items():
        with pytest.raises(ImageError, match=reason) as info:
            read_image(tmp_path / name)
        assert "\n" not in str(info.value) and name in str(info.value)
    with pytest.raises(ImageError, match="over the limit"):
        read_image(png, max_pixels=100)


def test_read_rgb_folder_reads_in_name_order_skips_bad_files_and_stops_at_the_limit(tmp_path):
    from gan_style.core.io import read_rgb_folder

    Image.fromarray(np.full((4, 5), 200, np.uint8)).save(tmp_path / "a_gray.png")
    (tmp_path / "b_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    Image.fromarray(np.zeros((3, 2, 3), np.uint8)).save(tmp_path / "c_rgb.png")
    Image.fromarray(np.zeros((3, 2, 3), np.uint8)).save(tmp_path / "d_unread.png")
    pictures = read_rgb_folder(tmp_path, limit=2)
    assert list(pictures) == ["a_gray.png", "c_rgb.png"]
    assert pictures["a_gray.png"].shape == (4, 5, 3) and (pictures["a_gray.png"] == 200).all()
    assert list(read_rgb_folder(tmp_path)) == ["a_gray.png", "c_rgb.png", "d_unread.png"]


def test_read_image_applies_exif_orientation(tmp_path):
    """A JPEG stored 40 wide x 20 high with orientation 6 (rotate 90 clockwise) reads upright: 20 x 40."""
    from gan_style.core.io import read_image

    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    image = read_image(tmp_path / "phone.jpg")
    assert image.shape == (40, 20, 3)
    assert image[:15].mean() > 200 and image[25:].mean() < 50  # the white half is now on top


def test_fifo_and_directories_are_not_regular_files(tmp_path):
    import os

    from gan_style.core.io import ImageError, read_image, scan_inputs

    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageError, match="not a regular file"):  # and it does not block on open
        read_image(tmp_path / "pipe.png")
    with pytest.raises(ImageError, match="is a directory"):
        read_image(tmp_path)
    _save(tmp_path / "ok.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.png").symlink_to(tmp_path / "gone.png")
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "readme.txt").write_text("x")
    found, skipped = scan_inputs([tmp_path])
    assert found == [tmp_path / "ok.png"]
    reasons = {p.name: r for p, r in skipped}
    assert reasons == {"pipe.png": "not a regular file", "sub": "directory (folders are not searched recursively)",
                       "link.png": "broken symbolic link", ".hidden.png": "hidden file",
                       "readme.txt": reasons["readme.txt"]} and reasons["readme.txt"].startswith("not an image")


def test_decode_image_and_encode_png_are_read_image_and_write_png_in_memory(tmp_path):
    from gan_style.core.io import ImageError, decode_image, encode_png, read_image, write_png

    image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    data = encode_png(image)
    np.testing.assert_array_equal(decode_image(data), image)
    assert write_png(tmp_path / "a.png", image).read_bytes() == data
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), decode_image(data))
    assert decode_image(encode_png(image[..., :1])).shape == (20, 30, 1)
    for bad, reason in ((b"", "empty file"), (b"not an image", "not a PNG"), (data[:60], "unreadable")):
        with pytest.raises(ImageError, match=reason) as info:
            decode_image(bad, source="gs://b/x.png")
        assert str(info.value).startswith("gs://b/x.png: ") and "\n" not in str(info.value)
    with pytest.raises(ImageError, match="over the limit"):
        decode_image(data, max_pixels=100)


def test_write_jpeg_writes_a_close_copy_atomically(tmp_path):
    from gan_style.core.io import read_rgb, write_jpeg

    image = (np.indices((64, 96)).sum(0)[..., None] * np.array([1, 2, 3]) % 256).astype(np.uint8)
    path = write_jpeg(tmp_path / "grid.jpg", image)
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG, whatever the name
    assert np.abs(read_rgb(path).astype(int) - image).mean() < 8  # lossy, close
    assert [p.name for p in tmp_path.iterdir()] == ["grid.jpg"]  # no temporary file left


def test_writable_folder_creates_or_says_in_one_line_why_not(tmp_path):
    from gan_style.core.io import writable_folder

    assert writable_folder(tmp_path / "a" / "b").is_dir()  # made, parents too
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match=f"^cannot write to the output folder {blocker}: it is a file$"):
        writable_folder(blocker)
    with pytest.raises(OSError, match=f"^cannot write to the output folder {blocker / 'sub'}: Not a directory$"):
        writable_folder(blocker / "sub")
    assert not list((tmp_path / "a" / "b").iterdir())  # the check leaves nothing behind


def test_output_names_cannot_collide_with_real_stems():
    from gan_style.core.io import output_names

    assert output_names([Path("a/x.png"), Path("b/x.png"), Path("y.jpg")]) == ["a__x", "b__x", "y"]
    assert output_names([Path("a/x.png"), Path("b/x.png"), Path("c/x-1.png")]) == ["a__x", "b__x", "x-1"]
    names = output_names([Path("a/x.png"), Path("b/x.png"), Path("a__x.png"), Path("x.jpg"), Path("X.bmp")])
    assert len({n.casefold() for n in names}) == 5 and names[2] == "a__x"  # a real stem keeps its name
