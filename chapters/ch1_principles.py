"""Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras (problem 1).

1A trains the set's two Playground demos (circle data, a 4-2 ReLU net) from the
Playground's random start and from all zeros, and checks with a gradient tape that from
zeros every gradient but the output bias's is exactly 0. 1B repeats both with sigmoid for
4000 epochs: when each test loss settles, whether the zero-started units stay identical,
and the gradient norms per layer. 1C trains a ReLU net one example at a time with all the
negatives first and counts dead units. 1D and 1E build OR and XOR from explicit weights,
and train XOR from random starts.

    python -m chapters.ch1_principles --quick
    python -m chapters.ch1_principles --only 1B
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from companion.runner import Context, Problem, Section, run_chapter

CHAPTER = "ch1_principles"
TITLE = "Chapter 1: Deep-learning principles (TensorFlow Playground demos in Keras)"
DEMO = {"hidden": (4, 2), "batch_size": 10, "learning_rate": 0.03}  # the set's Playground URLs
EPOCHS_1A, EPOCHS_1B, QUICK_1B = 250, 4000, 600
SETTLE_FRACTION, SETTLE_ATOL = 0.01, 1e-4


def circle_data(ctx: Context):
    """The demos' data: Playground circle, 500 points, noise 0, half for training."""
    from companion.data.playground import playground_dataset
    from companion.seed import derive_seed

    seed = derive_seed(ctx.seed, "circle")  # one data set for 1A and 1B, even with --only
    data = ctx.cached("circle", lambda: playground_dataset("circle", 500, 0.0, seed, 0.5))
    ctx.run.note_data("circle", data.description)
    return data


# ----------------------------------------------------------------------------- one demo


@dataclass
class DemoRun:
    """One Playground run: losses per epoch, boundary snapshots and what the monitors saw."""

    activation: str
    init: str
    model: Any
    history: pd.DataFrame
    grids: dict[int, np.ndarray]
    neurons: list[np.ndarray]
    symmetry: pd.DataFrame
    gradient_norms: pd.DataFrame
    outside_output_bias: pd.DataFrame
    start_gradients: pd.DataFrame

    @property
    def label(self) -> str:
        return f"{self.activation}, {'random' if self.init == 'playground' else 'zero'} start"

    @property
    def final_train_loss(self) -> float:
        return float(self.history["loss"].iloc[-1])

    @property
    def final_test_loss(self) -> float:
        return float(self.history["val_loss"].iloc[-1])

    @property
    def seconds(self) -> float:
        return float(self.history.attrs.get("seconds", float("nan")))

    def settle(self, column: str = "val_loss") -> int:
        """The epoch from which this loss stays settled (see `settle_epoch`)."""
        from companion.playground import settle_epoch

        return settle_epoch(self.history[column], fraction=SETTLE_FRACTION, atol=SETTLE_ATOL)


def largest_gradient_outside_output_bias(model, x, y) -> float:
    """The largest |gradient| of the loss over every weight except the output bias."""
    from companion.callbacks import gradient_table

    table = gradient_table(model, x, y)
    is_output_bias = (table["layer"] == model.layers[-1].name) & (table["weight"] == "bias")
    return float(table.loc[~is_output_bias, "max_abs"].max())


def snapshot_epochs(epochs: int) -> list[int]:
    """Epochs at which to keep the boundary: the start, three on the way, the end."""
    marks = {0, epochs}
    marks.update(e for e in (epochs // 25, epochs // 5, epochs // 2) if e > 0)
    return sorted(marks)


def playground_demo(
    data,
    *,
    activation: str = "relu",
    init: str = "playground",
    epochs: int = EPOCHS_1A,
    hidden=DEMO["hidden"],
    batch_size: int = DEMO["batch_size"],
    learning_rate: float = DEMO["learning_rate"],
    seed: int | None = None,
    every: int | None = None,
) -> DemoRun:
    """Train one Playground demo with the fast loop and every monitor attached."""
    import keras

    from companion.callbacks import DecisionBoundary, GradientNorms, SymmetryMonitor, gradient_table
    from companion.playground import fast_fit, playground_model

    model = playground_model(
        hidden, activation=activation, init=init, learning_rate=learning_rate, seed=seed
    )
    every = every or max(1, epochs // 40)
    x, y = data.x_train, data.y_train
    start_gradients = gradient_table(model, x, y)
    boundary = DecisionBoundary(snapshot_epochs(epochs), neurons=True)
    symmetry, norms = SymmetryMonitor(every=every), GradientNorms(x, y, every=every)
    outside: list[dict[str, float]] = []

    def probe(epoch: int) -> None:
        value = largest_gradient_outside_output_bias(model, x, y)
        outside.append({"epoch": epoch, "max_abs": value})

    probe_callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: probe(0),
        on_epoch_end=lambda epoch, logs: probe(epoch + 1),
    )
    history = fast_fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(data.x_test, data.y_test),
        callbacks=[boundary, symmetry, norms, probe_callback],
        every=every,
    )
    return DemoRun(
        activation,
        init,
        model,
        history,
        boundary.grids,
        boundary.neurons.get(epochs, []),
        symmetry.to_frame(),
        norms.to_frame(),
        pd.DataFrame(outside),
        start_gradients,
    )


def boundary_figure(runs: dict[str, DemoRun], data):
    """One row of boundary snapshots per run."""
    import matplotlib.pyplot as plt

    from companion.boundary import plot_boundary

    columns = max(len(r.grids) for r in runs.values())
    fig, axes = plt.subplots(
        len(runs), columns, figsize=(2.4 * columns, 2.7 * len(runs)), squeeze=False
    )
    for row, run in zip(axes, runs.values()):
        for ax in row[len(run.grids) :]:
            ax.axis("off")
        for ax, (epoch, grid) in zip(row, run.grids.items()):
            plot_boundary(
                grid,
                data.x_train,
                data.y_train,
                x_test=data.x_test,
                y_test=data.y_test,
                ax=ax,
                title=f"{run.label}\nepoch {epoch}",
            )
    fig.tight_layout()
    return fig


def loss_figure(runs: dict[str, DemoRun], *, train: bool = True):
    """Test (and train) loss per epoch for each run, log scale."""
    import matplotlib.pyplot as plt

    from companion.plots import plot_lines

    fig, ax = plt.subplots(figsize=(7.5, 4))
    series = {}
    for run in runs.values():
        h = run.history
        if train:
            series[f"{run.label}: train"] = (h["epoch"], h["loss"])
        series[f"{run.label}: test"] = (h["epoch"], h["val_loss"])
    plot_lines(series, ax=ax, xlabel="epoch", ylabel="loss ½(ŷ − y)²", logy=True, marker="")
    return fig


def results_of(run: DemoRun) -> dict[str, float]:
    """A run's final losses for summary.json."""
    return {"final_train_loss": run.final_train_loss, "final_test_loss": run.final_test_loss}


# ----------------------------------------------------------------------------- 1A


@dataclass
class InitDemos:
    """Problem 1A: the random- and zero-started demos and the zero-gradient check."""

    runs: dict[str, DemoRun]
    zero_max_gradient_start: float
    zero_max_gradient_training: float
    zero_weights_moved: float


def init_demos(
    data, *, activation: str = "relu", epochs: int = EPOCHS_1A, seed: int | None = None
) -> InitDemos:
    """Problem 1A: the set's two demos, the Playground's random start against all zeros."""
    runs = {
        key: playground_demo(data, activation=activation, init=init, epochs=epochs, seed=seed)
        for key, init in (("random", "playground"), ("zeros", "zeros"))
    }
    zero = runs["zeros"]
    output_bias = zero.model.layers[-1].bias
    moved = max(
        float(np.abs(np.asarray(v)).max()) for v in zero.model.weights if v is not output_bias
    )
    probes = zero.outside_output_bias["max_abs"]
    return InitDemos(runs, float(probes.iloc[0]), float(probes.max()), moved)


def run_1a(ctx: Context) -> Section:
    from companion.boundary import plot_neurons
    from companion.report import markdown_table
    from companion.seed import derive_seed

    data = circle_data(ctx)
    result = init_demos(data, epochs=ctx.epochs(EPOCHS_1A), seed=derive_seed(ctx.seed, "init"))
    random, zero = result.runs["random"], result.runs["zeros"]
    for key, run in result.runs.items():
        ctx.run.save_history(run.history, f"1A_relu_{key}")
    curves = ctx.run.figure_md(
        loss_figure(result.runs), "1A_loss", "1A: train and test loss, random vs zero start"
    )
    boundaries = ctx.run.figure_md(
        boundary_figure(result.runs, data),
        "1A_boundaries",
        "1A: the output over [−6, 6]² (orange −1, blue +1; light edge train, dark edge test)",
    )
    neurons = ctx.run.figure_md(
        plot_neurons(random.neurons, title="random start, end of training"),
        "1A_neurons",
        "1A: each hidden unit's output at the end of the random-start run",
    )
    epochs = len(random.history) - 1
    markdown = f"""
Both demos use the set's Playground settings: circle data (noise 0, half of 500 points for
training), a 4-2 ReLU net with a tanh output, loss ½(ŷ − y)², plain SGD with batch 10 and
learning rate 0.03, the training data in the same order every epoch, {epochs} epochs.

**Random start** (weights U(−0.5, 0.5), biases 0.1, as the Playground draws them): the test
loss falls from {random.history["val_loss"].iloc[0]:.3f} to **{random.final_test_loss:.4f}**
(train {random.final_train_loss:.4f}).

**Zero start** (the Playground's `initZero`): the test loss ends at
**{zero.final_test_loss:.4f}** (train {zero.final_train_loss:.4f}), the loss of a constant
guess; the boundary never takes a shape. The gradient tape shows why. At the start every
gradient is exactly 0 except the output bias's:

{markdown_table(zero.start_gradients, floatfmt="{:.3g}")}
The largest |gradient| outside the output bias is **{result.zero_max_gradient_start:g}** at
the start and **{result.zero_max_gradient_training:g}** at the largest of
{len(zero.outside_output_bias)} checks during training, and at the end every weight but the
output bias is still exactly {result.zero_weights_moved:g}: no step ever moved them.

Why, by backprop: a hidden layer's gradient is ∂L/∂W^l = δ^l (x^(l−1))ᵀ with
δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ ReLU′(s^l), a product with W^(l+1) = 0, so it is 0. The output
layer's weight gradient is δ^L (x^(L−1))ᵀ, and x^(L−1) = ReLU(0) = 0, so it is 0 too. Only
the output bias (gradient δ^L) moves, and a bias cannot make the output depend on the
input: the zero net predicts one constant everywhere, forever. (ReLU′(0) = 0 in the
Playground and in TensorFlow; every hidden unit of the zero net is "dead" in the sense of
1C.) The random start breaks the symmetry and every layer gets a gradient.

{curves}
{boundaries}
{neurons}
"""
    results = {
        "random": results_of(random),
        "zeros": results_of(zero),
        "zero_init_max_gradient": {
            "start": result.zero_max_gradient_start,
            "training": result.zero_max_gradient_training,
        },
        "zero_init_weights_moved": result.zero_weights_moved,
        "epochs": epochs,
    }
    headline = (
        f"test loss random {random.final_test_loss:.3f} vs zeros {zero.final_test_loss:.3f}; "
        f"zero start: max |grad| outside output bias {result.zero_max_gradient_training:g}"
    )
    return Section(markdown, results, headline)


# ----------------------------------------------------------------------------- 1B


@dataclass
class ActivationDemos:
    """Problem 1B: ReLU and sigmoid, random and zero starts, trained for long."""

    runs: dict[str, DemoRun]
    settle: dict[str, int]
    zero_symmetry: float
    zero_symmetry_max: float
    zero_boundary_spread: float
    zero_direction: list[float]


def boundary_spread(model) -> tuple[float, list[float]]:
    """How much a net with identical first-layer units changes across their shared direction.

    Identical units see only w·x (w: their shared incoming weights), so the output is
    constant along every line perpendicular to w and the boundary is straight. Returns the
    largest output change when each grid point moves one unit along such a line (0 for a
    straight boundary, more if the units differ), and w.
    """
    from companion.boundary import grid_points
    from companion.playground import hidden_dense_layers, predict_points

    w = np.asarray(hidden_dense_layers(model)[0].kernel)[:, 0].astype(float)
    if not np.linalg.norm(w) > 0:
        return 0.0, w.tolist()
    normal = (np.array([-w[1], w[0]]) / np.linalg.norm(w)).astype("float32")
    points = grid_points(resolution=60)
    change = predict_points(model, points + normal) - predict_points(model, points)
    return float(np.abs(change).max()), w.tolist()


def activation_demos(
    data,
    *,
    epochs: int = EPOCHS_1B,
    activations=("relu", "sigmoid"),
    seed: int | None = None,
) -> ActivationDemos:
    """Problem 1B: the two demos with each activation, trained for `epochs`."""
    runs = {
        f"{act}/{key}": playground_demo(data, activation=act, init=init, epochs=epochs, seed=seed)
        for act in activations
        for key, init in (("random", "playground"), ("zeros", "zeros"))
    }
    settle = {key: run.settle() for key, run in runs.items()}
    zero = runs.get("sigmoid/zeros")
    if zero is None:
        return ActivationDemos(runs, settle, float("nan"), float("nan"), float("nan"), [])
    symmetry = zero.symmetry["symmetry"]
    spread, direction = boundary_spread(zero.model)
    return ActivationDemos(
        runs, settle, float(symmetry.iloc[-1]), float(symmetry.max()), spread, direction
    )


def gradient_figure(runs: dict[str, DemoRun]):
    """Per-layer gradient norms over training, one panel per run."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), squeeze=False)
    for ax, run in zip(axes[0], runs.values()):
        frame = run.gradient_norms
        for column in frame.columns.drop("epoch"):
            values = frame[column].where(frame[column] > 0)  # log scale: exact zeros left out
            ax.plot(frame["epoch"], values, label=column)
        ax.set(yscale="log", xlabel="epoch", ylabel="‖∂L/∂W‖ (whole training set)")
        ax.set_title(run.label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def settle_table(result: ActivationDemos) -> pd.DataFrame:
    """One row per run: settle epoch and final losses."""
    rows = []
    for key, run in result.runs.items():
        norms = run.gradient_norms.drop(columns="epoch")
        rows.append(
            {
                "run": run.label,
                "settles at epoch": result.settle[key],
                "final test loss": run.final_test_loss,
                "final train loss": run.final_train_loss,
                "first-layer / output gradient at start": float(
                    norms.iloc[0, 0] / norms.iloc[0, -1]
                ),
                "same, median over training": float(
                    (norms.iloc[:, 0] / norms.iloc[:, -1]).median()
                ),
                "symmetry at end": float(run.symmetry["symmetry"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def zero_sigmoid_progress(run: DemoRun, settle: int) -> str:
    """One sentence on how far the zero-started sigmoid net got (measured, not assumed)."""
    start, end = float(run.history["val_loss"].iloc[0]), run.final_test_loss
    if end < start - 0.02:
        low = run.history["val_loss"]
        moving = int(low[low < start - 0.01].index[0]) if (low < start - 0.01).any() else settle
        return (
            f"Its test loss stays near {start:.3f} until about epoch {moving}, then falls to "
            f"{end:.4f} (settled at epoch {settle})."
        )
    return (
        f"In {len(run.history) - 1} epochs its test loss only moves from {start:.4f} to "
        f"{end:.4f}: it is still on the plateau (the Playground shows it leaving it after "
        "roughly 3200 iterations)."
    )


def run_1b(ctx: Context) -> Section:
    from companion.report import markdown_table
    from companion.seed import derive_seed

    data = circle_data(ctx)
    epochs = ctx.epochs(QUICK_1B if ctx.quick else EPOCHS_1B)
    result = activation_demos(data, epochs=epochs, seed=derive_seed(ctx.seed, "init"))
    for key, run in result.runs.items():
        ctx.run.save_history(run.history, f"1B_{key.replace('/', '_')}")
    table = settle_table(result)
    sigmoid = {k: r for k, r in result.runs.items() if k.startswith("sigmoid")}
    curves = ctx.run.figure_md(
        loss_figure(result.runs, train=False), "1B_loss", "1B: test loss of the four runs"
    )
    boundaries = ctx.run.figure_md(
        boundary_figure(sigmoid, data), "1B_boundaries", "1B: the sigmoid runs' output over time"
    )
    random_runs = {k: r for k, r in result.runs.items() if k.endswith("random")}
    gradients = ctx.run.figure_md(
        gradient_figure(random_runs), "1B_gradients", "1B: gradient norm per layer, random starts"
    )
    exact = "exactly 0" if result.zero_symmetry_max == 0 else f"{result.zero_symmetry_max:.3g}"
    roundoff = (
        "Exactly 0, not round-off: on this backend the kernels compute identical units' sums "
        "in the same order, so nothing ever separates them."
        if result.zero_symmetry_max == 0
        else "Not exactly 0: the backend's kernels sum in different orders for different "
        "units, so round-off separates them slightly; the units are still identical in "
        "exact arithmetic."
    )
    zero_progress = zero_sigmoid_progress(
        result.runs["sigmoid/zeros"], result.settle["sigmoid/zeros"]
    )
    sig_r, relu_r = result.runs["sigmoid/random"], result.runs["relu/random"]
    ratio = result.settle["sigmoid/random"] / max(result.settle["relu/random"], 1)
    at_start = table.set_index("run")["first-layer / output gradient at start"]
    ratio_sig, ratio_relu = at_start[sig_r.label], at_start[relu_r.label]
    speed = (
        f"Sigmoid takes about {ratio:.1f}× as many epochs"
        + (" and ends at a higher loss." if sig_r.final_test_loss > relu_r.final_test_loss else ".")
        if ratio > 1.2
        else "Here sigmoid is not slower by this measure."
    )
    markdown = f"""
The same two demos with sigmoid hidden units, {epochs} epochs each, next to the ReLU runs
trained as long. **Settle rule**: a run has settled at the first epoch from which its test
loss stays within max({SETTLE_FRACTION:.0%} of its total fall, {SETTLE_ATOL:g}) of its
final value for good (the total fall is the largest loss seen minus the final one; the
floor keeps a flat curve from counting round-off as movement).

{markdown_table(table, floatfmt="{:.4g}")}
**Speed.** The random-start ReLU net settles at epoch {result.settle["relu/random"]} (test
loss {relu_r.final_test_loss:.4f}); the random-start sigmoid net at epoch
{result.settle["sigmoid/random"]} (test loss {sig_r.final_test_loss:.4f}). {speed} The
reason is in backprop: δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(s^l) and σ′(s) = σ(s)(1 − σ(s)) ≤ ¼,
so each sigmoid layer the error passes through multiplies it by at most ¼ (times the small
starting weights), while ReLU passes it on at full strength wherever a unit is on. At the
start the first layer's gradient norm is {ratio_sig:.3g} of the output layer's with sigmoid
against {ratio_relu:.3g} with ReLU (table; the figure follows the norms per layer over
training): the sigmoid net's lower layers start almost still.

**Zero start.** Unlike ReLU, sigmoid(0) = ½ ≠ 0: the hidden outputs x^(L−1) are ½, so the
output weights get a gradient at the first step, and from there the updates reach the
layers below (∂L/∂W^l carries W^(l+1), which is no longer 0), tiny at first because they
are products of weights that start at 0. {zero_progress} It can never use its width: every
unit of a layer gets the same gradient, so the units stay identical. The symmetry measure
(largest difference between two units' incoming weights in a layer) is **{exact}** over
the whole run (at the end: {result.zero_symmetry:g}). {roundoff} A net of identical units
is a 1-1-1 chain: its output depends on x only through w·x with
w = ({", ".join(f"{v:.4g}" for v in result.zero_direction)}), so the boundary is a straight
line (or none). Measured: moving every grid point one unit across w changes the output by
at most {result.zero_boundary_spread:.3g}. A straight line cannot separate a disc from a
ring; at best it cuts off part of the ring, hence a final test loss of
{result.runs["sigmoid/zeros"].final_test_loss:.3f} against {sig_r.final_test_loss:.4f} from
the random start, whose units differ from the first step.

{curves}
{boundaries}
{gradients}
"""
    results = {
        "epochs": epochs,
        "epochs_to_settle": result.settle,
        "final_test_loss": {k: r.final_test_loss for k, r in result.runs.items()},
        "zero_init_symmetry": result.zero_symmetry,
        "zero_init_symmetry_max": result.zero_symmetry_max,
        "zero_init_boundary_spread": result.zero_boundary_spread,
        "settle_rule": (
            f"first epoch after which the test loss stays within max({SETTLE_FRACTION} x "
            f"(largest - final), {SETTLE_ATOL}) of its final value"
        ),
    }
    headline = (
        f"settle epochs relu {result.settle['relu/random']} vs sigmoid "
        f"{result.settle['sigmoid/random']}; zero-init sigmoid symmetry {result.zero_symmetry:g}"
    )
    return Section(markdown, results, headline)


# ----------------------------------------------------------------------------- 1C


@dataclass
class DyingRelu:
    """Problem 1C: dead ReLU units and accuracy, ordered against shuffled data."""

    table: pd.DataFrame
    curves: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def positive_share(model, x) -> float:
    """The share of points the model calls positive (+1, or class 1 of two outputs)."""
    from companion.playground import predict_points

    out = predict_points(model, x)
    positive = out.argmax(axis=-1) == 1 if out.shape[-1] > 1 else out[:, 0] >= 0
    return float(np.mean(positive))


def one_pass(model, x, y, *, probe_every: int) -> list[dict[str, float]]:
    """SGD one example at a time through x in order, probing the net as it goes."""
    from companion.callbacks import dead_fraction
    from companion.playground import fast_fit

    def probe(seen: int) -> dict[str, float]:
        return {
            "seen": seen,
            "dead_fraction": dead_fraction(model, x),
            "positive_share": positive_share(model, x),
        }

    rows = [probe(0)]
    for start in range(0, len(x), probe_every):
        part = slice(start, start + probe_every)
        fast_fit(model, x[part], y[part], epochs=1, batch_size=1)  # one example per step
        rows.append(probe(min(start + probe_every, len(x))))
    return rows


def dying_relu(
    *,
    dataset: str = "circle",
    n: int = 1000,
    seeds=(0, 1, 2, 3, 4),
    outputs=("tanh", "linear", "softmax"),
    learning_rates=(0.03, 0.3),
    hidden=(8, 8),
    probe_every: int = 50,
    seed: int = 0,
) -> DyingRelu:
    """Problem 1C: one pass of SGD, batch 1, all negatives first vs shuffled, per seed.

    Each seed fixes one data set (n points, half −1, half +1) and one initial net, used for
    both orders, so the two differ only in the order of the examples. The output is tanh or
    linear with ½(ŷ − y)² on ±1 labels, or softmax with cross-entropy on 0/1 labels.
    """
    from companion.data.playground import ordered_dataset
    from companion.playground import classification_accuracy, playground_model, reinitialize
    from companion.seed import derive_seed

    rows, curves = [], []
    for output in outputs:
        labels = "01" if output == "softmax" else "pm1"
        model = playground_model(hidden, activation="relu", output=output, name=f"dying_{output}")
        for rate in learning_rates:
            model.optimizer.learning_rate.assign(rate)
            for s in seeds:
                data_seed = derive_seed(seed, f"1C-data-{s}")
                for order in ("negatives_first", "shuffled"):
                    x, y = ordered_dataset(dataset, n, 0.0, data_seed, order=order, labels=labels)
                    reinitialize(model, derive_seed(seed, f"1C-init-{s}"))
                    curve = one_pass(model, x, y, probe_every=probe_every)
                    where = {"output": output, "learning_rate": rate, "order": order, "seed": s}
                    curves += [{**where, **point} for point in curve]
                    half = next(p for p in curve if p["seen"] >= n // 2)
                    rows.append(
                        {
                            **where,
                            "dead_start": curve[0]["dead_fraction"],
                            "dead_after_half": half["dead_fraction"],
                            "dead_max": max(p["dead_fraction"] for p in curve),
                            "dead_end": curve[-1]["dead_fraction"],
                            "positive_after_half": half["positive_share"],
                            "positive_end": curve[-1]["positive_share"],
                            "accuracy": classification_accuracy(model, x, y),
                        }
                    )
    settings = {"dataset": dataset, "n": n, "hidden": list(hidden), "batch_size": 1}
    return DyingRelu(pd.DataFrame(rows), pd.DataFrame(curves), settings)


def dying_figure(result: DyingRelu):
    """Dead share over the pass (mean over seeds): a row per rate, a column per output."""
    import matplotlib.pyplot as plt

    curves = result.curves
    rates, outputs = list(curves["learning_rate"].unique()), list(curves["output"].unique())
    fig, axes = plt.subplots(
        len(rates), len(outputs), figsize=(3.3 * len(outputs), 2.8 * len(rates)), squeeze=False
    )
    for row, rate in zip(axes, rates):
        for ax, output in zip(row, outputs):
            part = curves[(curves["output"] == output) & (curves["learning_rate"] == rate)]
            for order, style in (("negatives_first", "-"), ("shuffled", "--")):
                mean = part[part["order"] == order].groupby("seen")["dead_fraction"].mean()
                ax.plot(mean.index, mean.values, style, label=order.replace("_", " "))
            ax.axvline(result.settings.get("n", 1000) / 2, color="grey", lw=0.6)
            ax.set(ylim=(-0.02, 1.02), title=f"{output} output, lr {rate:g}")
            ax.grid(alpha=0.3)
        row[0].set_ylabel("dead share (mean of seeds)")
    for ax in axes[-1]:
        ax.set_xlabel("examples seen")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def dying_summary(table: pd.DataFrame) -> str:
    """The 1C findings in words, computed from the table (nothing assumed)."""
    sentences = []
    for rate, part in table.groupby("learning_rate", sort=True):
        columns = ["dead_after_half", "dead_max", "dead_end", "accuracy"]
        by = part.groupby("order")[columns].mean()
        o, s = by.loc["negatives_first"], by.loc["shuffled"]
        more = (
            "more"
            if o["dead_max"] > s["dead_max"] + 0.02
            else ("fewer" if o["dead_max"] < s["dead_max"] - 0.02 else "about as many")
        )
        sentences.append(
            f"At learning rate {rate:g}, all outputs and seeds together: after the 500 "
            f"negatives {o['dead_after_half']:.1%} of the units are dead on every input when "
            f"ordered, {s['dead_after_half']:.1%} at the same point when shuffled; at most "
            f"{o['dead_max']:.1%} against {s['dead_max']:.1%} during the pass ({more} dead "
            f"with the ordered data); accuracy at the end {o['accuracy']:.3f} ordered against "
            f"{s['accuracy']:.3f} shuffled."
        )
    ordered = table[table["order"] == "negatives_first"]
    half, end = ordered["positive_after_half"].mean(), ordered["positive_end"].mean()
    sentences.append(
        f"The ordered nets call {half:.1%} of all points positive after the 500 negatives "
        f"and {end:.1%} at the end (mean over runs)"
        + (
            ': they learn "everything is −1", then "everything is +1", and fail because they '
            "fit only the class seen last, not mainly because units died."
            if half < 0.05 and end > 0.95
            else "."
        )
    )
    rates = sorted(table["learning_rate"].unique())
    low = table[(table["learning_rate"] == rates[0]) & (table["order"] == "negatives_first")]
    if low["dead_max"].mean() < 0.1:
        sentences.append(
            "So on these centred 2-D data the strict dying-ReLU effect is small at the "
            "Playground's rate. Our reading: the pressure to say −1 is soon absorbed by the "
            "output bias and by the saturating output (tanh) or the reached target (linear), "
            "and a push that switches a unit off on the outer ring rarely switches it off on "
            "the inner disc too, so units die on some inputs but not on all."
        )
    high = table[table["learning_rate"] == rates[-1]].groupby("order")["dead_max"].mean()
    if len(rates) > 1 and high.min() > low["dead_max"].mean() + 0.05:
        which = (
            "more so with shuffled data, whose alternating labels keep the gradients large"
            if high["shuffled"] > high["negatives_first"] + 0.01
            else "more so with the ordered data"
        )
        sentences.append(
            f"A large rate ({rates[-1]:g}) kills more units, whatever the order (big steps "
            f"throw a unit's s below 0 on every point); here {which}."
        )
    return " ".join(sentences)


def run_1c(ctx: Context) -> Section:
    from companion.report import markdown_table

    seeds = (0, 1) if ctx.quick else (0, 1, 2, 3, 4)
    result = dying_relu(seeds=seeds, seed=ctx.seed, probe_every=100 if ctx.quick else 50)
    ctx.run.save_history(result.table, "1C_dying_relu")
    ctx.run.save_history(result.curves, "1C_dead_fraction_curves")
    ctx.run.note_data("1C", f"Playground circle, {result.settings['n']} points, 500 per class")
    figure = ctx.run.figure_md(
        dying_figure(result), "1C_dead", "1C: dead ReLU share during one pass (grey: half way)"
    )
    keys = ["output", "learning_rate", "order"]
    mean = result.table.groupby(keys, sort=False)[
        ["dead_after_half", "dead_max", "dead_end", "positive_end", "accuracy"]
    ].mean()
    mean = mean.reset_index()
    t = result.table
    main = t[t["learning_rate"] == t["learning_rate"].min()]
    acc_ordered = main.loc[main["order"] == "negatives_first", "accuracy"].mean()
    acc_shuffled = main.loc[main["order"] == "shuffled", "accuracy"].mean()
    dead_ordered = main.loc[main["order"] == "negatives_first", "dead_after_half"].mean()
    dead_shuffled = main.loc[main["order"] == "shuffled", "dead_after_half"].mean()
    measured = dying_summary(result.table)
    markdown = f"""
A fully connected ReLU net (2 inputs, hidden layers {result.settings["hidden"]}, Playground
start) sees {result.settings["n"]} circle points, 500 labelled −1 and 500 +1, once, by SGD
one example at a time: either all the negatives first or shuffled, with the same points and
the same start for both ({len(seeds)} seeds). A unit is **dead** when it outputs 0 on every
one of the {result.settings["n"]} points. The output is tanh or linear (½(ŷ − y)² on ±1) or
softmax (cross-entropy on 0/1), the three the 2023 text allows.

Means over seeds:

{markdown_table(mean, floatfmt="{:.3g}")}
Per seed, every run:

{markdown_table(result.table, floatfmt="{:.3g}")}
**The textbook answer.** During the negatives every step says "output −1". One way down is
to shrink whatever feeds the output positively: a unit with a positive outgoing weight gets
its bias and weights pushed down until its input s = Wx + b is ≤ 0 on every point. There
ReLU′ = 0 (taking the derivative at 0 as 0; with any other value at exactly 0 the unit
still gets no gradient once s < 0 everywhere), so no later gradient reaches its weights. A
first-layer unit dead on every input never comes back, even when the positives arrive (its
inputs are the data, which do not change); a deeper unit comes back only if the layers below
it change its inputs. The net has lost that capacity. Dying needs only a zero gradient over the whole input region, so it is
not ReLU's alone: a sigmoid or tanh unit saturated on every input nearly stops learning
in the same way.

**What we measured.** {measured}

{figure}
"""
    results = {
        "runs": result.table.to_dict(orient="records"),
        "mean": mean.to_dict(orient="records"),
        "settings": result.settings,
    }
    headline = (
        f"lr 0.03: accuracy ordered {acc_ordered:.2f} vs shuffled {acc_shuffled:.2f}; "
        f"dead after negatives {dead_ordered:.0%} vs {dead_shuffled:.0%}"
    )
    return Section(markdown, results, headline)


# ----------------------------------------------------------------------------- 1D, 1E


@dataclass
class LogicNetwork:
    """A hand-built network and the truth table it computes."""

    model: Any
    table: pd.DataFrame
    hidden_units: int

    @property
    def correct(self) -> bool:
        return bool(self.table["ok"].all())


def table_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A truth table as plain rows for summary.json."""
    return [
        {
            k: (float(v) if k == "output" else int(v) if k != "ok" else bool(v))
            for k, v in row.items()
        }
        for row in table.to_dict(orient="records")
    ]


def or_network(*, weights=(2.0, 2.0), bias: float = -1.0) -> LogicNetwork:
    """Problem 1D: OR with the fewest units, one ReLU unit ReLU(2·x1 + 2·x2 − 1)."""
    from companion.handbuilt import model_from_weights, truth_table

    model = model_from_weights([(list(weights), [bias])], name="or_net")
    return LogicNetwork(model, truth_table(model, operator.or_), hidden_units=0)


def run_1d(ctx: Context) -> Section:
    from companion.report import markdown_table

    net = or_network()
    markdown = f"""
No hidden layer is needed: a single ReLU unit, out = ReLU(2·x1 + 2·x2 − 1), computes OR to
the set's specification (output ≥ 1 where OR is 1, exactly 0 where it is 0). Built in Keras
from these explicit weights (`model_from_weights([([2, 2], [-1])])`), it gives:

{markdown_table(net.table, floatfmt="{:g}")}
All four rows meet the rule: **{net.correct}**. Any ReLU(a·x1 + a·x2 + b) with b ≤ 0 and
a + b ≥ 1 works; the bias keeps (0, 0) at exactly 0 and each single 1 lifts the sum to 1.
That is 0 hidden units, the fewest possible (one output unit is needed in any case).
"""
    results = {"truth_table": table_rows(net.table), "correct": net.correct, "hidden_units": 0}
    return Section(markdown, results, f"OR by one ReLU unit: truth table correct = {net.correct}")


@dataclass
class XorNetworks:
    """Problem 1E: XOR by hand, and trained single- and two-layer nets."""

    handbuilt: LogicNetwork
    single_layer: pd.DataFrame
    two_layer: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def success_share(self, frame: pd.DataFrame, **where) -> float:
        part = frame
        for key, value in where.items():
            part = part[part[key] == value]
        return float(part["all_four_right"].mean())


def xor_handbuilt() -> LogicNetwork:
    """The two-layer ReLU net for XOR: h1 = x1 AND NOT x2, h2 = x2 AND NOT x1, out = OR."""
    from companion.handbuilt import model_from_weights, truth_table

    model = model_from_weights([([[2, -2], [-2, 2]], [-1, -1]), ([2, 2], [-1])], name="xor_net")
    return LogicNetwork(model, truth_table(model, operator.xor), hidden_units=2)


def train_logic_starts(
    hidden: tuple[int, ...],
    *,
    output: str = "relu",
    starts: int,
    epochs: int,
    learning_rate: float,
    seed: int,
) -> pd.DataFrame:
    """Train a ReLU net on XOR from many random starts; one row per start."""
    import keras

    from companion.handbuilt import binary_inputs, truth_table
    from companion.playground import fast_fit, half_squared_error, reinitialize
    from companion.seed import derive_seed

    x = binary_inputs(2)
    y = np.array([float(a != b) for a, b in x], dtype="float32")
    stack = [keras.Input(shape=(2,))] + [keras.layers.Dense(h, activation="relu") for h in hidden]
    model = keras.Sequential([*stack, keras.layers.Dense(1, activation=output)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=half_squared_error)
    rows = []
    for start in range(starts):
        reinitialize(model, derive_seed(seed, f"xor-{hidden}-{start}"))
        history = fast_fit(model, x, y, epochs=epochs, batch_size=4)
        table = truth_table(model, operator.xor, threshold=0.5)
        rows.append(
            {
                "hidden": "-".join(map(str, hidden)) or "none",
                "output": output,
                "start": start,
                "right": int(table["ok"].sum()),
                "all_four_right": bool(table["ok"].all()),
                "final_loss": float(history["loss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def xor_networks(
    *,
    starts: int = 20,
    epochs: int = 600,
    hidden_sizes=(2, 8),
    outputs=("relu", "linear"),
    learning_rate: float = 0.05,
    seed: int = 0,
) -> XorNetworks:
    """Problem 1E: XOR built by hand, and trained from random starts with 0 and 1 hidden layers.

    The single layer is one ReLU unit; the two-layer nets have a ReLU hidden layer of each
    size and a ReLU output (the set's kind of net) or a linear one.
    """
    common = {"starts": starts, "epochs": epochs, "learning_rate": learning_rate, "seed": seed}
    single = train_logic_starts((), **common)
    two = pd.concat(
        [train_logic_starts((h,), output=o, **common) for o in outputs for h in hidden_sizes],
        ignore_index=True,
    )
    settings = {"starts": starts, "epochs": epochs, "optimizer": f"Adam({learning_rate})"}
    return XorNetworks(xor_handbuilt(), single, two, settings)


def run_1e(ctx: Context) -> Section:
    from companion.report import markdown_table

    starts = 4 if ctx.quick else 20
    result = xor_networks(starts=starts, seed=ctx.seed)
    ctx.run.save_history(pd.concat([result.single_layer, result.two_layer]), "1E_xor_starts")
    single_best = int(result.single_layer["right"].max())
    single_share = float(result.single_layer["all_four_right"].mean())
    shares = (
        result.two_layer.groupby(["hidden", "output"], sort=False)["all_four_right"]
        .mean()
        .reset_index()
        .rename(columns={"all_four_right": "share of starts with all four right"})
    )
    relu_out = shares[shares["output"] == "relu"]
    share_text = ", ".join(
        f"{row['share of starts with all four right']:.0%} with {row['hidden']} hidden units"
        for _, row in relu_out.iterrows()
    )
    markdown = f"""
**Fewest layers: 2** (one hidden layer and the output). A single layer of ReLU units computes
ReLU(w·x + b) per unit: it is 0 on one side of a line and grows on the other, so "output
≥ 1" and "output = 0" are separated by a straight line. XOR's two classes are not linearly
separable: (0, 1) and (1, 0) must be on one side and (0, 0) and (1, 1) on the other, but the
two pairs have the same midpoint (½, ½), which would have to lie on both sides. Trained to
show it ({starts} random starts, {result.settings["optimizer"]}, {result.settings["epochs"]}
full-batch epochs on the four points; "right" means output ≥ ½ exactly where XOR is 1), a
single ReLU unit gets at most **{single_best} of 4** right and all four in
**{single_share:.0%}** of starts.

Two layers suffice. The net h1 = ReLU(2x1 − 2x2 − 1) (x1 and not x2),
h2 = ReLU(−2x1 + 2x2 − 1) (x2 and not x1), out = ReLU(2h1 + 2h2 − 1) (the OR of 1D),
built in Keras from explicit weights:

{markdown_table(result.handbuilt.table, floatfmt="{:g}")}
It meets the set's rule on all four inputs: **{result.handbuilt.correct}**.

Trained from random starts (Keras' Glorot start, biases 0), the two-layer ReLU net gets all
four right in {share_text}:

{markdown_table(shares, floatfmt="{:.2f}")}
Starts fail when the capacity is lost before training can use it: a hidden unit that is
off on all four inputs (dead, as in 1C) gets no gradient, and with a ReLU output a start
where the output unit is off on every input cannot move at all. Wider layers make a good
start likelier, and a linear output removes the second trap.
"""
    results = {
        "handbuilt_truth_table": table_rows(result.handbuilt.table),
        "handbuilt_correct": result.handbuilt.correct,
        "single_layer_success_share": single_share,
        "single_layer_most_right": single_best,
        "two_layer_success_share": {
            f"{row['hidden']} hidden, {row['output']} output": float(
                row["share of starts with all four right"]
            )
            for _, row in shares.iterrows()
        },
        "starts": starts,
    }
    headline = (
        f"hand-built XOR correct = {result.handbuilt.correct}; trained: single layer "
        f"{single_share:.0%}, two layers {share_text}"
    )
    return Section(markdown, results, headline)


# ----------------------------------------------------------------------------- main


PROBLEMS = [
    Problem("1A", "Backpropagation and initialisation: ReLU from random and zero starts", run_1a),
    Problem("1B", "Backpropagation and initialisation: sigmoid, 4000 epochs", run_1b),
    Problem("1C", "Dying ReLU and data ordering", run_1c),
    Problem("1D", "Approximating functions: OR", run_1d),
    Problem("1E", "Approximating functions: XOR", run_1e),
]


def main(argv=None) -> int:
    """Run chapter 1 from the command line."""
    return run_chapter(CHAPTER, TITLE, PROBLEMS, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    from companion.runner import use_headless_backend

    use_headless_backend()  # the command line draws to files; a notebook keeps its backend
    sys.exit(main())
