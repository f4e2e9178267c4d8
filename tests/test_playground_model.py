"""The Playground's network: its builder, initialisers, loss, restarts and accuracy."""

import keras
import numpy as np
import pytest

from companion.data.playground import playground_dataset
from companion.playground.fastfit import fast_fit
from companion.playground.model import (
    classification_accuracy,
    half_squared_error,
    playground_model,
    reinitialize,
    restart_from,
)
from companion.seed import set_seed


def test_playground_model_shape_and_playground_init():
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
    zero = playground_model(init="zeros")
    assert all(not np.any(w.numpy()) for w in zero.weights)
    ones = playground_model(init="ones")
    assert np.all(ones.layers[0].kernel.numpy() == 1) and not np.any(ones.layers[0].bias.numpy())
    with pytest.raises(ValueError, match="activation must be one of"):
        playground_model(activation="swish")
    with pytest.raises(ValueError, match="init must be 'playground', 'zeros' or a Keras"):
        playground_model(init="nonsense")


def test_loss_is_half_the_squared_error():
    y, p = np.array([[1.0], [-1.0]]), np.array([[0.5], [0.0]])
    assert float(half_squared_error(y, p).numpy().mean()) == pytest.approx(0.5 * (0.25 + 1) / 2)
    assert half_squared_error(np.array([1.0, -1.0]), p).shape == (2,)  # ranks reconciled


def test_features_layer_takes_raw_points():
    model = playground_model((3,), features=("x1_squared", "x2_squared", "x1_x2"))
    features = model.layers[0](np.array([[2.0, -3.0]], dtype="float32")).numpy()
    np.testing.assert_allclose(features, [[4.0, 9.0, -6.0]])
    assert model.layers[1].kernel.shape == (3, 3)
    assert model.predict(np.zeros((5, 2)), verbose=0).shape == (5, 1)


def test_reinitialize_draws_new_weights_and_keeps_the_rate():
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


def test_classification_accuracy_for_each_label_style():
    sign = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="tanh")])
    sign.set_weights([np.array([[1.0], [0.0]]), np.zeros(1)])
    x = np.array([[1.0, 0], [-1.0, 0], [2.0, 0], [-3.0, 0]], dtype="float32")
    assert classification_accuracy(sign, x, [1, -1, -1, -1]) == 0.75
    two = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    two.set_weights([np.array([[-1.0, 1.0], [0, 0]]), np.zeros(2)])
    assert classification_accuracy(two, x, [1, 0, 1, 0]) == 1.0


def test_restart_from_copies_the_start_and_clears_the_optimizer():
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
