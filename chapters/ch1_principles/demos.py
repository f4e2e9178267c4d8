"""The Playground demos of 1A and 1B: one demo trained with its monitors (`DemoFit`).

A demo is an (activation, start) pair on the set's circle data; `train_demos` trains every
demo for several seed indices. One base `seed` makes them all: seed index k draws its data
from `derive_seed(seed, f"circle-{k}")` and its random start from `derive_seed(seed,
f"init-{k}")`, so the demos of one index share data and start and compare seed by seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from companion.curves import (
    constant_guess_loss,
    first_epoch_below,
    plateau_exit,
    settled_epoch,
)
from companion.data.playground import playground_dataset
from companion.runner import Context
from companion.seed import derive_seed, set_seed

DEMO = {"hidden": (4, 2), "batch_size": 10, "learning_rate": 0.03}  # the set's Playground URLs
EPOCHS_1A = 250
SEEDS, QUICK_SEEDS = 3, 2  # 1A/1B: the Playground varies a lot by seed; one fit proves little
FRAMES = 40  # boundary snapshots per fit, for the animation
VISIBLE_LOSS = 0.05  # a level a Playground user reads off the loss curve
SETTLE_FRACTION, SETTLE_ATOL, SETTLE_HOLD = 0.01, 1e-4, 0.1
PLATEAU_DROP = 0.1  # "left the plateau": 10 % below the best constant guess's loss
RELU_EXPECTED_BY = 300  # the set's "converges fast", "about 200 epochs": a couple of hundred


@dataclass
class DemoFit:
    """One demo trained from one seed index: losses per epoch, snapshots, monitors."""

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
        """The demo in words, e.g. "sigmoid, zero start"."""
        return demo_label(self.demo)

    def milestones(self) -> dict[str, Any]:
        """What a Playground user reads off this fit's test-loss curve (one table row)."""

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


def demo_label(demo: str) -> str:
    """ "relu/random" -> "relu, random start"."""
    activation, start = demo.split("/")
    return f"{activation}, {'random' if start == 'random' else 'zero'} start"


def demo_seeds(ctx: Context) -> list[int]:
    """The seed indices of 1A/1B's demos: --demo-seeds, or 3 (2 with --quick)."""
    count = ctx.args.demo_seeds or (QUICK_SEEDS if ctx.quick else SEEDS)
    return list(range(count))


def save_fits(ctx: Context, fits: Sequence[DemoFit]) -> None:
    """Each fit's history as a table, and each seed index's circle data noted once."""
    for fit in fits:
        ctx.folder.save_table(
            fit.history, f"{ctx.problem}_{fit.demo.replace('/', '_')}_seed{fit.seed}"
        )
    for fit in {fit.seed: fit for fit in fits}.values():
        ctx.folder.note_data(f"{ctx.problem} circle, seed {fit.seed}", fit.data.description)


def circle(seed_index: int = 0, base_seed: int = 0):
    """The demos' data for one seed index: Playground circle, 500 points, noise 0, half for training."""
    return playground_dataset(
        "circle", 500, 0.0, derive_seed(base_seed, f"circle-{seed_index}"), 0.5
    )


def largest_gradient_outside_output_bias(model, x, y) -> float:
    """The largest |gradient| of the loss over every weight except the output bias."""
    # Imported here, not at the top: it loads Keras (start-up speed).
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
) -> DemoFit:
    """Train one Playground demo with the fast loop and the monitors attached.

    The boundary is kept at about `FRAMES` evenly spaced epochs (the animation) and at
    `snapshot_epochs`. `probe` also checks the gradient outside the output bias there;
    `norms` records the gradient norm per layer. `trainer`: a compiled model of the same
    shape to train on (its traced loop is reused); the fit keeps a copy of the weights.
    """
    import keras

    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.boundary import neuron_grids
    from companion.callbacks import DecisionBoundary, GradientNorms, SymmetryMonitor
    from companion.fastfit import fast_fit
    from companion.playground import playground_model, restart_from
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
    start.set_weights(model.get_weights())  # the fit keeps its own final net
    return DemoFit(
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
    epochs: int,
    seed: int,
    probe: bool = False,
    norms: bool = False,
) -> list[DemoFit]:
    """Every (activation, init) demo for every seed index; an index draws the data and the start.

    Indices derive from `seed` as the module docstring says. One compiled net per demo
    trains all its indices. `probe` checks the zero-started fits' gradients outside the
    output bias; `norms` records the random-started fits' gradient norms per layer.
    """
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.playground import playground_model

    set_seed(seed)  # nothing below draws from global state, but a backend op might
    data = {k: circle(k, seed) for k in seeds}
    fits = []
    for activation, init in demos:
        trainer = playground_model(
            DEMO["hidden"], activation=activation, init=init, learning_rate=DEMO["learning_rate"]
        )
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


def milestone_table(fits: Sequence[DemoFit]) -> pd.DataFrame:
    """One row per fit: the milestones of its test-loss curve."""
    return pd.DataFrame([fit.milestones() for fit in fits])
