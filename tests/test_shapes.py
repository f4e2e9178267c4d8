"""Shape and parameter formulas, checked against real Keras layers on random settings."""

import keras
import numpy as np
import pytest
from keras import layers

from companion.shapes import (
    batch_norm_params,
    conv2d_output_shape,
    conv2d_params,
    conv_output_size,
    dense_params,
    patch_coverage,
    pool_output_size,
)

N_CONFIGS = 40


def random_conv_configs(seed, n=N_CONFIGS):
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < n:
        height, width = (int(v) for v in rng.integers(3, 33, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 8, size=2))
        stride = int(rng.integers(1, 5))
        # Keras refuses strides > 1 together with dilation > 1.
        dilation = int(rng.integers(1, 4)) if stride == 1 else 1
        padding = str(rng.choice(["valid", "same"]))
        span = max(dilation * (kh - 1) + 1, dilation * (kw - 1) + 1)
        if padding == "valid" and span > min(height, width):
            continue
        configs.append(
            dict(
                height=height,
                width=width,
                channels=int(rng.integers(1, 5)),
                filters=int(rng.integers(1, 9)),
                kernel=(kh, kw),
                stride=stride,
                dilation=dilation,
                padding=padding,
                use_bias=bool(rng.integers(0, 2)),
            )
        )
    return configs


def test_conv2d_shapes_and_params_match_keras():
    for c in random_conv_configs(seed=0):
        layer = layers.Conv2D(
            c["filters"],
            c["kernel"],
            strides=c["stride"],
            dilation_rate=c["dilation"],
            padding=c["padding"],
            use_bias=c["use_bias"],
        )
        x = np.zeros((1, c["height"], c["width"], c["channels"]), "float32")
        out = tuple(layer(x).shape[1:])  # a real forward pass, not Keras' own formula
        expected = (
            conv_output_size(c["height"], c["kernel"][0], c["stride"], c["padding"], c["dilation"]),
            conv_output_size(c["width"], c["kernel"][1], c["stride"], c["padding"], c["dilation"]),
            c["filters"],
        )
        assert out == expected, c
        assert layer.count_params() == conv2d_params(
            c["channels"], c["filters"], c["kernel"], use_bias=c["use_bias"]
        ), c


def test_square_conv2d_output_shape_matches_keras():
    rng = np.random.default_rng(1)
    for _ in range(N_CONFIGS):
        size, kernel = int(rng.integers(4, 33)), int(rng.integers(1, 6))
        kernel = min(kernel, size)
        stride, filters = int(rng.integers(1, 4)), int(rng.integers(1, 9))
        padding = str(rng.choice(["valid", "same"]))
        layer = layers.Conv2D(filters, kernel, strides=stride, padding=padding)
        out = layer.compute_output_shape((None, size, size, 3))[1:]
        assert conv2d_output_shape((size, size, 3), filters, kernel, stride, padding) == out
        layer.build((None, size, size, 3))
        assert conv2d_params(3, filters, kernel) == layer.count_params()


@pytest.mark.parametrize("layer_class", [layers.MaxPooling2D, layers.AveragePooling2D])
def test_pooling_shapes_match_keras(layer_class):
    rng = np.random.default_rng(2)
    checked = 0
    while checked < N_CONFIGS:
        height, width = (int(v) for v in rng.integers(2, 30, size=2))
        pool = int(rng.integers(1, 5))
        stride = None if rng.random() < 0.3 else int(rng.integers(1, 5))
        padding = str(rng.choice(["valid", "same"]))
        if padding == "valid" and pool > min(height, width):
            continue
        layer = layer_class(pool, strides=stride, padding=padding)
        out = tuple(layer(np.ones((1, height, width, 2), "float32")).shape[1:3])
        assert out == (
            pool_output_size(height, pool, stride, padding),
            pool_output_size(width, pool, stride, padding),
        ), (height, width, pool, stride, padding)
        assert layer.count_params() == 0
        checked += 1


def test_dense_params_match_keras():
    rng = np.random.default_rng(3)
    for _ in range(N_CONFIGS):
        inputs, units = int(rng.integers(1, 500)), int(rng.integers(1, 200))
        use_bias = bool(rng.integers(0, 2))
        layer = layers.Dense(units, use_bias=use_bias)
        layer.build((None, inputs))
        assert layer.count_params() == dense_params(inputs, units, use_bias=use_bias)


@pytest.mark.parametrize("channels", [1, 3, 8, 64])
def test_batch_norm_params_match_keras(channels):
    layer = layers.BatchNormalization()
    layer.build((None, 5, 5, channels))
    assert layer.count_params() == batch_norm_params(channels)
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert trainable == 2 * channels


def test_problem_4b_numbers():
    """5x5 convolution, 8 filters, stride 1, no padding, on 32x32x3: 608 parameters, 28x28x8."""
    assert conv2d_params(3, 8, 5) == 608
    assert conv2d_output_shape((32, 32, 3), 8, 5) == (28, 28, 8)
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 5)])
    assert model.count_params() == 608 and model.output_shape == (None, 28, 28, 8)


def test_formula_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="padding.*'full'"):
        conv_output_size(10, 3, padding="full")
    with pytest.raises(ValueError, match="4 without padding"):
        conv_output_size(4, 5)
    with pytest.raises(ValueError, match="at least 1"):
        conv_output_size(10, 3, stride=0)
    with pytest.raises(ValueError, match="at least 1"):
        pool_output_size(10, 2, stride=0)
    # 'same' pads, so a kernel larger than the image is fine (as in Keras).
    assert conv_output_size(4, 5, padding="same") == 4
    assert conv_output_size(7, 3, stride=2, padding="SAME") == 4


# --- problem 4A: how many 8x8 patches cover each pixel of a 20x20 image -------------------


def test_patch_coverage_valid_exact_counts():
    coverage = patch_coverage(20, 8, "valid")
    line = [1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]
    np.testing.assert_array_equal(coverage, np.outer(line, line))
    assert coverage[0, 0] == coverage[19, 19] == coverage[0, 19] == 1
    assert coverage[10, 10] == coverage[9, 9] == 64 == coverage.max()
    assert coverage[0, 10] == 8
    assert coverage.sum() == 13 * 13 * 64  # 13x13 patch positions, 64 pixels each


def test_patch_coverage_same_exact_counts():
    coverage = patch_coverage(20, 8, "same")
    # Keras pads 3 rows before and 4 after for an even kernel of 8.
    line = [4, 5, 6, 7] + [8] * 13 + [7, 6, 5]
    np.testing.assert_array_equal(coverage, np.outer(line, line))
    assert coverage.min() == 16 and (coverage > 0).all()  # every pixel covered
    assert coverage[0, 0] == 16 and coverage[19, 19] == 25 and coverage[0, 19] == 20
    assert coverage[10, 10] == 64
    assert coverage.sum() == 144 * 144


@pytest.mark.parametrize(("size", "patch"), [(20, 8), (9, 3), (10, 4), (7, 7), (6, 1), (11, 5)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_patch_coverage_matches_a_keras_convolution(size, patch, padding):
    """Coverage of pixel p = sum of a ones-kernel convolution of the one-hot image at p."""
    one_hots = np.eye(size * size, dtype="float32").reshape(size * size, size, size, 1)
    kernel = np.ones((patch, patch, 1, 1), "float32")
    out = keras.ops.conv(one_hots, kernel, strides=1, padding=padding)
    counts = keras.ops.convert_to_numpy(keras.ops.sum(out, axis=(1, 2, 3)))
    expected = patch_coverage(size, patch, padding)
    np.testing.assert_array_equal(counts.reshape(size, size).round().astype(int), expected)


def test_patch_coverage_refuses_a_patch_larger_than_the_image():
    with pytest.raises(ValueError, match="9×9.*8×8"):
        patch_coverage(8, 9)
    with pytest.raises(ValueError, match="20 and 0"):
        patch_coverage(20, 0)
