"""Values of the shared layers against their references."""

import numpy as np
import pytest
import tensorflow as tf

from gan_style.core.layers import ReflectionPadding2D


@pytest.mark.parametrize("padding", [0, 1, 2, 3])
def test_reflection_padding_is_numpys_reflect_also_compiled_on_unknown_sizes(padding):
    """The concatenated slices give `np.pad(mode="reflect")` exactly (edge pixel not repeated), in
    float32 and bfloat16, eager and in a graph of unknown sizes."""

    def reflect(a):
        return np.pad(np.asarray(a, np.float32), [[0, 0], [padding, padding], [padding, padding], [0, 0]],
                      mode="reflect")

    x = np.random.default_rng(padding).normal(size=(2, 5, 7, 3)).astype(np.float32)
    layer = ReflectionPadding2D(padding)
    np.testing.assert_array_equal(layer(x), reflect(x))
    compiled = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    np.testing.assert_array_equal(compiled(x[:, :4, :6]), reflect(x[:, :4, :6]))
    bf16 = tf.cast(x, tf.bfloat16)
    padded = ReflectionPadding2D(padding, dtype="mixed_bfloat16")(bf16)
    assert padded.dtype == tf.bfloat16
    np.testing.assert_array_equal(tf.cast(padded, tf.float32), reflect(tf.cast(bf16, tf.float32)))
