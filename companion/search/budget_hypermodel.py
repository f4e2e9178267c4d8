"""A keras-tuner hypermodel whose every draw is an MLP within a budget of hidden units.

Kept apart from `companion.budget` because it subclasses keras-tuner's HyperModel:
counting or checking a model should not import keras-tuner. This module imports
`companion.budget`, never the reverse (`companion.BudgetHyperModel` names this class).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import keras
import keras_tuner

from companion.budget import check_budget, mlp, split_budget
from companion.models import check_rate


class BudgetHyperModel(keras_tuner.HyperModel):
    """A keras-tuner hypermodel whose every draw fits a budget of hidden units.

    The tuner draws the depth (`layers`), the taper (`ratio`, each layer's width over
    the previous one's; only for 2+ layers), the share of the budget used (`fill`), the
    dropout rate and the learning rate. Widths are then computed by `split_budget`, so
    no draw can exceed the budget: over-budget models are never built, let alone
    trained. `check_budget` runs on every built model as a guard.

    Args:
        max_units: the budget of hidden units.
        min_layers, max_layers: the range of hidden-layer counts searched.
        ratios: taper choices for nets of 2+ layers.
        fills: choices of the budget's share to use, in (0, 1].
        dropouts: dropout-rate choices (one rate for all hidden layers).
        learning_rates: Adam learning-rate choices.
        decay_steps: cosine-decay the learning rate to 0 over this many steps (None: constant).
        input_shape, num_classes: as for `mlp`.
    """

    def __init__(
        self,
        max_units: int,
        min_layers: int = 1,
        max_layers: int = 4,
        *,
        ratios: Sequence[float] = (1.0, 0.5),
        fills: Sequence[float] = (1.0,),
        dropouts: Sequence[float] = (0.0, 0.1, 0.2),
        learning_rates: Sequence[float] = (1e-3,),
        decay_steps: int | None = None,
        input_shape: tuple[int, ...] = (784,),
        num_classes: int = 10,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name or f"budget_{max_units}", tunable=True)
        self.max_units, self.min_layers, self.max_layers = (
            int(max_units),
            int(min_layers),
            int(max_layers),
        )
        self.ratios, self.fills = _nonempty(ratios, "ratios"), _nonempty(fills, "fills")
        self.dropouts = [check_rate(d) for d in _nonempty(dropouts, "dropouts")]
        self.learning_rates = _nonempty(learning_rates, "learning_rates")
        self.decay_steps = decay_steps
        self.input_shape, self.num_classes = tuple(input_shape), int(num_classes)
        self._validate()

    def _validate(self) -> None:
        if not 1 <= self.min_layers <= self.max_layers:
            raise ValueError(
                f"need 1 <= min_layers <= max_layers, got {self.min_layers} and {self.max_layers}"
            )
        if any(not 0 < f <= 1 for f in self.fills):
            raise ValueError(f"fills must be in (0, 1], got {self.fills}")
        if any(not r > 0 for r in self.ratios):
            raise ValueError(f"ratios must be positive, got {self.ratios}")
        smallest = math.floor(self.max_units * min(self.fills))
        if smallest < self.max_layers:
            raise ValueError(
                f"a budget of {smallest} units cannot fill {self.max_layers} layers; "
                f"lower max_layers or raise max_units"
            )

    def widths(self, values: Mapping | keras_tuner.HyperParameters) -> list[int]:
        """The hidden widths a set of hyperparameter values builds (e.g. a trial's)."""
        if isinstance(values, keras_tuner.HyperParameters):
            values = values.values
        n = int(values["layers"])
        ratio = values.get("ratio") if n > 1 else 1.0
        units = math.floor(self.max_units * float(values.get("fill", self.fills[0])))
        return split_budget(units, n, ratio=float(ratio or self.ratios[0]))

    def declare(self, hp: keras_tuner.HyperParameters) -> dict:
        """Register the search space on `hp`; return this draw's values."""
        values = {"layers": hp.Int("layers", self.min_layers, self.max_layers)}
        if self.max_layers > 1:
            deep = list(range(max(2, self.min_layers), self.max_layers + 1))
            with hp.conditional_scope("layers", deep):
                values["ratio"] = hp.Choice("ratio", self.ratios)
        values["fill"] = hp.Choice("fill", self.fills)
        values["dropout"] = hp.Choice("dropout", self.dropouts)
        values["learning_rate"] = hp.Choice("learning_rate", self.learning_rates)
        return values

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Build and compile one within-budget MLP from the tuner's draw."""
        values = self.declare(hp)
        widths = self.widths(values)
        model = mlp(
            widths,
            dropout=values["dropout"],
            input_shape=self.input_shape,
            num_classes=self.num_classes,
            name="mlp_" + "_".join(map(str, widths)),
        )
        check_budget(model, self.max_units, self.min_layers, num_classes=self.num_classes)
        model.compile(
            optimizer=keras.optimizers.Adam(self._learning_rate(values["learning_rate"])),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _learning_rate(self, rate: float):
        if self.decay_steps:
            return keras.optimizers.schedules.CosineDecay(float(rate), int(self.decay_steps))
        return float(rate)


def _nonempty(values: Sequence, name: str) -> list:
    values = list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value")
    return values
