"""The CNN builder, dropout helpers and the model-rule checker."""

import keras
import numpy as np
import pytest
from keras import layers

from companion.errors import CompanionError, RuleError
from companion.models import (
    CNN_RULES,
    ModelRules,
    check_model,
    check_rate,
    cnn,
    dropout_rate,
)
from companion.seed import set_seed
from companion.shapes import batch_norm_params, conv2d_params, dense_params

RULE_NAME = "problem 4F (CS 155 set 4)"


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


# --- cnn -------------------------------------------------------------------------------


def test_cnn_default_layers_and_parameters():
    model = cnn()
    assert kinds(model) == [
        *["Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D", "Dropout"] * 2,
        "Flatten",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
        "Softmax",
    ]
    # 28 -> pool -> 14 -> pool -> 7; convs have no bias (BatchNorm's beta replaces it).
    expected = (
        conv2d_params(1, 32, 3, use_bias=False)
        + batch_norm_params(32)
        + conv2d_params(32, 64, 3, use_bias=False)
        + batch_norm_params(64)
        + dense_params(7 * 7 * 64, 128)
        + dense_params(128, 10)
    )
    assert model.count_params() == expected == 421_930
    assert model.output_shape == (None, 10)
    check_model(model, CNN_RULES)  # the default model obeys the set's rules


def test_cnn_without_batch_norm_uses_biases():
    model = cnn(filters=(8, 8), batch_norm=False, dense_units=(64,), dropout=0.2)
    assert "BatchNormalization" not in kinds(model)
    conv_biases = [layer.use_bias for layer in model.layers if isinstance(layer, layers.Conv2D)]
    assert conv_biases == [True, True]
    expected = (
        conv2d_params(1, 8, 3)
        + conv2d_params(8, 8, 3)
        + dense_params(7 * 7 * 8, 64)
        + dense_params(64, 10)
    )
    assert model.count_params() == expected
    with pytest.raises(RuleError, match="needs at least one BatchNormalization"):
        check_model(model, CNN_RULES)


def test_cnn_valid_padding_and_other_shapes():
    model = cnn(
        input_shape=(32, 32, 3),
        filters=(4,),
        kernel_size=5,
        padding="valid",
        dense_units=(),
        num_classes=5,
    )
    # 32 -> conv 5 valid -> 28 -> pool -> 14
    assert model.layers[3].output.shape[1:] == (14, 14, 4)
    assert model.output_shape == (None, 5)
    assert kinds(model).count("Dense") == 1


def test_cnn_pool_first_order_same_parameters_and_rules():
    model = cnn(pool_first=True)
    assert kinds(model)[:5] == ["Conv2D", "MaxPooling2D", "BatchNormalization", "ReLU", "Dropout"]
    assert model.count_params() == cnn().count_params()
    assert model.output_shape == (None, 10)
    check_model(model, CNN_RULES)
    # Max pooling commutes with ReLU: without batch norm the two orders are the same function.
    set_seed(0)
    plain = cnn(batch_norm=False, conv_dropout=0.0, dropout=0.0)
    first = cnn(batch_norm=False, conv_dropout=0.0, dropout=0.0, pool_first=True)
    first.set_weights(plain.get_weights())
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(first.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-6)


def test_cnn_output_is_a_probability_distribution():
    set_seed(0)
    model = cnn(filters=(4,), dense_units=(8,))
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities >= 0).all()


def test_cnn_keeps_rate_zero_dropout_layers():
    model = cnn(dropout=0.0, conv_dropout=0.0)
    rates = [layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)]
    assert rates == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dropout": 1.0}, r"dropout.*1\.0"),
        ({"dropout": -0.1}, r"dropout.*-0\.1"),
        ({"conv_dropout": 1.5}, r"conv_dropout.*1\.5"),
    ],
)
def test_cnn_refuses_bad_rates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cnn(**kwargs)


# --- check_rate --------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0, 0.0, 0.5, 0.99, np.float32(0.3)])
def test_check_rate_accepts_and_returns_a_float(rate):
    value = check_rate(rate)
    assert isinstance(value, float) and value == pytest.approx(float(rate))


@pytest.mark.parametrize("rate", [1, 1.0, -0.01, 2, float("nan")])
def test_check_rate_refuses(rate):
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        check_rate(rate, "rate")


# --- check_model on models that break each rule ---------------------------------------


def good_layers():
    return [
        keras.Input((8, 8, 1)),
        layers.Conv2D(4, 3),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Dropout(0.1),
        layers.Flatten(),
        layers.Dense(10),
        layers.Softmax(),
    ]


def test_a_model_that_obeys_every_rule_passes():
    assert check_model(keras.Sequential(good_layers()), CNN_RULES) is None


def test_functional_model_is_refused():
    inputs = keras.Input((8, 8, 1))
    x = inputs
    for layer in good_layers()[1:]:
        x = layer(x)
    model = keras.Model(inputs, x)
    with pytest.raises(RuleError) as error:
        check_model(model, CNN_RULES)
    message = str(error.value)
    assert message.startswith(RULE_NAME)
    assert "Sequential" in message and "Functional" in message  # wanted, got


@pytest.mark.parametrize(
    ("swap", "banned"),
    [
        (layers.AveragePooling2D(2), "AveragePooling2D"),
        (layers.Activation("relu"), "Activation"),
        (layers.LeakyReLU(), "LeakyReLU"),
    ],
)
def test_banned_layer_is_named(swap, banned):
    model_layers = good_layers()
    model_layers[4] = swap  # in place of MaxPooling2D
    with pytest.raises(RuleError) as error:
        check_model(keras.Sequential(model_layers), CNN_RULES)
    message = str(error.value)
    assert message.startswith(RULE_NAME)
    assert banned in message and "Conv2D, MaxPooling2D" in message  # the layer, the allowed


def test_conv1d_is_banned():
    model = keras.Sequential(
        [
            keras.Input((20, 1)),
            layers.Conv1D(4, 3),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Flatten(),
            layers.Dense(10),
        ]
    )
    with pytest.raises(RuleError, match="conv1d.*Conv1D"):
        check_model(model, CNN_RULES)


@pytest.mark.parametrize(("index", "layer"), [(7, layers.Dense(10, activation="tanh"))])
def test_bad_activation_inside_dense(index, layer):
    model_layers = good_layers()
    model_layers[index] = layer
    with pytest.raises(RuleError) as error:
        check_model(keras.Sequential(model_layers), CNN_RULES)
    message = str(error.value)
    assert message.startswith(RULE_NAME)
    assert layer.name in message and "'tanh'" in message  # the layer and its activation
    assert "linear, relu, softmax" in message  # and the allowed ones


def test_bad_activation_inside_conv():
    model_layers = good_layers()
    model_layers[1] = layers.Conv2D(4, 3, activation="sigmoid")
    with pytest.raises(RuleError, match="uses activation 'sigmoid'"):
        check_model(keras.Sequential(model_layers), CNN_RULES)


def test_relu_and_softmax_inside_layers_are_allowed():
    model_layers = good_layers()
    model_layers[1] = layers.Conv2D(4, 3, activation="relu")
    model_layers[7] = layers.Dense(10, activation="softmax")
    check_model(keras.Sequential(model_layers), CNN_RULES)


@pytest.mark.parametrize(("missing", "index"), [("Dropout", 5), ("BatchNormalization", 2)])
def test_missing_required_layer(missing, index):
    model_layers = good_layers()
    del model_layers[index]
    with pytest.raises(RuleError) as error:
        check_model(keras.Sequential(model_layers), CNN_RULES)
    assert str(error.value) == f"{RULE_NAME}: the model needs at least one {missing} layer"


def test_too_many_parameters_gives_the_numbers():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Flatten(),
            layers.Dense(1300),
            layers.Dense(10),
        ]
    )
    count = 4 + 784 * 1300 + 1300 + 1300 * 10 + 10
    assert model.count_params() == count
    with pytest.raises(RuleError) as error:
        check_model(model, CNN_RULES)
    assert str(error.value) == (
        f"{RULE_NAME}: the model has {count:,} parameters; the limit is 999,999"
    )


def test_parameter_limit_is_inclusive_and_exact():
    """'Fewer than 1,000,000': 999,999 passes, 1,000,000 does not."""
    rules = ModelRules(name="limit", allowed=("Dense",), max_params=999_999)
    at_limit = keras.Sequential([keras.Input((999_998,)), layers.Dense(1)])
    over = keras.Sequential([keras.Input((999_999,)), layers.Dense(1)])
    check_model(at_limit, rules)
    with pytest.raises(RuleError, match="1,000,000.*999,999"):
        check_model(over, rules)


def test_rules_are_checked_in_a_fixed_order_and_are_user_errors():
    # A functional model with a banned layer reports the first rule: Sequential.
    inputs = keras.Input((8, 8, 1))
    outputs = layers.AveragePooling2D(2)(inputs)
    with pytest.raises(RuleError, match="must be a keras.Sequential") as error:
        check_model(keras.Model(inputs, outputs), CNN_RULES)
    assert isinstance(error.value, CompanionError)


def test_further_checks_run_last_in_order_and_name_the_rules():
    seen = []

    def wide(model):
        seen.append("wide")
        return "a layer is wider than 4" if model.layers[0].units > 4 else None

    def last(model):
        seen.append("last")

    rules = ModelRules(name="mine", allowed=("Dense",), checks=(wide, last))
    check_model(keras.Sequential([keras.Input((3,)), layers.Dense(4)]), rules)
    assert seen == ["wide", "last"]
    broad = keras.Sequential([keras.Input((3,)), layers.Dense(5)])
    with pytest.raises(RuleError) as error:
        check_model(broad, rules)
    assert str(error.value) == "mine: a layer is wider than 4"
    assert seen == ["wide", "last", "wide"]  # the first broken rule stops the checking
    banned = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.ReLU()])
    with pytest.raises(RuleError, match="ReLU"):
        check_model(banned, rules)  # the built-in rules come first


def test_custom_rules_without_sequential_requirement():
    rules = ModelRules(name="mine", allowed=("Dense",), sequential=False, activations=("tanh",))
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2, activation="tanh")(inputs))
    check_model(model, rules)


# --- dropout that drops nothing, and the L2 penalty -----------------------------------


def test_rate_zero_dropout_does_not_satisfy_the_dropout_rule():
    model_layers = good_layers()
    model_layers[5] = layers.Dropout(0.0)
    with pytest.raises(RuleError) as error:
        check_model(keras.Sequential(model_layers), CNN_RULES)
    assert str(error.value) == (
        f"{RULE_NAME}: every Dropout layer has rate 0, which drops nothing; "
        "give at least one Dropout layer a rate above 0"
    )
    with pytest.raises(RuleError, match="Dropout.*0"):
        check_model(cnn(dropout=0.0, conv_dropout=0.0), CNN_RULES)


def test_one_dropout_above_zero_is_enough():
    check_model(cnn(dropout=0.0, conv_dropout=0.1), CNN_RULES)
    check_model(cnn(dropout=0.2, conv_dropout=0.0), CNN_RULES)


def test_dropout_rate_reads_a_sweeps_variable_rate():
    from companion.sweep import VariableDropout

    variable = keras.Variable(0.0, trainable=False, dtype="float32")
    layer = VariableDropout(variable)
    assert layer.rate == 0.5  # the placeholder Keras sees
    assert dropout_rate(layer) == 0.0
    variable.assign(0.3)
    assert dropout_rate(layer) == pytest.approx(0.3)
    assert dropout_rate(layers.Dropout(0.25)) == 0.25


def test_l2_penalises_every_kernel_and_nothing_else():
    plain = cnn(filters=(4, 8), dense_units=(16,))
    assert plain.losses == []
    model = cnn(filters=(4, 8), dense_units=(16,), l2=1e-3)
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    assert len(kernels) == 4  # two Conv2D, two Dense
    expected = 1e-3 * sum(float(np.sum(np.square(k.numpy()))) for k in kernels)
    penalty = sum(float(loss) for loss in model.losses)
    assert penalty == pytest.approx(expected, rel=1e-5)
    assert plain.count_params() == model.count_params()
    check_model(model, CNN_RULES)  # a penalty is not a layer: the set's rules still hold


@pytest.mark.parametrize("l2", [-1e-4, float("nan")])
def test_cnn_refuses_a_negative_l2(l2):
    with pytest.raises(ValueError, match="l2 must be 0 or more"):
        cnn(l2=l2)
