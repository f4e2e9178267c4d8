"""The grader's measurements: the truth table (1D/1E), ROC AUC (2C) and test accuracy (3B-4F).

Each returns a `Rule` (held to a bar, or to the set's truth-table rule) and the figures it
measured. The data is the caller's when given, else what ships with companion, named in
the description so a figure on the sample is never read as one on the full set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from companion import pset
from companion.data.covid import load_covid_csv, synthetic_covid
from companion.data.mnist import MnistData, load_mnist
from companion.grade.verdict import Bar, Rule
from companion.tabular.prepare import TabularData, prepare_covid
from companion.tabular.scores import binary_scores


def outputs_on(model: keras.Model, x: np.ndarray) -> np.ndarray | None:
    """The model's outputs on x, reshaped to its input shape; None if x cannot fit it."""
    shape = model.input_shape
    if not isinstance(shape, tuple) or any(d is None for d in shape[1:]):
        return None
    if int(np.prod(shape[1:])) != int(np.prod(x.shape[1:])):
        return None
    x = x.reshape((len(x), *shape[1:])).astype("float32")
    if len(x) <= 64:  # a handful of rows: one call, no predict loop to trace
        return keras.ops.convert_to_numpy(model(x, training=False))
    return np.asarray(model.predict(x, batch_size=1024, verbose=0))


def truth_table(model: keras.Model, answers: tuple[int, ...]) -> tuple[Rule, dict[str, Any]]:
    """The set's rule on the four binary inputs: >= 1 where the answer is 1, exactly 0 where 0."""
    needs = f">= {pset.LOGIC_ON:g} where the answer is 1, exactly 0 where it is 0"
    inputs = np.array(pset.LOGIC_INPUTS, dtype="float32")
    out = outputs_on(model, inputs)
    if out is None or out.shape != (len(inputs), 1):
        shape = "none" if out is None else str(out.shape[1:])
        measured = f"input shape {model.input_shape[1:]}, output shape {shape}"
        fix = "take 2 inputs (x1, x2) and give 1 output: keras.Input(shape=(2,)) ... Dense(1)"
        return Rule("truth table", False, measured, needs, fix), {}
    out = out[:, 0]
    wrong = [
        i
        for i, answer in enumerate(answers)
        if (out[i] < pset.LOGIC_ON if answer else out[i] != 0.0)
    ]
    cells = ", ".join(f"{_bits(x)}->{y:g}" for x, y in zip(pset.LOGIC_INPUTS, out))
    fix = (
        "wrong at "
        + ", ".join(_bits(pset.LOGIC_INPUTS[i]) for i in wrong)
        + ("; end with a ReLU so that negative sums become exactly 0" if wrong else "")
    )
    figures = {"outputs": [float(y) for y in out], "answers": list(answers)}
    return Rule("truth table", not wrong, cells, needs, fix if wrong else ""), figures


def _bits(x: tuple[float, float]) -> str:
    return f"({int(x[0])},{int(x[1])})"


def mnist_test(data: MnistData | str | Path | None) -> tuple[np.ndarray, np.ndarray, MnistData]:
    """The MNIST test split: the caller's data or file, else the shipped sample."""
    if data is None:
        data = load_mnist(sample=True)
    elif isinstance(data, (str, Path)):
        data = load_mnist(data)
    elif not isinstance(data, MnistData):
        raise TypeError(f"data must be an MnistData, a path or None, got {type(data).__name__}")
    return data.x_test, data.y_test, data


def mnist_description(data: MnistData) -> str:
    """Which test images the accuracy is measured on, saying so when they are the sample."""
    n = f"{len(data.x_test):,} test images"
    if data.is_sample:
        return (
            f"the small MNIST sample shipped with companion ({n}), not the set's "
            f"{pset.MNIST_TEST_IMAGES:,}: pass --mnist PATH (data=) for the set's figure"
        )
    return f"MNIST from {data.source} ({n})"


def test_accuracy(model: keras.Model, data, bar: Bar) -> tuple[Rule, dict[str, Any], str]:
    """Test accuracy on MNIST against the bar; the figures and a line naming the data."""
    x, y, loaded = mnist_test(data)
    where = mnist_description(loaded)
    out = outputs_on(model, x)
    needs = f">= {bar.value:g}"
    if out is None or out.ndim != 2 or out.shape[1] != pset.MNIST_CLASSES:
        shape = "none" if out is None else str(out.shape[1:])
        measured = f"not measured: input shape {model.input_shape[1:]}, output shape {shape}"
        fix = "take 28x28 images (or 784 pixels) and give 10 class probabilities"
        return Rule("test accuracy", False, measured, needs, fix), {}, where
    accuracy = float(np.mean(out.argmax(axis=1) == y))
    figures = {"test_accuracy": accuracy, "test_images": len(y), "sample": loaded.is_sample}
    measured = f"{accuracy:.4f} on {len(y):,} test images" + (
        " (sample)" if loaded.is_sample else ""
    )
    fix = "train longer, or change the architecture or regularisation"
    return Rule("test accuracy", accuracy >= bar.value, measured, needs, fix), figures, where


def covid_rows(data) -> tuple[np.ndarray, np.ndarray, str]:
    """COVID inputs and labels to score on, and a line naming them.

    A `TabularData` is scored on its test split (the caller trained on the rest). A
    DataFrame, a CSV path, or None (synthetic cases: the chapter's quick-run size, the
    grader's own seed) is prepared as chapter 2 prepares it and scored on every row with a
    Yes/No outcome: the grader trains nothing on it.
    """
    if isinstance(data, TabularData):
        return (
            data.x_test,
            data.y_test,
            f"the test split of the data given ({len(data.y_test):,} rows)",
        )
    if data is None:
        frame = synthetic_covid(pset.GRADE_COVID_ROWS, seed=pset.GRADE_COVID_SEED)
        rows, seed = pset.GRADE_COVID_ROWS, pset.GRADE_COVID_SEED
        name = f"SYNTHETIC cases (synthetic_covid({rows:,}, seed={seed}))"
    elif isinstance(data, (str, Path)):
        frame, name = load_covid_csv(data), str(data)
    elif isinstance(data, pd.DataFrame):
        frame, name = data, "the cases given"
    else:
        raise TypeError(
            "data must be a TabularData, a DataFrame, a CSV path or None, "
            f"got {type(data).__name__}"
        )
    prepared = prepare_covid(frame, balance="none", seed=pset.GRADE_COVID_SEED)
    x = np.concatenate([prepared.x_train, prepared.x_val, prepared.x_test])
    y = np.concatenate([prepared.y_train, prepared.y_val, prepared.y_test])
    inputs = ", ".join(prepared.feature_names)
    return x, y, f"{name}, prepared as chapter 2 does ({inputs}), all {len(y):,} Yes/No rows"


def roc_auc(model: keras.Model, data, bar: Bar) -> tuple[Rule, dict[str, Any], str]:
    """ROC AUC of P(death) against the bar; accuracy beside the majority-class rate."""
    x, y, where = covid_rows(data)
    out = outputs_on(model, x)
    needs = f">= {bar.value:g} (0.5 is chance)"
    if out is None or out.ndim != 2 or out.shape[1] not in pset.LINEAR_OUTPUTS:
        shape = "none" if out is None else str(out.shape[1:])
        measured = (
            f"not measured: input shape {model.input_shape[1:]}, output shape {shape}; "
            f"the data has {x.shape[1]} inputs"
        )
        fix = (
            f"take the {x.shape[1]} prepared inputs; give two softmax columns "
            "(P(survived), P(died)) or one sigmoid (P(died))"
        )
        return Rule("ROC AUC", False, measured, needs, fix), {}, where
    p_yes = out[:, -1]  # softmax column 1 is P(death); a sigmoid's one column is too
    scores = binary_scores(y, p_yes)
    figures = {
        "roc_auc": scores["roc_auc"],
        "accuracy": scores["test_accuracy"],
        "majority_rate": scores["baseline_accuracy"],
        "rows": len(y),
        "deaths": int(np.sum(y)),
    }
    measured = (
        f"{scores['roc_auc']:.3f} (accuracy {scores['test_accuracy']:.2%} beside the "
        f"majority class's {scores['baseline_accuracy']:.2%})"
    )
    fix = "train the net (Adam, cross-entropy) on the prepared inputs, rebalanced as chapter 2 does"
    return Rule("ROC AUC", scores["roc_auc"] >= bar.value, measured, needs, fix), figures, where
