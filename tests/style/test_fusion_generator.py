"""Fusion-style generator: the two fusion equations, alpha, any size, serialization."""

import keras
import numpy as np
import pytest

from gan_style.style.fusion_generator import FusionGenerator, adain, build_decoder, fuse, fused_levels, mean_std


def _features(seed, shape=(2, 5, 6, 4)):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * rng.uniform(0.5, 3, shape[-1]) + rng.normal(size=shape[-1])).astype(np.float32)


def test_adain_takes_the_style_channel_statistics():
    content, style = _features(0), _features(1, (2, 7, 3, 4))
    out = np.asarray(adain(content, style))
    # by hand: per image and channel over H, W
    np.testing.assert_allclose(out.mean(axis=(1, 2)), style.mean(axis=(1, 2)), atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), np.sqrt(style.var(axis=(1, 2)) + 1e-5), rtol=1e-3)
    mean, std = (np.asarray(t) for t in mean_std(style))
    assert mean.shape == (2, 1, 1, 4) and std.shape == (2, 1, 1, 4)


def test_adain_alpha_zero_is_exactly_the_content():
    content, style = _features(2), _features(3)
    np.testing.assert_array_equal(np.asarray(fuse(content, style, 0.0, "adain")), content)


def test_linear_is_the_seed_formula():
    content, style = _features(4), _features(5)
    np.testing.assert_allclose(np.asarray(fuse(content, style, 0.3, "linear")), 0.3 * content + 0.7 * style, rtol=1e-6)


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_alpha_outside_the_unit_interval_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha must be in"):
        fuse(_features(0), _features(1), alpha)


@pytest.fixture(scope="module", params=[0, 2, 3], ids=lambda k: f"skips{k}")
def tiny(request):
    return FusionGenerator(width=4, encoder_weights=None, skips=request.param)


def test_skip_decoder_takes_each_fused_level_at_its_scale():
    decoder = build_decoder(width=4, skips=2)
    assert {i.name: tuple(i.shape[1:]) for i in decoder.inputs} == {
        "relu4_1": (None, None, 512), "relu3_1": (None, None, 256), "relu2_1": (None, None, 128)}
    rng = np.random.default_rng(0)
    fused = {"relu4_1": rng.uniform(0, 1, (1, 3, 4, 512)), "relu3_1": rng.uniform(0, 1, (1, 6, 8, 256)),
             "relu2_1": rng.uniform(0, 1, (1, 12, 16, 128))}
    fused = {k: v.astype(np.float32) for k, v in fused.items()}
    out = np.asarray(decoder(fused))
    assert out.shape == (1, 24, 32, 3)
    # zero-initialised projections: an untrained skip decoder is the plain decoder
    no_skip = {**fused, "relu2_1": fused["relu2_1"] * 0.0, "relu3_1": fused["relu3_1"] * 0.0}
    np.testing.assert_array_equal(np.asarray(decoder(no_skip)), out)
    # once its projection has weights, the finest skip alone reaches the pixels
    projection = decoder.get_layer("skip_relu2_1")
    projection.set_weights([np.full(projection.get_weights()[0].shape, 0.01, np.float32)])
    assert np.abs(np.asarray(decoder(fused)) - np.asarray(decoder(no_skip))).max() > 1e-4


def test_skips_out_of_range_are_rejected():
    assert fused_levels(0) == ("relu4_1",)
    assert fused_levels(3) == ("relu4_1", "relu3_1", "relu2_1", "relu1_1")
    with pytest.raises(ValueError, match="skips must be in"):
        fused_levels(4)


@pytest.mark.parametrize("size", [(17, 23), (32, 32), (9, 40)])
def test_any_size_returns_the_content_size_in_range(tiny, size):
    content = np.random.default_rng(0).uniform(-1, 1, (1, *size, 3)).astype(np.float32)
    style = np.random.default_rng(1).uniform(-1, 1, (1, 21, 30, 3)).astype(np.float32)
    for fusion in ("adain", "linear"):
        out = np.asarray(tiny((content, style), alpha=0.5, fusion=fusion))
        assert out.shape == (1, *size, 3) and out.min() >= -1 and out.max() <= 1


def test_save_load_round_trip(tiny, tmp_path):
    content = np.random.default_rng(0).uniform(-1, 1, (2, 24, 24, 3)).astype(np.float32)
    style = np.random.default_rng(1).uniform(-1, 1, (2, 24, 24, 3)).astype(np.float32)
    tiny.save(tmp_path / "fusion.keras")
    again = keras.saving.load_model(tmp_path / "fusion.keras")
    assert again.fusion == "adain" and again.width == 4 and again.skips == tiny.skips
    np.testing.assert_allclose(again((content, style), alpha=0.7), tiny((content, style), alpha=0.7), atol=1e-5)


def test_bilinear_upsampling_duplicates_no_rows_as_nearest_does():
    """Nearest-neighbour x2 duplicates every row pair (the period-2 mesh of issue 28); the
    decoder's bilinear x2 (tf.image.resize's; on other backends its formula in keras.ops, equal)
    does not, also compiled on unknown sizes."""
    import tensorflow as tf

    from gan_style.core.layers import BilinearUpsample2x

    decoder = build_decoder(width=4, skips=2)
    assert sum(isinstance(layer, BilinearUpsample2x) for layer in decoder.layers) == 3
    assert not any(isinstance(layer, keras.layers.UpSampling2D) for layer in decoder.layers)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 9, 11, 3)).astype(np.float32)
    up = BilinearUpsample2x()
    np.testing.assert_allclose(up(x), tf.image.resize(x, (18, 22), "bilinear"), atol=1e-5)
    np.testing.assert_allclose(BilinearUpsample2x.formula(x), up(x), atol=1e-5)  # the JAX / torch path
    compiled_formula = tf.function(BilinearUpsample2x.formula,
                                   input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    np.testing.assert_allclose(compiled_formula(x[:, :7, :4]), up(x[:, :7, :4]), atol=1e-5)
    compiled = tf.function(up, input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    np.testing.assert_allclose(compiled(x[:, :5, :6]), tf.image.resize(x[:, :5, :6], (10, 12), "bilinear"),
                               atol=1e-5)  # unknown sizes in a graph (Keras' bilinear UpSampling2D fails)

    def flat_steps(images):  # share of row-to-row steps that are exactly zero: duplicated rows
        return float(np.mean(np.diff(np.asarray(images), axis=1) == 0.0))

    nearest = keras.layers.UpSampling2D(2, interpolation="nearest")(x)
    assert flat_steps(nearest) > 0.45 and flat_steps(up(x)) < 0.01


def test_the_generator_runs_compiled_on_unknown_sizes():
    """What `style_eval.ours` and the stylize CLI do: one tf.function with unknown batch and sizes."""
    import tensorflow as tf

    generator = FusionGenerator(width=4, encoder_weights=None, skips=2)
    spec = tf.TensorSpec((None, None, None, 3), tf.float32)
    run = tf.function(lambda c, s: generator((c, s)), input_signature=[spec, spec])
    rng = np.random.default_rng(0)
    for size in ((24, 40), (37, 29)):
        content = rng.uniform(-1, 1, (1, *size, 3)).astype(np.float32)
        assert run(content, rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)).shape == (1, *size, 3)


@pytest.mark.parametrize("recorded", [None, "zeros", "reflect"])
def test_from_pretrained_builds_the_encoder_padding_its_manifest_records(tmp_path, recorded):
    """A decoder runs on the encoder it was trained with: manifests from before the option
    existed were trained on VGG's zero padding."""
    from gan_style.core import checkpoints, manifests

    checkpoints.save_model(build_decoder(width=4, skips=0), tmp_path / "decoder.keras")
    config = {"width": 4, "skips": 0, "encoder_weights": None}
    if recorded:
        config["encoder_padding"] = recorded
    manifests.write_manifest(tmp_path, ["decoder.keras"], config=config)
    generator = FusionGenerator.from_pretrained(str(tmp_path))
    assert generator.encoder_padding == (recorded or "zeros")
    pads = [layer for layer in generator.encoder.layers if layer.name.endswith("_pad")]
    assert bool(pads) == (generator.encoder_padding == "reflect")


def test_a_bfloat16_generator_renders_what_the_float32_one_does(tmp_path, monkeypatch):
    """`--precision auto` on AMX / AVX512-BF16 CPUs (forced here): `from_pretrained` runs the encoder
    and the decoder (the checkpoint's weights, rebuilt under "mixed_bfloat16") in bfloat16, the
    fusion in float32; the picture is float32's to within bfloat16's rounding (the real VGG
    weights, a 64-px photo, a decoder with a skip)."""
    from gan_style.core import checkpoints, data, manifests, runtime

    keras.utils.set_random_seed(0)
    decoder = build_decoder(width=4, skips=1)
    skip = decoder.get_layer("skip_relu3_1")  # zero-initialised: given weights, so the skip counts
    skip.set_weights([np.random.default_rng(0).normal(0, 0.05, skip.kernel.shape).astype(np.float32)])
    checkpoints.save_model(decoder, tmp_path / "decoder.keras")
    manifests.write_manifest(tmp_path, ["decoder.keras"], config={"width": 4, "skips": 1, "encoder_weights": "hed",
                                                                  "encoder_padding": "reflect"})
    pictures = [data.fit_long_side(data.bundled_image(n), 64) for n in ("chelsea", "gravel")]
    content, style = (p[None, :48, :64].astype(np.float32) / 127.5 - 1.0 for p in pictures)
    monkeypatch.setattr(runtime, "auto_precision", lambda: "mixed_bfloat16")
    outputs = {}
    for precision in ("float32", "auto"):
        generator = FusionGenerator.from_pretrained(str(tmp_path), precision=precision)
        bf16 = precision == "auto"
        assert generator.encode(content)["relu4_1"].dtype == ("bfloat16" if bf16 else "float32")
        convolutions = [layer for layer in generator.decoder.layers if isinstance(layer, keras.layers.Conv2D)]
        assert {layer.compute_dtype for layer in convolutions} == {"bfloat16" if bf16 else "float32"}
        for mine, saved in zip(generator.decoder.get_weights(), decoder.get_weights(), strict=True):
            np.testing.assert_array_equal(mine, saved)  # the same float32 weights
        outputs[precision] = np.asarray(generator((content, style)))
    assert outputs["auto"].dtype == np.float32
    gap = np.abs(outputs["auto"] - outputs["float32"])
    # different arithmetic, the same picture: measured RMSE 3% of the picture's own spread
    assert 0 < gap.max() and np.sqrt((gap ** 2).mean()) < 0.1 * outputs["float32"].std()


def test_from_pretrained_rejects_an_unknown_precision():
    with pytest.raises(ValueError, match="precision"):
        FusionGenerator.from_pretrained(precision="float16")
