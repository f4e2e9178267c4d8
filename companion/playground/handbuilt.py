"""Networks written down by hand: a Keras model from explicit weights, and its truth table.

`model_from_weights([(W1, b1), (W2, b2)])` builds dense layers whose kernels and biases
are exactly those given (W has shape inputs × units), so a drawn network (OR with one
ReLU, XOR with two) can be run and checked on every binary input.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import keras
import numpy as np
import pandas as pd
from keras import layers


def _as_layer_weights(kernel, bias, index: int, fan_in: int) -> tuple[np.ndarray, np.ndarray]:
    kernel = np.asarray(kernel, dtype="float32")
    if kernel.ndim == 1:
        kernel = kernel[:, None]  # a single unit's weights
    bias = np.atleast_1d(np.asarray(bias, dtype="float32"))
    if kernel.ndim != 2 or kernel.shape[0] != fan_in:
        raise ValueError(
            f"layer {index + 1}: kernel must have shape ({fan_in}, units) "
            f"(inputs × units), got {kernel.shape}"
        )
    if bias.shape != (kernel.shape[1],):
        raise ValueError(
            f"layer {index + 1}: bias must have one value per unit ({kernel.shape[1]}), "
            f"got shape {bias.shape}"
        )
    return kernel, bias


def model_from_weights(
    weights: Sequence[tuple],
    *,
    activation: str | Sequence[str] = "relu",
    inputs: int | None = None,
    name: str = "handbuilt",
) -> keras.Model:
    """A dense network whose weights are exactly the given ones.

    Args:
        weights: one (kernel, bias) per layer, the last being the output layer; a kernel
            has shape (inputs, units), or (inputs,) for a single unit.
        activation: one activation for every layer, or one per layer.
        inputs: the number of inputs (default: the first kernel's rows).
        name: the model's name.

    Returns:
        An uncompiled Keras model.

    Example:
        OR of two bits with one ReLU unit: `model_from_weights([([2, 2], [-1])])`.
    """
    if not weights:
        raise ValueError("give at least one (kernel, bias) pair")
    activations = [activation] * len(weights) if isinstance(activation, str) else list(activation)
    if len(activations) != len(weights):
        raise ValueError(f"{len(weights)} layers need as many activations, got {len(activations)}")
    first = np.asarray(weights[0][0])
    fan_in = int(inputs if inputs is not None else first.shape[0])
    stack, values = [keras.Input(shape=(fan_in,), name="x")], []
    for i, ((kernel, bias), act) in enumerate(zip(weights, activations)):
        kernel, bias = _as_layer_weights(kernel, bias, i, fan_in)
        last = i == len(weights) - 1
        stack.append(
            layers.Dense(kernel.shape[1], activation=act, name="output" if last else f"h{i + 1}")
        )
        values.append((kernel, bias))
        fan_in = kernel.shape[1]
    model = keras.Sequential(stack, name=name)
    for layer, (kernel, bias) in zip(model.layers, values):
        layer.set_weights([kernel, bias])
    return model


def binary_inputs(n_inputs: int = 2) -> np.ndarray:
    """Every combination of n binary inputs, (2**n, n), in counting order (0,0), (0,1), …."""
    if not 1 <= int(n_inputs) <= 16:
        raise ValueError(f"n_inputs must be in 1..16, got {n_inputs}")
    return np.array(list(itertools.product((0.0, 1.0), repeat=int(n_inputs))), dtype="float32")


def truth_table(
    model: keras.Model,
    target: Callable[..., bool] | None = None,
    *,
    n_inputs: int | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """The model's output on every binary input, checked against a target function.

    The check is the problem set's: where the target is true the output must be ≥ 1,
    where it is false the output must be exactly 0. With `threshold`, the check is looser
    (output ≥ threshold exactly where the target is true), for trained networks.

    Args:
        model: a model with one output unit.
        target: a function of the input bits returning true/false (e.g. `operator.or_`).
        n_inputs: the number of inputs (default: the model's input width).
        threshold: classify by output ≥ threshold instead of the exact rule.

    Returns:
        A DataFrame with x1 … xn, output, and with a target, `target` and `ok`.
    """
    n = int(n_inputs or model.inputs[0].shape[-1])
    x = binary_inputs(n)
    out = keras.ops.convert_to_numpy(model(x, training=False)).reshape(len(x), -1)
    if out.shape[1] != 1:
        raise ValueError(f"truth_table needs a model with one output unit, got {out.shape[1]}")
    table = pd.DataFrame(x.astype(int), columns=[f"x{i + 1}" for i in range(n)])
    table["output"] = out[:, 0].astype(float)
    if target is not None:
        expected = np.array([bool(target(*row)) for row in x.astype(int)])
        table["target"] = expected.astype(int)
        if threshold is None:
            ok = np.where(expected, table["output"] >= 1.0, table["output"] == 0.0)
        else:
            ok = (table["output"] >= threshold) == expected
        table["ok"] = ok
    return table


def computes(model: keras.Model, target: Callable[..., bool], **kwargs) -> bool:
    """True when the model meets the target's rule on every binary input."""
    return bool(truth_table(model, target, **kwargs)["ok"].all())
