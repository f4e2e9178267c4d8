"""The grader: every rule on small models built here, the bars, the data rule, safe loading."""

import dataclasses
import json
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

import companion
from chapters.ch2_inside.p2c_linear_net import one_linear_layer
from chapters.ch3_depth_width.p3b_p3d_budgets import model_3b, model_3c, model_3d
from chapters.ch4_cnn.p4f_cnn import chapter_cnn
from companion import pset
from companion.budget import mlp
from companion.data.covid import synthetic_covid
from companion.data.mnist import SAMPLE_PATH
from companion.errors import CompanionError
from companion.grade import PROBLEMS, ModelFileError, UnknownProblemError, check, load_model_file
from companion.models import cnn
from companion.playground.handbuilt import model_from_weights
from companion.seed import set_seed
from companion.tabular.prepare import prepare_covid


def broken(verdict) -> set[str]:
    return {rule.name for rule in verdict.broken}


@pytest.fixture(scope="module")
def few_images(mnist_sample):
    """The sample with 200 test images: enough to run the accuracy rule, fast."""
    return mnist_sample.subset(test=200)


@pytest.fixture(scope="module")
def cases():
    """Small prepared COVID data (its test split is what the grader scores)."""
    return prepare_covid(synthetic_covid(4000, seed=5), seed=5)


# ---------------------------------------------------------------------------- 1D and 1E


def test_the_sets_or_net_passes_1d_with_its_outputs_as_figures():
    model = model_from_weights([(pset.OR_WEIGHTS, [pset.OR_BIAS])])
    verdict = check(model, "1D")
    assert verdict.passed, verdict
    assert verdict.figures["outputs"] == [0.0, 1.0, 1.0, 3.0]  # ReLU(2x1 + 2x2 - 1)
    assert verdict.figures["hidden_units"] == 0
    assert verdict.bar is None


def test_an_identity_output_passes_1d_as_the_sets_notes_allow():
    verdict = check(model_from_weights([([1, 1], [0])], activation="linear"), "1D")
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("weights", "bias", "wrong"),
    [((0.5, 0.5), -0.2, "(0,1)"), ((2.0, 2.0), 1.0, "(0,0)")],  # too small; not 0 at (0,0)
)
def test_a_wrong_weight_breaks_the_truth_table_where_it_is_wrong(weights, bias, wrong):
    verdict = check(model_from_weights([(weights, [bias])]), "1D")
    assert broken(verdict) == {"truth table"}
    assert wrong in verdict.rule("truth table").fix


def test_or_with_a_hidden_layer_is_not_minimal():
    model = model_from_weights([([[1.0], [1.0]], [0.0]), ([1.0], [0.0])])
    verdict = check(model, "1D")
    assert broken(verdict) == {"fewest hidden units"}
    assert verdict.figures["hidden_units"] == 1


def test_the_sets_xor_net_passes_1e_and_fails_1d():
    model = model_from_weights(pset.XOR_WEIGHTS)
    assert check(model, "1E").passed
    assert check(model, "1E").figures["outputs"] == [0.0, 1.0, 1.0, 0.0]
    assert broken(check(model, "1D")) == {"truth table", "fewest hidden units"}


def test_xor_needs_relu_hidden_units_and_exactly_one_hidden_layer():
    sigmoid = model_from_weights(pset.XOR_WEIGHTS, activation=["sigmoid", "relu"])
    assert "ReLU units" in broken(check(sigmoid, "1E"))
    (w1, b1), (w2, b2) = pset.XOR_WEIGHTS
    deeper = model_from_weights([(w1, b1), (np.eye(2), [0.0, 0.0]), (w2, b2)])
    verdict = check(deeper, "1E")
    assert broken(verdict) == {"minimum depth"}  # right outputs, one layer too many
    assert verdict.figures["hidden_layers"] == 2


def test_a_logic_net_with_the_wrong_shape_fails_the_truth_table_without_crashing():
    model = model_from_weights([([[1.0], [1.0], [1.0]], [0.0])])  # three inputs
    rule = check(model, "1D").rule("truth table")
    assert not rule.passed and "(3,)" in rule.measured


# ---------------------------------------------------------------------------------- 2C


def linear_net(inputs: int, hidden=(5,), *, hidden_act=None, output=(2, "softmax")):
    stack = [keras.Input((inputs,))]
    stack += [layers.Dense(width, activation=hidden_act) for width in hidden]
    units, act = output
    stack += [layers.Dense(units), layers.Activation(act)]
    return keras.Sequential(stack)


def test_2c_structure_softmax_or_sigmoid_passes(cases):
    for output in ((2, "softmax"), (1, "sigmoid")):
        verdict = check(linear_net(cases.input_dim, output=output), "2C", cases)
        assert not broken(verdict) & {"allowed layers", "one linear layer", "output"}, verdict


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"hidden_act": "relu"}, "one linear layer"),
        ({"hidden": (5, 5)}, "one linear layer"),
        ({"hidden": (6,)}, "one linear layer"),
        ({"output": (3, "softmax")}, "output"),
        ({"output": (2, "sigmoid")}, "output"),
    ],
)
def test_2c_structure_wrong_breaks_the_rule(cases, kwargs, rule):
    assert rule in broken(check(linear_net(cases.input_dim, **kwargs), "2C", cases))


def test_2c_a_trained_net_clears_the_auc_bar_beside_the_majority_rate():
    data = prepare_covid(synthetic_covid(20_000, seed=1), seed=1)
    set_seed(0)
    model = linear_net(data.input_dim)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(data.x_train, data.y_train, epochs=5, batch_size=32, verbose=0)
    verdict = check(model, "2C")  # the grader's own synthetic cases, not these
    assert verdict.passed, verdict
    figures = verdict.figures
    assert figures["roc_auc"] > 0.85  # 0.91 when measured
    assert figures["majority_rate"] == pytest.approx(1 - figures["deaths"] / figures["rows"])
    assert f"{figures['majority_rate']:.2%}" in verdict.rule("ROC AUC").measured
    assert verdict.bar.value == pset.LINEAR_AUC_BAR and "SYNTHETIC" in verdict.data


def test_2c_a_constant_net_scores_chance_and_fails(cases):
    model = linear_net(cases.input_dim)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    verdict = check(model, "2C", cases)
    assert verdict.figures["roc_auc"] == pytest.approx(0.5)
    assert broken(verdict) == {"ROC AUC"}


def test_2c_on_labels_of_one_class_the_auc_is_null_in_json_and_fails(cases):
    survivors = dataclasses.replace(cases, y_test=np.zeros_like(cases.y_test))
    verdict = check(linear_net(cases.input_dim), "2C", survivors)
    assert broken(verdict) == {"ROC AUC"}
    assert json.loads(json.dumps(verdict.to_dict()))["figures"]["roc_auc"] is None


def test_2c_a_net_for_other_inputs_is_not_measured(cases):
    rule = check(linear_net(cases.input_dim + 3), "2C", cases).rule("ROC AUC")
    assert not rule.passed and "not measured" in rule.measured


# ------------------------------------------------------------------------------ 3B-3D


def test_an_mlp_over_3bs_budget_fails_naming_the_budget(few_images):
    verdict = check(mlp((120,)), "3B", few_images)
    assert "hidden units" in broken(verdict)
    assert "120" in verdict.rule("hidden units").measured
    assert "20" in verdict.rule("hidden units").fix
    assert verdict.figures["hidden_units"] == 120


def test_budgets_and_depths_of_each_problem(few_images):
    assert "hidden units" not in broken(check(mlp((100,)), "3B", few_images))
    assert "hidden layers" in broken(check(mlp((150,)), "3C", few_images))
    assert not broken(check(mlp((100, 100)), "3C", few_images)) & {"hidden layers", "hidden units"}
    assert broken(check(mlp((400, 400, 201)), "3D", few_images)) >= {"hidden units"}


def test_mlp_layer_rules(few_images):
    no_softmax = keras.Sequential([keras.Input((784,)), layers.Dense(50), layers.Dense(10)])
    assert "output" in broken(check(no_softmax, "3B", few_images))
    tanh = keras.Sequential(
        [keras.Input((784,)), layers.Dense(50, activation="tanh"), layers.Dense(10, "softmax")]
    )
    assert "activations" in broken(check(tanh, "3B", few_images))
    inputs = keras.Input((784,))
    functional = keras.Model(inputs, layers.Dense(10, "softmax")(layers.Dense(50)(inputs)))
    assert "sequential" in broken(check(functional, "3B", few_images))


def test_the_accuracy_path_on_the_sample_with_a_bar_passed(mnist_sample):
    set_seed(1)
    model = mlp((64,), input_shape=(28, 28, 1))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(mnist_sample.x_train, mnist_sample.y_train, epochs=2, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(mnist_sample.x_test, mnist_sample.y_test, verbose=0)
    verdict = check(model, "3B", mnist_sample, bar=0.85)
    assert verdict.figures["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert accuracy > 0.85 and verdict.passed, verdict
    assert "BELOW" in verdict.bar.source and "0.975" in verdict.bar.source  # never silent
    assert verdict.figures["sample"] and "sample" in verdict.data
    strict = check(model, "3B", mnist_sample, bar=0.999)
    assert broken(strict) == {"test accuracy"} and "stricter" in strict.bar.source
    default = check(model, "3B", mnist_sample)
    assert default.bar.value == pset.MLP_SET_BARS["3B"] and "set's" in default.bar.source


def test_full_mnist_given_by_path_is_named_and_not_called_the_sample(tmp_path):
    path = tmp_path / "mnist.npz"
    shutil.copy(SAMPLE_PATH, path)  # the sample's arrays in a file of the user's
    verdict = check(mlp((10,)), "3B", str(path))
    assert verdict.figures["sample"] is False and str(path) in verdict.data


def test_the_bar_must_be_a_rate(few_images):
    with pytest.raises(ValueError, match="between 0 and 1"):
        check(mlp((10,)), "3B", few_images, bar=98.5)


# ---------------------------------------------------------------------------------- 4F


def test_the_chapters_cnn_obeys_4fs_rules(few_images):
    verdict = check(cnn(**pset.CNN_ARCHITECTURE), "4F", few_images)
    assert broken(verdict) == {"test accuracy"}  # untrained: only the bar is missed
    assert verdict.figures["parameters"] < 1_000_000


def test_a_cnn_without_batch_norm_fails_naming_the_rule(few_images):
    verdict = check(cnn(batch_norm=False), "4F", few_images)
    assert {"BatchNormalization"} <= broken(verdict)
    assert "BatchNormalization" in verdict.rule("BatchNormalization").fix


def test_a_cnn_with_1_2m_parameters_fails_naming_the_count(few_images):
    model = cnn(filters=(32, 64), dense_units=(384,))
    assert 1_100_000 < model.count_params() < 1_300_000
    verdict = check(model, "4F", few_images)
    assert {"parameters"} <= broken(verdict)
    assert f"{model.count_params():,}" in verdict.rule("parameters").measured


def test_4f_dropout_must_drop_and_layers_must_be_allowed(few_images):
    silent = check(cnn(dropout=0.0, conv_dropout=0.0), "4F", few_images).rule("Dropout")
    assert not silent.passed and "rate above 0" in silent.fix
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, 3, activation="sigmoid"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    verdict = check(model, "4F", few_images)
    assert broken(verdict) >= {"allowed layers", "activations", "Dropout", "BatchNormalization"}
    assert "AveragePooling2D" in verdict.rule("allowed layers").measured


def test_the_chapters_own_models_obey_every_rule_but_the_untrained_bar(few_images, cases):
    for problem, model in (("3B", model_3b()), ("3C", model_3c()), ("3D", model_3d())):
        assert broken(check(model, problem, few_images)) <= {"test accuracy"}, problem
    assert broken(check(chapter_cnn(0.2), "4F", few_images)) <= {"test accuracy"}
    assert broken(check(one_linear_layer(cases.input_dim), "2C", cases)) <= {"ROC AUC"}


# ------------------------------------------------------------------ verdict, files, API


def test_the_verdict_prints_a_table_and_turns_into_json(few_images):
    verdict = check(cnn(batch_norm=False), "4F", few_images)
    text = str(verdict)
    assert "FAILED" in text and "BROKEN" in text
    assert all(rule.name in text for rule in verdict.rules)
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["passed"] is False and "BatchNormalization" in data["broken"]
    assert data["bar"]["value"] == pset.CNN_SET_BAR


def test_the_grader_has_rules_for_every_problem_pset_names():
    assert tuple(PROBLEMS) == pset.GRADED_PROBLEMS


def test_a_bar_for_a_truth_table_problem_and_an_unbuilt_model_are_refused():
    with pytest.raises(ValueError, match="no bar"):
        check(model_from_weights([(pset.OR_WEIGHTS, [pset.OR_BIAS])]), "1D", bar=0.5)
    with pytest.raises(CompanionError, match="not built"):
        check(keras.Sequential([layers.Dense(1)]), "1D")


def test_problems_are_named_case_blind_and_unknown_ones_refused():
    model = model_from_weights([(pset.OR_WEIGHTS, [pset.OR_BIAS])])
    assert check(model, " 1d ").passed
    with pytest.raises(UnknownProblemError, match="4F"):
        check(model, "5A")


def test_a_saved_model_loads_and_grades(tmp_path):
    path = tmp_path / "or.keras"
    model_from_weights([(pset.OR_WEIGHTS, [pset.OR_BIAS])]).save(path)
    assert check(str(path), "1D").passed


def test_missing_and_corrupt_files_are_named_with_the_fix(tmp_path):
    with pytest.raises(ModelFileError, match=r"nothere\.keras: no such file"):
        load_model_file(tmp_path / "nothere.keras")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"not a zip archive")
    with pytest.raises(ModelFileError, match=r"corrupt\.keras: not a readable Keras model"):
        load_model_file(corrupt)


def test_safe_mode_refuses_a_lambda_layer_and_runs_none_of_its_code(tmp_path):
    marker = tmp_path / "ran"
    touch = f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]"
    model = keras.Sequential([keras.Input((2,)), layers.Lambda(eval(touch)), layers.Dense(1)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    marker.unlink(missing_ok=True)  # building the model ran it once, here, on purpose
    with pytest.raises(ModelFileError, match="Lambda"):
        check(path, "1D")
    assert not marker.exists()


def test_companion_check_is_the_grader_and_import_stays_light():
    assert companion.check is check
    code = "import sys, companion.grade; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
