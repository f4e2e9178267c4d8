"""The grader's structural rules: each reads a model and returns a `Rule` with what it measured.

Unlike `companion.models.check_model`, which stops at the first broken rule, every rule here
is checked and reported, so a student sees all that is wrong at once. The facts (allowed
layers, budgets, limits) come from `companion.pset`.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from companion.budget import describe_widths, hidden_widths
from companion.grade.verdict import Rule
from companion.models import activation_name, dropout_rate
from companion.probes import dense_layers


def sequential(model: keras.Model) -> Rule:
    """The model is a keras.Sequential."""
    kind = type(model).__name__
    return Rule(
        "sequential",
        isinstance(model, keras.Sequential),
        kind,
        "keras.Sequential",
        "build the model as keras.Sequential([keras.Input(...), ...])",
    )


def allowed_layers(model: keras.Model, allowed: Sequence[str]) -> Rule:
    """Every layer is of an allowed class (the input layer always is)."""
    bad = [
        f"{layer.name} ({type(layer).__name__})"
        for layer in model.layers
        if type(layer).__name__ not in allowed and type(layer).__name__ != "InputLayer"
    ]
    return Rule(
        "allowed layers",
        not bad,
        "not allowed: " + ", ".join(bad) if bad else f"{len(model.layers)} layers, all allowed",
        "only " + ", ".join(allowed),
        f"replace {', '.join(bad)} with allowed layers" if bad else "",
    )


def activations(model: keras.Model, allowed: Sequence[str]) -> Rule:
    """Every activation inside a layer (Dense, Conv2D, Activation) is an allowed one."""
    bad = [
        f"{layer.name} ({activation_name(layer)})"
        for layer in model.layers
        if activation_name(layer) and activation_name(layer) not in allowed
    ]
    return Rule(
        "activations",
        not bad,
        "not allowed: " + ", ".join(bad) if bad else "all allowed",
        "only " + ", ".join(allowed),
        f"use only {', '.join(allowed)} activations" if bad else "",
    )


def parameter_limit(model: keras.Model, most: int) -> Rule:
    """The model has at most `most` parameters (as `model.count_params()` counts them)."""
    count = model.count_params()
    return Rule(
        "parameters",
        count <= most,
        f"{count:,} parameters",
        f"<= {most:,}",
        f"remove {count - most:,} parameters (fewer filters or a smaller Dense layer)",
    )


def has_layer(model: keras.Model, kind: str) -> Rule:
    """At least one layer of class `kind`; a Dropout counts only if its rate is above 0."""
    found = [layer for layer in model.layers if type(layer).__name__ == kind]
    acting = [layer for layer in found if kind != "Dropout" or dropout_rate(layer) > 0]
    measured = f"{len(found)} {kind} layer(s)" + (
        f", {len(found) - len(acting)} with rate 0" if len(acting) < len(found) else ""
    )
    needed = "at least one" + (" with a rate above 0" if kind == "Dropout" else "")
    fix = f"give a {kind} layer a rate above 0" if found else f"add a layers.{kind}(...) layer"
    return Rule(kind, bool(acting), measured, needed, fix)


def hidden_units(model: keras.Model, most: int, *, name: str = "hidden units") -> Rule:
    """The hidden Dense layers' widths sum to at most `most` (the output layer does not count)."""
    widths = hidden_widths(model)
    return Rule(
        name,
        sum(widths) <= most,
        describe_widths(widths),
        f"<= {most} units",
        f"remove {sum(widths) - most} hidden units",
    )


def hidden_depth(model: keras.Model, fewest: int) -> Rule:
    """At least `fewest` hidden Dense layers."""
    depth = len(hidden_widths(model))
    return Rule(
        "hidden layers",
        depth >= fewest,
        f"{depth} hidden layer(s)",
        f">= {fewest}",
        f"add {fewest - depth} hidden Dense layer(s)",
    )


def exact_depth(model: keras.Model, depth: int, *, name: str = "minimum depth") -> Rule:
    """Exactly `depth` hidden Dense layers (a minimality rule: no more, and no fewer)."""
    found = len(hidden_widths(model))
    return Rule(
        name,
        found == depth,
        f"{found} hidden layer(s)",
        f"exactly {depth}",
        f"use exactly {depth} hidden Dense layer(s)",
    )


def applied_after(model: keras.Model, dense: layers.Dense) -> list[str]:
    """The activations a Dense layer's units go through: its own, then any before the next Dense."""
    found = [] if activation_name(dense) in (None, "linear") else [activation_name(dense)]
    for layer in model.layers[model.layers.index(dense) + 1 :]:
        if isinstance(layer, layers.Dense):
            break
        if isinstance(layer, layers.ReLU):
            found.append("relu")
        elif isinstance(layer, layers.Softmax):
            found.append("softmax")
        elif isinstance(layer, layers.Activation) and activation_name(layer) != "linear":
            found.append(activation_name(layer))
    return found


def output_layer(model: keras.Model, shapes: dict[int, str]) -> Rule:
    """The last Dense layer has one of the allowed widths, followed by that width's activation."""
    dense = dense_layers(model, include_output=True)
    wanted = " or ".join(f"Dense({units}) then {act}" for units, act in shapes.items())
    if not dense:
        return Rule("output", False, "no Dense layer", wanted, f"end the model with {wanted}")
    out = dense[-1]
    applied = applied_after(model, out)
    measured = f"Dense({out.units})" + "".join(f" then {act}" for act in applied)
    ok = out.units in shapes and applied == [shapes[out.units]]
    return Rule("output", ok, measured, wanted, f"end the model with {wanted}")


def unit_activations(model: keras.Model, hidden: Sequence[str], output: Sequence[str]) -> Rule:
    """Each hidden Dense layer's units apply one of `hidden`; the output's, one of `output`."""
    dense = dense_layers(model, include_output=True)
    bad = []
    for i, layer in enumerate(dense):
        allowed = output if i == len(dense) - 1 else hidden
        applied = applied_after(model, layer) or ["linear"]
        if len(applied) != 1 or applied[0] not in allowed:
            bad.append(f"{layer.name} ({' then '.join(applied)})")
    return Rule(
        "ReLU units",
        not bad,
        "not allowed: " + ", ".join(bad) if bad else f"{len(dense)} Dense layer(s), all allowed",
        f"hidden units {'/'.join(hidden)}, output {'/'.join(output)}",
        "give each hidden Dense layer activation='relu' (or a ReLU layer after it)",
    )


def linear_hidden(model: keras.Model, width: int) -> Rule:
    """Exactly one hidden Dense layer, `width` units wide, with no activation after it."""
    hidden = dense_layers(model, include_output=False)
    shown = [
        f"Dense({layer.units})" + "".join(f" then {a}" for a in applied_after(model, layer))
        for layer in hidden
    ]
    ok = len(hidden) == 1 and hidden[0].units == width and not applied_after(model, hidden[0])
    return Rule(
        "one linear layer",
        ok,
        ", ".join(shown) or "no hidden layer",
        f"one hidden Dense({width}), no activation",
        f"use exactly one hidden layers.Dense({width}) with no activation",
    )
