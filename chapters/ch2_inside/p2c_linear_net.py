"""Problem 2C: a net with one linear hidden layer of 5, its scores against the baseline.

`one_linear_layer` is 2C's net, written out layer by layer; `train_linear_net` seeds,
builds, compiles and fits any of the chapter's nets (2D's too) and scores it on the test
split; `scores_table` and the verdict put accuracy beside the always-No baseline,
balanced accuracy and ROC AUC, because on a rare outcome accuracy alone misleads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch2_inside.p2b_cases import data_line, tabular_data, tag
from companion.plots import history_frame, plot_history
from companion.probes import dense_layers
from companion.pset import (
    LINEAR_BATCH_SIZE,
    LINEAR_CLASSES,
    LINEAR_EPOCHS,
    LINEAR_HIDDEN_WIDTH,
    LINEAR_LEARNING_RATE,
)
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import set_seed
from companion.tabular.linear import log_odds_weights
from companion.tabular.plots import plot_weight_matrix
from companion.tabular.prepare import TabularData
from companion.tabular.scores import binary_scores, cross_entropy
from companion.training import fit_callbacks

EPOCHS = LINEAR_EPOCHS  # the staff's 20; --quick keeps it and uses fewer rows
FEW_DEATHS = 30  # fewer deaths than this in the test split: its scores are mostly noise


def one_linear_layer(
    input_dim: int, *, width: int = LINEAR_HIDDEN_WIDTH, name: str = "one_linear_layer"
) -> keras.Sequential:
    """Problem 2C's net: one linear hidden layer of 5 (no activation), a 2-way softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(input_dim,)),
            layers.Dense(width, name="hidden_1"),  # no activation: x W + b, nothing more
            layers.Dense(LINEAR_CLASSES, name="output"),
            layers.Softmax(name="softmax"),  # P(survived), P(died)
        ],
        name=name,
    )


@dataclass
class NetResult:
    """A trained net, its per-epoch history, its test scores and the data it learnt from."""

    model: Any
    history: pd.DataFrame
    scores: dict[str, Any]
    final_loss: float
    final_val_loss: float
    settings: dict[str, Any] = field(default_factory=dict)
    data: TabularData | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """The numbers summary.json keeps."""
        return {
            **self.scores,
            "final_loss": self.final_loss,
            "final_val_loss": self.final_val_loss,
            **self.settings,
            "beats_baseline": self.beats_baseline,
            "few_deaths": self.few_deaths,
        }

    @property
    def accuracy_gap(self) -> float:
        """Test accuracy minus always answering No's, as a fraction (negative: below it)."""
        return float(self.scores["test_accuracy"] - self.scores["baseline_accuracy"])

    @property
    def beats_baseline(self) -> bool:
        """Whether the test accuracy reaches always answering No's."""
        return self.accuracy_gap >= 0

    @property
    def few_deaths(self) -> bool:
        """Whether the test split has too few deaths for its scores to mean much."""
        return self.settings["test_deaths"] < FEW_DEATHS

    def first_layer_weights(self) -> np.ndarray:
        """The first hidden layer's weights, units x inputs."""
        return np.asarray(self.model.get_layer("hidden_1").kernel).T  # kernel: inputs x units

    def log_odds(self) -> np.ndarray:
        """For a linear net: its weight on the log-odds of death per input (see `linear`)."""
        weights, _intercept = log_odds_weights(self.model)
        return weights


def train_linear_net(
    data: TabularData,
    build: Callable[[int], keras.Model] = one_linear_layer,
    *,
    epochs: int = EPOCHS,
    batch_size: int = LINEAR_BATCH_SIZE,
    learning_rate: float = LINEAR_LEARNING_RATE,
    seed: int = 0,
) -> NetResult:
    """Seed, build (`build(input_dim)`: 2C's net by default), compile, fit and score a net.

    The staff's choices are the defaults: Adam at 1e-3, batch 32, 20 epochs; the loss is
    the cross-entropy of the softmax (sparse: the labels stay 0/1). The net seeds itself
    from `seed`, so it starts the same whatever was trained before it.
    """
    set_seed(seed)
    model = build(data.input_dim)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",  # labels 0/1 against the 2 softmax columns
        metrics=["accuracy"],
        steps_per_execution=32,  # fewer Python round trips per epoch; same maths
    )
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(data.x_val, data.y_val),
        class_weight=data.class_weight,  # None unless --balance weights
        callbacks=fit_callbacks(name=model.name),
        verbose=0,
    )
    return _scored(model, history_frame(history), data, epochs, batch_size, learning_rate)


def score_net(
    model: keras.Model,
    history: keras.callbacks.History | pd.DataFrame,
    data: TabularData,
    *,
    batch_size: int = LINEAR_BATCH_SIZE,
    learning_rate: float = LINEAR_LEARNING_RATE,
) -> NetResult:
    """A net you built, compiled and fitted yourself, scored on the test split as 2C scores.

    `history` is what `model.fit` returned (or its `history_frame`); its rows are the epochs.
    The result is the one `train_linear_net` returns, so `text_2c` reads it the same way.
    """
    frame = history_frame(history)
    return _scored(model, frame, data, len(frame), batch_size, learning_rate)


def _scored(
    model: keras.Model,
    history: pd.DataFrame,
    data: TabularData,
    epochs: int,
    batch_size: int,
    learning_rate: float,
) -> NetResult:
    """The trained net's test scores and settings, as a NetResult."""
    p_test = model.predict(data.x_test, batch_size=4096, verbose=0)
    scores = binary_scores(data.y_test, p_test[:, 1])  # softmax column 1: P(death)
    scores["test_loss"] = cross_entropy(data.y_test, p_test)
    settings = {
        "hidden": [layer.units for layer in dense_layers(model, include_output=False)],
        "relu": any(isinstance(layer, layers.ReLU) for layer in model.layers),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "train_rows": len(data.y_train),
        "test_rows": len(data.y_test),
        "test_deaths": int(data.y_test.sum()),
    }
    last = history.iloc[-1]  # the final epoch's row, read by column below
    return NetResult(
        model, history, scores, float(last["loss"]), float(last["val_loss"]), settings, data
    )


def trained_net(ctx: Context, build: Callable[..., keras.Model], *, seed: int) -> NetResult:
    """Train the net `build` makes once per run, keyed by its name (later problems reuse it)."""
    key = build.__name__  # one_linear_layer, two_linear_layers, two_relu_layers
    return ctx.cached(
        key,
        lambda: train_linear_net(tabular_data(ctx), build, epochs=ctx.epochs(EPOCHS), seed=seed),
    )


def one_layer_net(ctx: Context) -> NetResult:
    """2C's net, with 2C's seed whichever problem trains it first (2D reuses it)."""
    return trained_net(ctx, one_linear_layer, seed=ctx.seed_for("one_linear_layer", problem="2C"))


def text_2c(net: NetResult, figures: dict[str, str] | None = None) -> str:
    """Problem 2C's Markdown: the net, its scores against the baseline, its weights."""
    figures = figures or {}
    return (
        data_line(net.data.source)
        + _net_text(net)
        + "\n\n"
        + scores_table({"one linear layer (5)": net})
        + "\n\n"
        + _verdict(net)
        + "\n\n"
        + figures.get("curves", "")
        + "\n"
        + figures.get("weights", "")
        + "\n"
        + _weights_text(net.log_odds(), net.data.feature_names)
    )


def run_2c(ctx: Context) -> Section:
    """Problem 2C: train the one-linear-layer net; its curves, scores and weights."""
    net = one_layer_net(ctx)
    data, suffix = net.data, tag(net.data.source)
    ctx.folder.save_table(net.history, "2C_one_linear_layer")
    weights = net.first_layer_weights()
    figures = {
        "curves": ctx.folder.figure_md(
            plot_history(net.history, title=f"One linear hidden layer of 5{suffix}"),
            "2C_curves",
            f"Loss and accuracy per epoch: training ({_train_mix(data)}) and validation "
            f"(the real mix){suffix}",
        ),
        "weights": ctx.folder.figure_md(
            plot_weight_matrix(
                weights,
                data.feature_names,
                title=f"First-layer weights (standardised inputs){suffix}",
            ),
            "2C_weights",
            f"The 5 x {data.input_dim} weights of the linear hidden layer{suffix}",
        ),
    }
    results = {
        **net.summary(),
        "first_layer_weights": weights.round(5),
        "log_odds_weights": dict(zip(data.feature_names, net.log_odds().round(5))),
        "synthetic": bool(data.source.get("synthetic")),
    }
    headline = _headline(net) + (" (synthetic)" if suffix else "")
    return Section(text_2c(net, figures), results, headline)


def _train_mix(data) -> str:
    s = data.settings
    if s["balance"] == "undersample":
        return f"undersampled to 1:{s['ratio']:g}"
    return "class-weighted loss" if s["balance"] == "weights" else "the real mix"


def _net_text(net: NetResult) -> str:
    s = net.settings
    layers = " -> ".join(f"Dense({h})" + (" -> ReLU" if s["relu"] else "") for h in s["hidden"])
    return (
        f"Net: Input({net.data.input_dim}) -> {layers} -> Dense(2) -> Softmax, no "
        f"activation in the hidden layers; Adam at {s['learning_rate']:g}, batch "
        f"{s['batch_size']}, {s['epochs']} epochs, cross-entropy loss; trained on "
        f"{s['train_rows']:,} rows, tested on {s['test_rows']:,} rows with the real mix."
    )


def scores_table(nets: dict[str, NetResult]) -> str:
    rows = []
    for name, net in nets.items():
        s = net.scores
        rows.append(
            {
                "net": name,
                "final train loss": f"{net.final_loss:.4f}",
                "final val loss": f"{net.final_val_loss:.4f}",
                "test loss": f"{s['test_loss']:.4f}",
                "test accuracy": f"{s['test_accuracy']:.2%}",
                "always-No baseline": f"{s['baseline_accuracy']:.2%}",
                "balanced accuracy": f"{s['balanced_accuracy']:.3f}",
                "ROC AUC": f"{s['roc_auc']:.3f}",
                "deaths found": "n/a" if s["recall_yes"] is None else f"{s['recall_yes']:.1%}",
            }
        )
    return markdown_table(rows) + (
        "\nThe training loss is measured on the training mix (rebalanced, unless "
        "`--balance none`), the validation and test losses on the real mix, so compare "
        "each column down, not across."
    )


def _verdict(net: NetResult) -> str:
    s, gap = net.scores, net.accuracy_gap
    if not net.beats_baseline:
        accuracy = (
            f"Its test accuracy, {s['test_accuracy']:.2%}, is {-gap * 100:.2f} points below "
            f"the {s['baseline_accuracy']:.2%} of always answering No. That is the price of "
            "training on a rebalanced mix: the net calls a death more readily than the "
            f"real mix warrants ({s['predicted_yes']:.1%} of test cases called deaths)."
        )
    else:
        accuracy = (
            f"Its test accuracy, {s['test_accuracy']:.2%}, beats always answering No "
            f"({s['baseline_accuracy']:.2%}) by {gap * 100:.2f} points: little, because the "
            "baseline is high on a rare outcome."
        )
    few = net.settings["test_deaths"]
    caution = (
        f" With only {few} deaths in the test split these scores are mostly noise; use more rows."
        if net.few_deaths
        else ""
    )
    return (
        f"{accuracy} Accuracy is the wrong yardstick here: balanced accuracy (the mean "
        f"of the two classes' recalls) is {s['balanced_accuracy']:.3f} against the "
        f"baseline's 0.500, and the ROC AUC says a random death is scored above a random "
        f"survivor {s['roc_auc']:.1%} of the time (0.5 is chance).{caution}"
    )


def _weights_text(log_odds: np.ndarray, names) -> str:
    order = np.argsort(-np.abs(log_odds))[:3]
    top = ", ".join(f"`{names[i]}` ({log_odds[i]:+.2f})" for i in order)
    return (
        "Each row of the heatmap is one hidden unit's weights on the standardised inputs. "
        "The units are not meaningful one by one: any invertible mix of them, undone by "
        "the output layer, is the same net. What is fixed is the product with the output "
        "layer: the net's weight on the log-odds of death per standard deviation of each "
        f"input. The largest are {top}."
    )


def _headline(net: NetResult) -> str:
    s = net.scores
    return (
        f"test acc {s['test_accuracy']:.3f} (always-No {s['baseline_accuracy']:.3f}), "
        f"balanced {s['balanced_accuracy']:.3f}, AUC {s['roc_auc']:.3f}"
    )
