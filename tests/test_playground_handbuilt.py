"""Hand-built networks: explicit weights in, truth tables out."""

import operator

import numpy as np
import pytest

from companion.playground.handbuilt import binary_inputs, computes, model_from_weights, truth_table


def test_or_with_one_relu_unit():
    model = model_from_weights([([2, 2], [-1])])
    table = truth_table(model, operator.or_)
    assert table[["x1", "x2"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert table["output"].tolist() == [0.0, 1.0, 1.0, 3.0]
    assert table["ok"].all() and table["target"].tolist() == [0, 1, 1, 1]
    assert len(model.layers) == 1 and model.layers[0].kernel.shape == (2, 1)


def test_xor_with_two_relu_layers():
    model = model_from_weights([([[2, -2], [-2, 2]], [-1, -1]), ([2, 2], [-1])])
    table = truth_table(model, operator.xor)
    assert table["output"].tolist() == [0.0, 1.0, 1.0, 0.0]
    assert computes(model, operator.xor)
    assert not computes(model, operator.or_)  # (1, 1) gives 0, not ≥ 1


def test_the_exact_rule_and_the_threshold_rule():
    half = model_from_weights([([0.5, 0.5], [0.0])], activation="linear")  # outputs 0, .5, .5, 1
    assert not computes(half, operator.or_)  # 0.5 is not ≥ 1
    assert computes(half, operator.or_, threshold=0.5)
    shifted = model_from_weights([([1, 1], [0.1])], activation="linear")
    assert not computes(shifted, operator.or_)  # (0, 0) must be exactly 0


def test_weights_are_used_exactly_and_activations_per_layer():
    model = model_from_weights(
        [(np.eye(2), [0.0, -5.0]), ([[1.0], [1.0]], [0.0])], activation=["relu", "linear"]
    )
    out = model(np.array([[3.0, 4.0]], dtype="float32")).numpy()
    assert out[0, 0] == pytest.approx(3.0)  # the second unit is ReLU(4 - 5) = 0
    assert model.layers[1].activation.__name__ == "linear"


@pytest.mark.parametrize(
    "weights, message",
    [
        ([([[1, 2, 3]], [0, 0, 0])], r"layer 1.*\(2, units\)"),
        ([([2, 2], [-1, 0])], "bias must have one value per unit"),
        ([([2, 2], [-1]), ([[1], [1]], [0])], r"layer 2.*\(1, units\)"),
        ([], "at least one"),
    ],
)
def test_bad_weights_say_what_shape_is_wanted(weights, message):
    with pytest.raises(ValueError, match=message):
        model_from_weights(weights, inputs=2)


def test_binary_inputs():
    assert binary_inputs(3).shape == (8, 3)
    assert binary_inputs(1).tolist() == [[0.0], [1.0]]
    with pytest.raises(ValueError, match="n_inputs"):
        binary_inputs(0)
