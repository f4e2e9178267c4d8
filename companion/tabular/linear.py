"""Linear networks, and the algebra that shows stacked linear layers are one linear layer.

A Dense layer with no activation computes x W + b. Two of them compute
(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2): one matrix and one bias. So however
many linear layers a net stacks, it can only express what a single one can, and
`collapse_linear` builds that single layer and proves it by equal predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

from companion.errors import RuleError
from companion.probes import dense_layers
from companion.pset import LINEAR_CLASSES, LINEAR_HIDDEN_WIDTH


def linear_net(
    input_dim: int,
    *,
    hidden: Sequence[int] = (LINEAR_HIDDEN_WIDTH,),
    num_classes: int = LINEAR_CLASSES,
    relu: bool = False,
    name: str = "linear_net",
) -> keras.Sequential:
    """Input -> Dense(h) for each h in `hidden` (no activation) -> Dense(num_classes) -> Softmax.

    Args:
        input_dim: number of input features.
        hidden: widths of the hidden layers; (5,) is problem 2C's net, (5, 5) is 2D's.
        num_classes: width of the output layer (2 for a yes/no softmax).
        relu: put a ReLU after each hidden layer, which makes the net non-linear.
        name: the model's name.
    """
    if int(input_dim) < 1:
        raise ValueError(f"input_dim must be at least 1, got {input_dim}")
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"hidden widths must be at least 1, got {list(hidden)}")
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=(int(input_dim),)))
    for i, width in enumerate(hidden, start=1):
        model.add(layers.Dense(int(width), name=f"hidden_{i}"))
        if relu:
            model.add(layers.ReLU(name=f"relu_{i}"))
    model.add(layers.Dense(int(num_classes), name="output"))
    model.add(layers.Softmax(name="softmax"))
    return model


def is_linear_dense(layer: keras.layers.Layer) -> bool:
    """True for a Dense layer whose activation is the identity."""
    return isinstance(layer, layers.Dense) and layer.activation is keras.activations.linear


def multiply_out(denses: Sequence[keras.layers.Layer]) -> tuple[np.ndarray, np.ndarray]:
    """The one matrix W and bias b that the given Dense layers compute, in float64.

    Applied in order, layers x -> x W_i + b_i give x W + b with W = W_1 W_2 ... W_k and
    b = (...((b_1 W_2 + b_2) W_3 + b_3)...). Whatever sits between them (a ReLU) is
    ignored, which is exactly what the ReLU comparison of problem 2D needs.

    Raises:
        RuleError: a layer is not a Dense layer with the identity activation.
    """
    if not denses:
        raise ValueError("multiply_out needs at least one Dense layer")
    matrix = bias = None
    for layer in denses:
        if not is_linear_dense(layer):
            raise RuleError(
                f"layer {layer.name!r} ({type(layer).__name__}) is not a Dense layer without "
                "activation, so it cannot be multiplied out"
            )
        kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float64")
        b = (
            keras.ops.convert_to_numpy(layer.bias).astype("float64")
            if layer.use_bias
            else np.zeros(kernel.shape[1])
        )
        matrix, bias = (kernel, b) if matrix is None else (matrix @ kernel, bias @ kernel + b)
    return matrix, bias


def check_linear(model: keras.Model) -> None:
    """Raise RuleError unless every layer is a linear Dense, save a final Softmax."""
    for i, layer in enumerate(model.layers):
        final_softmax = i == len(model.layers) - 1 and isinstance(layer, layers.Softmax)
        if not (is_linear_dense(layer) or final_softmax):
            raise RuleError(
                f"{model.name}: layer {layer.name!r} ({type(layer).__name__}) is not linear; "
                "only Dense layers without activation (and a final Softmax) can be multiplied "
                "out into one layer"
            )


def collapse_linear(model: keras.Model, *, name: str = "collapsed") -> keras.Sequential:
    """The one-hidden-layer net that computes exactly what a deeper linear net computes.

    The hidden layers are multiplied out into one (input_dim x last width) layer; the
    output layer is copied. Predictions agree to float32 rounding.

    Raises:
        RuleError: the model has a non-linear layer (a ReLU, a Dense with activation).
    """
    check_linear(model)
    denses = dense_layers(model, include_output=True)
    if len(denses) < 2:
        raise RuleError(f"{model.name} has no hidden layer to collapse")
    *hidden, output = denses
    matrix, bias = multiply_out(hidden)
    collapsed = linear_net(
        matrix.shape[0], hidden=(matrix.shape[1],), num_classes=output.units, name=name
    )
    first, last = dense_layers(collapsed, include_output=True)
    first.set_weights([matrix.astype("float32"), bias.astype("float32")])
    last.set_weights([np.asarray(w) for w in output.get_weights()])
    return collapsed


def log_odds_weights(model: keras.Model) -> tuple[np.ndarray, float]:
    """For a linear 2-way softmax net: each input's weight on the log-odds of class 1.

    softmax([z0, z1]) gives log(p1 / p0) = z1 - z0 = x (W[:, 1] - W[:, 0]) + (b1 - b0),
    with W, b the whole net multiplied out: a logistic regression in disguise.
    """
    check_linear(model)
    matrix, bias = multiply_out(dense_layers(model, include_output=True))
    if matrix.shape[1] != 2:
        raise ValueError(f"log-odds need a 2-way output, got {matrix.shape[1]} classes")
    return matrix[:, 1] - matrix[:, 0], float(bias[1] - bias[0])
