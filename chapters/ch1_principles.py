"""Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras (problem 1).

1A trains the set's two Playground demos (circle data, a 4-2 ReLU net) from the
Playground's random start and from all zeros, for several seeds, and checks with a gradient
tape that from zeros every gradient but the output bias's is exactly 0. 1B repeats both
with sigmoid and ReLU for 4000 epochs: when each test loss first drops below 0.05 and
settles, whether a zero-started net leaves its plateau, whether its units stay identical,
and the gradient norms per layer, each set against what the set's students saw. Both
write their boundaries as an animated GIF. 1C trains a ReLU net one example at a time with all the
negatives first and counts dead units. 1D and 1E build OR and XOR from explicit weights,
and train XOR from random starts.

    python -m chapters.ch1_principles --quick
    python -m chapters.ch1_principles --only 1B --demo-seeds 5
"""

from __future__ import annotations

import argparse
import operator
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from companion.report import markdown_table
from companion.runner import Context, Problem, Section, positive_int, run_chapter

CHAPTER = "ch1_principles"
TITLE = "Chapter 1: Deep-learning principles (TensorFlow Playground demos in Keras)"
DEMO = {"hidden": (4, 2), "batch_size": 10, "learning_rate": 0.03}  # the set's Playground URLs
EPOCHS_1A, EPOCHS_1B, QUICK_1B = 250, 4000, 600
SEEDS, QUICK_SEEDS = 3, 2  # 1A/1B: the Playground varies a lot by seed; one run proves little
FRAMES = 40  # boundary snapshots per run, for the animation
VISIBLE_LOSS = 0.05  # a level a Playground user reads off the loss curve
SETTLE_FRACTION, SETTLE_ATOL, SETTLE_HOLD = 0.01, 1e-4, 0.1
PLATEAU_DROP = 0.1  # "left the plateau": 10 % below the best constant guess's loss
# What the set's students saw (reference/problem-set.md, 1A and 1B):
RELU_EXPECTED_BY = 300  # "converges fast", "about 200 epochs": a couple of hundred
SIGMOID_REPORTED = {500: "the 2017 and 2019 students'", 2000: "the 2023 student's"}
ZERO_SIGMOID_REPORTED = 3200  # "starts learning only after about 3200-3300 iterations"
DEMOS_1B = (("relu", "playground"), ("sigmoid", "playground"), ("sigmoid", "zeros"))


# ----------------------------------------------------------------------------- one demo


@dataclass
class DemoRun:
    """One Playground run (one demo, one seed): losses per epoch, snapshots, monitors."""

    activation: str
    init: str
    seed: int
    data: Any
    model: Any
    history: pd.DataFrame
    grids: dict[int, np.ndarray]
    neurons: list[np.ndarray]
    symmetry: pd.DataFrame
    gradient_norms: pd.DataFrame
    outside_output_bias: pd.DataFrame
    start_gradients: pd.DataFrame

    @property
    def demo(self) -> str:
        """The demo's key, e.g. "sigmoid/zeros"."""
        return f"{self.activation}/{'random' if self.init == 'playground' else 'zeros'}"

    @property
    def label(self) -> str:
        return demo_label(self.demo)

    def milestones(self) -> dict[str, Any]:
        """What a Playground user reads off this run's test-loss curve (one table row)."""
        from companion.playground import (
            constant_guess_loss,
            first_epoch_below,
            plateau_exit,
            settled_epoch,
        )

        test = self.history["val_loss"].to_numpy()
        plateau = constant_guess_loss(self.data.y_train, self.data.y_test)
        left = plateau_exit(test, plateau, drop=PLATEAU_DROP)
        return {
            "demo": self.demo,
            "seed": self.seed,
            "epochs": len(test) - 1,
            "start_test_loss": float(test[0]),
            "first_below_0_05": first_epoch_below(test, VISIBLE_LOSS),
            "settle_epoch": settled_epoch(
                test, fraction=SETTLE_FRACTION, atol=SETTLE_ATOL, hold=SETTLE_HOLD
            ),
            "final_test_loss": float(test[-1]),
            "final_train_loss": float(self.history["loss"].iloc[-1]),
            "plateau_loss": plateau,
            "plateau_exit": left,
            "left_plateau": left is not None,
        }


def figure_block(figures: Mapping[str, str] | None, names: Sequence[str]) -> str:
    """The figures' Markdown in the given order, leaving out those not made."""
    return "\n".join(figures[name] for name in names if figures and name in figures)


def demo_label(demo: str) -> str:
    """ "relu/random" -> "relu, random start"."""
    activation, start = demo.split("/")
    return f"{activation}, {'random' if start == 'random' else 'zero'} start"


def demo_seeds(ctx: Context) -> list[int]:
    """The seeds of 1A/1B's demos: --demo-seeds, or 3 (2 with --quick)."""
    count = ctx.args.demo_seeds or (QUICK_SEEDS if ctx.quick else SEEDS)
    return list(range(count))


def circle(seed_index: int = 0, base_seed: int = 0):
    """The demos' data for one seed: Playground circle, 500 points, noise 0, half for training."""
    from companion.data.playground import playground_dataset
    from companion.seed import derive_seed

    return playground_dataset(
        "circle", 500, 0.0, derive_seed(base_seed, f"circle-{seed_index}"), 0.5
    )


def circle_data(ctx: Context, seed_index: int = 0):
    """`circle` for this run, made once and shared by 1A and 1B (even with --only)."""

    def load():
        data = circle(seed_index, ctx.seed)
        ctx.folder.note_data(f"circle, seed {seed_index}", data.description)
        return data

    return ctx.cached(f"circle-{seed_index}", load)


def largest_gradient_outside_output_bias(model, x, y) -> float:
    """The largest |gradient| of the loss over every weight except the output bias."""
    from companion.probes import gradient_table

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
    seed_index: int = 0,
    probe: bool = False,
    norms: bool = True,
    trainer=None,
) -> DemoRun:
    """Train one Playground demo with the fast loop and the monitors attached.

    The boundary is kept at about `FRAMES` evenly spaced epochs (the animation) and at
    `snapshot_epochs`. `probe` also checks the gradient outside the output bias there;
    `norms` records the gradient norm per layer. `trainer`: a compiled model of the same
    shape to train on (its traced loop is reused); the run keeps a copy of the weights.
    """
    import keras

    from companion.boundary import neuron_grids
    from companion.callbacks import DecisionBoundary, GradientNorms, SymmetryMonitor
    from companion.playground import fast_fit, playground_model, restart_from
    from companion.probes import gradient_table

    settings = {"activation": activation, "init": init, "learning_rate": learning_rate}
    start = playground_model(hidden, seed=seed, compile=False, **settings)
    model = restart_from(trainer or playground_model(hidden, **settings), start)
    every = max(1, -(-epochs // FRAMES))  # at most FRAMES + 1 snapshots (and the end)
    x, y = data.x_train, data.y_train
    start_gradients = gradient_table(model, x, y)
    boundary = DecisionBoundary({*range(0, epochs + 1, every), *snapshot_epochs(epochs)})
    symmetry, gradient_norms = SymmetryMonitor(every=every), GradientNorms(x, y, every=every)
    callbacks = [boundary, symmetry] + ([gradient_norms] if norms else [])
    outside: list[dict[str, float]] = []
    if probe:

        def check(epoch: int) -> None:
            value = largest_gradient_outside_output_bias(model, x, y)
            outside.append({"epoch": epoch, "max_abs": value})

        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_train_begin=lambda logs: check(0),
                on_epoch_end=lambda epoch, logs: check(epoch + 1),
            )
        )
    history = fast_fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(data.x_test, data.y_test),
        callbacks=callbacks,
        every=every,
    )
    start.set_weights(model.get_weights())  # the run keeps its own final net
    return DemoRun(
        activation,
        init,
        seed_index,
        data,
        start,
        history,
        boundary.grids,
        neuron_grids(model),
        symmetry.to_frame(),
        gradient_norms.to_frame() if norms else pd.DataFrame(),
        pd.DataFrame(outside, columns=["epoch", "max_abs"]),
        start_gradients,
    )


def train_demos(
    demos,
    *,
    seeds,
    data_for,
    epochs: int,
    base_seed: int = 0,
    probe: bool = False,
    norms: bool = False,
) -> list[DemoRun]:
    """Every (activation, init) demo for every seed; a seed draws the data and the start.

    One compiled net per demo trains all its seeds. `probe` checks the zero-started
    runs' gradients outside the output bias; `norms` records the random-started runs'
    gradient norms per layer.
    """
    from companion.playground import playground_model
    from companion.seed import derive_seed

    runs = []
    for activation, init in demos:
        trainer = playground_model(
            DEMO["hidden"], activation=activation, init=init, learning_rate=DEMO["learning_rate"]
        )
        runs += [
            playground_demo(
                data_for(k),
                activation=activation,
                init=init,
                epochs=epochs,
                seed=derive_seed(base_seed, f"init-{k}"),
                seed_index=k,
                probe=probe and init == "zeros",
                norms=norms and init == "playground",
                trainer=trainer,
            )
            for k in seeds
        ]
    return runs


def milestone_table(runs: Sequence[DemoRun]) -> pd.DataFrame:
    """One row per run: the milestones of its test-loss curve."""
    return pd.DataFrame([run.milestones() for run in runs])


# ----------------------------------------------------------------------------- reading a table


def _epoch(value) -> int | None:
    """An epoch cell as an int, or None for "not reached" (None or NaN)."""
    return None if value is None or pd.isna(value) else int(value)


def epoch_text(value, epochs: int) -> str:
    """An epoch, or "not within N" when the curve never got there."""
    value = _epoch(value)
    return f"not within {epochs}" if value is None else str(value)


def spread_text(values, epochs: int | None = None, fmt: str = "{:g}") -> str:
    """min / median / max over seeds ("not within N" where a statistic falls on a miss)."""
    from companion.playground import seed_spread

    values = [None if pd.isna(v) else v for v in values]
    if len(set(values)) == 1:  # one seed, or all alike: no spread to show
        value = values[0]
        if epochs is None:
            return fmt.format(value)
        return f"not within {epochs}" if value is None else f"{value:g}"
    spread = seed_spread(values)
    if epochs is None:
        return " / ".join(fmt.format(spread[k]) for k in ("min", "median", "max"))
    return " / ".join(
        f"not within {epochs}" if spread[k] is None else f"{spread[k]:g}"
        for k in ("min", "median", "max")
    )


def spread_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per demo: min / median / max over seeds of each milestone."""
    rows = []
    for demo, part in table.groupby("demo", sort=False):
        epochs = int(part["epochs"].max())
        rows.append(
            {
                "demo": demo_label(demo),
                "seeds": len(part),
                "first epoch test loss < 0.05": spread_text(part["first_below_0_05"], epochs),
                "settle epoch": spread_text(part["settle_epoch"], epochs),
                "final test loss": spread_text(part["final_test_loss"], fmt="{:.4f}"),
                "left the plateau": f"{int(part['left_plateau'].sum())} of {len(part)}",
            }
        )
    return pd.DataFrame(rows)


def seed_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every run, by demo and seed: its milestones ("not within N" for a miss)."""
    order = {demo: i for i, demo in enumerate(dict.fromkeys(table["demo"]))}
    table = table.sort_values(
        ["demo", "seed"], key=lambda c: c.map(order) if c.name == "demo" else c
    )
    return pd.DataFrame(
        {
            "demo": table["demo"].map(demo_label),
            "seed": table["seed"],
            "first epoch < 0.05": [
                epoch_text(v, e) for v, e in zip(table["first_below_0_05"], table["epochs"])
            ],
            "settle epoch": [
                epoch_text(v, e) for v, e in zip(table["settle_epoch"], table["epochs"])
            ],
            "final test loss": table["final_test_loss"],
            "constant-guess loss": table["plateau_loss"],
            "left plateau at": [
                epoch_text(v, e) for v, e in zip(table["plateau_exit"], table["epochs"])
            ],
        }
    )


def per_seed_results(table: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """summary.json's per-demo, per-seed milestones (None: not reached in the run)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for demo, part in table.groupby("demo", sort=False):
        out[demo] = [
            {
                "seed": int(row["seed"]),
                "first_below_0_05": _epoch(row["first_below_0_05"]),
                "settle_epoch": _epoch(row["settle_epoch"]),
                "settled": _epoch(row["settle_epoch"]) is not None,
                "final_test_loss": float(row["final_test_loss"]),
                "final_train_loss": float(row["final_train_loss"]),
                "plateau_loss": float(row["plateau_loss"]),
                "plateau_exit": _epoch(row["plateau_exit"]),
                "left_plateau": bool(row["left_plateau"]),
            }
            for _, row in part.iterrows()
        ]
    return out


def spread_results(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """summary.json's per-demo min/median/max (None: the statistic is a miss)."""
    from companion.playground import seed_spread

    out = {}
    for demo, part in table.groupby("demo", sort=False):
        out[demo] = {
            column: seed_spread(
                [_epoch(v) if column != "final_test_loss" else v for v in part[column]]
            )
            for column in ("first_below_0_05", "settle_epoch", "final_test_loss")
        }
        out[demo]["left_plateau"] = int(part["left_plateau"].sum())
    return out


def _demo(table: pd.DataFrame, demo: str) -> pd.DataFrame:
    return table[table["demo"] == demo].sort_values("seed")


def by_seed_text(part: pd.DataFrame, column: str, epochs: int) -> str:
    """ "epoch 2799 (seed 0); not within 4000 epochs in seeds 1 and 2"."""
    reached, missed = part[part[column].notna()], part[part[column].isna()]
    pieces = [f"epoch {int(v)} (seed {int(k)})" for k, v in zip(reached["seed"], reached[column])]
    if len(missed):
        seeds = [str(int(k)) for k in missed["seed"]]
        listed = seeds[0] if len(seeds) == 1 else f"{', '.join(seeds[:-1])} and {seeds[-1]}"
        plural = "s" if len(seeds) > 1 else ""
        pieces.append(f"not within {epochs} epochs in seed{plural} {listed}")
    return "; ".join(pieces)


def _count(n: int, noun: str) -> str:
    """ "1 seed", "3 seeds"."""
    return f"{n} {noun}{'s' * (n != 1)}"


def _seeds_text(count: int, total: int) -> str:
    """ "every seed", "no seed", "2 of 3 seeds"."""
    if count == total:
        return "every seed" if total > 1 else "the one seed"
    if count == 0:
        return "no seed"
    return f"{count} of {total} seeds"


# ----------------------------------------------------------------------------- figures


def boundary_figure(runs: Sequence[DemoRun]):
    """One row of boundary snapshots (the epochs of `snapshot_epochs`) per run."""
    import matplotlib.pyplot as plt

    epochs = len(runs[0].history) - 1
    marks = [e for e in snapshot_epochs(epochs)]
    fig, axes = plt.subplots(
        len(runs), len(marks), figsize=(2.4 * len(marks), 2.7 * len(runs)), squeeze=False
    )
    for row, run in zip(axes, runs):
        for ax, epoch in zip(row, marks):
            _run_boundary(ax, run, epoch)
    fig.tight_layout()
    return fig


def _run_boundary(ax, run: DemoRun, epoch: int) -> None:
    """One run's boundary at one epoch, its training and test points on top."""
    from companion.boundary import plot_boundary

    d = run.data
    plot_boundary(
        run.grids[epoch],
        d.x_train,
        d.y_train,
        x_test=d.x_test,
        y_test=d.y_test,
        ax=ax,
        title=f"{run.label}, seed {run.seed}\nepoch {epoch}",
    )


def final_boundary_figure(runs: Sequence[DemoRun]):
    """The last boundary of every run: a row per demo, a column per seed."""
    import matplotlib.pyplot as plt

    demos = list(dict.fromkeys(run.demo for run in runs))
    seeds = sorted({run.seed for run in runs})
    fig, axes = plt.subplots(
        len(demos), len(seeds), figsize=(2.4 * len(seeds), 2.6 * len(demos)), squeeze=False
    )
    for run in runs:
        ax = axes[demos.index(run.demo), seeds.index(run.seed)]
        _run_boundary(ax, run, max(run.grids))
    fig.tight_layout()
    return fig


def boundary_animation(runs: Sequence[DemoRun], *, title: str = ""):
    """The runs' boundaries over the epochs, a panel per run (a row per demo, a column per seed).

    In a notebook: `companion.boundary.animation_html(boundary_animation(result.runs))`.
    """
    from companion.boundary import animate_boundaries

    one_activation = len({run.activation for run in runs}) == 1

    def name(run: DemoRun) -> str:  # small panels: the activation goes in the title
        label = run.label.split(", ", 1)[1] if one_activation else run.label
        return f"{label}, seed {run.seed}"

    panels = {name(run): run.grids for run in runs}
    # Training points only, as the set's Playground links show them (showTestData=false).
    points = {name(run): (run.data.x_train, run.data.y_train) for run in runs}
    if one_activation:
        title = f"{title} {runs[0].activation}".strip()
    seeds = len({run.seed for run in runs})
    return animate_boundaries(panels, points, columns=seeds, title=title)


def loss_figure(runs: Sequence[DemoRun], *, train: bool = False):
    """Test loss per epoch of every run, seeds overlaid (a colour per demo), log scale."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4))
    colours = {}
    for run in runs:
        colour = colours.setdefault(run.demo, f"C{len(colours)}")
        h = run.history
        first = sum(r.demo == run.demo for r in runs[: runs.index(run)]) == 0
        ax.plot(
            h["epoch"],
            h["val_loss"],
            color=colour,
            lw=1.2,
            alpha=0.8,
            label=f"{run.label}: test" if first else None,
        )
        if train:
            ax.plot(
                h["epoch"],
                h["loss"],
                color=colour,
                lw=0.8,
                ls=":",
                alpha=0.8,
                label=f"{run.label}: train" if first else None,
            )
    ax.axhline(VISIBLE_LOSS, color="grey", lw=0.8, ls="--", label=f"loss {VISIBLE_LOSS:g}")
    seeds = len({run.seed for run in runs})
    ax.set(
        yscale="log",
        xlabel="epoch",
        ylabel="loss ½(ŷ − y)²",
        title=f"one line per seed ({_count(seeds, 'seed')})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


# ----------------------------------------------------------------------------- 1A


@dataclass
class InitDemos:
    """Problem 1A: ReLU from the Playground's random start and from zeros, several seeds.

    `table` has one row per demo and seed (see `DemoRun.milestones`); `zero_gradients`
    one row per seed of the zero-started net: the largest |gradient| outside the output
    bias at the start and over training, and how far any of those weights moved.
    """

    table: pd.DataFrame
    zero_gradients: pd.DataFrame
    start_gradients: pd.DataFrame
    random_start_smallest_gradient: float
    epochs: int
    runs: list[DemoRun] = field(default_factory=list)


def zero_gradient_row(run: DemoRun) -> dict[str, float]:
    """The zero-started net's gradients outside the output bias, and how far its weights moved."""
    output_bias = run.model.layers[-1].bias
    moved = max(
        float(np.abs(np.asarray(v)).max()) for v in run.model.weights if v is not output_bias
    )
    probes = run.outside_output_bias["max_abs"]
    return {
        "seed": run.seed,
        "max_grad_start": float(probes.iloc[0]),
        "max_grad_training": float(probes.max()),
        "checks": len(probes),
        "weights_moved": moved,
    }


def init_demos(
    data_for=None,
    *,
    seeds=(0, 1, 2),
    activation: str = "relu",
    epochs: int = EPOCHS_1A,
    seed: int = 0,
) -> InitDemos:
    """Problem 1A: the set's two demos, the Playground's random start against all zeros.

    Args:
        data_for: seed index -> the circle data for that seed (None: `circle(k, seed)`).
        seeds: seed indices; each draws the data and the random start.
        activation: the hidden units' activation (the set's ReLU).
        epochs: epochs per run (the set's 250).
        seed: the base seed the starts are derived from.
    """
    demos = ((activation, "playground"), (activation, "zeros"))
    data_for = data_for or (lambda k: circle(k, seed))
    runs = train_demos(
        demos, seeds=seeds, data_for=data_for, epochs=epochs, base_seed=seed, probe=True
    )
    zeros = [run for run in runs if run.init == "zeros"]
    randoms = [run for run in runs if run.init == "playground"]
    smallest = min(float(run.start_gradients["max_abs"].min()) for run in randoms)
    return InitDemos(
        milestone_table(runs),
        pd.DataFrame([zero_gradient_row(run) for run in zeros]),
        zeros[0].start_gradients,
        smallest,
        epochs,
        runs,
    )


def _random_start_text(part: pd.DataFrame, epochs: int) -> str:
    """How the random-start runs fell, in words chosen by their numbers."""
    reached = part["first_below_0_05"].notna()
    seeds = len(part)
    text = (
        f"the test loss starts at {spread_text(part['start_test_loss'], fmt='{:.3f}')} "
        f"(min / median / max over {_count(seeds, 'seed')}) and ends at "
        f"**{spread_text(part['final_test_loss'], fmt='{:.4f}')}**. "
    )
    if reached.all():
        return text + (
            f"It falls below 0.05 in {_seeds_text(seeds, seeds)}, first at epoch "
            f"{spread_text(part['first_below_0_05'], epochs)}."
        )
    if reached.any():
        return text + (
            f"It falls below 0.05 in {_seeds_text(int(reached.sum()), seeds)}: "
            f"{by_seed_text(part, 'first_below_0_05', epochs)}."
        )
    return text + f"It never falls below 0.05 in {epochs} epochs, in any seed."


def _zero_start_text(result: InitDemos, part: pd.DataFrame) -> str:
    """The zero-started runs: exact zeros measured, or what moved instead."""
    g, seeds = result.zero_gradients, len(part)
    exact = float(g["max_grad_training"].max()) == 0 and float(g["weights_moved"].max()) == 0
    left = int(part["left_plateau"].sum())
    guess = spread_text(part["plateau_loss"], fmt="{:.4f}")
    ends = (
        f"the test loss ends at **{spread_text(part['final_test_loss'], fmt='{:.4f}')}**; "
        f"the loss of the best constant guess (the training labels' mean) is {guess}. "
    )
    if left == 0:
        ends += (
            f"In {_seeds_text(seeds, seeds)} it stays on that plateau (never "
            f"{PLATEAU_DROP:.0%} below it)."
        )
    else:
        ends += (
            f"It leaves that plateau (falls {PLATEAU_DROP:.0%} below it) in "
            f"{_seeds_text(left, seeds)}, at epoch "
            f"{', '.join(epoch_text(v, result.epochs) for v in part['plateau_exit'])}."
        )
    if exact:
        gradients = (
            "The gradient tape shows why. At the start every gradient is exactly 0 except the "
            "output bias's (seed 0):\n\n"
            f"{markdown_table(result.start_gradients, floatfmt='{:.3g}')}\n"
            f"In {_seeds_text(seeds, seeds)} the largest |gradient| outside the output bias is "
            f"**0** at the start and at every one of the {int(g['checks'].max())} checks during "
            "training, and at the end every weight but the output bias is still exactly 0: "
            "no step ever moved them."
        )
    else:
        worst = g.loc[g["max_grad_training"].idxmax()]
        gradients = (
            "The gradient tape at the start (seed 0):\n\n"
            f"{markdown_table(result.start_gradients, floatfmt='{:.3g}')}\n"
            "Not every gradient outside the output bias is exactly 0 here: the largest is "
            f"{worst['max_grad_training']:g} (seed {int(worst['seed'])}), and weights other "
            f"than the output bias moved by up to {g['weights_moved'].max():g}. In exact "
            "arithmetic they are 0 (below), so these are the backend's round-off."
        )
    return f"{ends}\n\n{gradients}"


def text_1a(result: InitDemos, figures: Mapping[str, str] | None = None) -> str:
    """Problem 1A's report section, every comparison chosen by the result's numbers."""
    figures = figures or {}
    table = result.table
    random, zeros = _demo(table, "relu/random"), _demo(table, "relu/zeros")
    seeds = len(random)
    random_gradient = (
        "The random start breaks the symmetry and every layer gets a gradient from the first "
        f"step (the smallest largest-|gradient| of any weight at the start, over the seeds: "
        f"{result.random_start_smallest_gradient:.3g})."
        if result.random_start_smallest_gradient > 0
        else "Even the random start has a weight with no gradient at the start here "
        "(a unit off on every training point)."
    )
    return f"""
Both demos use the set's Playground settings: circle data (noise 0, half of 500 points for
training), a 4-2 ReLU net with a tanh output, loss ½(ŷ − y)², plain SGD with batch 10 and
learning rate 0.03, the training data in the same order every epoch, {result.epochs} epochs.
Each demo runs with {_count(seeds, "seed")}; a seed draws both the data (a fresh circle sample) and the
random start.

{markdown_table(spread_table(table))}
Per seed ("not within N": the curve never got there in this run's N epochs):

{markdown_table(seed_table(table), floatfmt="{:.4f}")}
**Random start** (weights U(−0.5, 0.5), biases 0.1, as the Playground draws them):
{_random_start_text(random, result.epochs)}

**Zero start** (the Playground's `initZero`): {_zero_start_text(result, zeros)}

Why, by backprop: a hidden layer's gradient is ∂L/∂W^l = δ^l (x^(l−1))ᵀ with
δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ ReLU′(s^l), a product with W^(l+1) = 0, so it is 0. The output
layer's weight gradient is δ^L (x^(L−1))ᵀ, and x^(L−1) = ReLU(0) = 0, so it is 0 too. Only
the output bias (gradient δ^L) moves, and a bias cannot make the output depend on the
input: the zero net predicts one constant everywhere, forever. (ReLU′(0) = 0 in the
Playground and in TensorFlow; every hidden unit of the zero net is "dead" in the sense of
1C.) {random_gradient}

**Against what the set says a Playground user sees** (quoted from the problem set's notes,
`reference/problem-set.md` §1A, students' write-ups; our rule for "a couple of hundred"
is at most {RELU_EXPECTED_BY} epochs):

{markdown_table(comparison_1a(table, result.epochs))}
{figure_block(figures, ("loss", "boundaries", "final_boundaries", "animation", "neurons"))}
"""


def comparison_1a(table: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """1A's measured milestones next to what the set's students saw, with a verdict each."""
    random, zeros = _demo(table, "relu/random"), _demo(table, "relu/zeros")
    seeds = len(random)
    fast = int((random["first_below_0_05"].fillna(np.inf) <= RELU_EXPECTED_BY).sum())
    stuck = seeds - int(zeros["left_plateau"].sum())
    return pd.DataFrame(
        [
            {
                "demo": "relu, random start",
                "the set": "converges fast: about 200 epochs (a 2023 student); test loss "
                "about 0.01 (a 2019 student)",
                "this run": f"below 0.05 at epoch {spread_text(random['first_below_0_05'], epochs)}; "
                f"final {spread_text(random['final_test_loss'], fmt='{:.4f}')}",
                "agrees?": _verdict(
                    fast, seeds, f"no seed is below 0.05 within {RELU_EXPECTED_BY} epochs"
                ),
            },
            {
                "demo": "relu, zero start",
                "the set": "never learns; loss stays near 0.5 (about 0.508)",
                "this run": f"final {spread_text(zeros['final_test_loss'], fmt='{:.4f}')}; "
                f"left the plateau in {_seeds_text(seeds - stuck, seeds)}",
                "agrees?": _verdict(stuck, seeds, "it left the plateau in every seed"),
            },
        ]
    )


def results_1a(result: InitDemos) -> dict[str, Any]:
    """1A's summary.json entry."""
    g = result.zero_gradients
    return {
        "epochs": result.epochs,
        "seeds": sorted(int(s) for s in result.table["seed"].unique()),
        "per_seed": per_seed_results(result.table),
        "spread": spread_results(result.table),
        "zero_init_max_gradient": {
            "start": float(g["max_grad_start"].max()),
            "training": float(g["max_grad_training"].max()),
        },
        "zero_init_weights_moved": float(g["weights_moved"].max()),
        "visible_loss": VISIBLE_LOSS,
    }


def headline_1a(result: InitDemos) -> str:
    """1A's one line for the terminal."""
    t = result.table
    random, zeros = _demo(t, "relu/random"), _demo(t, "relu/zeros")
    return (
        f"{len(random)} seeds, {result.epochs} epochs: median test loss random "
        f"{random['final_test_loss'].median():.3f} vs zeros {zeros['final_test_loss'].median():.3f}; "
        f"zero start: max |grad| outside output bias "
        f"{result.zero_gradients['max_grad_training'].max():g}"
    )


def gif_md(ctx: Context, anim, name: str, caption: str) -> str:
    """Save an animation as figures/<name>.gif and return the Markdown that shows it."""
    from companion.boundary import save_gif

    path = save_gif(anim, ctx.folder.figures / f"{name}.gif")
    return f"![{caption}]({path.relative_to(ctx.folder.path).as_posix()})\n\n*{caption}*\n"


def run_1a(ctx: Context) -> Section:
    """Problem 1A: train, save histories, figures and the GIF, write the section."""
    from companion.boundary import plot_neurons

    seeds = demo_seeds(ctx)
    result = init_demos(
        lambda k: circle_data(ctx, k), seeds=seeds, epochs=ctx.epochs(EPOCHS_1A), seed=ctx.seed
    )
    for run in result.runs:
        ctx.folder.save_table(run.history, f"1A_{run.demo.replace('/', '_')}_seed{run.seed}")
    ctx.folder.save_table(result.table, "1A_milestones")
    first = [run for run in result.runs if run.seed == seeds[0]]
    figures = {
        "loss": ctx.folder.figure_md(
            loss_figure(result.runs, train=True), "1A_loss", "1A: loss per epoch, every seed"
        ),
        "boundaries": ctx.folder.figure_md(
            boundary_figure(first),
            "1A_boundaries",
            "1A: the output over [−6, 6]² (orange −1, blue +1; light edge train, dark edge test)",
        ),
        "final_boundaries": ctx.folder.figure_md(
            final_boundary_figure(result.runs),
            "1A_final_boundaries",
            "1A: the last boundary of every seed",
        ),
        "animation": gif_md(
            ctx,
            boundary_animation(result.runs, title="1A"),
            "1A_boundaries",
            "1A: the boundaries over the epochs, every seed (animated GIF)",
        ),
        "neurons": ctx.folder.figure_md(
            plot_neurons(first[0].neurons, title="random start, end of training"),
            "1A_neurons",
            "1A: each hidden unit's output at the end of the random-start run (seed 0)",
        ),
    }
    return Section(text_1a(result, figures), results_1a(result), headline_1a(result))


# ----------------------------------------------------------------------------- 1B


@dataclass
class ActivationDemos:
    """Problem 1B: ReLU and sigmoid, random and zero starts, several seeds, trained long.

    `table` has one row per demo and seed (see `DemoRun.milestones`); `gradients` one
    row per random-start run: the first hidden layer's gradient norm over the output
    layer's, at the start and the median over training; `symmetry` one row per seed of
    the zero-started sigmoid net: the largest difference between units' incoming weights
    (at the end and the most over training), and how much its output changes across its
    units' shared direction (`boundary_spread`, 0 for a straight boundary).
    """

    table: pd.DataFrame
    gradients: pd.DataFrame
    symmetry: pd.DataFrame
    epochs: int
    runs: list[DemoRun] = field(default_factory=list)


def boundary_spread(model) -> tuple[float, list[float]]:
    """How much a net with identical first-layer units changes across their shared direction.

    Identical units see only w·x (w: their shared incoming weights), so the output is
    constant along every line perpendicular to w and the boundary is straight. Returns the
    largest output change when each grid point moves one unit along such a line (0 for a
    straight boundary, more if the units differ), and w.
    """
    from companion.boundary import grid_points
    from companion.playground import predict_points
    from companion.probes import dense_layers

    w = np.asarray(dense_layers(model, include_output=False)[0].kernel)[:, 0].astype(float)
    if not np.linalg.norm(w) > 0:
        return 0.0, w.tolist()
    normal = (np.array([-w[1], w[0]]) / np.linalg.norm(w)).astype("float32")
    points = grid_points(resolution=60)
    change = predict_points(model, points + normal) - predict_points(model, points)
    return float(np.abs(change).max()), w.tolist()


def gradient_row(run: DemoRun) -> dict[str, Any]:
    """First hidden layer's gradient norm over the output layer's: at the start, median."""
    norms = run.gradient_norms
    ratio = norms["hidden_1"] / norms["output"]
    return {
        "demo": run.demo,
        "seed": run.seed,
        "first / output at start": float(ratio.iloc[0]),
        "first / output, median over training": float(ratio.median()),
    }


def symmetry_row(run: DemoRun) -> dict[str, Any]:
    """The zero-started net's unit symmetry and how straight its boundary is."""
    spread, direction = boundary_spread(run.model)
    return {
        "seed": run.seed,
        "symmetry_end": float(run.symmetry["symmetry"].iloc[-1]),
        "symmetry_max": float(run.symmetry["symmetry"].max()),
        "boundary_spread": spread,
        "direction": direction,
    }


def activation_demos(
    data_for=None,
    *,
    seeds=(0, 1, 2),
    epochs: int = EPOCHS_1B,
    demos=DEMOS_1B,
    seed: int = 0,
) -> ActivationDemos:
    """Problem 1B: the sigmoid demos next to the random-start ReLU net, per seed.

    Args:
        data_for: seed index -> the circle data for that seed (None: `circle(k, seed)`).
        seeds: seed indices; each draws the data and the random start (the same start for
            ReLU and sigmoid, so the two compare seed by seed).
        epochs: epochs per run (the set's 4000).
        demos: (activation, init) pairs; the zero-started ReLU net is left out by default
            (1A measures that it cannot move).
        seed: the base seed the starts are derived from.
    """
    data_for = data_for or (lambda k: circle(k, seed))
    runs = train_demos(
        demos, seeds=seeds, data_for=data_for, epochs=epochs, base_seed=seed, norms=True
    )
    gradients = pd.DataFrame([gradient_row(r) for r in runs if r.init == "playground"])
    symmetry = pd.DataFrame([symmetry_row(r) for r in runs if r.demo == "sigmoid/zeros"])
    return ActivationDemos(milestone_table(runs), gradients, symmetry, epochs, runs)


def gradient_figure(runs: Sequence[DemoRun]):
    """Per-layer gradient norms over training, a panel per demo, seeds overlaid."""
    import matplotlib.pyplot as plt

    demos = list(dict.fromkeys(run.demo for run in runs))
    fig, axes = plt.subplots(1, len(demos), figsize=(4.2 * len(demos), 3.4), squeeze=False)
    for ax, demo in zip(axes[0], demos):
        for run in (r for r in runs if r.demo == demo):
            frame = run.gradient_norms
            for i, column in enumerate(frame.columns.drop("epoch")):
                values = frame[column].where(frame[column] > 0)  # log scale: exact zeros left out
                label = column if run.seed == 0 else None
                ax.plot(frame["epoch"], values, color=f"C{i}", alpha=0.7, lw=1, label=label)
        ax.set(yscale="log", xlabel="epoch", ylabel="‖∂L/∂W‖ (whole training set)")
        ax.set_title(f"{demo_label(demo)} (a line per seed)", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _paired(table: pd.DataFrame, column: str, slow: str, fast: str) -> pd.DataFrame:
    """Per seed, `column` for two demos side by side (NaN: not reached)."""
    a = _demo(table, slow).set_index("seed")[column]
    b = _demo(table, fast).set_index("seed")[column]
    return pd.DataFrame({"slow": a, "fast": b}).dropna(how="all")


def speed_text(table: pd.DataFrame, epochs: int) -> str:
    """Sigmoid against ReLU from the random start, seed by seed, in words chosen by the numbers."""
    pairs = _paired(table, "first_below_0_05", "sigmoid/random", "relu/random")
    seeds = len(pairs)
    both = pairs.dropna()
    later = int((pairs["slow"].fillna(np.inf) > pairs["fast"].fillna(np.inf)).sum())
    earlier = int((pairs["slow"].fillna(np.inf) < pairs["fast"].fillna(np.inf)).sum())
    sentences = [
        f"From the same start and data, sigmoid's test loss falls below 0.05 later than "
        f"ReLU's in {_seeds_text(later, seeds)}"
        + (f" and earlier in {_seeds_text(earlier, seeds)}" if earlier else "")
        + "."
    ]
    if len(both):
        ratio = both["slow"] / both["fast"].clip(lower=1)
        sentences.append(
            f"Where both get there, sigmoid takes {spread_text(ratio, fmt='{:.1f}')}× "
            "(min / median / max) as many epochs."
        )
    missing = pairs[pairs["slow"].isna() & pairs["fast"].notna()]
    if len(missing):
        sentences.append(
            f"In {_seeds_text(len(missing), seeds)} ReLU gets there (epoch "
            f"{', '.join(epoch_text(v, epochs) for v in missing['fast'])}) and sigmoid does "
            f"not within {epochs} epochs."
        )
    settle = _paired(table, "settle_epoch", "sigmoid/random", "relu/random")
    settled = settle.dropna()
    if len(settled):
        ratio = settled["slow"] / settled["fast"].clip(lower=1)
        sentences.append(
            f"Where both settled ({_seeds_text(len(settled), seeds)}), sigmoid settles at "
            f"{spread_text(ratio, fmt='{:.1f}')}× ReLU's epoch."
        )
    unsettled = settle[settle.isna().any(axis=1)]
    for name, column in (("sigmoid", "slow"), ("ReLU", "fast")):
        count = int(unsettled[column].isna().sum())
        if count:
            sentences.append(
                f"In {_seeds_text(count, seeds)} {name} is not settled within {epochs} epochs "
                "(no speed ratio is taken from those)."
            )
    final = _paired(table, "final_test_loss", "sigmoid/random", "relu/random")
    higher = int((final["slow"] > final["fast"]).sum())
    sentences.append(
        f"Sigmoid ends at a higher test loss than ReLU in {_seeds_text(higher, seeds)}"
        + ("." if higher else ": not worse at the end.")
    )
    return " ".join(sentences)


def gradient_text(gradients: pd.DataFrame) -> str:
    """Where the backprop reason shows in the measured gradient norms, or does not."""
    at_start = gradients.groupby("demo")["first / output at start"].median()
    sig, relu = at_start.get("sigmoid/random"), at_start.get("relu/random")
    if sig is None or relu is None:
        return ""
    measured = (
        f"At the start the first hidden layer's gradient norm is {sig:.3g} of the output "
        f"layer's with sigmoid against {relu:.3g} with ReLU (medians over seeds; the figure "
        "follows the norms per layer over training)"
    )
    if sig < relu:
        return measured + ": the sigmoid net's lower layers start almost still."
    return measured + ": here the sigmoid net's first layer is not the slower one to start."


def zero_sigmoid_text(table: pd.DataFrame, symmetry: pd.DataFrame, epochs: int) -> str:
    """The zero-started sigmoid runs: plateau exits, symmetry and boundary, as measured."""
    zeros, random = _demo(table, "sigmoid/zeros"), _demo(table, "sigmoid/random")
    seeds, left = len(zeros), int(zeros["left_plateau"].sum())
    if left:
        progress = (
            f"It leaves the plateau (its test loss falls {PLATEAU_DROP:.0%} below the "
            f"constant guess's) in {_seeds_text(left, seeds)}: "
            f"{by_seed_text(zeros, 'plateau_exit', epochs)}."
        )
    else:
        progress = (
            f"In {_seeds_text(seeds, seeds)} it is still on the plateau after {epochs} epochs "
            f"(never {PLATEAU_DROP:.0%} below the constant guess's loss)."
        )
    most = float(symmetry["symmetry_max"].max())
    exact = "exactly 0" if most == 0 else f"at most {most:.3g}"
    roundoff = (
        "Exactly 0, not round-off: on this backend the kernels compute identical units' sums "
        "in the same order, so nothing ever separates them."
        if most == 0
        else "Not exactly 0: the backend's kernels sum in different orders for different "
        "units, so round-off separates them slightly; the units are still identical in "
        "exact arithmetic."
    )
    spread = float(symmetry["boundary_spread"].max())
    straight = (
        "so the boundary is a straight line (or none)"
        if spread < 1e-3
        else "in exact arithmetic; here the units have drifted apart enough that the boundary bends"
    )
    worse = int(
        (
            zeros.set_index("seed")["final_test_loss"] > random.set_index("seed")["final_test_loss"]
        ).sum()
    )
    ends = (
        f"A straight line cannot separate a disc from a ring; at best it cuts off part of the "
        f"ring. The zero start ends at a higher test loss than the random start in "
        f"{_seeds_text(worse, seeds)} ({spread_text(zeros['final_test_loss'], fmt='{:.3f}')} "
        f"against {spread_text(random['final_test_loss'], fmt='{:.4f}')}, min / median / max)."
    )
    return (
        f"{progress} It can never use its width: every unit of a layer gets the same "
        f"gradient, so the units stay identical. The symmetry measure (largest difference "
        f"between two units' incoming weights in a layer) is **{exact}** over every run. "
        f"{roundoff} A net of identical units is a 1-1-1 chain: its output depends on x only "
        f"through w·x (w: the units' shared incoming weights), {straight}. Measured: moving "
        f"every grid point one unit across w changes the output by at most {spread:.3g}. {ends}"
    )


def comparison_1b(table: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """1B's measured milestones next to what the set's students saw, with a verdict each."""
    relu, sig = _demo(table, "relu/random"), _demo(table, "sigmoid/random")
    zeros = _demo(table, "sigmoid/zeros")
    seeds = len(sig)
    fast = int((relu["first_below_0_05"].fillna(np.inf) <= RELU_EXPECTED_BY).sum())
    pairs = _paired(table, "first_below_0_05", "sigmoid/random", "relu/random").fillna(np.inf)
    slower = int((pairs["slow"] > pairs["fast"]).sum())
    nearest = sigmoid_reported_text(sig, epochs)
    return pd.DataFrame(
        [
            {
                "demo": "relu, random start",
                "the set": "a couple of hundred epochs (1A; a 2023 student: about 200)",
                "this run": f"below 0.05 at epoch {spread_text(relu['first_below_0_05'], epochs)}",
                "agrees?": _verdict(
                    fast, seeds, f"no seed below 0.05 within {RELU_EXPECTED_BY} epochs"
                ),
            },
            {
                "demo": "sigmoid, random start",
                "the set": "much slower than ReLU: the loss drops noticeably only after about "
                "500 (2017 and 2019 students) or 2000 epochs (a 2023 student)",
                "this run": f"drops noticeably ({PLATEAU_DROP:.0%} below the constant guess) at epoch "
                f"{spread_text(sig['plateau_exit'], epochs)}; below 0.05 at epoch "
                f"{spread_text(sig['first_below_0_05'], epochs)}; later than ReLU in "
                f"{_seeds_text(slower, seeds)}",
                "agrees?": (
                    _verdict(slower, seeds, "sigmoid is not slower in any seed") + "; " + nearest
                ),
            },
            {
                "demo": "sigmoid, zero start",
                "the set": f"a plateau, then learning after about {ZERO_SIGMOID_REPORTED}–3300 "
                "epochs (a 2017 student); a linear boundary, loss about 0.4 (a 2023 student)",
                "this run": "left the plateau at "
                f"{by_seed_text(zeros, 'plateau_exit', epochs)}; final "
                f"{spread_text(zeros['final_test_loss'], fmt='{:.3f}')}",
                "agrees?": zero_sigmoid_verdict(zeros, epochs),
            },
        ]
    )


def zero_sigmoid_verdict(zeros: pd.DataFrame, epochs: int) -> str:
    """Whether the zero-started sigmoid runs leave their plateau "late or never", as reported."""
    exits, seeds = zeros["plateau_exit"].dropna(), len(zeros)
    late = ZERO_SIGMOID_REPORTED // 2
    early = int((exits < late).sum())
    if early:
        return f"no: it leaves early (before epoch {late}) in {_seeds_text(early, seeds)}"
    if len(exits) == seeds:
        return "yes: late, in every seed"
    if len(exits):
        return f"yes: late in {_seeds_text(len(exits), seeds)}; never within {epochs} in the others"
    if epochs < ZERO_SIGMOID_REPORTED:
        return (
            f"cannot tell: no exit within {epochs} epochs, shorter than the set's "
            f"{ZERO_SIGMOID_REPORTED}"
        )
    return "yes: never, in every seed"


def sigmoid_reported_text(sig: pd.DataFrame, epochs: int) -> str:
    """Which reported epoch (500 or 2000) the median "drops noticeably" epoch is nearer."""
    median = sig["plateau_exit"].fillna(np.inf).median()
    if np.isinf(median):
        where = f"{' and '.join(map(str, SIGMOID_REPORTED))}"
        if epochs > max(SIGMOID_REPORTED):
            return f"later than {where}: the median seed does not drop within {epochs} epochs"
        return f"cannot place against {where}: the median seed does not drop within {epochs}"
    nearest = min(SIGMOID_REPORTED, key=lambda r: abs(np.log(max(median, 1) / r)))
    return f"drops at median epoch {median:g}: nearer {SIGMOID_REPORTED[nearest]} {nearest}"


def _verdict(count: int, total: int, none: str) -> str:
    """ "yes (every seed)", "partly (2 of 3 seeds)" or "no: <none>"."""
    if count == total:
        return f"yes ({_seeds_text(count, total)})"
    if count:
        return f"partly ({_seeds_text(count, total)})"
    return f"no: {none}"


def text_1b(result: ActivationDemos, figures: Mapping[str, str] | None = None) -> str:
    """Problem 1B's report section, every comparison chosen by the result's numbers."""
    figures = figures or {}
    table, epochs = result.table, result.epochs
    seeds = int(table.groupby("demo").size().min())
    length = (
        f"{epochs} epochs (the set's number)"
        if epochs == EPOCHS_1B
        else f"**{epochs} epochs** (shortened from the set's {EPOCHS_1B}: this is not the set's run)"
    )
    relu_zero = _demo(table, "relu/zeros")
    relu_zero_text = (
        f"The zero-started ReLU net stays on its plateau in "
        f"{_seeds_text(seeds - int(relu_zero['left_plateau'].sum()), len(relu_zero))} "
        "here too, as 1A's backprop argument says it must."
        if len(relu_zero)
        else "(The zero-started ReLU net is not rerun here: 1A measures that every gradient "
        "but its output bias's is exactly 0, so no number of epochs can move it.)"
    )
    return f"""
The two demos with sigmoid hidden units, next to the random-start ReLU net, {length}, {_count(seeds, "seed")}
(each draws the data and the random start; ReLU and sigmoid share both, seed by seed).
**Settle rule**: a run has settled at the first epoch from which its test loss stays within
max({SETTLE_FRACTION:.0%} of its total fall, {SETTLE_ATOL:g}) of its final value for good (the
total fall is the largest loss seen minus the final one; the floor keeps a flat curve from
counting round-off as movement); a run still outside that band in its last {SETTLE_HOLD:.0%} of
epochs is **not settled within {epochs} epochs**.

{markdown_table(spread_table(table))}
Per seed:

{markdown_table(seed_table(table), floatfmt="{:.4f}")}
**Speed.** {speed_text(table, epochs)} The reason is in backprop:
δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(s^l) and σ′(s) = σ(s)(1 − σ(s)) ≤ ¼, so each sigmoid layer
the error passes through multiplies it by at most ¼ (times the small starting weights),
while ReLU passes it on at full strength wherever a unit is on. {gradient_text(result.gradients)}

**Zero start.** Unlike ReLU, sigmoid(0) = ½ ≠ 0: the hidden outputs x^(L−1) are ½, so the
output weights get a gradient at the first step, and from there the updates reach the
layers below (∂L/∂W^l carries W^(l+1), which is no longer 0), tiny at first because they
are products of weights that start at 0. {zero_sigmoid_text(table, result.symmetry, epochs)}
{relu_zero_text}

**Against what the set says a Playground user sees** (quoted from the problem set's notes,
`reference/problem-set.md` §1A–1B, students' write-ups; "a couple of hundred" read as at most
{RELU_EXPECTED_BY} epochs, "late" as after half the reported {ZERO_SIGMOID_REPORTED}):

{markdown_table(comparison_1b(table, epochs))}
{figure_block(figures, ("loss", "boundaries", "animation", "gradients"))}
"""


def results_1b(result: ActivationDemos) -> dict[str, Any]:
    """1B's summary.json entry."""
    s = result.symmetry
    return {
        "epochs": result.epochs,
        "seeds": sorted(int(k) for k in result.table["seed"].unique()),
        "per_seed": per_seed_results(result.table),
        "spread": spread_results(result.table),
        "zero_init_symmetry": float(s["symmetry_end"].max()) if len(s) else None,
        "zero_init_symmetry_max": float(s["symmetry_max"].max()) if len(s) else None,
        "zero_init_boundary_spread": float(s["boundary_spread"].max()) if len(s) else None,
        "gradient_ratios": result.gradients.to_dict(orient="records"),
        "settle_rule": (
            f"first epoch after which the test loss stays within max({SETTLE_FRACTION} x "
            f"(largest - final), {SETTLE_ATOL}) of its final value; null when that epoch is "
            f"in the last {SETTLE_HOLD:.0%} of the run (not settled)"
        ),
        "visible_loss": VISIBLE_LOSS,
    }


def headline_1b(result: ActivationDemos) -> str:
    """1B's one line for the terminal: median first epochs below 0.05."""
    t, epochs = result.table, result.epochs

    def median(demo: str) -> str:
        value = _demo(t, demo)["first_below_0_05"].fillna(np.inf).median()
        return f"not within {epochs}" if np.isinf(value) else f"{value:g}"

    left = int(_demo(t, "sigmoid/zeros")["left_plateau"].sum())
    seeds = len(_demo(t, "sigmoid/zeros"))
    return (
        f"{_count(seeds, 'seed')}, {epochs} epochs: median first epoch below 0.05 relu {median('relu/random')} "
        f"vs sigmoid {median('sigmoid/random')}; zero-init sigmoid left plateau in {left}/{seeds}"
    )


def run_1b(ctx: Context) -> Section:
    """Problem 1B: train, save histories, figures and the GIF, write the section."""
    seeds = demo_seeds(ctx)
    epochs = ctx.epochs(QUICK_1B if ctx.quick else EPOCHS_1B)
    result = activation_demos(
        lambda k: circle_data(ctx, k), seeds=seeds, epochs=epochs, seed=ctx.seed
    )
    for run in result.runs:
        ctx.folder.save_table(run.history, f"1B_{run.demo.replace('/', '_')}_seed{run.seed}")
    ctx.folder.save_table(result.table, "1B_milestones")
    sigmoid = [run for run in result.runs if run.activation == "sigmoid"]
    random = [run for run in result.runs if run.init == "playground"]
    figures = {
        "loss": ctx.folder.figure_md(
            loss_figure(result.runs), "1B_loss", "1B: test loss, every seed"
        ),
        "boundaries": ctx.folder.figure_md(
            boundary_figure([r for r in sigmoid if r.seed == seeds[0]]),
            "1B_boundaries",
            "1B: the sigmoid runs' output over time (seed 0)",
        ),
        "animation": gif_md(
            ctx,
            boundary_animation(sigmoid, title="1B"),
            "1B_boundaries",
            "1B: the sigmoid runs' boundaries over the epochs, every seed (animated GIF)",
        ),
        "gradients": ctx.folder.figure_md(
            gradient_figure(random), "1B_gradients", "1B: gradient norm per layer, random starts"
        ),
    }
    return Section(text_1b(result, figures), results_1b(result), headline_1b(result))


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
    from companion.playground import fast_fit
    from companion.probes import dead_fraction

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

    seeds = (0, 1) if ctx.quick else (0, 1, 2, 3, 4)
    result = dying_relu(seeds=seeds, seed=ctx.seed, probe_every=100 if ctx.quick else 50)
    ctx.folder.save_table(result.table, "1C_dying_relu")
    ctx.folder.save_table(result.curves, "1C_dead_fraction_curves")
    ctx.folder.note_data("1C", f"Playground circle, {result.settings['n']} points, 500 per class")
    figure = ctx.folder.figure_md(
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
    from companion.budget import count_hidden_units
    from companion.handbuilt import model_from_weights, truth_table

    model = model_from_weights([(list(weights), [bias])], name="or_net")
    return LogicNetwork(model, truth_table(model, operator.or_), count_hidden_units(model))


def text_1d(net: LogicNetwork) -> str:
    """Problem 1D's report section, its answer read off the built network."""
    units = net.hidden_units
    layers = "no hidden layer" if units == 0 else f"{units} hidden unit{'s' * (units != 1)}"
    verdict = (
        f"That is {units} hidden units, the fewest possible (one output unit is needed in "
        "any case)."
        if net.correct and units == 0
        else f"It uses {units} hidden units and does "
        + ("" if net.correct else "not ")
        + "compute OR to the set's rule."
    )
    return f"""
A net with {layers}: out = ReLU(2·x1 + 2·x2 − 1) computes OR to the set's specification
(output ≥ 1 where OR is 1, exactly 0 where it is 0) if every row below says so. Built in
Keras from these explicit weights (`model_from_weights([([2, 2], [-1])])`), it gives:

{markdown_table(net.table, floatfmt="{:g}")}
All four rows meet the rule: **{net.correct}**. Any ReLU(a·x1 + a·x2 + b) with b ≤ 0 and
a + b ≥ 1 works; the bias keeps (0, 0) at exactly 0 and each single 1 lifts the sum to 1.
{verdict}
"""


def run_1d(ctx: Context) -> Section:
    """Problem 1D: build OR by hand and check its truth table."""
    net = or_network()
    results = {
        "truth_table": table_rows(net.table),
        "correct": net.correct,
        "hidden_units": net.hidden_units,
    }
    headline = f"OR with {net.hidden_units} hidden units: truth table correct = {net.correct}"
    return Section(text_1d(net), results, headline)


@dataclass
class XorNetworks:
    """Problem 1E: XOR by hand, and trained single- and two-layer nets."""

    handbuilt: LogicNetwork
    single_layer: pd.DataFrame
    two_layer: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def xor_handbuilt() -> LogicNetwork:
    """The two-layer ReLU net for XOR: h1 = x1 AND NOT x2, h2 = x2 AND NOT x1, out = OR."""
    from companion.budget import count_hidden_units
    from companion.handbuilt import model_from_weights, truth_table

    model = model_from_weights([([[2, -2], [-2, 2]], [-1, -1]), ([2, 2], [-1])], name="xor_net")
    return LogicNetwork(model, truth_table(model, operator.xor), count_hidden_units(model))


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

    starts = 4 if ctx.quick else 20
    result = xor_networks(starts=starts, seed=ctx.seed)
    ctx.folder.save_table(pd.concat([result.single_layer, result.two_layer]), "1E_xor_starts")
    single_best = int(result.single_layer["right"].max())
    single_share = float(result.single_layer["all_four_right"].mean())
    shares = (
        result.two_layer.groupby(["hidden", "output"], sort=False)["all_four_right"]
        .mean()
        .reset_index()
        .rename(columns={"all_four_right": "share of starts with all four right"})
    )
    layers = len(result.handbuilt.model.layers)  # Dense layers of the hand-built net
    relu_out = shares[shares["output"] == "relu"]
    share_text = ", ".join(
        f"{row['share of starts with all four right']:.0%} with {row['hidden']} hidden units"
        for _, row in relu_out.iterrows()
    )
    markdown = f"""
**Fewest layers: {layers}** (one hidden layer and the output). A single layer of ReLU units computes
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
    Problem("1B", "Backpropagation and initialisation: sigmoid against ReLU, trained long", run_1b),
    Problem("1C", "Dying ReLU and data ordering", run_1c),
    Problem("1D", "Approximating functions: OR", run_1d),
    Problem("1E", "Approximating functions: XOR", run_1e),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Chapter 1's own flag: how many seeds the 1A/1B demos run."""
    parser.add_argument(
        "--demo-seeds",
        type=positive_int,
        default=None,
        help=f"seeds per 1A/1B demo, each a new data draw and start "
        f"(default {SEEDS}; {QUICK_SEEDS} with --quick)",
    )


def main(argv=None) -> int:
    """Run chapter 1 from the command line."""
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
