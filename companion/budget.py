"""Fully connected nets under a budget of hidden units: count, check, build, tune.

The problem set's rule: only the widths of the hidden Dense layers count towards the
budget; activations, Dropout, Flatten and the final (output) Dense layer do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import keras
import keras_tuner
from keras import layers

from companion.errors import RuleError
from companion.models import check_rate

ALLOWED_LAYERS = ("Dense", "ReLU", "Activation", "Softmax", "Dropout", "Flatten")
ALLOWED_ACTIVATIONS = ("linear", "relu", "softmax")
BUDGET_RULES = "the depth-vs-width rules (CS 155 set 4)"


def dense_layers(model: keras.Model) -> list[layers.Dense]:
    """The model's Dense layers in order (the last one is the output layer)."""
    return [layer for layer in model.layers if isinstance(layer, layers.Dense)]


def hidden_widths(model: keras.Model) -> list[int]:
    """The widths of the hidden Dense layers: every Dense layer except the last."""
    return [int(layer.units) for layer in dense_layers(model)[:-1]]


def count_hidden_units(model: keras.Model) -> int:
    """The sum of the widths of the hidden Dense layers (the problem set's unit count)."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"count_hidden_units needs a Keras model, got {type(model).__name__}")
    return sum(hidden_widths(model))


def describe_widths(widths: Sequence[int]) -> str:
    """Widths as the set writes them: '3 hidden layers with 120+60+40 = 220 units'."""
    n = len(widths)
    noun = "hidden layer" if n == 1 else "hidden layers"
    if n == 0:
        return "no hidden layer (0 units)"
    if n == 1:
        return f"1 {noun} with {widths[0]} units"
    return f"{n} {noun} with {'+'.join(map(str, widths))} = {sum(widths)} units"


def _activation_name(layer) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", str(activation))


def _check_layer_kinds(model: keras.Model) -> None:
    if not isinstance(model, keras.Sequential):
        raise RuleError(
            f"{BUDGET_RULES}: the model must be a keras.Sequential, got {type(model).__name__}"
        )
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ALLOWED_LAYERS:
            raise RuleError(
                f"{BUDGET_RULES}: layer {layer.name!r} is a {kind}, which is not allowed; "
                f"use only {', '.join(ALLOWED_LAYERS)}"
            )
        act = _activation_name(layer)
        if act is not None and act not in ALLOWED_ACTIVATIONS:
            raise RuleError(
                f"{BUDGET_RULES}: layer {layer.name!r} uses activation {act!r}; "
                f"allowed: {', '.join(ALLOWED_ACTIVATIONS)}"
            )


def _check_output(model: keras.Model, num_classes: int | None) -> None:
    dense = dense_layers(model)
    if not dense:
        raise RuleError(
            f"{BUDGET_RULES}: the model has no Dense layer; it must end with "
            f"Dense({num_classes or 'classes'}) and a softmax"
        )
    output = dense[-1]
    if num_classes is not None and output.units != num_classes:
        raise RuleError(
            f"{BUDGET_RULES}: the output layer {output.name!r} has {output.units} units; "
            f"it needs one per class ({num_classes})"
        )
    after = model.layers[model.layers.index(output) + 1 :]
    softmaxed = _activation_name(output) == "softmax" or any(
        _activation_name(layer) == "softmax" or isinstance(layer, layers.Softmax) for layer in after
    )
    if not softmaxed:
        raise RuleError(
            f"{BUDGET_RULES}: the output layer {output.name!r} is not followed by a softmax; "
            "add layers.Softmax() (categorical cross-entropy needs probabilities)"
        )


def check_budget(
    model: keras.Model,
    max_units: int,
    min_hidden_layers: int = 1,
    *,
    num_classes: int | None = 10,
) -> None:
    """Raise RuleError naming the first rule the model breaks; return None if it obeys all.

    The rules: a keras.Sequential of Dense, ReLU/Activation, Softmax, Dropout and Flatten
    layers only; a Dense output layer of `num_classes` units followed by a softmax; at
    least `min_hidden_layers` hidden Dense layers; at most `max_units` hidden units.

    Args:
        model: the model to check.
        max_units: the budget of hidden units.
        min_hidden_layers: the fewest hidden Dense layers allowed.
        num_classes: the output width required (None: any).
    """
    if int(max_units) < 1:
        raise ValueError(f"max_units must be at least 1, got {max_units}")
    if int(min_hidden_layers) < 0:
        raise ValueError(f"min_hidden_layers must be 0 or more, got {min_hidden_layers}")
    _check_layer_kinds(model)
    _check_output(model, num_classes)
    widths = hidden_widths(model)
    if len(widths) < min_hidden_layers:
        raise RuleError(
            f"{BUDGET_RULES}: {describe_widths(widths)}; the rule asks for at least "
            f"{min_hidden_layers} hidden layers"
        )
    if sum(widths) > max_units:
        raise RuleError(
            f"{BUDGET_RULES}: {describe_widths(widths)}; the budget is {max_units}"
            f" (remove {sum(widths) - max_units} units)"
        )


def mlp(
    widths: Sequence[int],
    *,
    dropout: float | Sequence[float] = 0.0,
    input_dropout: float = 0.0,
    input_shape: tuple[int, ...] = (784,),
    num_classes: int = 10,
    name: str = "mlp",
) -> keras.Sequential:
    """A Sequential MLP: per width, Dense → ReLU → Dropout; then Dense(num_classes) → Softmax.

    Args:
        widths: the hidden layers' widths, input side first (empty: softmax regression).
        dropout: one rate for every hidden layer, or one rate per hidden layer.
        input_dropout: a Dropout rate on the inputs (0: no input Dropout layer).
        input_shape: (784,) for flat rows; an image shape such as (28, 28, 1) adds Flatten.
        num_classes: the output width.
        name: the model's name.

    Returns:
        An uncompiled keras.Sequential that obeys `check_budget`'s layer rules.
    """
    if isinstance(widths, (str, bytes)) or not all(int(w) == w for w in widths):
        raise ValueError(
            f"widths must be a sequence of whole numbers, e.g. (100, 100), got {widths!r}"
        )
    widths = [int(w) for w in widths]
    if any(w < 1 for w in widths):
        raise ValueError(f"every width must be at least 1, got {widths}")
    rates = _per_layer_rates(dropout, len(widths))
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=tuple(input_shape)))
    if len(input_shape) > 1:
        model.add(layers.Flatten())
    if check_rate(input_dropout, "input_dropout") > 0:
        model.add(layers.Dropout(input_dropout))
    for width, rate in zip(widths, rates):
        model.add(layers.Dense(width))
        model.add(layers.ReLU())
        if rate > 0:
            model.add(layers.Dropout(rate))
    model.add(layers.Dense(int(num_classes)))
    model.add(layers.Softmax())
    return model


def _per_layer_rates(dropout, n: int) -> list[float]:
    if isinstance(dropout, (int, float)):
        return [check_rate(dropout)] * n
    rates = [check_rate(rate) for rate in dropout]
    if len(rates) != n:
        raise ValueError(
            f"dropout has {len(rates)} rates for {n} hidden layers; give one rate or one per layer"
        )
    return rates


def split_budget(units: int, depth: int, *, ratio: float = 1.0) -> list[int]:
    """Widths of `depth` hidden layers that share `units` exactly, each `ratio` × the last.

    ratio 1 splits evenly (200 over 2 → 100+100), 0.5 halves each layer
    (1000 over 3 → 571+286+143), 2 doubles it. Rounding by largest remainder keeps
    the sum equal to `units` and every width at least 1.
    """
    units, depth = int(units), int(depth)
    if depth < 1 or units < depth:
        raise ValueError(
            f"cannot split {units} units over {depth} layers; need units >= layers >= 1"
        )
    if not ratio > 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    weights = [float(ratio) ** i for i in range(depth)]
    shares = [units * w / sum(weights) for w in weights]
    widths = [max(1, math.floor(s)) for s in shares]
    while sum(widths) > units:  # only when some share was below 1 and was raised
        widths[widths.index(max(widths))] -= 1
    # Hand the units lost to rounding down to the largest remainders.
    leftover = units - sum(widths)
    order = sorted(range(depth), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True)
    for i in order[:leftover]:
        widths[i] += 1
    return widths


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
