"""Probes of a network: Dense layers, layer outputs, dead units, gradients, the loss, one cache."""

import keras
import numpy as np
import pytest

from companion.playground.fastfit import fast_fit
from companion.playground.model import playground_model
from companion.probes import (
    dead_fraction,
    dead_units,
    dense_layers,
    gradient_norms,
    gradient_table,
    layer_outputs,
    model_loss,
    traced,
)


def test_zero_init_relu_gradients_are_exactly_zero_but_the_output_bias(circle):
    model = playground_model(activation="relu", init="zeros")
    table = gradient_table(model, circle.x_train, circle.y_train)
    output_bias = (table["layer"] == "output") & (table["weight"] == "bias")
    assert (table.loc[~output_bias, "max_abs"] == 0.0).all()
    assert table.loc[output_bias, "max_abs"].item() > 0
    fast_fit(model, circle.x_train, circle.y_train, epochs=5)
    assert all(not np.any(w.numpy()) for w in model.weights[:-1])  # nothing but the bias moved


def test_zero_init_sigmoid_gets_an_output_gradient(circle):
    model = playground_model(activation="sigmoid", init="zeros")
    table = gradient_table(model, circle.x_train, circle.y_train).set_index(["layer", "weight"])
    assert table.loc[("output", "kernel"), "max_abs"] > 0  # sigmoid(0) = 1/2 feeds it
    assert table.loc[("hidden_1", "kernel"), "max_abs"] == 0.0
    assert set(gradient_norms(model, circle.x_train, circle.y_train)) == {
        "hidden_1",
        "hidden_2",
        "output",
    }


def test_dead_unit_meter_on_units_killed_by_hand():
    model = playground_model((4, 2), activation="relu")
    x = np.random.default_rng(0).uniform(-6, 6, (300, 2)).astype("float32")
    kernel, bias = model.layers[0].kernel.numpy(), model.layers[0].bias.numpy()
    bias[[0, 2]] = -100.0  # units 0 and 2 can never be positive on this square
    model.layers[0].set_weights([kernel, bias])
    dead = dead_units(model, x)
    assert dead["hidden_1"].tolist() == [True, False, True, False]
    assert dead_fraction(model, x) == pytest.approx(2 / 6 + dead["hidden_2"].sum() / 6)
    model.layers[1].set_weights([model.layers[1].kernel.numpy(), np.array([-100.0, -100.0])])
    assert dead_fraction(model, x) == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="no hidden ReLU units"):
        dead_fraction(playground_model(activation="tanh"), x)


def test_dense_layers_keeps_the_output_only_when_asked():
    model = playground_model((4, 3, 2))
    assert [d.name for d in dense_layers(model, include_output=False)] == [
        "hidden_1",
        "hidden_2",
        "hidden_3",
    ]
    assert dense_layers(model, include_output=True)[-1].name == "output"
    with pytest.raises(TypeError):
        dense_layers(model)  # no default: every caller says which it means


def test_layer_outputs_of_a_functional_model_match_a_sequential_one():
    sequential = playground_model((3,), activation="relu", seed=2)
    inputs = keras.Input((2,))
    hidden = keras.layers.Dense(3, activation="relu", name="h")(inputs)
    functional = keras.Model(inputs, keras.layers.Dense(1, name="o")(hidden))
    functional.set_weights(sequential.get_weights())
    x = np.random.default_rng(0).normal(size=(20, 2)).astype("float32")
    a = layer_outputs(sequential, x, [sequential.layers[0]])["hidden_1"]
    b = layer_outputs(functional, x, [functional.get_layer("h")])["h"]
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert a.shape == (20, 3)


def test_one_trace_per_model_and_key():
    model, other = playground_model(), playground_model()
    built = []

    def build():
        built.append(1)
        return object()

    first = traced(model, "k", build)
    assert traced(model, "k", build) is first and len(built) == 1
    assert traced(other, "k", build) is not first and len(built) == 2


def test_model_loss_is_the_compiled_loss_on_the_whole_set(circle):
    model = playground_model(seed=3)
    expected = model.evaluate(
        circle.x_train, circle.y_train, batch_size=len(circle.x_train), verbose=0
    )
    assert model_loss(model, circle.x_train, circle.y_train) == pytest.approx(expected, rel=1e-5)
    predicted = model.predict(circle.x_train, verbose=0)[:, 0]
    half_squared = 0.5 * np.mean((predicted - circle.y_train) ** 2)
    assert model_loss(model, circle.x_train, circle.y_train) == pytest.approx(
        half_squared, rel=1e-5
    )


def test_gradients_need_a_compiled_loss(circle):
    model = playground_model(compile=False)
    with pytest.raises(ValueError, match="compile the model with a loss"):
        gradient_table(model, circle.x_train, circle.y_train)
