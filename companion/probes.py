"""Probes of a network's state: layer outputs, dead units, symmetry, gradients, the loss.

Every function works on any built Keras model and changes nothing in it. Probes called
often (every few epochs of a training run) are traced once per model and kept in one
cache, `traced`, so a probe costs a compiled call rather than a retrace.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import keras
import numpy as np
import pandas as pd

# TensorFlow only under its own backend (Keras has loaded it then: no cost); other
# backends take the portable paths below and never import it.
tf = None
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

# model -> {key: compiled function}; weak, so a model's traces go when the model does
_TRACED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def traced(model: keras.Model, key, build: Callable):
    """The compiled function stored under `key` for this model, built by `build()` once."""
    cache = _TRACED.setdefault(model, {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def dense_layers(model: keras.Model, *, include_output: bool) -> list[keras.layers.Dense]:
    """The model's Dense layers in order; the last one (the output) only if asked."""
    found = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return found if include_output else found[:-1]


def _is_relu(layer) -> bool:
    if isinstance(layer, keras.layers.ReLU):
        return True
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "") == "relu"


def relu_layers(model: keras.Model, *, include_output: bool = False) -> list:
    """The layers whose units are ReLUs (the output layer only if asked)."""
    found = [layer for layer in model.layers if _is_relu(layer)]
    if not include_output and found and found[-1] is model.layers[-1]:
        found = found[:-1]
    return found


def layer_outputs(model: keras.Model, x, layers: list) -> dict[str, np.ndarray]:
    """The outputs of some of a model's layers on inputs x, by layer name."""
    x = np.asarray(x, dtype="float32")
    names = tuple(layer.name for layer in layers)
    if keras.backend.backend() == "tensorflow":
        probe = traced(
            model,
            ("outputs", names),
            lambda: tf.function(_forward_to(model, layers), reduce_retracing=True),
        )
        return {name: out.numpy() for name, out in zip(names, probe(tf.constant(x)))}
    return {n: keras.ops.convert_to_numpy(o) for n, o in zip(names, _forward_to(model, layers)(x))}


def _forward_to(model: keras.Model, layers: list):
    """A function from inputs to the outputs of the given layers."""
    if isinstance(model, keras.Sequential):
        wanted = {id(layer) for layer in layers}

        def walk(x):  # walking the stack avoids building a second model
            found, h = [], x
            for layer in model.layers:
                h = layer(h, training=False)
                if id(layer) in wanted:
                    found.append(h)
            return found

        return walk
    probe = keras.Model(model.inputs, [layer.output for layer in layers])

    def call(x):
        outputs = probe(x, training=False)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    return call


def dead_units(model: keras.Model, x, *, include_output: bool = False) -> dict[str, np.ndarray]:
    """Per ReLU layer, which units output exactly 0 on every input of the probe set x."""
    chosen = relu_layers(model, include_output=include_output)
    if not chosen:
        raise ValueError(f"model {model.name!r} has no hidden ReLU units to check")
    outputs = layer_outputs(model, x, chosen)
    return {name: np.all(out.reshape(len(out), -1) <= 0, axis=0) for name, out in outputs.items()}


def dead_fraction(model: keras.Model, x, *, include_output: bool = False) -> float:
    """The share of ReLU units that output 0 on every input of the probe set x."""
    dead = np.concatenate(list(dead_units(model, x, include_output=include_output).values()))
    return float(dead.mean())


def layer_symmetry(model: keras.Model) -> dict[str, float]:
    """Per hidden Dense layer, the largest difference between two units' incoming weights.

    Each unit's incoming weights are its kernel column and its bias. 0 means every unit
    of the layer computes the same function; layers of one unit are skipped.
    """
    spread = {}
    for layer in dense_layers(model, include_output=False):
        if layer.units < 2:
            continue
        weights = keras.ops.convert_to_numpy(layer.kernel)
        if layer.use_bias:
            weights = np.vstack([weights, keras.ops.convert_to_numpy(layer.bias)[None, :]])
        spread[layer.name] = float((weights.max(axis=1) - weights.min(axis=1)).max())
    return spread


def symmetry(model: keras.Model) -> float:
    """The largest `layer_symmetry` over the hidden layers (0.0: no layer has 2 units)."""
    return max(layer_symmetry(model).values(), default=0.0)


def gradient_table(model: keras.Model, x, y) -> pd.DataFrame:
    """The gradient of the compiled loss on (x, y) at once, one row per weight.

    Columns: layer, weight (kernel or bias), max_abs (largest |gradient|), norm (L2).
    Needs the TensorFlow backend.
    """
    if tf is None:
        raise ValueError("gradient_table needs the TensorFlow backend (KERAS_BACKEND=tensorflow)")
    if getattr(model, "loss", None) is None:
        raise ValueError("compile the model with a loss before asking for its gradients")

    def build():
        @tf.function(reduce_retracing=True)
        def gradients(x, y):
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            return tape.gradient(loss, model.trainable_variables)

        return gradients

    x, y = tf.constant(np.asarray(x, "float32")), tf.constant(np.asarray(y, "float32"))
    variables = model.trainable_variables
    grads = traced(model, "gradients", build)(x, y)
    rows = []
    for variable, grad in zip(variables, grads):
        g = np.zeros(variable.shape) if grad is None else grad.numpy()
        layer, _, weight = variable.path.rpartition("/")
        rows.append(
            {
                "layer": layer.rpartition("/")[2] or layer,
                "weight": weight,
                "max_abs": float(np.abs(g).max()),
                "norm": float(np.sqrt((g.astype("float64") ** 2).sum())),
            }
        )
    return pd.DataFrame(rows)


def gradient_norms(model: keras.Model, x, y) -> dict[str, float]:
    """Per layer, the L2 norm of the loss gradient over its kernel and bias together."""
    table = gradient_table(model, x, y)
    squared = (table["norm"] ** 2).groupby(table["layer"], sort=False).sum()
    return {layer: float(np.sqrt(value)) for layer, value in squared.items()}


def loss_on(model: keras.Model) -> Callable:
    """A function (x, y) -> the model's compiled loss on that whole set (inference mode)."""

    def loss(x, y):
        return model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)

    return loss


def model_loss(model: keras.Model, x, y) -> float:
    """The compiled loss on a whole data set at once (the Playground's reported loss)."""
    x, y = np.asarray(x, "float32"), np.asarray(y, "float32")
    if keras.backend.backend() == "tensorflow":
        # traced once per model: the fast loop calls this often
        compiled = traced(model, "loss", lambda: tf.function(loss_on(model), reduce_retracing=True))
        return float(compiled(tf.constant(x), tf.constant(y)))
    return float(keras.ops.convert_to_numpy(loss_on(model)(x, y)))
