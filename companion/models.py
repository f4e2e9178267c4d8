"""Model builders in Keras 3 style and a checker for a problem's model rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
from keras import layers

from companion import pset
from companion.errors import RuleError


def check_rate(rate: float, name: str = "dropout") -> float:
    """Return a dropout rate, or raise if it is outside [0, 1)."""
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {rate}")
    return float(rate)


def cnn(
    *,
    input_shape: tuple[int, int, int] = (28, 28, 1),
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    padding: str = "same",
    batch_norm: bool = True,
    conv_dropout: float = 0.1,
    dense_units: Sequence[int] = (128,),
    dropout: float = 0.1,
    num_classes: int = 10,
    bn_momentum: float = 0.9,
    pool_first: bool = False,
    l2: float = 0.0,
    name: str = "cnn",
) -> keras.Sequential:
    """A Sequential CNN: per entry of `filters`, Conv2D → [BatchNorm] → ReLU → MaxPool → Dropout.

    `pool_first=True` orders each block Conv2D → MaxPool → [BatchNorm] → ReLU → Dropout:
    max pooling commutes with ReLU, so the block computes the same kind of function, while
    batch norm and ReLU see a quarter of the values (about a quarter less time per step on a
    CPU; see benchmarks/bench_cnn.py).

    Then Flatten, the Dense layers of `dense_units` (each ReLU → Dropout) and a softmax
    output. Activations are separate ReLU/Softmax layers, so the model obeys the problem
    set's list of allowed layers. Dropout layers with rate 0 are kept (as identity), so a
    sweep over rates always changes the same layers. `l2` > 0 adds an L2 penalty
    `l2 · Σw²` on every Conv2D and Dense kernel (biases and batch norm are not penalised).
    """
    check_rate(conv_dropout, "conv_dropout")
    check_rate(dropout)
    _check_cnn_shape(input_shape, filters, kernel_size, padding, dense_units, num_classes)
    if not float(l2) >= 0.0:
        raise ValueError(f"l2 must be 0 or more, got {l2}")
    penalty = keras.regularizers.L2(float(l2)) if l2 > 0 else None
    # The layers go to Sequential in one list: adding them one by one rebuilds the model
    # after each (about 30% more time per CNN, which a 72-trial search pays every trial).
    stack = [keras.Input(shape=input_shape)]
    for width in filters:
        # A conv followed by batch norm needs no bias: BN's beta does its job.
        stack.append(
            layers.Conv2D(
                width,
                kernel_size,
                padding=padding,
                use_bias=not batch_norm,
                kernel_regularizer=penalty,
            )
        )
        if pool_first:
            stack.append(layers.MaxPooling2D(2))
        if batch_norm:
            # Momentum 0.9 (Keras' default is 0.99): the moving statistics used at
            # inference settle within a few hundred steps, so short runs (1-epoch sweeps,
            # tuner trials on subsets) are scored fairly.
            stack.append(layers.BatchNormalization(momentum=bn_momentum))
        stack.append(layers.ReLU())
        if not pool_first:
            stack.append(layers.MaxPooling2D(2))
        stack.append(layers.Dropout(conv_dropout))
    stack.append(layers.Flatten())
    for units in dense_units:
        stack += [layers.Dense(units, kernel_regularizer=penalty), layers.ReLU()]
        stack.append(layers.Dropout(dropout))
    stack += [layers.Dense(num_classes, kernel_regularizer=penalty), layers.Softmax()]
    return keras.Sequential(stack, name=name)


def _check_cnn_shape(input_shape, filters, kernel_size, padding, dense_units, num_classes) -> None:
    """Refuse shapes that would build a model other than the one asked for."""
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    if not filters or any(int(f) < 1 for f in filters):
        raise ValueError(
            f"filters must list at least one positive width per conv block, got {filters!r}; "
            "for a model without convolutions use companion.mlp"
        )
    if any(int(u) < 1 for u in dense_units):
        raise ValueError(f"every entry of dense_units must be at least 1, got {dense_units!r}")
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    size = min(input_shape[:2])
    for block in range(1, len(filters) + 1):
        # each block: a conv (shrinks by kernel_size - 1 when valid), then a 2x2 max pool
        size = (size - (kernel_size - 1 if padding == "valid" else 0)) // 2
        if size < 1:
            raise ValueError(
                f"a {input_shape[0]}×{input_shape[1]} input has no pixels left after conv "
                f"block {block} of {len(filters)}; use fewer filters or padding='same'"
            )


@dataclass(frozen=True)
class ModelRules:
    """Rules a model must obey, e.g. those of a problem set.

    Args:
        name: what the rules are (used in error messages).
        allowed: layer class names that may appear (the input layer is always allowed).
        max_params: the largest parameter count allowed (None: no limit).
        required: layer class names that must appear at least once (a Dropout counts
            only when its rate is above 0: a rate-0 Dropout drops nothing).
        sequential: the model must be a `keras.Sequential`.
        activations: activations allowed inside Dense/Conv2D layers.
        checks: further rules, checked in order after the others: each takes the model
            and returns None, or what the model breaks (the error message after the name).
    """

    name: str
    allowed: tuple[str, ...]
    max_params: int | None = None
    required: tuple[str, ...] = ()
    sequential: bool = True
    activations: tuple[str, ...] = ("linear", "relu", "softmax")
    checks: tuple[Callable[[keras.Model], str | None], ...] = ()


# The set's 4F rules; the facts live in companion.pset.
CNN_RULES = ModelRules(
    name=pset.CNN_RULES_NAME,
    allowed=pset.CNN_ALLOWED_LAYERS,
    max_params=pset.CNN_MAX_PARAMS,
    required=pset.CNN_REQUIRED_LAYERS,
    sequential=pset.CNN_SEQUENTIAL,
)


def dropout_rate(layer: layers.Dropout) -> float:
    """The rate a Dropout layer applies now (a sweep's variable rate included)."""
    return float(getattr(layer, "current_rate", layer.rate))


def _acts(layer) -> bool:
    # A Dropout of rate 0 is an identity: it must not satisfy a "needs dropout" rule.
    return not isinstance(layer, layers.Dropout) or dropout_rate(layer) > 0


def check_model(model: keras.Model, rules: ModelRules) -> None:
    """Raise RuleError naming the first rule the model breaks; return None if it obeys all."""
    broken = _first_broken(model, rules)
    if broken:
        raise RuleError(f"{rules.name}: {broken}")


def _first_broken(model: keras.Model, rules: ModelRules) -> str | None:
    """What the model breaks first, rules in a fixed order; None when it obeys them all."""
    if rules.sequential and not isinstance(model, keras.Sequential):
        return f"the model must be a keras.Sequential, got {type(model).__name__}"
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in rules.allowed and kind != "InputLayer":
            return (
                f"layer {layer.name!r} is a {kind}, which is not allowed; "
                f"use only {', '.join(rules.allowed)}"
            )
    for layer in model.layers:
        act_name = activation_name(layer)
        if act_name and act_name not in rules.activations:
            return (
                f"layer {layer.name!r} uses activation {act_name!r}; "
                f"allowed: {', '.join(rules.activations)}"
            )
    kinds = [type(layer).__name__ for layer in model.layers]
    for kind in rules.required:
        if kind not in kinds:
            return f"the model needs at least one {kind} layer"
        if not any(type(layer).__name__ == kind and _acts(layer) for layer in model.layers):
            return (
                f"every {kind} layer has rate 0, which drops nothing; "
                f"give at least one {kind} layer a rate above 0"
            )
    if rules.max_params is not None and model.count_params() > rules.max_params:
        return (
            f"the model has {model.count_params():,} parameters; the limit is {rules.max_params:,}"
        )
    for check in rules.checks:
        broken = check(model)
        if broken:
            return broken
    return None


def activation_name(layer: keras.layers.Layer) -> str | None:
    """The name of the activation inside a layer (Dense, Conv2D), or None if it has none."""
    activation = getattr(layer, "activation", None)
    return None if activation is None else getattr(activation, "__name__", str(activation))
