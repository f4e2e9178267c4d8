"""A keras-tuner hypermodel whose every draw is an MLP within a budget of hidden units.

Apart from `companion.budget`, so counting or checking a model does not import keras-tuner;
this module imports `companion.budget`, never the reverse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import keras
import keras_tuner

from companion.budget import check_budget, mlp, split_budget
from companion.models import check_rate


class BudgetHyperModel(keras_tuner.HyperModel):
    """A keras-tuner hypermodel whose every draw fits `max_units` hidden units.

    The tuner draws the depth (`layers`, from `min_layers` to `max_layers`), the taper
    (`ratio`, each layer's width over the previous one's; only for 2+ layers), the share of
    the budget used (`fill`, in (0, 1]), one dropout rate and Adam's learning rate (cosine
    decayed to 0 over `decay_steps` if given). `split_budget` computes the widths, so no
    draw can exceed the budget; `check_budget` guards every built model.
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
        self.max_units, self.min_layers = int(max_units), int(min_layers)
        self.max_layers = int(max_layers)
        choices = {"ratios": ratios, "fills": fills, "dropouts": dropouts}
        for what, values in {**choices, "learning_rates": learning_rates}.items():
            if not values:
                raise ValueError(f"{what} must hold at least one value")
        self.ratios, self.fills, self.learning_rates = map(list, (ratios, fills, learning_rates))
        self.dropouts = [check_rate(d) for d in dropouts]
        self.decay_steps = decay_steps
        self.input_shape, self.num_classes = tuple(input_shape), int(num_classes)
        if not 1 <= self.min_layers <= self.max_layers:
            raise ValueError(
                f"need 1 <= min_layers <= max_layers, got {self.min_layers} and {self.max_layers}"
            )
        if any(not 0 < f <= 1 for f in self.fills):
            raise ValueError(f"fills must be in (0, 1], got {self.fills}")
        if any(not r > 0 for r in self.ratios):
            raise ValueError(f"ratios must be positive, got {self.ratios}")
        if (smallest := math.floor(self.max_units * min(self.fills))) < self.max_layers:
            raise ValueError(
                f"a budget of {smallest} units cannot fill {self.max_layers} layers; "
                f"lower max_layers or raise max_units"
            )

    def widths(self, values: Mapping) -> list[int]:
        """The hidden widths a set of hyperparameter values builds (e.g. `hp.values`)."""
        n = int(values["layers"])
        ratio = values.get("ratio") if n > 1 else 1.0
        units = math.floor(self.max_units * float(values.get("fill", self.fills[0])))
        return split_budget(units, n, ratio=float(ratio or self.ratios[0]))

    def declare(self, hp: keras_tuner.HyperParameters) -> dict:
        """Register the search space on `hp`; return this draw's values."""
        values = {"layers": hp.Int("layers", self.min_layers, self.max_layers)}
        if self.max_layers > 1:
            with hp.conditional_scope(
                "layers", list(range(max(2, self.min_layers), self.max_layers + 1))
            ):
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
        rate = float(values["learning_rate"])
        if self.decay_steps:
            rate = keras.optimizers.schedules.CosineDecay(rate, int(self.decay_steps))
        model.compile(
            optimizer=keras.optimizers.Adam(rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model
