"""Problem 1A: the set's ReLU demo from the Playground's random start and from all zeros.

The Playground's network is written out here (`playground_net`: the model, its compile)
and trained here (`playground_demo`: one start with its monitors; `train_demos`: every
demo and seed). 1B trains the same net with sigmoid units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch1_principles.demo_figures import (
    boundary_animation,
    boundary_figure,
    final_boundary_figure,
    gif_md,
    loss_figure,
)
from chapters.ch1_principles.demo_text import (
    by_seed_text,
    comparison_shown,
    comparison_verdicts,
    demo_rows,
    epoch_text,
    figure_block,
    per_seed_results,
    seed_table,
    seeds_text,
    spread_results,
    spread_table,
    spread_text,
    verdict,
    verdict_word,
)
from chapters.ch1_principles.demos import (
    EPOCHS_1A,
    FRAMES,
    PLATEAU_DROP,
    RELU_EXPECTED_BY,
    VISIBLE_LOSS,
    DemoFit,
    circle,
    demo_seeds,
    largest_gradient_outside_output_bias,
    milestone_table,
    save_fits,
    snapshot_epochs,
)
from companion import pset
from companion.callbacks import DecisionBoundary, GradientNorms, SymmetryMonitor
from companion.playground.boundary import neuron_grids, plot_neurons
from companion.playground.fastfit import fast_fit
from companion.playground.model import half_squared_error, restart_from
from companion.probes import gradient_table
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import derive_seed, set_seed
from companion.words import count


def start(init: str, seed: int | None, layer: int) -> dict[str, keras.initializers.Initializer]:
    """One Dense layer's initialisers: the Playground's random start, or all zeros.

    The random start is the Playground's (`src/nn.ts`): weights U(−0.5, 0.5), biases 0.1;
    a seed gives each layer its own draw. "zeros" is the Playground's `initZero`.
    """
    if init == "zeros":
        return {"kernel_initializer": "zeros", "bias_initializer": "zeros"}
    if init != "playground":
        raise ValueError(f"init must be 'playground' or 'zeros', got {init!r}")
    limit, layer_seed = pset.PLAYGROUND_INIT_RANGE, None if seed is None else seed + 1000 * layer
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-limit, limit, seed=layer_seed),
        "bias_initializer": keras.initializers.Constant(pset.PLAYGROUND_INIT_BIAS),
    }


def playground_net(
    activation: str = "relu",
    init: str = "playground",
    *,
    seed: int | None = None,
    learning_rate: float = pset.PLAYGROUND_LEARNING_RATE,
) -> keras.Model:
    """The set's Playground demo: x1, x2 in, hidden layers of 4 and 2, a tanh out, SGD 0.03."""
    model = keras.Sequential(
        [
            keras.Input(shape=(2,), name="points"),  # the features x1 and x2: the point itself
            layers.Dense(4, activation=activation, **start(init, seed, 0), name="hidden_1"),
            layers.Dense(2, activation=activation, **start(init, seed, 1), name="hidden_2"),
            layers.Dense(1, activation="tanh", **start(init, seed, 2), name="output"),
        ],
        name="playground",
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),  # plain SGD, no momentum
        loss=half_squared_error,  # the Playground's ½(ŷ − y)² on ±1 labels
    )
    return model


def playground_demo(
    data,
    *,
    activation: str = "relu",
    init: str = "playground",
    epochs: int = EPOCHS_1A,
    batch_size: int = pset.PLAYGROUND_BATCH_SIZE,
    learning_rate: float = pset.PLAYGROUND_LEARNING_RATE,
    seed: int | None = None,
    seed_index: int = 0,
    probe: bool = False,
    norms: bool = True,
    trainer: keras.Model | None = None,
) -> DemoFit:
    """Train one Playground demo (`playground_net`) with the monitors attached.

    The boundary is kept at about `FRAMES` evenly spaced epochs (the animation) and at
    `snapshot_epochs`. `probe` also checks the gradient outside the output bias there;
    `norms` records the gradient norm per layer. `trainer`: a compiled `playground_net`
    to train on instead (its traced loop is reused); the fit keeps a copy of the weights.
    """
    net = playground_net(activation, init, seed=seed, learning_rate=learning_rate)
    model = net if trainer is None else restart_from(trainer, net)
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
    # fast_fit: fit's own train_step, many epochs per compiled call (fit's weights, ~50× faster)
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
    net.set_weights(model.get_weights())  # the fit keeps its own final net
    return DemoFit(
        activation,
        init,
        seed_index,
        data,
        net,
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
    epochs: int,
    seed: int,
    probe: bool = False,
    norms: bool = False,
) -> list[DemoFit]:
    """Every (activation, init) demo for every seed index; an index draws the data and the start.

    Indices derive from `seed` as `demos`' docstring says. One compiled net per demo trains
    all its indices. `probe` checks the zero-started fits' gradients outside the output
    bias; `norms` records the random-started fits' gradient norms per layer.
    """
    set_seed(seed)  # nothing below draws from global state, but a backend op might
    data = {k: circle(k, seed) for k in seeds}
    fits = []
    for activation, init in demos:
        trainer = playground_net(activation, init)  # one traced loop for all its seeds' starts
        fits += [
            playground_demo(
                data[k],
                activation=activation,
                init=init,
                epochs=epochs,
                seed=derive_seed(seed, f"init-{k}"),
                seed_index=k,
                probe=probe and init == "zeros",
                norms=norms and init == "playground",
                trainer=trainer,
            )
            for k in seeds
        ]
    return fits


@dataclass
class InitDemos:
    """Problem 1A: ReLU from the Playground's random start and from zeros, several seeds.

    `table` has one row per demo and seed (see `DemoFit.milestones`); `zero_gradients`
    one row per seed of the zero-started net: the largest |gradient| outside the output
    bias at the start and over training, and how far any of those weights moved.
    """

    table: pd.DataFrame
    zero_gradients: pd.DataFrame
    start_gradients: pd.DataFrame
    random_start_smallest_gradient: float
    epochs: int
    fits: list[DemoFit] = field(default_factory=list)


def zero_gradient_row(fit: DemoFit) -> dict[str, float]:
    """The zero-started net's gradients outside the output bias, and how far its weights moved."""
    output_bias = fit.model.layers[-1].bias
    moved = max(
        float(np.abs(np.asarray(v)).max()) for v in fit.model.weights if v is not output_bias
    )
    checks = fit.outside_output_bias
    probes = checks["max_abs"]
    return {
        "seed": fit.seed,
        "max_grad_start": float(probes[checks["epoch"] == 0].max()),
        "max_grad_training": float(probes.max()),
        "checks": len(probes),
        "weights_moved": moved,
    }


def init_demos(
    *, seeds=(0, 1, 2), activation: str = "relu", epochs: int = EPOCHS_1A, seed: int = 0
) -> InitDemos:
    """Problem 1A: the set's two demos, the Playground's random start against all zeros.

    Args:
        seeds: seed indices; each draws the data and the random start from `seed`.
        activation: the hidden units' activation (the set's ReLU).
        epochs: epochs per fit (the set's 250).
        seed: the base seed the data and starts are derived from (see `demos`).
    """
    demos = tuple((activation, init) for _, init in pset.DEMOS_1A)
    fits = train_demos(demos, seeds=seeds, epochs=epochs, seed=seed, probe=True)
    zeros = [fit for fit in fits if fit.init == "zeros"]
    randoms = [fit for fit in fits if fit.init == "playground"]
    smallest = min(float(fit.start_gradients["max_abs"].min()) for fit in randoms)
    return InitDemos(
        milestone_table(fits),
        pd.DataFrame([zero_gradient_row(fit) for fit in zeros]),
        zeros[0].start_gradients,
        smallest,
        epochs,
        fits,
    )


def _random_start_text(part: pd.DataFrame, epochs: int) -> str:
    """How the random-start fits fell, in words chosen by their numbers."""
    reached = part["first_below_0_05"].notna()
    seeds = len(part)
    text = (
        f"the test loss starts at {spread_text(part['start_test_loss'], fmt='{:.3f}')} "
        f"(min / median / max over {count(seeds, 'seed')}) and ends at "
        f"**{spread_text(part['final_test_loss'], fmt='{:.4f}')}**. "
    )
    if reached.all():
        return text + (
            f"It falls below 0.05 in {seeds_text(seeds, seeds)}, first at epoch "
            f"{spread_text(part['first_below_0_05'], epochs)}."
        )
    if reached.any():
        return text + (
            f"It falls below 0.05 in {seeds_text(int(reached.sum()), seeds)}: "
            f"{by_seed_text(part, 'first_below_0_05', epochs)}."
        )
    return text + f"It never falls below 0.05 in {epochs} epochs, in any seed."


def _zero_start_text(result: InitDemos, part: pd.DataFrame) -> str:
    """The zero-started fits: exact zeros measured, or what moved instead."""
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
            f"In {seeds_text(seeds, seeds)} it stays on that plateau (never "
            f"{PLATEAU_DROP:.0%} below it)."
        )
    else:
        ends += (
            f"It leaves that plateau (falls {PLATEAU_DROP:.0%} below it) in "
            f"{seeds_text(left, seeds)}, at epoch "
            f"{', '.join(epoch_text(v, result.epochs) for v in part['plateau_exit'])}."
        )
    if exact:
        gradients = (
            "The gradient tape shows why. At the start every gradient is exactly 0 except the "
            "output bias's (seed 0):\n\n"
            f"{markdown_table(result.start_gradients, floatfmt='{:.3g}')}\n"
            f"In {seeds_text(seeds, seeds)} the largest |gradient| outside the output bias is "
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
    random, zeros = demo_rows(table, "relu/random"), demo_rows(table, "relu/zeros")
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
Each demo runs with {count(seeds, "seed")}; a seed draws both the data (a fresh circle sample) and the
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

{markdown_table(comparison_shown(comparison_1a(table, result.epochs)))}
{figure_block(figures, ("loss", "boundaries", "final_boundaries", "animation", "neurons"))}
"""


def comparison_1a(table: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """1A's measured milestones next to what the set's students saw, with a verdict each."""
    random, zeros = demo_rows(table, "relu/random"), demo_rows(table, "relu/zeros")
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
                "agrees?": verdict(
                    fast, seeds, f"no seed is below 0.05 within {RELU_EXPECTED_BY} epochs"
                ),
                "verdict": verdict_word(fast, seeds),
            },
            {
                "demo": "relu, zero start",
                "the set": "never learns; loss stays near 0.5 (about 0.508)",
                "this run": f"final {spread_text(zeros['final_test_loss'], fmt='{:.4f}')}; "
                f"left the plateau in {seeds_text(seeds - stuck, seeds)}",
                "agrees?": verdict(stuck, seeds, "it left the plateau in every seed"),
                "verdict": verdict_word(stuck, seeds),
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
        "verdicts": comparison_verdicts(comparison_1a(result.table, result.epochs)),
    }


def headline_1a(result: InitDemos) -> str:
    """1A's one line for the terminal."""
    t = result.table
    random, zeros = demo_rows(t, "relu/random"), demo_rows(t, "relu/zeros")
    return (
        f"{len(random)} seeds, {result.epochs} epochs: median test loss random "
        f"{random['final_test_loss'].median():.3f} vs zeros {zeros['final_test_loss'].median():.3f}; "
        f"zero start: max |grad| outside output bias "
        f"{result.zero_gradients['max_grad_training'].max():g}"
    )


def figures_1a(ctx: Context, result: InitDemos) -> dict[str, str]:
    """1A's figures and GIF saved in the run folder, as Markdown by name."""
    first = [fit for fit in result.fits if fit.seed == result.fits[0].seed]
    figure = ctx.folder.figure_md
    return {
        "loss": figure(
            loss_figure(result.fits, train=True), "1A_loss", "1A: loss per epoch, every seed"
        ),
        "boundaries": figure(
            boundary_figure(first),
            "1A_boundaries",
            "1A: the output over [−6, 6]² (orange −1, blue +1; light edge train, dark edge test)",
        ),
        "final_boundaries": figure(
            final_boundary_figure(result.fits),
            "1A_final_boundaries",
            "1A: the last boundary of every seed",
        ),
        "animation": gif_md(
            ctx,
            boundary_animation(result.fits, title="1A"),
            "1A_boundaries",
            "1A: the boundaries over the epochs, every seed (animated GIF)",
        ),
        "neurons": figure(
            plot_neurons(first[0].neurons, title="random start, end of training"),
            "1A_neurons",
            f"1A: each hidden unit's output at the end of the random-start fit (seed {first[0].seed})",
        ),
    }


def run_1a(ctx: Context) -> Section:
    """Problem 1A: train the demos from one seed, save tables, figures and the GIF, write the section."""
    seeds, epochs = demo_seeds(ctx), ctx.epochs(EPOCHS_1A)
    result = init_demos(seeds=seeds, epochs=epochs, seed=ctx.seed_for("demos"))
    save_fits(ctx, result.fits)
    ctx.folder.save_table(result.table, "1A_milestones")
    figures = figures_1a(ctx, result)
    return Section(text_1a(result, figures), results_1a(result), headline_1a(result))
