"""`check(model, problem)`: hold a model to one problem's rules and bar, and say what it breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from companion import pset
from companion.budget import BUDGET_RULES, hidden_widths
from companion.errors import CompanionError
from companion.grade import measure, rules
from companion.grade.usage import ModelFileError, existing_file, problem_key
from companion.grade.verdict import Bar, Verdict
from companion.models import CNN_RULES


def load_model_file(path: str | Path) -> keras.Model:
    """Load a `.keras` file with Keras' safe mode (no code from the file runs), uncompiled."""
    path = existing_file(path)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for one bad file
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise ModelFileError(
                f"{path}: refused, the file holds Python code (a Lambda layer) that safe "
                "mode will not run; build the model from the problem's allowed layers"
            ) from None
        raise ModelFileError(
            f"{path}: not a readable Keras model ({type(error).__name__}: {error}); save it "
            "again with model.save('my_model.keras') (Keras 3 format)"
        ) from None


def choose_bar(metric: str, set_value: float, set_source: str, bar: float | None) -> Bar:
    """The set's bar, or the caller's with how it compares to the set's (never silently lower)."""
    if bar is None:
        return Bar(metric, set_value, set_source)
    bar = float(bar)
    if not 0.0 <= bar <= 1.0:
        raise ValueError(f"bar must be between 0 and 1, got {bar}")
    if bar < set_value:
        how = f"BELOW {set_source}, {set_value:g}: a pass here is no pass of the set"
    else:
        how = f"{'equal to' if bar == set_value else 'stricter than'} {set_source}, {set_value:g}"
    return Bar(metric, bar, f"given by the caller, {how}")


def _logic(problem: str, answers: tuple[int, ...], minimal: Callable) -> Callable:
    def grade(model: keras.Model, data: Any, bar: float | None) -> Verdict:
        if bar is not None:  # refused, not ignored: the truth table is the whole rule
            raise ValueError(f"problem {problem} has no bar (its rule is the truth table)")
        table, figures = measure.truth_table(model, answers)
        found = [
            rules.allowed_layers(model, ("Dense", "ReLU", "Activation")),
            rules.unit_activations(
                model, pset.LOGIC_HIDDEN_ACTIVATIONS, pset.LOGIC_OUTPUT_ACTIVATIONS
            ),
            table,
            minimal(model),
        ]
        figures["hidden_units"] = sum(hidden_widths(model))
        figures["hidden_layers"] = len(hidden_widths(model))
        return Verdict(problem, found, figures, None, "the four binary inputs")

    return grade


def _linear(model: keras.Model, data: Any, bar: float | None) -> Verdict:
    chosen = choose_bar(
        "ROC AUC",
        pset.LINEAR_AUC_BAR,
        "our bar for 2C in pset.LINEAR_AUC_BAR (the set has none)",
        bar,
    )
    auc, figures, where = measure.roc_auc(model, data, chosen)
    found = [
        rules.allowed_layers(model, ("Dense", "Softmax", "Activation")),
        rules.linear_hidden(model, pset.LINEAR_HIDDEN_WIDTH),
        rules.output_layer(model, pset.LINEAR_OUTPUTS),
        auc,
    ]
    return Verdict("2C", found, figures, chosen, where)


def _mlp(problem: str) -> Callable:
    budget = pset.MLP_BUDGETS[problem]

    def grade(model: keras.Model, data: Any, bar: float | None) -> Verdict:
        source = f"the set's bar for {problem} in pset.MLP_SET_BARS"
        chosen = choose_bar("test accuracy", pset.MLP_SET_BARS[problem], source, bar)
        accuracy, figures, where = measure.test_accuracy(model, data, chosen)
        found = [
            rules.sequential(model),
            rules.allowed_layers(model, BUDGET_RULES.allowed),
            rules.activations(model, BUDGET_RULES.activations),
            rules.output_layer(model, {pset.MNIST_CLASSES: "softmax"}),
            rules.hidden_depth(model, budget["min_layers"]),
            rules.hidden_units(model, budget["max_units"]),
            accuracy,
        ]
        figures["hidden_units"] = sum(hidden_widths(model))
        figures["hidden_layers"] = len(hidden_widths(model))
        return Verdict(problem, found, figures, chosen, where)

    return grade


def _cnn(model: keras.Model, data: Any, bar: float | None) -> Verdict:
    source = "the set's bar for 4F in pset.CNN_SET_BAR"
    chosen = choose_bar("test accuracy", pset.CNN_SET_BAR, source, bar)
    accuracy, figures, where = measure.test_accuracy(model, data, chosen)
    found = [
        rules.sequential(model),
        rules.allowed_layers(model, CNN_RULES.allowed),
        rules.activations(model, CNN_RULES.activations),
        rules.parameter_limit(model, CNN_RULES.max_params),
        *(rules.has_layer(model, kind) for kind in CNN_RULES.required),
        accuracy,
    ]
    figures["parameters"] = model.count_params()
    return Verdict("4F", found, figures, chosen, where)


# problem -> its grading function (model, data, bar) -> Verdict
PROBLEMS: dict[str, Callable[[keras.Model, Any, float | None], Verdict]] = {
    "1D": _logic(
        "1D",
        pset.OR_TABLE,
        lambda m: rules.hidden_units(m, pset.OR_MIN_HIDDEN_UNITS, name="fewest hidden units"),
    ),
    "1E": _logic("1E", pset.XOR_TABLE, lambda m: rules.exact_depth(m, pset.XOR_MIN_HIDDEN_LAYERS)),
    "2C": _linear,
    **{problem: _mlp(problem) for problem in pset.MLP_BUDGETS},
    "4F": _cnn,
}


def check(
    model: keras.Model | str | Path,
    problem: str,
    data: Any = None,
    *,
    bar: float | None = None,
) -> Verdict:
    """Hold a model to one problem's rules and bar; every rule is checked and reported.

    Args:
        model: a Keras model, or the path of a `.keras` file (loaded in safe mode).
        problem: "1D", "1E", "2C", "3B", "3C", "3D" or "4F".
        data: for 3B-4F an `MnistData` or an MNIST path (default: the shipped sample,
            named as such); for 2C a `TabularData` (its test split is scored), a DataFrame
            or a CDC CSV path (default: synthetic cases); unused for 1D/1E.
        bar: a bar of your own for the accuracy (3B-4F) or ROC AUC (2C); the verdict
            names it and says how it compares to the set's.

    Returns:
        A `Verdict`: `passed`, `broken` (each rule with its fix), `figures`, `bar`.
    """
    key = problem_key(problem)
    if isinstance(model, (str, Path)):
        model = load_model_file(model)
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model or a .keras path, got {type(model).__name__}")
    if not model.built:
        raise CompanionError(
            f"model {model.name!r} is not built; start it with keras.Input(shape=...) "
            "so that its layers and parameters exist"
        )
    return PROBLEMS[key](model, data, bar)
