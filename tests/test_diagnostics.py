"""Measurements and their callbacks: gradients, symmetry, dead units, boundaries."""

import numpy as np
import pytest

from companion.callbacks import (
    DeadReluMonitor,
    DecisionBoundary,
    GradientNorms,
    SymmetryMonitor,
    dead_fraction,
    dead_units,
    gradient_norms,
    gradient_table,
    layer_symmetry,
    symmetry,
)
from companion.data.playground import playground_dataset
from companion.playground import fast_fit, playground_model


@pytest.fixture(scope="module")
def circle():
    return playground_dataset("circle", 200, seed=11)


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


def test_symmetry_kept_under_zero_init_and_broken_under_random(circle):
    zero = playground_model(activation="sigmoid", init="zeros")
    monitor = SymmetryMonitor(every=10)
    fast_fit(zero, circle.x_train, circle.y_train, epochs=30, callbacks=[monitor])
    assert np.any(zero.layers[0].kernel.numpy())  # it learned something…
    assert symmetry(zero) == 0.0  # …yet every unit of a layer is still the same
    frame = monitor.to_frame()
    assert frame["epoch"].tolist() == [0, 10, 20, 30] and (frame["symmetry"] == 0).all()
    random = playground_model(activation="sigmoid")
    spread = layer_symmetry(random)
    assert set(spread) == {"hidden_1", "hidden_2"} and min(spread.values()) > 0.01


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


def test_dead_relu_monitor_by_epoch_and_by_batch(circle):
    model = playground_model(activation="relu")
    by_epoch = DeadReluMonitor(circle.x_train, every=2)
    fast_fit(model, circle.x_train, circle.y_train, epochs=4, callbacks=[by_epoch])
    frame = by_epoch.to_frame()
    assert frame["epoch"].tolist() == [0, 2, 4] and frame["step"].tolist() == [0, 20, 40]
    assert {"dead_hidden_1", "dead_hidden_2"} <= set(frame.columns)
    by_batch = DeadReluMonitor(circle.x_train, batches=5)
    model.fit(
        circle.x_train, circle.y_train, epochs=1, batch_size=10, verbose=0, callbacks=[by_batch]
    )
    assert by_batch.to_frame()["step"].tolist()[:3] == [0, 5, 10]


def test_gradient_norms_monitor_records_every_layer(circle):
    model = playground_model(activation="sigmoid")
    norms = GradientNorms(circle.x_train, circle.y_train, every=3)
    model.fit(circle.x_train, circle.y_train, epochs=3, batch_size=10, verbose=0, callbacks=[norms])
    frame = norms.to_frame()
    assert frame["epoch"].tolist() == [0, 3]
    assert (frame[["hidden_1", "hidden_2", "output"]] > 0).all().all()


@pytest.mark.parametrize("use_fast", [True, False])
def test_decision_boundary_snapshots(circle, use_fast):
    model = playground_model(activation="tanh")
    boundary = DecisionBoundary((0, 2, 4), resolution=20, neurons=True)
    if use_fast:
        fast_fit(model, circle.x_train, circle.y_train, epochs=4, callbacks=[boundary])
    else:
        model.fit(circle.x_train, circle.y_train, epochs=4, verbose=0, callbacks=[boundary])
    assert sorted(boundary.grids) == [0, 2, 4]
    assert boundary.grids[4].shape == (20, 20) and np.abs(boundary.grids[4]).max() <= 1
    assert [g.shape for g in boundary.neurons[4]] == [(10, 10, 4), (10, 10, 2)]
    fig = boundary.plot(circle.x_train, circle.y_train, circle.x_test, circle.y_test)
    assert len(fig.axes) == 3


def test_boundary_grid_orientation_and_plot():
    import keras

    from companion.boundary import boundary_grid, plot_boundary, plot_neurons

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="tanh")])
    model.set_weights([np.array([[1.0], [0.0]]), np.zeros(1)])  # output = tanh(x1)
    grid = boundary_grid(model, resolution=11)
    assert grid[:, 0].max() < -0.99 and grid[:, -1].min() > 0.99  # left orange, right blue
    np.testing.assert_allclose(grid[0], grid[-1])  # no change along x2
    fig = plot_boundary(model, np.array([[1.0, 1.0]]), np.array([1.0]), discretize=True)
    assert fig.axes[0].get_xlim() == (-6.0, 6.0)
    with pytest.raises(ValueError, match="2-D"):
        plot_boundary(np.zeros(5))
    thumbs = plot_neurons([np.zeros((10, 10, 4)), np.ones((10, 10, 2))])
    assert len(thumbs.axes) == 8
