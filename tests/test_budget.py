"""Hidden-unit counting, the budget rules and their messages, the MLP builder."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

from companion.budget import (
    BUDGET_RULES,
    budget_rules,
    check_budget,
    count_hidden_units,
    describe_widths,
    hidden_widths,
    mlp,
    split_budget,
)
from companion.errors import RuleError
from companion.models import check_model


def sequential(*stack, input_shape=(784,)):
    return keras.Sequential([keras.Input(shape=input_shape), *stack])


# --- counting -------------------------------------------------------------------------


def test_count_ignores_activations_dropout_flatten_and_output():
    model = sequential(
        layers.Flatten(),
        layers.Dense(120, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(60),
        layers.Activation("relu"),
        layers.Dense(40),
        layers.ReLU(),
        layers.Dense(10),
        layers.Softmax(),
        input_shape=(28, 28, 1),
    )
    assert hidden_widths(model) == [120, 60, 40]
    assert count_hidden_units(model) == 220


def test_count_of_softmax_regression_is_zero():
    model = sequential(layers.Dense(10, activation="softmax"))
    assert count_hidden_units(model) == 0
    check_budget(model, 100, min_hidden_layers=0)


def test_describe_widths_reads_like_the_set():
    assert describe_widths([120, 60, 40]) == "3 hidden layers with 120+60+40 = 220 units"
    assert describe_widths([100]) == "1 hidden layer with 100 units"
    assert describe_widths([]) == "no hidden layer (0 units)"


# --- the budget rules -------------------------------------------------------------------


def test_a_model_within_every_rule_passes():
    check_budget(mlp([100, 100], dropout=0.2), 200, min_hidden_layers=2)
    alt = sequential(
        layers.Dense(50, activation="relu"),
        layers.Dense(10),
        layers.Activation("softmax"),
    )
    check_budget(alt, 50)


def test_over_budget_names_the_widths_and_the_budget():
    model = mlp([120, 60, 40])
    with pytest.raises(RuleError, match=r"220 units.*200"):
        check_budget(model, 200)


def test_too_few_hidden_layers_is_named():
    with pytest.raises(RuleError, match="1 hidden layer.*2"):
        check_budget(mlp([100]), 200, min_hidden_layers=2)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (layers.BatchNormalization(), "BatchNormalization"),
        (layers.LayerNormalization(), "LayerNormalization"),
        (layers.GaussianNoise(0.1), "GaussianNoise"),
    ],
)
def test_a_layer_outside_the_list_is_named(bad, named):
    model = sequential(layers.Dense(50), bad, layers.ReLU(), layers.Dense(10), layers.Softmax())
    with pytest.raises(RuleError, match=f"{named}.*Dense"):
        check_budget(model, 100)


@pytest.mark.parametrize(
    "stack",
    [
        (layers.Dense(50, activation="tanh"), layers.Dense(10), layers.Softmax()),
        (layers.Dense(50), layers.Activation("sigmoid"), layers.Dense(10), layers.Softmax()),
    ],
)
def test_an_activation_other_than_relu_or_softmax_is_named(stack):
    with pytest.raises(RuleError, match=r"'(tanh|sigmoid)'.*linear, relu"):
        check_budget(sequential(*stack), 100)


def test_the_output_must_be_softmaxed_with_one_unit_per_class():
    no_softmax = sequential(layers.Dense(50), layers.ReLU(), layers.Dense(10))
    with pytest.raises(RuleError, match="not followed by a softmax"):
        check_budget(no_softmax, 100)
    wrong_width = sequential(layers.Dense(50), layers.ReLU(), layers.Dense(5), layers.Softmax())
    with pytest.raises(RuleError, match=r"5 units.*10"):
        check_budget(wrong_width, 100)
    no_dense = sequential(layers.Flatten(), layers.Softmax())
    with pytest.raises(RuleError, match="has no Dense layer"):
        check_budget(no_dense, 100)


def test_a_functional_model_is_refused():
    inputs = keras.Input(shape=(784,))
    outputs = layers.Dense(10, activation="softmax")(layers.Dense(20, activation="relu")(inputs))
    with pytest.raises(RuleError, match="Sequential.*Functional"):
        check_budget(keras.Model(inputs, outputs), 100)


def test_bad_budget_arguments_are_refused():
    with pytest.raises(ValueError, match="max_units.*0"):
        check_budget(mlp([10]), 0)


# --- the builder ---------------------------------------------------------------------------


def test_mlp_stacks_dense_relu_dropout_and_a_softmax_output():
    model = mlp([64, 32], dropout=[0.2, 0.1], input_dropout=0.1)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Dropout",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
        "Softmax",
    ]
    assert [
        layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)
    ] == pytest.approx([0.1, 0.2, 0.1])
    # 784·64+64 + 64·32+32 + 32·10+10
    assert model.count_params() == 50240 + 2080 + 330
    probs = model.predict(np.random.default_rng(0).random((3, 784), dtype="float32"), verbose=0)
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_mlp_flattens_images_and_skips_zero_dropout():
    model = mlp([30], input_shape=(28, 28, 1))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
        "Softmax",
    ]
    assert model.output_shape == (None, 10)
    check_budget(model, 30)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"widths": [10, 0]}, r"width.*\[10, 0\]"),
        ({"widths": [10], "dropout": 1.2}, r"dropout.*1\.2"),
        ({"widths": [10, 10], "dropout": [0.1]}, "dropout.*1.*2 hidden layers"),
        ({"widths": [10], "input_dropout": -0.1}, "input_dropout"),
    ],
)
def test_mlp_refuses_bad_settings(kwargs, message):
    widths = kwargs.pop("widths")
    with pytest.raises(ValueError, match=message):
        mlp(widths, **kwargs)


# --- splitting a budget and the hypermodel --------------------------------------------------


def test_split_budget_examples():
    assert split_budget(200, 2) == [100, 100]
    assert split_budget(1000, 3, ratio=0.5) == [571, 286, 143]
    assert split_budget(1000, 4, ratio=2) == [67, 133, 267, 533]
    assert split_budget(5, 5, ratio=0.1) == [1, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="3 units.*4 layers"):
        split_budget(3, 4)


def test_split_budget_always_spends_the_budget_exactly():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        layers_ = int(rng.integers(1, 8))
        units = int(rng.integers(layers_, 1500))
        ratio = float(rng.choice([0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 3.0]))
        widths = split_budget(units, layers_, ratio=ratio)
        assert len(widths) == layers_ and min(widths) >= 1 and sum(widths) == units


# --- one rule engine, and no keras-tuner to count units --------------------------------


def test_check_budget_is_check_model_with_the_budget_rules():
    model = mlp([150, 60])
    rules = budget_rules(250, 2)
    assert rules.name == BUDGET_RULES.name and rules.allowed == BUDGET_RULES.allowed
    check_model(model, rules)
    with pytest.raises(RuleError, match=r"210 units.*100.*110"):
        check_model(model, budget_rules(100, 2))
    with pytest.raises(ValueError, match="min_hidden_layers must be 0 or more"):
        budget_rules(100, -1)


def test_counting_units_does_not_import_keras_tuner():
    code = (
        "import sys, keras\n"
        "from companion.budget import check_budget, count_hidden_units, mlp\n"
        "model = mlp([100, 50])\n"
        "check_budget(model, 200, 2)\n"
        "print(count_hidden_units(model), 'keras_tuner' in sys.modules)\n"
        "from companion.search.budget_hypermodel import BudgetHyperModel\n"
        "print(BudgetHyperModel.__module__, 'keras_tuner' in sys.modules)\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["150", "False", "companion.search.budget_hypermodel", "True"]
