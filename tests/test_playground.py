"""The Playground's generators, network builder, fast loop and settle rule."""

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


def test_playground_model_shape_and_playground_init():
    from companion.playground import playground_model
    from companion.seed import set_seed

    set_seed(0)
    model = playground_model((4, 2), activation="relu")
    kernels = [layer.kernel.numpy() for layer in model.layers]
    assert [k.shape for k in kernels] == [(2, 4), (4, 2), (2, 1)]
    assert all(np.abs(k).max() <= 0.5 for k in kernels)
    assert all(np.allclose(layer.bias.numpy(), 0.1) for layer in model.layers)
    assert model.layers[-1].activation.__name__ == "tanh"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.03)
    assert float(model.optimizer.momentum) == 0.0


def test_zeros_and_keras_initialisers_and_errors():
    from companion.playground import playground_model

    zero = playground_model(init="zeros")
    assert all(not np.any(w.numpy()) for w in zero.weights)
    ones = playground_model(init="ones")
    assert np.all(ones.layers[0].kernel.numpy() == 1) and not np.any(ones.layers[0].bias.numpy())
    with pytest.raises(ValueError, match="activation must be one of"):
        playground_model(activation="swish")
    with pytest.raises(ValueError, match="init must be 'playground', 'zeros' or a Keras"):
        playground_model(init="nonsense")


def test_loss_is_half_the_squared_error():
    from companion.playground import half_squared_error

    y, p = np.array([[1.0], [-1.0]]), np.array([[0.5], [0.0]])
    assert float(half_squared_error(y, p).numpy().mean()) == pytest.approx(0.5 * (0.25 + 1) / 2)
    assert half_squared_error(np.array([1.0, -1.0]), p).shape == (2,)  # ranks reconciled


def test_features_layer_takes_raw_points():
    from companion.playground import playground_model

    model = playground_model((3,), features=("x1_squared", "x2_squared", "x1_x2"))
    features = model.layers[0](np.array([[2.0, -3.0]], dtype="float32")).numpy()
    np.testing.assert_allclose(features, [[4.0, 9.0, -6.0]])
    assert model.layers[1].kernel.shape == (3, 3)
    assert model.predict(np.zeros((5, 2)), verbose=0).shape == (5, 1)


def test_reinitialize_draws_new_weights_and_keeps_the_rate():
    from companion.playground import playground_model, reinitialize

    model = playground_model(learning_rate=0.07)
    model.optimizer.build(model.trainable_variables)
    reinitialize(model, 1)
    first = [w.numpy().copy() for w in model.weights]
    reinitialize(model, 2)
    assert not np.array_equal(first[0], model.weights[0].numpy())
    reinitialize(model, 1)
    np.testing.assert_array_equal(first[0], model.weights[0].numpy())
    np.testing.assert_allclose(model.weights[1].numpy(), 0.1)  # constant biases stay
    assert float(model.optimizer.learning_rate) == pytest.approx(0.07)


# ----------------------------------------------------------------------------- fast loop


def test_classification_accuracy_for_each_label_style():
    import keras

    from companion.playground import classification_accuracy

    sign = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="tanh")])
    sign.set_weights([np.array([[1.0], [0.0]]), np.zeros(1)])
    x = np.array([[1.0, 0], [-1.0, 0], [2.0, 0], [-3.0, 0]], dtype="float32")
    assert classification_accuracy(sign, x, [1, -1, -1, -1]) == 0.75
    two = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    two.set_weights([np.array([[-1.0, 1.0], [0, 0]]), np.zeros(2)])
    assert classification_accuracy(two, x, [1, 0, 1, 0]) == 1.0


def test_restart_from_copies_the_start_and_clears_the_optimizer():
    from companion.fastfit import fast_fit
    from companion.playground import playground_model, restart_from

    circle = playground_dataset("circle", 100, seed=4)
    trainer = playground_model((4, 2), activation="sigmoid", seed=1)
    fast_fit(trainer, circle.x_train, circle.y_train, epochs=2)
    start = playground_model((4, 2), activation="sigmoid", seed=5, compile=False)
    restart_from(trainer, start)
    for a, b in zip(trainer.get_weights(), start.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(trainer.optimizer.iterations) == 0
    assert float(trainer.optimizer.learning_rate) == pytest.approx(0.03)
    fresh = playground_model((4, 2), activation="sigmoid", seed=5)
    a = fast_fit(trainer, circle.x_train, circle.y_train, epochs=3)
    b = fast_fit(fresh, circle.x_train, circle.y_train, epochs=3)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-6)  # same as a fresh net
    with pytest.raises(ValueError, match="same hidden layers"):
        restart_from(trainer, playground_model((3,), compile=False))
