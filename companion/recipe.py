"""An MLP recipe (its hidden widths and how it trains) and the one function that trains it.

`train_recipe` is the whole path from a recipe to scores, in one place a reader can follow:
build `budget.mlp`, check it against a hidden-unit budget, feed shuffled (and randomly
shifted) batches through `training.train` with a cosine-decayed Adam, then score the
validation and test splits in one predict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from companion.augment import shifted_batches
from companion.seed import set_seed


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
    history: pd.DataFrame  # one row per epoch, as `training.train` returns it
    val_accuracy: float
    test_accuracy: float | None  # None when the test set was left alone (while choosing)
    params: int
    epoch_seconds: float  # the median epoch


class UnitBudget(Protocol):
    """Anything that states a budget of hidden units (e.g. a chapter's problem rules)."""

    max_units: int
    min_layers: int


def train_recipe(
    data,
    recipe: Recipe,
    *,
    seed: int,
    budget: UnitBudget | None = None,
    epochs: int | None = None,
    test: bool = True,
) -> TrainedNet:
    """Build the recipe's MLP, check it against the budget, train it, score it.

    Args:
        data: flat MNIST-like splits (`x_train`, `y_train`, `x_val`, ... as in `MnistData`).
        recipe: the net and its training settings.
        seed: seeds the weights, the shuffling, the shifts and the dropout masks; the
            result does not depend on what drew random numbers before.
        budget: the rules to check the model against before training (None: no check).
        epochs: overrides the recipe's epochs.
        test: also score the test set (False while choosing, so it plays no part).
    """
    # TensorFlow loads here, not at import: a chapter's `--help` and its Recipe stay light.
    from companion.budget import check_budget, mlp
    from companion.training import accuracies, cosine_adam, one_hot, steps_per_run, train

    set_seed(seed)
    model = mlp(recipe.widths, dropout=recipe.dropout, input_dropout=recipe.input_dropout)
    if budget is not None:
        check_budget(model, budget.max_units, budget.min_layers)
    epochs = int(epochs or recipe.epochs)
    x, labels = data.x_train, data.y_train
    batches = shifted_batches(
        x, one_hot(labels), batch_size=recipe.batch_size, max_shift=recipe.max_shift, seed=seed
    )
    steps = steps_per_run(len(x), recipe.batch_size, epochs)
    history = train(
        model,
        batches,
        epochs=epochs,
        validation_data=(data.x_val, one_hot(data.y_val)),
        optimizer=cosine_adam(recipe.learning_rate, steps),
        steps_per_execution=8,  # fewer Python round trips per epoch; same maths
    )
    splits = [(data.x_val, data.y_val)] + ([(data.x_test, data.y_test)] if test else [])
    scores = accuracies(model, *splits)
    return TrainedNet(
        seed=seed,
        history=history,
        val_accuracy=scores[0],
        test_accuracy=scores[1] if test else None,
        params=model.count_params(),
        epoch_seconds=float(history["seconds"].median()),
    )
