"""The Playground's data sets: each generator's shape and noise, the split, the order, features."""

import numpy as np
import pytest

from companion.data.playground import (
    _GENERATORS,
    feature_columns,
    ordered_dataset,
    playground_dataset,
)


def radius(x):
    return np.hypot(x[:, 0], x[:, 1])


def generate(name, n, noise, *, seed):
    """A generator's raw output, in generation order (positives first where it has classes)."""
    return _GENERATORS[name](np.random.default_rng(seed), n, noise)


# ----------------------------------------------------------------------------- data


def test_circle_radii_labels_and_balance():
    x, y = generate("circle", 1000, 0.0, seed=1)
    inner, outer = radius(x[:500]), radius(x[500:])
    assert inner.max() < 2.5 and outer.min() >= 3.5 and outer.max() <= 5.0
    assert np.all(y[:500] == 1) and np.all(y[500:] == -1)  # no noise: the gap decides


def test_circle_noise_flips_labels_but_does_not_move_points():
    x0, y0 = generate("circle", 1000, 0.0, seed=2)
    x5, y5 = generate("circle", 1000, 0.5, seed=2)
    np.testing.assert_array_equal(x0, x5)
    flipped = y0 != y5
    assert 0.05 < flipped.mean() < 0.5
    assert set(np.unique(y5)) == {-1.0, 1.0}


def test_xor_margin_and_labels():
    x, y = generate("xor", 2000, 0.0, seed=3)
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3
    np.testing.assert_array_equal(y, np.where(x[:, 0] * x[:, 1] >= 0, 1.0, -1.0))
    x_noisy, y_noisy = generate("xor", 2000, 0.3, seed=3)
    np.testing.assert_array_equal(x, x_noisy)
    assert (y != y_noisy).mean() > 0.02


@pytest.mark.parametrize("noise, variance", [(0.0, 0.5), (0.5, 4.0)])
def test_gauss_means_variance_and_balance(noise, variance):
    x, y = generate("gauss", 8000, noise, seed=4)
    positive, negative = x[y > 0], x[y < 0]
    assert len(positive) == len(negative) == 4000
    np.testing.assert_allclose(positive.mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(negative.mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(positive.var(axis=0), [variance] * 2, rtol=0.08)


def test_spiral_follows_its_formula_and_noise_moves_points():
    x, y = generate("spiral", 200, 0.0, seed=5)
    i = np.arange(100)
    np.testing.assert_allclose(radius(x[:100]), 5 * i / 100, atol=1e-9)
    np.testing.assert_allclose(x[100:], -x[:100], atol=1e-9)  # δ = π: the mirror arm
    assert np.all(y[:100] == 1) and np.all(y[100:] == -1)
    moved, _ = generate("spiral", 200, 0.5, seed=5)
    shift = np.abs(moved - x)
    assert 0 < shift.max() <= 0.5


def test_regression_sets():
    x, y = generate("reg-plane", 500, 0.0, seed=6)
    np.testing.assert_allclose(y, (x[:, 0] + x[:, 1]) / 10, atol=1e-12)
    x, y = generate("reg-gauss", 3000, 0.0, seed=6)
    assert np.abs(y).max() <= 1.0 and (y > 0.5).any() and (y < -0.5).any()
    near = np.hypot(x[:, 0] - 4, x[:, 1] - 2.5) < 0.3  # the (4, 2.5) bump is positive
    assert np.all(y[near] > 0.8)


def test_split_labels_and_seed():
    data = playground_dataset("circle", 500, seed=7)
    assert data.x_train.shape == (250, 2) and data.x_test.shape == (250, 2)
    assert data.x_train.dtype == np.float32 and set(np.unique(data.y)) == {-1.0, 1.0}
    again = playground_dataset("circle", 500, seed=7)
    np.testing.assert_array_equal(data.x_train, again.x_train)
    assert not np.array_equal(data.x_train[:, 0], np.sort(data.x_train[:, 0]))
    ones = playground_dataset("circle", 100, seed=7, train_fraction=0.8, labels="01")
    assert len(ones.x_train) == 80 and set(np.unique(ones.y)) == {0.0, 1.0}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "moons"}, "unknown Playground data set"),
        ({"name": "circle", "noise": 0.6}, r"noise must be in \[0, 0.5\]"),
        ({"name": "circle", "labels": "yes"}, "labels must be"),
        ({"name": "reg-plane", "labels": "01"}, "regression"),
        ({"name": "circle", "train_fraction": 0}, "train_fraction"),
    ],
)
def test_bad_arguments_say_the_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        playground_dataset(**kwargs)


def test_ordered_dataset_puts_every_negative_first():
    x, y = ordered_dataset("circle", 1000, seed=8)
    assert np.all(y[:500] == -1) and np.all(y[500:] == 1)
    xs, ys = ordered_dataset("circle", 1000, seed=8, order="shuffled")
    assert 0.3 < (ys[:500] == -1).mean() < 0.7
    assert sorted(map(tuple, x)) == sorted(map(tuple, xs))  # the same points, reordered
    _, y01 = ordered_dataset("gauss", 10, seed=8, labels="01", order="positives_first")
    assert list(y01) == [1.0] * 5 + [0.0] * 5
    with pytest.raises(ValueError, match="needs classes"):
        ordered_dataset("reg-plane")


def test_feature_columns_and_aliases():
    x = np.array([[1.0, 2.0], [-0.5, 3.0]], dtype="float32")
    cols = feature_columns(x, ["x1", "xSquared", "x2_squared", "xTimesY", "sin_x1", "sinY"])
    expected = [[1, 1, 4, 2, np.sin(1), np.sin(2)], [-0.5, 0.25, 9, -1.5, np.sin(-0.5), np.sin(3)]]
    np.testing.assert_allclose(cols, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="unknown input feature 'cos_x1'"):
        feature_columns(x, ["cos_x1"])


# ----------------------------------------------------------------------------- network


# ----------------------------------------------------------------------------- fast loop
