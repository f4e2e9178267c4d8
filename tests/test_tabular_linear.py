"""Linear nets: stacked linear layers multiply out into one, to float tolerance."""

import numpy as np
import pytest

from companion.errors import RuleError
from companion.probes import dense_layers
from companion.seed import set_seed
from companion.tabular.linear import (
    collapse_linear,
    linear_net,
    log_odds_weights,
    multiply_out,
)


def denses(model):
    """Every Dense layer, the output one included (as multiply_out wants them)."""
    return dense_layers(model, include_output=True)


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(256, 9)).astype("float32")


def randomise(model, seed=0):
    """Give every layer random weights and biases (fresh biases are all zero)."""
    rng = np.random.default_rng(seed)
    for layer in denses(model):
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])


def test_linear_net_layout():
    set_seed(0)
    model = linear_net(9)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense", "Softmax"]
    assert model.output_shape == (None, 2)
    assert model.count_params() == 9 * 5 + 5 + 5 * 2 + 2
    relu = linear_net(9, hidden=(5, 5), relu=True)
    assert [type(layer).__name__ for layer in relu.layers].count("ReLU") == 2
    with pytest.raises(ValueError, match="at least 1"):
        linear_net(9, hidden=(5, 0))


def test_multiply_out_matches_the_algebra():
    set_seed(1)
    model = linear_net(4, hidden=(3, 2))
    randomise(model, 1)
    (w1, b1), (w2, b2), _ = (layer.get_weights() for layer in denses(model))
    matrix, bias = multiply_out(denses(model)[:2])
    assert np.allclose(matrix, w1.astype(float) @ w2)
    assert np.allclose(bias, b1.astype(float) @ w2 + b2)


def test_collapse_gives_the_same_predictions(x):
    set_seed(2)
    deep = linear_net(9, hidden=(5, 5, 4))
    randomise(deep, 2)
    flat = collapse_linear(deep)
    assert len(denses(flat)) == 2 and denses(flat)[0].units == 4
    a, b = deep.predict(x, verbose=0), flat.predict(x, verbose=0)
    assert np.max(np.abs(a - b)) < 1e-5
    assert np.ptp(a[:, 1]) > 0.5  # not a trivial constant output


def test_a_relu_breaks_the_collapse(x):
    set_seed(3)
    relu = linear_net(9, hidden=(5, 5), relu=True)
    randomise(relu, 3)
    with pytest.raises(RuleError, match="'relu_1' \\(ReLU\\) is not linear"):
        collapse_linear(relu)
    matrix, bias = multiply_out(denses(relu)[:2])  # the ReLUs ignored
    twin = linear_net(9, hidden=(5,))
    denses(twin)[0].set_weights([matrix.astype("float32"), bias.astype("float32")])
    denses(twin)[1].set_weights(denses(relu)[2].get_weights())
    diff = np.abs(relu.predict(x, verbose=0) - twin.predict(x, verbose=0)).max()
    assert diff > 0.1


def test_log_odds_weights_give_the_log_odds(x):
    set_seed(4)
    model = linear_net(9, hidden=(5, 5))
    randomise(model, 4)
    weights, intercept = log_odds_weights(model)
    p = model.predict(x, verbose=0).astype("float64")
    assert np.allclose(np.log(p[:, 1] / p[:, 0]), x @ weights + intercept, atol=1e-3)
