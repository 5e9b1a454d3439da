"""Every custom layer registered under the package "gan_style": get_config/from_config gives the
same layer (same config, same outputs with the same weights), it deserializes by its registered
name, and it runs under the `mixed_bfloat16` policy with finite outputs of the dtype it defines.

A new registered layer fails `test_every_registered_layer_has_a_case` until it gets a case here.
"""

import importlib
import pkgutil

import keras
import numpy as np
import pytest

import gan_style


def _images(b=2, h=12, w=10, c=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (b, h, w, c)).astype("float32")


def _mask(b=2, h=12, w=10):
    mask = np.zeros((b, h, w, 1), "float32")
    mask[:, 3:7, 2:6] = 1.0
    return mask


# name -> (constructor kwargs, inputs, output dtype under mixed_bfloat16)
CASES = {
    "ResizeLike": ({"interpolation": "bilinear"}, lambda: [_images(h=6, w=5), _images(h=12, w=10, c=1)], "bfloat16"),
    "GatedConv2D": ({"filters": 4, "kernel_size": 3, "strides": 2}, lambda: [_images()], "bfloat16"),
    "CoarseFill": ({"levels": 3, "iterations": 4, "coarse_iterations": 2, "bi_iterations": 2,
                    "bi_coarse_iterations": 2}, lambda: [_images(), _mask()],
                   "float32"),  # computes in float32 whatever the policy (Jacobi sums)
    "Composite": ({}, lambda: [_images(), _images(seed=1), _mask()], "bfloat16"),
    "CategoricalCode": ({"categories": 10}, lambda: [np.random.default_rng(0).standard_normal((4, 6), "float32")],
                        "bfloat16"),
    "ReflectionPadding2D": ({"padding": 2}, lambda: [_images()], "bfloat16"),
    "BilinearUpsample2x": ({}, lambda: [_images()], "bfloat16"),
    "CaffePreprocess": ({"value_range": (-1.0, 1.0)}, lambda: [_images()], "float32"),  # BGR 0-255 float32
}


def _registered_layers() -> dict[str, type]:
    """Every class registered as "gan_style>Name" that is a layer and not a whole model."""
    for module in pkgutil.walk_packages(gan_style.__path__, "gan_style."):
        if module.name.split(".")[1] in ("core", "gan", "style", "qc"):
            importlib.import_module(module.name)
    found = {}
    for key, obj in keras.saving.get_custom_objects().items():
        if key.startswith("gan_style>") and isinstance(obj, type) and issubclass(obj, keras.layers.Layer):
            if not issubclass(obj, keras.Model):  # models have their own save/reload tests
                found[key.split(">", 1)[1]] = obj
    return found


REGISTERED = _registered_layers()


def test_every_registered_layer_has_a_case():
    assert sorted(REGISTERED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip_gives_the_same_outputs(name):
    cls = REGISTERED[name]
    kwargs, make_inputs, _ = CASES[name]
    inputs = make_inputs()
    layer = cls(**kwargs)
    expected = keras.ops.convert_to_numpy(layer(*inputs))
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    clone(*inputs)  # build, then share the weights
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(*inputs)), expected, rtol=1e-6, atol=1e-6)
    # by its registered name, as a .keras file stores it
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is cls and restored.get_config() == config


@pytest.mark.parametrize("name", sorted(CASES))
def test_runs_under_mixed_bfloat16(name):
    cls = REGISTERED[name]
    kwargs, make_inputs, out_dtype = CASES[name]
    inputs = make_inputs()
    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = cls(**kwargs)
        assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
        out = layer(*inputs)
    finally:
        keras.mixed_precision.set_global_policy(before)
    assert keras.mixed_precision.global_policy().name == before
    assert keras.backend.standardize_dtype(out.dtype) == out_dtype
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in layer.weights)
    values = keras.ops.convert_to_numpy(keras.ops.cast(out, "float32"))
    assert np.isfinite(values).all()
    # the same layer in float32, the same weights: bfloat16 keeps about 3 significant digits
    reference_layer = cls.from_config({**layer.get_config(), "dtype": "float32"})
    reference_layer(*inputs)
    reference_layer.set_weights(layer.get_weights())
    reference = keras.ops.convert_to_numpy(reference_layer(*inputs))
    assert reference_layer.compute_dtype == "float32"
    np.testing.assert_allclose(values, reference, rtol=3e-2, atol=3e-2 * max(1.0, float(np.abs(reference).max())))
