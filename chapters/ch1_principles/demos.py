"""The Playground demos of 1A and 1B: a trained demo and its monitors (`DemoFit`), the data.

A demo is an (activation, start) pair on the set's circle data; `p1a_init.train_demos`
trains every demo for several seed indices. One base `seed` makes them all: seed index k
draws its data from `derive_seed(seed, f"circle-{k}")` and its random start from
`derive_seed(seed, f"init-{k}")`, so the demos of one index share data and start and
compare seed by seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from companion import pset
from companion.data.playground import playground_dataset
from companion.playground.curves import (
    constant_guess_loss,
    first_epoch_below,
    plateau_exit,
    settled_epoch,
)
from companion.probes import gradient_table
from companion.run.runner import Context
from companion.seed import derive_seed

# The set's Playground settings (its links; `companion.pset` holds them).
DEMO = {
    "hidden": pset.PLAYGROUND_HIDDEN,
    "batch_size": pset.PLAYGROUND_BATCH_SIZE,
    "learning_rate": pset.PLAYGROUND_LEARNING_RATE,
}
EPOCHS_1A = pset.EPOCHS_1A
SEEDS, QUICK_SEEDS = pset.DEMO_SEEDS, pset.QUICK_DEMO_SEEDS
FRAMES = 40  # boundary snapshots per fit, for the animation
VISIBLE_LOSS = 0.05  # a level a Playground user reads off the loss curve
SETTLE_FRACTION, SETTLE_ATOL, SETTLE_HOLD = 0.01, 1e-4, 0.1
PLATEAU_DROP = 0.1  # "left the plateau": 10 % below the best constant guess's loss
RELU_EXPECTED_BY = pset.RELU_EXPECTED_BY


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
        pset.PLAYGROUND_DATASET,
        pset.PLAYGROUND_POINTS,
        pset.PLAYGROUND_NOISE,
        derive_seed(base_seed, f"circle-{seed_index}"),
        pset.PLAYGROUND_TRAIN_FRACTION,
    )


def largest_gradient_outside_output_bias(model, x, y) -> float:
    """The largest |gradient| of the loss over every weight except the output bias."""
    table = gradient_table(model, x, y)
    is_output_bias = (table["layer"] == model.layers[-1].name) & (table["weight"] == "bias")
    return float(table.loc[~is_output_bias, "max_abs"].max())


def snapshot_epochs(epochs: int) -> list[int]:
    """Epochs at which to keep the boundary: the start, three on the way, the end."""
    marks = {0, epochs}
    marks.update(e for e in (epochs // 25, epochs // 5, epochs // 2) if e > 0)
    return sorted(marks)


def milestone_table(fits: Sequence[DemoFit]) -> pd.DataFrame:
    """One row per fit: the milestones of its test-loss curve."""
    return pd.DataFrame([fit.milestones() for fit in fits])
