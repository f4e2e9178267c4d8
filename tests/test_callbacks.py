"""Callbacks that record probes during training: symmetry, dead units, gradients, boundaries."""

import numpy as np
import pytest

from companion.callbacks import (
    DeadReluMonitor,
    DecisionBoundary,
    GradientNorms,
    SymmetryMonitor,
)
from companion.playground.fastfit import fast_fit
from companion.playground.model import playground_model
from companion.probes import layer_symmetry, symmetry


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
