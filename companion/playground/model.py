"""TensorFlow Playground's network in Keras, and a fast loop for long runs of small nets.

`playground_model` builds what the Playground's `src/nn.ts` builds: dense hidden layers
with one activation, a tanh output, the loss ½(ŷ − y)² averaged over the batch, plain SGD,
weights U(−0.5, 0.5) and biases 0.1 (or all zeros, or any Keras initialiser). Train it
with `model.fit(..., shuffle=False)` (the Playground never reshuffles), or with `fast_fit`
(`companion.playground.fastfit`), which runs many epochs per compiled call and gives the
same weights as that `fit`. Loss curves are read by `companion.playground.curves`; probes
are in `companion.probes`.

Chapter 1 writes its nets out as Keras (`playground_net` for 1A/1B, `dying_net` for 1C);
this builder covers any widths, features and outputs, and tests/test_ch1.py checks the
chapter's nets against it layer by layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from companion.data.playground import canonical_features
from companion.pset import PLAYGROUND_INIT_BIAS, PLAYGROUND_INIT_RANGE, PLAYGROUND_LEARNING_RATE

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OUTPUTS = ("tanh", "linear", "sigmoid", "softmax")


@keras.saving.register_keras_serializable(package="companion")
def half_squared_error(y_true, y_pred):
    """The Playground's loss, ½(ŷ − y)² per example (Keras' MSE without the ½)."""
    return 0.5 * keras.losses.mean_squared_error(y_true, y_pred)


@keras.saving.register_keras_serializable(package="companion")
class PlaygroundFeatures(layers.Layer):
    """Maps raw points (x1, x2) to the chosen Playground input features, inside the model.

    Keeping the features in the model lets every plot and probe feed it raw points.
    """

    def __init__(self, features: Sequence[str] = ("x1", "x2"), **kwargs):
        super().__init__(**kwargs)
        self.features = canonical_features(features)

    def call(self, inputs):
        ops = keras.ops
        a, b = inputs[..., 0], inputs[..., 1]
        table = {
            "x1": lambda: a,
            "x2": lambda: b,
            "x1_squared": lambda: a * a,
            "x2_squared": lambda: b * b,
            "x1_x2": lambda: a * b,
            "sin_x1": lambda: ops.sin(a),
            "sin_x2": lambda: ops.sin(b),
        }
        return ops.stack([table[f]() for f in self.features], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.features))

    def get_config(self):
        return {**super().get_config(), "features": list(self.features)}


def _initializers(init, bias_init, seed: int | None, index: int):
    """Fresh (kernel, bias) initialisers for one layer; a seed gives each layer its own."""
    layer_seed = None if seed is None else int(seed) + 1000 * index

    def fresh(spec):
        config = keras.initializers.serialize(keras.initializers.get(spec))
        if layer_seed is not None and "seed" in config.get("config", {}):
            config["config"]["seed"] = layer_seed
        return keras.initializers.deserialize(config)

    if isinstance(init, str) and init == "playground":
        limit = PLAYGROUND_INIT_RANGE
        uniform = keras.initializers.RandomUniform(-limit, limit, seed=layer_seed)
        kernel, bias = uniform, PLAYGROUND_INIT_BIAS
    elif isinstance(init, str) and init == "zeros":
        kernel, bias = "zeros", "zeros"
    else:
        try:
            kernel = fresh(init)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"init must be 'playground', 'zeros' or a Keras initialiser, got {init!r}"
            ) from error
        bias = 0.0
    if bias_init is not None:
        bias = bias_init
    bias = keras.initializers.Constant(bias) if isinstance(bias, (int, float)) else fresh(bias)
    kernel = fresh(kernel) if not isinstance(kernel, keras.initializers.Initializer) else kernel
    return kernel, bias


def playground_model(
    hidden: Sequence[int] = (4, 2),
    *,
    activation: str = "tanh",
    features: Sequence[str] = ("x1", "x2"),
    init: Any = "playground",
    bias_init: Any = None,
    output: str = "tanh",
    learning_rate: float = PLAYGROUND_LEARNING_RATE,
    loss: Any = None,
    metrics: Sequence = (),
    seed: int | None = None,
    compile: bool = True,
    name: str = "playground",
) -> keras.Model:
    """The Playground's network: dense hidden layers, a tanh output, ½(ŷ − y)², plain SGD.

    Args:
        hidden: units per hidden layer (the Playground allows up to 6 layers of 8).
        activation: relu, tanh (the Playground's default), sigmoid or linear.
        features: input features among x1, x2, x1_squared, x2_squared, x1_x2, sin_x1,
            sin_x2 (Playground ids such as 'xSquared' work too); the model takes raw points.
        init: "playground" (weights U(−0.5, 0.5), biases 0.1), "zeros" (weights and biases
            0, the Playground's `initZero`) or any Keras initialiser for the weights
            (biases 0 then).
        bias_init: overrides the biases' initialiser (a number or a Keras initialiser).
        output: "tanh" (classification on ±1 labels, the Playground's), "linear"
            (regression), "sigmoid" (one unit) or "softmax" (two units) for 0/1 labels.
        learning_rate: plain SGD's rate (the Playground's default 0.03).
        loss: the loss; None picks ½(ŷ − y)² for tanh/linear, cross-entropy otherwise.
        metrics: passed to `compile`.
        seed: seeds the initialisers (None: from the global seed set by `set_seed`).
        compile: compile with SGD and the loss.
        name: the model's name.

    Returns:
        A Keras model that takes points of shape (n, 2).
    """
    hidden = [int(h) for h in hidden]
    if any(h < 1 for h in hidden):
        raise ValueError(f"every hidden layer needs at least 1 unit, got {hidden}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    features = canonical_features(features)
    stack: list[layers.Layer] = [keras.Input(shape=(2,), name="points")]
    if features != ("x1", "x2"):
        stack.append(PlaygroundFeatures(features, name="features"))
    for i, units in enumerate(hidden):
        kernel, bias = _initializers(init, bias_init, seed, i)
        stack.append(
            layers.Dense(
                units,
                activation=activation,
                kernel_initializer=kernel,
                bias_initializer=bias,
                name=f"hidden_{i + 1}",
            )
        )
    kernel, bias = _initializers(init, bias_init, seed, len(hidden))
    stack.append(
        layers.Dense(
            2 if output == "softmax" else 1,
            activation=output,
            kernel_initializer=kernel,
            bias_initializer=bias,
            name="output",
        )
    )
    model = keras.Sequential(stack, name=name)
    if compile:
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
            loss=loss or _default_loss(output),
            metrics=list(metrics),
        )
    return model


def _default_loss(output: str):
    if output == "softmax":
        return "sparse_categorical_crossentropy"
    if output == "sigmoid":
        return "binary_crossentropy"
    return half_squared_error


def reinitialize(model: keras.Model, seed: int) -> keras.Model:
    """Draw every layer's weights afresh from its own initialisers, with a new seed.

    Reusing one model (and its compiled loop) for many starts is much faster than
    building a new one per start. Optimizer state (momenta, the step count) is reset too.
    """
    for index, layer in enumerate(model.layers):
        for attribute in ("kernel", "bias"):
            variable = getattr(layer, attribute, None)
            initializer = getattr(layer, f"{attribute}_initializer", None)
            if variable is None or initializer is None:
                continue
            config = keras.initializers.serialize(initializer)
            if "seed" in config.get("config", {}):
                config["config"]["seed"] = int(seed) * 7919 + 2 * index + (attribute == "bias")
            fresh = keras.initializers.deserialize(config)
            variable.assign(fresh(variable.shape, variable.dtype))
    _reset_optimizer(model)
    return model


def restart_from(model: keras.Model, start: keras.Model) -> keras.Model:
    """Give a compiled model another model's weights and a fresh optimizer; return it.

    Training many starts on one model reuses its traced loop (a new model traces anew,
    about a second each): build each start with `playground_model(..., compile=False)`,
    copy it in, train, and copy the final weights back out if they are to be kept.
    """
    if len(model.weights) != len(start.weights):
        raise ValueError(
            f"start has {len(start.weights)} weights, the model {len(model.weights)}: "
            "build both with the same hidden layers and features"
        )
    model.set_weights(start.get_weights())
    _reset_optimizer(model)
    return model


def _reset_optimizer(model: keras.Model) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        for variable in optimizer.variables:
            if variable.name != "learning_rate":  # keep the rate; clear steps and momenta
                variable.assign(keras.ops.zeros_like(variable))


def predict_points(model: keras.Model, x, *, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs on points, as a NumPy array (no progress bar, no retracing)."""
    x = np.asarray(x, dtype="float32")
    parts = [
        keras.ops.convert_to_numpy(model(x[i : i + batch_size], training=False))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, 1), "float32")


def classification_accuracy(model: keras.Model, x, y) -> float:
    """Share of points classified right: sign of a 1-unit output for ±1 labels, threshold
    0.5 for 0/1 labels with a sigmoid, argmax for two or more outputs (0/1 labels)."""
    out = predict_points(model, x)
    y = np.asarray(y).reshape(-1)
    if out.shape[-1] > 1:
        predicted = out.argmax(axis=-1)
        truth = (y > 0).astype(int)
    elif y.min() < 0:
        predicted, truth = np.where(out[:, 0] >= 0, 1, -1), np.where(y >= 0, 1, -1)
    else:
        predicted, truth = (out[:, 0] >= 0.5).astype(int), (y >= 0.5).astype(int)
    return float(np.mean(predicted == truth))
