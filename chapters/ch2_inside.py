"""Chapter 2: inside a neural network: linear nets on COVID-19 case data (problem 2, 2023).

2A reports the versions and devices; 2B prepares the CDC case data with pandas; 2C trains
a net with one linear hidden layer of 5 and draws its weights; 2D shows, by numbers, that
a second linear layer adds nothing, and what a ReLU changes.

The CDC file cannot be downloaded here: pass it with `--csv PATH`. Without it the
chapter uses synthetic cases in the same layout, and says so in every section and figure;
so does a `--csv` file marked synthetic (a leading `# SYNTHETIC ...` line, as the shipped
`companion/data/covid_fixture.csv` has).

    python -m chapters.ch2_inside --quick
    python -m chapters.ch2_inside --csv COVID-19_Case_Surveillance_Public_Use_Data_Subset.csv
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from companion.report import markdown_table
from companion.runner import Context, Problem, Section, positive_int, run_chapter

CHAPTER = "ch2_inside"
TITLE = "Chapter 2: Inside a neural network (linear nets on COVID-19 case data)"
SYNTHETIC_ROWS = 400_000  # about 260,000 with death_yn Yes/No, like the set's 259,715
QUICK_ROWS = 20_000
EPOCHS = 20  # the staff's; --quick keeps it and uses fewer rows


# ----------------------------------------------------------------------------- 2A


@dataclass
class Environment:
    """What problem 2A reports."""

    versions: dict[str, str | None]
    backend: str
    devices: list[str]


def environment() -> Environment:
    """Problem 2A: the versions of Python and the libraries, the backend and its devices."""
    from companion.env import backend_report, library_versions

    report = backend_report()
    return Environment(
        library_versions(), str(report["keras_backend"]), list(report.get("devices", []))
    )


def run_2a(ctx: Context) -> Section:
    env = environment()
    rows = [f"| {name} | {version or 'not installed'} |" for name, version in env.versions.items()]
    markdown = "\n".join(
        [
            "The set asks for the framework's version numbers. This run used:",
            "",
            "| package | version |",
            "|---|---|",
            *rows,
            f"| Keras backend | {env.backend} |",
            "",
            f"Devices the backend sees: {', '.join(env.devices) or 'none reported'}.",
        ]
    )
    headline = f"Keras {env.versions.get('keras')} on {env.backend}, {len(env.devices)} device(s)"
    return Section(
        markdown,
        {"versions": env.versions, "keras_backend": env.backend, "devices": env.devices},
        headline,
    )


# ----------------------------------------------------------------------------- data


def covid_frame(ctx: Context) -> pd.DataFrame:
    """The cases for this run: the --csv file, or synthetic ones (loaded once)."""

    def load() -> pd.DataFrame:
        from companion.data.covid import covid_description, load_covid_csv, synthetic_covid

        if ctx.args.csv is not None:
            frame = load_covid_csv(ctx.args.csv)
            note = ""
            if ctx.quick and len(frame) > QUICK_ROWS:
                attrs = dict(frame.attrs)
                frame = frame.sample(QUICK_ROWS, random_state=ctx.seed)
                frame.attrs.update(attrs)
                note = f" (--quick: a random {QUICK_ROWS:,} of its rows)"
        else:
            rows = ctx.args.rows or (QUICK_ROWS if ctx.quick else SYNTHETIC_ROWS)
            frame, note = synthetic_covid(rows, seed=ctx.seed), ""
        ctx.folder.note_data("covid", covid_description(frame) + note)
        return frame

    return ctx.cached("covid_frame", load)


def is_synthetic(ctx: Context) -> bool:
    """True when the run uses the synthetic cases."""
    return bool(covid_frame(ctx).attrs.get("synthetic"))


def data_line(ctx: Context) -> str:
    """The first line of each data section: which data, loudly if synthetic."""
    frame = covid_frame(ctx)
    if is_synthetic(ctx):
        why = (
            f"read from {frame.attrs.get('source')}, which says so in its first line "
            f'("{frame.attrs["marker"]}")'
            if "marker" in frame.attrs
            else "because the CDC file was not given with `--csv`"
        )
        return (
            "**Data: SYNTHETIC cases** in the CDC layout (invented rates, see "
            f"`companion.data.covid`), {why}. "
            "The numbers below show the method, not facts about COVID-19.\n\n"
        )
    return f"Data: {frame.attrs.get('source')} (CDC case surveillance layout).\n\n"


def tag(ctx: Context) -> str:
    """A suffix for figure titles and captions."""
    return " [SYNTHETIC data]" if is_synthetic(ctx) else ""


# ----------------------------------------------------------------------------- 2B


def preprocess(
    frame: pd.DataFrame,
    *,
    dates: str = "drop",
    encoding: str = "factorize",
    balance: str = "undersample",
    ratio: float = 5.0,
    seed: int = 0,
):
    """Problem 2B: drop unknown outcomes, encode, split, rebalance the training set, scale."""
    from companion.tabular import prepare_covid

    return prepare_covid(
        frame, dates=dates, encoding=encoding, balance=balance, ratio=ratio, seed=seed
    )


def tabular_data(ctx: Context):
    """The prepared arrays for this run (prepared once)."""
    args = ctx.args
    return ctx.cached(
        "tabular",
        lambda: preprocess(
            covid_frame(ctx),
            dates=args.dates,
            encoding=args.encoding,
            balance=args.balance,
            ratio=args.ratio,
            seed=ctx.seed,
        ),
    )


def run_2b(ctx: Context) -> Section:
    data = tabular_data(ctx)
    kept = covid_frame(ctx)
    kept = kept[kept["death_yn"].isin(["Yes", "No"])]
    figure = ctx.folder.figure_md(
        plot_death_rates(kept, title_suffix=tag(ctx)),
        "2B_death_rates",
        f"Death rate by age group and by hosp_yn among rows with death_yn Yes/No{tag(ctx)}",
    )
    steps = markdown_table(data.steps).rstrip()
    s = data.settings
    balance = _balance_text(data)
    markdown = (
        data_line(ctx)
        + "Steps, with the rows and columns after each:\n\n"
        + steps
        + "\n\n"
        + f"- **Outcome**: rows whose death_yn is Unknown or Missing cannot teach anything "
        f"about death, so they go first; {data.steps['rows'][0] - data.steps['rows'][1]:,} "
        f"of {data.steps['rows'][0]:,} rows.\n"
        + f"- **Dates**: {_dates_text(s['dates'])}\n"
        + f"- **Categoricals**: {_encoding_text(s['encoding'])}\n"
        + "- **Scaling**: every input is standardised with the training split's mean and "
        "spread only; a missing value (an age group of Missing, a blank date) becomes the "
        "training mean, 0.\n"
        + f"- **Imbalance**: {balance}; validation and test keep the real mix, so their "
        "scores are honest.\n"
        + f"- **Inputs** ({data.input_dim}, the set asks for 7 to 12): "
        + ", ".join(f"`{n}`" for n in data.feature_names)
        + ".\n\n"
        + figure
    )
    results = {
        "rows_after_step": data.rows_after_steps(),
        "steps": data.steps.to_dict(orient="records"),
        "features": data.feature_names,
        "settings": data.settings,
        "synthetic": is_synthetic(ctx),
    }
    headline = (
        f"{data.input_dim} inputs; {data.steps['rows'][1]:,} rows with death_yn Yes/No; "
        f"train {len(data.y_train):,} / val {len(data.y_val):,} / test {len(data.y_test):,}"
        + (" (synthetic)" if is_synthetic(ctx) else "")
    )
    return Section(markdown, results, headline)


def _balance_text(data) -> str:
    s = data.settings
    if s["balance"] == "undersample":
        return f"the training split's survivors were undersampled to 1:{s['ratio']:g}"
    if s["balance"] == "weights":
        ratio = data.class_weight[1] / data.class_weight[0]
        return f"the loss weighs each death {ratio:.0f} times as much as each survivor"
    return "nothing was done about the imbalance"


def _dates_text(how: str) -> str:
    if how == "drop":
        return "dropped (use `--dates numeric` to keep them as day numbers)."
    return (
        "each turned into days since 1 January 2020; a blank date is filled with the "
        "training mean by the scaler."
    )


def _encoding_text(how: str) -> str:
    order = (
        "age group is ordered, so it is coded 0 (0-9 years) to 8 (80+) under either "
        "encoding, with Missing left to the scaler"
    )
    if how == "factorize":
        return (
            "factorized with a fixed level order (`_yn` columns: No < Unknown < Missing < "
            f"Yes, so the codes grow with the chance of a Yes); {order}. A linear net "
            "reads a code as an amount, which suits ordered levels and not the others "
            "(race, sex): that is the price of factorizing."
        )
    return (
        "one-hot: a 0/1 column per level, Unknown and Missing merged, the first level "
        f"as the all-zero reference; race is left out to stay within 12 inputs; {order}."
    )


def plot_death_rates(kept: pd.DataFrame, *, axes=None, title_suffix: str = ""):
    """Two bar panels on `axes` (or new ones): the death rate by age group and by hosp_yn."""
    import matplotlib.pyplot as plt

    from companion.data.covid import LEVELS

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [2.2, 1]})
    fig = axes[0].figure
    for ax, column in zip(axes, ("age_group", "hosp_yn")):
        rates = (kept["death_yn"] == "Yes").groupby(kept[column]).mean() * 100
        rates = rates.reindex([v for v in LEVELS[column] if v in rates.index])
        ax.bar(range(len(rates)), rates.to_numpy(), color="#c0504d")
        ax.set_xticks(range(len(rates)), [str(i) for i in rates.index], rotation=40, ha="right")
        ax.set_ylabel("deaths (%)")
        ax.set_title(f"by {column}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Death rate among cases with a known outcome{title_suffix}")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- 2C and 2D


@dataclass
class NetResult:
    """A trained net, its per-epoch history and its test scores."""

    model: Any
    history: pd.DataFrame
    scores: dict[str, Any]
    final_loss: float
    final_val_loss: float
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The numbers summary.json keeps."""
        return {
            **self.scores,
            "final_loss": self.final_loss,
            "final_val_loss": self.final_val_loss,
            **self.settings,
        }


def train_linear_net(
    data,
    *,
    hidden: tuple[int, ...] = (5,),
    relu: bool = False,
    epochs: int = EPOCHS,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    name: str = "linear_net",
) -> NetResult:
    """Problem 2C (and 2D's nets): a linear net with a 2-way softmax, trained with Adam.

    The staff's choices are the defaults: Adam at 1e-3, batch 32, 20 epochs; the loss is
    the cross-entropy of the softmax (sparse: the labels stay 0/1).
    """
    import keras

    from companion.linear import linear_net
    from companion.seed import set_seed
    from companion.tabular import binary_scores
    from companion.training import train

    set_seed(seed)  # each net is seeded by its own name, whichever problem trains it
    model = linear_net(data.input_dim, hidden=hidden, relu=relu, name=name)
    history = train(
        model,
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(data.x_val, data.y_val),
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        class_weight=data.class_weight,
        steps_per_execution=32,  # fewer Python round trips per epoch; same maths
    )
    p_test = model.predict(data.x_test, batch_size=4096, verbose=0)
    scores = binary_scores(data.y_test, p_test[:, 1])
    scores["test_loss"] = cross_entropy(data.y_test, p_test)
    settings = {
        "hidden": list(hidden),
        "relu": relu,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "train_rows": len(data.y_train),
        "test_rows": len(data.y_test),
        "test_deaths": int(data.y_test.sum()),
    }
    return NetResult(
        model,
        history,
        scores,
        float(history["loss"].iloc[-1]),
        float(history["val_loss"].iloc[-1]),
        settings,
    )


def cross_entropy(labels, probabilities) -> float:
    """Mean cross-entropy of 0/1 labels under predicted class probabilities."""
    picked = np.asarray(probabilities, dtype="float64")[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def trained_net(ctx: Context, key: str, **settings) -> NetResult:
    """Train a net once per run; its seed comes from --seed and its key."""
    from companion.seed import derive_seed

    def fit() -> NetResult:
        return train_linear_net(
            tabular_data(ctx),
            epochs=ctx.epochs(EPOCHS),
            seed=derive_seed(ctx.seed, key),
            name=key,
            **settings,
        )

    return ctx.cached(key, fit)


def run_2c(ctx: Context) -> Section:
    from companion.linear import log_odds_weights
    from companion.plots import plot_history

    data = tabular_data(ctx)
    net = trained_net(ctx, "one_linear_layer", hidden=(5,))
    ctx.folder.save_table(net.history, "2C_one_linear_layer")
    curves = ctx.folder.figure_md(
        plot_history(net.history, title=f"One linear hidden layer of 5{tag(ctx)}"),
        "2C_curves",
        f"Loss and accuracy per epoch: training ({_train_mix(data)}) and validation "
        f"(the real mix){tag(ctx)}",
    )
    weights = _kernel(net.model, 0).T
    heatmap = ctx.folder.figure_md(
        plot_first_layer(weights, data.feature_names, title_suffix=tag(ctx)),
        "2C_weights",
        f"The 5 x {data.input_dim} weights of the linear hidden layer{tag(ctx)}",
    )
    log_odds, _ = log_odds_weights(net.model)
    markdown = (
        data_line(ctx)
        + _net_text(net)
        + "\n\n"
        + _scores_table({"one linear layer (5)": net})
        + "\n\n"
        + _verdict(net)
        + "\n\n"
        + curves
        + "\n"
        + heatmap
        + "\n"
        + _weights_text(log_odds, data.feature_names)
    )
    results = {
        **net.summary(),
        "first_layer_weights": weights.round(5),
        "log_odds_weights": dict(zip(data.feature_names, log_odds.round(5))),
        "synthetic": is_synthetic(ctx),
    }
    headline = _headline(net) + (" (synthetic)" if is_synthetic(ctx) else "")
    return Section(markdown, results, headline)


def _train_mix(data) -> str:
    s = data.settings
    if s["balance"] == "undersample":
        return f"undersampled to 1:{s['ratio']:g}"
    return "class-weighted loss" if s["balance"] == "weights" else "the real mix"


def _kernel(model, index: int) -> np.ndarray:
    from companion.probes import dense_layers

    return np.asarray(dense_layers(model, include_output=True)[index].get_weights()[0])


def plot_first_layer(weights: np.ndarray, feature_names, *, ax=None, title_suffix: str = ""):
    """The units x inputs weight matrix as a heatmap labelled with the feature names."""
    import matplotlib.pyplot as plt

    from companion.plots import plot_heatmap

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.85 * len(feature_names) + 2), 3.6))
    limit = float(np.abs(weights).max()) or 1.0
    return plot_heatmap(
        weights,
        ax=ax,
        fmt="{:.2f}",
        xlabels=feature_names,
        ylabels=[f"unit {i + 1}" for i in range(weights.shape[0])],
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        title=f"First-layer weights (standardised inputs){title_suffix}",
    )


def _net_text(net: NetResult) -> str:
    s = net.settings
    layers = " -> ".join(f"Dense({h})" + (" -> ReLU" if s["relu"] else "") for h in s["hidden"])
    return (
        f"Net: Input({net.model.input_shape[-1]}) -> {layers} -> Dense(2) -> Softmax, no "
        f"activation in the hidden layers; Adam at {s['learning_rate']:g}, batch "
        f"{s['batch_size']}, {s['epochs']} epochs, cross-entropy loss; trained on "
        f"{s['train_rows']:,} rows, tested on {s['test_rows']:,} rows with the real mix."
    )


def _scores_table(nets: dict[str, NetResult]) -> str:
    lines = [
        "| net | final train loss | final val loss | test loss | test accuracy | always-No "
        "baseline | balanced accuracy | ROC AUC | deaths found |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, net in nets.items():
        s = net.scores
        found = "n/a" if s["recall_yes"] is None else f"{s['recall_yes']:.1%}"
        lines.append(
            f"| {name} | {net.final_loss:.4f} | {net.final_val_loss:.4f} | {s['test_loss']:.4f} "
            f"| {s['test_accuracy']:.2%} | {s['baseline_accuracy']:.2%} "
            f"| {s['balanced_accuracy']:.3f} | {s['roc_auc']:.3f} | {found} |"
        )
    lines.append(
        "\nThe training loss is measured on the training mix (rebalanced, unless "
        "`--balance none`), the validation and test losses on the real mix, so compare "
        "each column down, not across."
    )
    return "\n".join(lines)


def _verdict(net: NetResult) -> str:
    s = net.scores
    gap = s["test_accuracy"] - s["baseline_accuracy"]
    if gap < 0:
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
        if few < 30
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


@dataclass
class Collapse:
    """Problem 2D's numbers: a deep linear net, its one-layer twin, and a ReLU net."""

    two_layer: NetResult
    collapsed_max_abs_diff: float
    relu: NetResult
    relu_collapse_max_abs_diff: float
    refusal: str


def collapse_demo(two_layer: NetResult, relu: NetResult, x) -> Collapse:
    """Problem 2D: collapse the two-layer linear net to one layer and compare predictions.

    The same multiplication applied to the ReLU net's Dense layers (ignoring the ReLUs)
    shows how far from linear the ReLU makes it.
    """
    from companion.errors import RuleError
    from companion.linear import collapse_linear, linear_net, multiply_out
    from companion.probes import dense_layers

    collapsed = collapse_linear(two_layer.model)
    diff = _max_diff(two_layer.model, collapsed, x)
    try:
        collapse_linear(relu.model)
        refusal = ""
    except RuleError as error:
        refusal = str(error)
    *hidden, output = dense_layers(relu.model, include_output=True)
    matrix, bias = multiply_out(hidden)
    naive = linear_net(matrix.shape[0], hidden=(matrix.shape[1],), name="relu_dropped")
    first, last = dense_layers(naive, include_output=True)
    first.set_weights([matrix.astype("float32"), bias.astype("float32")])
    last.set_weights(output.get_weights())
    return Collapse(two_layer, diff, relu, _max_diff(relu.model, naive, x), refusal)


def _max_diff(model_a, model_b, x) -> float:
    a = model_a.predict(x, batch_size=4096, verbose=0)
    b = model_b.predict(x, batch_size=4096, verbose=0)
    return float(np.max(np.abs(a - b)))


def run_2d(ctx: Context) -> Section:
    from companion.linear import log_odds_weights

    data = tabular_data(ctx)
    one = trained_net(ctx, "one_linear_layer", hidden=(5,))
    two = trained_net(ctx, "two_linear_layers", hidden=(5, 5))
    relu = trained_net(ctx, "two_relu_layers", hidden=(5, 5), relu=True)
    for key, net in (("two_linear_layers", two), ("two_relu_layers", relu)):
        ctx.folder.save_table(net.history, f"2D_{key}")
    demo = collapse_demo(two, relu, data.x_test)
    nets = {"one linear layer (5)": one, "two linear layers (5, 5)": two, "ReLU (5, 5)": relu}
    curves = ctx.folder.figure_md(
        plot_losses(nets, title_suffix=tag(ctx)),
        "2D_losses",
        f"Training and validation loss of the three nets{tag(ctx)}",
    )
    w_one, _ = log_odds_weights(one.model)
    w_two, _ = log_odds_weights(two.model)
    bars = ctx.folder.figure_md(
        plot_log_odds(
            {"one linear layer": w_one, "two linear layers": w_two},
            data.feature_names,
            title_suffix=tag(ctx),
        ),
        "2D_log_odds",
        f"Both linear nets multiplied out: weight on the log-odds of death per input{tag(ctx)}",
    )
    markdown = (
        data_line(ctx)
        + _scores_table(nets)
        + "\n\n"
        + _collapse_text(one, demo, len(data.y_test))
        + "\n\n"
        + curves
        + "\n"
        + bars
    )
    results = {
        **two.summary(),
        "collapse_max_abs_diff": demo.collapsed_max_abs_diff,
        "one_layer_final_loss": one.final_loss,
        "one_layer_final_val_loss": one.final_val_loss,
        "relu": relu.summary(),
        "relu_collapse_max_abs_diff": demo.relu_collapse_max_abs_diff,
        "log_odds_weights": dict(zip(data.feature_names, w_two.round(5))),
        "synthetic": is_synthetic(ctx),
    }
    headline = (
        f"val loss 1 layer {one.final_val_loss:.4f} vs 2 layers {two.final_val_loss:.4f}; "
        f"collapse diff {demo.collapsed_max_abs_diff:.1e}; ReLU diff "
        f"{demo.relu_collapse_max_abs_diff:.2f}" + (" (synthetic)" if is_synthetic(ctx) else "")
    )
    return Section(markdown, results, headline)


def _collapse_text(one: NetResult, demo: Collapse, n_test: int) -> str:
    two = demo.two_layer
    return "\n\n".join(
        [
            _match_text(one, two),
            f"**By numbers.** Multiplying the two hidden layers out gives one "
            f"{two.model.input_shape[-1]} x 5 layer; loaded into a one-layer net with the "
            f"same output layer, its predictions on the {n_test:,} test rows differ from the "
            f"two-layer net's by at most {demo.collapsed_max_abs_diff:.1e}: float32 rounding, "
            "so the same function. Multiplying on through the output layer shows that both "
            "nets are a logistic regression in disguise (the bar chart: one weight per "
            "input; where the bars differ, the two nets stopped at different points of "
            "training, not at different kinds of function).",
            _relu_text(one, demo),
        ]
    )


def _match_text(one: NetResult, two: NetResult) -> str:
    a, b = one.final_loss, two.final_loss
    gap = abs(a - b) / max(a, b)
    algebra = (
        "A layer without activation computes x W + b, and two of them compute "
        "(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2): one matrix and one bias. So the "
        "second layer adds parameters but no functions the first could not express."
    )
    if gap <= 0.05:
        verdict = (
            f"**Why the losses match.** The one- and two-layer linear nets end with training "
            f"losses {a:.4f} and {b:.4f}, {gap:.1%} apart (validation {one.final_val_loss:.4f} "
            f"and {two.final_val_loss:.4f})."
        )
    else:
        verdict = (
            f"**The losses should match, and here they do not yet.** The one- and two-layer "
            f"linear nets end with training losses {a:.4f} and {b:.4f}, {gap:.1%} apart "
            f"(validation {one.final_val_loss:.4f} and {two.final_val_loss:.4f}): training "
            "stopped before one of them had converged (see the curves; `--epochs` runs "
            "longer). The gap is not one of capacity."
        )
    return f"{verdict} {algebra}"


def _relu_text(one: NetResult, demo: Collapse) -> str:
    two, relu = demo.two_layer, demo.relu
    refusal = f" `collapse_linear` refuses it: *{demo.refusal}*." if demo.refusal else ""
    # The two linear nets can express the same functions, so their gap is training noise.
    noise = max(abs(one.final_val_loss - two.final_val_loss), 0.002)
    change = min(one.final_val_loss, two.final_val_loss) - relu.final_val_loss
    if change > 2 * noise:
        outcome = (
            f"{change:.4f} below the better linear net's, more than twice the "
            f"{noise:.4f} by which the two linear nets differ: it uses combinations of "
            "inputs (such as the unordered factorized codes) that a linear net cannot."
        )
    elif change < -2 * noise:
        outcome = (
            f"{-change:.4f} above the better linear net's: the extra freedom did not pay "
            "off in this many epochs."
        )
    else:
        outcome = (
            f"within the {noise:.4f} by which the two linear nets differ from each other: "
            "the outcome is close to linear in these inputs, so there is little for the "
            "extra freedom to find. The ReLU changes what the net can express, not what "
            "this data rewards."
        )
    return (
        f"**With a ReLU** after each hidden layer the identity breaks.{refusal} Multiplying "
        "its Dense layers out anyway, as if the ReLUs were not there, moves its predicted "
        f"probabilities by up to {demo.relu_collapse_max_abs_diff:.2f}: a ReLU zeroes "
        "negative parts, and that kink is what lets depth add functions. Trained the same "
        f"way it ends at training loss {relu.final_loss:.4f} and validation loss "
        f"{relu.final_val_loss:.4f}, {outcome}"
    )


def plot_losses(nets: dict[str, NetResult], *, axes=None, title_suffix: str = ""):
    """Training and validation loss per epoch of several nets, on two axes side by side."""
    import matplotlib.pyplot as plt

    from companion.plots import plot_lines

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    fig = axes[0].figure
    for ax, column, label in zip(axes, ("loss", "val_loss"), ("training", "validation")):
        series = {name: (net.history["epoch"], net.history[column]) for name, net in nets.items()}
        plot_lines(series, ax=ax, xlabel="epoch", ylabel="cross-entropy", title=f"{label} loss")
    fig.suptitle(f"One vs two linear hidden layers, and a ReLU net{title_suffix}")
    fig.tight_layout()
    return fig


def plot_log_odds(
    weights: dict[str, np.ndarray], feature_names, *, ax=None, title_suffix: str = ""
):
    """Grouped bars: each net's weight on the log-odds of death per input."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(feature_names) + 2), 3.6))
    fig = ax.figure
    width = 0.8 / len(weights)
    positions = np.arange(len(feature_names))
    for i, (name, values) in enumerate(weights.items()):
        ax.bar(positions + (i - (len(weights) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(positions, feature_names, rotation=40, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("log-odds per s.d.")
    ax.set_title(f"The nets multiplied out into one linear map{title_suffix}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- command line

PROBLEMS = [
    Problem("2A", "Installation: versions and devices", run_2a),
    Problem("2B", "The data: preprocessing with pandas", run_2b),
    Problem("2C", "A linear neural network", run_2c),
    Problem("2D", "A two-layer linear neural network", run_2d),
]


def positive_float(text: str) -> float:
    """An argparse type for the undersampling ratio."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This chapter's own flags: the data file and the preprocessing options."""
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="the CDC COVID-19 case surveillance CSV (default: synthetic cases, labelled so)",
    )
    parser.add_argument(
        "--rows",
        type=positive_int,
        default=None,
        help=f"synthetic cases to make (default {SYNTHETIC_ROWS:,}; {QUICK_ROWS:,} with --quick)",
    )
    parser.add_argument("--dates", choices=("drop", "numeric"), default="drop")
    parser.add_argument("--encoding", choices=("factorize", "onehot"), default="factorize")
    parser.add_argument(
        "--balance", choices=("undersample", "weights", "none"), default="undersample"
    )
    parser.add_argument(
        "--ratio",
        type=positive_float,
        default=5.0,
        help="survivors kept per death when undersampling (default 5, as the staff did)",
    )


def main(argv=None) -> int:
    """Run chapter 2 from the command line; return the exit code."""
    return run_chapter(
        CHAPTER,
        TITLE,
        PROBLEMS,
        argv,
        description=__doc__.splitlines()[0],
        add_arguments=add_arguments,
    )


if __name__ == "__main__":
    from companion.runner import use_headless_backend

    use_headless_backend()  # the command line draws to files; a notebook keeps its backend
    sys.exit(main())
