"""An MLP recipe (its hidden widths and how it trains) and what training one leaves behind.

Plain data only (no Keras), so a chapter's settings can list recipes without loading
TensorFlow. Chapter 3 writes the nets out and trains them (`chapters.ch3_depth_width`'s
`train_recipe`: `model.compile`, then `model.fit` on shuffled, shifted batches).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd


@dataclass(frozen=True)
class Recipe:
    """How one MLP is built and trained.

    Adam with the learning rate cosine-decayed to 0 over the run; categorical
    cross-entropy; inputs already divided by 255. `max_shift` moves each training image
    by up to that many pixels every epoch (augmentation in the input pipeline; 0: none).
    """

    widths: tuple[int, ...]
    dropout: float = 0.1
    input_dropout: float = 0.0
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 2e-3
    max_shift: int = 1

    @property
    def shape(self) -> str:
        """The hidden widths as one word, e.g. "150-50" (how tables name a shape)."""
        return "-".join(map(str, self.widths))

    def describe(self) -> str:
        """One line for reports."""
        shift = f"shifts up to {self.max_shift} px" if self.max_shift else "no augmentation"
        epochs = f"{self.epochs} epoch" + ("" if self.epochs == 1 else "s")
        input_dropout = f", input dropout {self.input_dropout:g}" if self.input_dropout else ""
        return (
            f"{self.shape}, dropout {self.dropout:g}{input_dropout}, {epochs}, batch "
            f"{self.batch_size}, Adam {self.learning_rate:g} cosine-decayed, {shift}"
        )

    def row(self) -> dict[str, Any]:
        """The recipe as one table row: its fields, with the widths as `shape`."""
        return {
            "widths": self.shape,
            "dropout": self.dropout,
            "input_dropout": self.input_dropout,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "max_shift": self.max_shift,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Recipe:
        """The recipe a table row describes (the inverse of `row`)."""
        return cls(
            tuple(int(w) for w in str(row["widths"]).split("-")),
            dropout=float(row["dropout"]),
            input_dropout=float(row["input_dropout"]),
            epochs=int(row["epochs"]),
            batch_size=int(row["batch_size"]),
            learning_rate=float(row["learning_rate"]),
            max_shift=int(row["max_shift"]),
        )


@dataclass
class TrainedNet:
    """One net trained from a recipe: its history and its final scores (not the model)."""

    seed: int
    history: pd.DataFrame  # one row per epoch (`companion.plots.history_frame`)
    val_accuracy: float
    test_accuracy: float | None  # None when the test set was left alone (while choosing)
    params: int
    epoch_seconds: float  # the median epoch


class UnitBudget(Protocol):
    """Anything that states a budget of hidden units (e.g. a chapter's problem rules)."""

    max_units: int
    min_layers: int
