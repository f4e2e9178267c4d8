"""Fully connected nets under a budget of hidden units: count, check, build, tune.

The problem set's rule: only the widths of the hidden Dense layers count towards the
budget; activations, Dropout, Flatten and the final (output) Dense layer do not.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import keras
from keras import layers

from companion import pset
from companion.models import ModelRules, activation_name, check_model, check_rate
from companion.probes import dense_layers

# The set's rules on layers; `check_budget` adds the output, the depth and the budget.
BUDGET_RULES = ModelRules(
    name="the depth-vs-width rules (CS 155 set 4)",
    allowed=pset.MLP_ALLOWED_LAYERS,
    activations=pset.MLP_ACTIVATIONS,
)


def hidden_widths(model: keras.Model) -> list[int]:
    """The widths of the hidden Dense layers: every Dense layer except the last."""
    return [int(layer.units) for layer in dense_layers(model, include_output=False)]


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


def _output_rule(num_classes: int | None):
    """The rule: a Dense output of `num_classes` units (None: any), then a softmax."""

    def broken(model: keras.Model) -> str | None:
        dense = dense_layers(model, include_output=True)
        if not dense:
            return (
                "the model has no Dense layer; it must end with "
                f"Dense({num_classes or 'classes'}) and a softmax"
            )
        output = dense[-1]
        if num_classes is not None and output.units != num_classes:
            return (
                f"the output layer {output.name!r} has {output.units} units; "
                f"it needs one per class ({num_classes})"
            )
        after = model.layers[model.layers.index(output) + 1 :]
        if activation_name(output) != "softmax" and not any(
            activation_name(layer) == "softmax" or isinstance(layer, layers.Softmax)
            for layer in after
        ):
            return (
                f"the output layer {output.name!r} is not followed by a softmax; "
                "add layers.Softmax() (categorical cross-entropy needs probabilities)"
            )
        return None

    return broken


def _budget_rule(max_units: int, min_hidden_layers: int):
    """The rule: at least `min_hidden_layers` hidden Dense layers, at most `max_units` units."""

    def broken(model: keras.Model) -> str | None:
        widths = hidden_widths(model)
        if len(widths) < min_hidden_layers:
            return (
                f"{describe_widths(widths)}; the rule asks for at least "
                f"{min_hidden_layers} hidden layers"
            )
        if sum(widths) > max_units:
            return (
                f"{describe_widths(widths)}; the budget is {max_units}"
                f" (remove {sum(widths) - max_units} units)"
            )
        return None

    return broken


def budget_rules(
    max_units: int, min_hidden_layers: int = 1, *, num_classes: int | None = 10
) -> ModelRules:
    """The set's rules for one budget, as `ModelRules` for `companion.models.check_model`."""
    if int(max_units) < 1:
        raise ValueError(f"max_units must be at least 1, got {max_units}")
    if int(min_hidden_layers) < 0:
        raise ValueError(f"min_hidden_layers must be 0 or more, got {min_hidden_layers}")
    checks = (_output_rule(num_classes), _budget_rule(int(max_units), int(min_hidden_layers)))
    return dataclasses.replace(BUDGET_RULES, checks=checks)


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
    check_model(model, budget_rules(max_units, min_hidden_layers, num_classes=num_classes))


def mlp(
    widths: Sequence[int],
    *,
    dropout: float | Sequence[float] = 0.0,
    input_dropout: float = 0.0,
    input_shape: tuple[int, ...] = (pset.MNIST_PIXELS,),
    num_classes: int = pset.MNIST_CLASSES,
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
