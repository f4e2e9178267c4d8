"""TensorFlow Playground's network in Keras, and a fast loop for long runs of small nets.

`playground_model` builds what the Playground's `src/nn.ts` builds: dense hidden layers
with one activation, a tanh output, the loss ½(ŷ − y)² averaged over the batch, plain SGD,
weights U(−0.5, 0.5) and biases 0.1 (or all zeros, or any Keras initialiser). Train it
with `model.fit(..., shuffle=False)` (the Playground never reshuffles), or with `fast_fit`,
which runs many epochs per compiled call and gives the same weights as that `fit`.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from companion.data.playground import canonical_features

log = logging.getLogger(__name__)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OUTPUTS = ("tanh", "linear", "sigmoid", "softmax")
PLAYGROUND_LEARNING_RATE = 0.03
PLAYGROUND_BATCH_SIZE = 10

# model -> compiled functions (the fast loop, the loss), traced once per model and shape
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
        kernel, bias = keras.initializers.RandomUniform(-0.5, 0.5, seed=layer_seed), 0.1
    elif isinstance(init, str) and init == "zeros":
        kernel, bias = "zeros", 0.0
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


def hidden_dense_layers(model: keras.Model) -> list[layers.Dense]:
    """The model's Dense layers except the last (the output)."""
    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    return dense[:-1]


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


def settle_epoch(losses, *, fraction: float = 0.01, atol: float = 1e-4) -> int:
    """The first epoch from which a loss curve stays near its final value for good.

    "Near" means within max(fraction × (largest value − final value), atol) of the final
    value: the run has done all but `fraction` of its total fall and never leaves that band
    again. The absolute floor keeps a flat curve from counting round-off as movement.

    Args:
        losses: one value per epoch, epoch 0 (before training) first.
        fraction: the band's share of the curve's total fall.
        atol: the band's smallest half-width.

    Returns:
        The index (epoch) of the first value from which the curve stays in the band.
    """
    values = np.asarray(losses, dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("settle_epoch needs a non-empty curve of finite values")
    final = values[-1]
    band = max(fraction * (values.max() - final), atol)
    outside = np.nonzero(np.abs(values - final) > band)[0]
    return int(outside[-1] + 1) if outside.size else 0


def settled_epoch(
    losses, *, fraction: float = 0.01, atol: float = 1e-4, hold: float = 0.1
) -> int | None:
    """The settle epoch, or None when the curve has not yet stayed settled long enough.

    A curve that enters its final band only near the end (e.g. at epoch 583 of 600) is
    still moving: a longer run would move its final value and so its band. It counts as
    settled only when it has stayed in the band for at least `hold` of the run.

    Args:
        losses: one value per epoch, epoch 0 (before training) first.
        fraction, atol: the band, as in `settle_epoch`.
        hold: the least share of the run the curve must end with inside the band.

    Returns:
        `settle_epoch(...)`, or None when that epoch is later than (1 − hold) × epochs.
    """
    if not 0 <= hold < 1:
        raise ValueError(f"hold must be in [0, 1), got {hold}")
    epoch = settle_epoch(losses, fraction=fraction, atol=atol)
    epochs = len(np.asarray(losses)) - 1
    return epoch if epoch <= (1 - hold) * epochs else None


def first_epoch_below(losses, level: float) -> int | None:
    """The first epoch whose loss is below `level` (what a user reads off the curve), or None."""
    values = np.asarray(losses, dtype=float)
    below = np.nonzero(values < level)[0]
    return int(below[0]) if below.size else None


def constant_guess_loss(y_train, y_test) -> float:
    """The test loss ½(ŷ − y)² of the best constant a net can learn: the training labels' mean.

    A net whose hidden units carry no information about the input (all dead, or all
    identical with a flat response) can do no better than this: it is the plateau.
    """
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    y_test = np.asarray(y_test, dtype=float).reshape(-1)
    if y_train.size == 0 or y_test.size == 0:
        raise ValueError("constant_guess_loss needs non-empty training and test labels")
    return float(0.5 * np.mean((y_test - y_train.mean()) ** 2))


def plateau_exit(losses, plateau: float, *, drop: float = 0.1) -> int | None:
    """The first epoch whose loss is below (1 − drop) × plateau: the net has left it; or None."""
    if not 0 < drop < 1:
        raise ValueError(f"drop must be in (0, 1), got {drop}")
    return first_epoch_below(losses, (1 - drop) * float(plateau))


def seed_spread(values) -> dict[str, float | None]:
    """Min, median and max over seeds, counting None (never reached) as beyond every number.

    A statistic that falls on a None is None (read: "not within the epochs run");
    `reached` counts the values that are not None and `seeds` all of them.
    """
    values = list(values)
    if not values:
        raise ValueError("seed_spread needs at least one value")
    numbers = [np.inf if v is None or not np.isfinite(v) else float(v) for v in values]
    stats = {"min": min(numbers), "median": float(np.median(numbers)), "max": max(numbers)}
    epochs = all(isinstance(v, (int, np.integer)) for v in values if v is not None)
    out: dict[str, float | None] = {
        k: None if np.isinf(v) else int(v) if epochs and float(v).is_integer() else v
        for k, v in stats.items()
    }
    out["reached"] = int(sum(v is not None and bool(np.isfinite(v)) for v in values))
    out["seeds"] = len(values)
    return out


def model_loss(model: keras.Model, x, y) -> float:
    """The compiled loss on a whole data set at once (the Playground's reported loss)."""
    x, y = np.asarray(x, "float32"), np.asarray(y, "float32")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        cache = _COMPILED.setdefault(model, {})
        if "loss" not in cache:  # traced once per model: the fast loop calls this often
            cache["loss"] = tf.function(_loss_on(model), reduce_retracing=True)
        return float(cache["loss"](tf.constant(x), tf.constant(y)))
    return float(keras.ops.convert_to_numpy(_loss_on(model)(x, y)))


def _loss_on(model: keras.Model):
    def loss_on(x, y):
        return model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)

    return loss_on


# ---------------------------------------------------------------------------------------
# The fast loop: many epochs per compiled call, callbacks every k epochs.


def _batches(x, y, batch_size: int):
    """Full batches stacked as (steps, batch, ...) plus the last partial batch (or None)."""
    steps, remainder = divmod(len(x), batch_size)
    cut = steps * batch_size
    xb = x[:cut].reshape(steps, batch_size, *x.shape[1:])
    yb = y[:cut].reshape(steps, batch_size, *y.shape[1:])
    rest = (x[cut:], y[cut:]) if remainder else None
    return xb, yb, rest


def _make_runner(model: keras.Model, steps: int, partial: bool, validate: bool, jit: bool):
    """A compiled function that trains k epochs in order and returns the per-epoch losses."""
    import tensorflow as tf

    loss_on = _loss_on(model)

    def epoch(xb, yb, xr, yr):
        def step(i):
            model.train_step((xb[i], yb[i]))  # fit's own step: same ops, same weights
            return (i + 1,)

        tf.while_loop(lambda i: i < steps, step, (tf.constant(0),))
        if partial:
            model.train_step((xr, yr))  # the last, smaller batch, as fit does

    @tf.function(jit_compile=jit, reduce_retracing=True)
    def run(k, xb, yb, xr, yr, x, y, xv, yv):
        def body(e, train, test):
            epoch(xb, yb, xr, yr)
            train = train.write(e, tf.cast(loss_on(x, y), tf.float32))
            if validate:
                test = test.write(e, tf.cast(loss_on(xv, yv), tf.float32))
            return e + 1, train, test

        arrays = (tf.TensorArray(tf.float32, size=k), tf.TensorArray(tf.float32, size=k))
        _, train, test = tf.while_loop(lambda e, *_: e < k, body, (tf.constant(0), *arrays))
        return train.stack(), (test.stack() if validate else train.stack())

    return run


def _runner(model, steps, partial, validate, jit):
    key = (steps, partial, validate, jit)
    cache = _COMPILED.setdefault(model, {})
    if key not in cache:
        cache[key] = _make_runner(model, steps, partial, validate, jit)
    return cache[key]


def _stops(epochs: int, every: int | None, callbacks) -> list[int]:
    """The epochs (counted as epochs done) after which the loop hands back to Python."""
    stops = {epochs}
    steps = [every] if every else []
    for callback in callbacks:
        wanted = getattr(callback, "every", None)
        if isinstance(wanted, int) and wanted > 0:
            steps.append(wanted)
        stops.update(int(e) for e in getattr(callback, "at_epochs", ()) if 0 < int(e) <= epochs)
    for k in steps:
        stops.update(range(k, epochs + 1, k))
    return sorted(stops)


def _check_fast(model, epochs, batch_size) -> None:
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "fast_fit needs the TensorFlow backend (KERAS_BACKEND=tensorflow); "
            "with another backend use model.fit(..., shuffle=False)"
        )
    if getattr(model, "optimizer", None) is None or not model.compiled:
        raise ValueError("compile the model before fast_fit (playground_model compiles it)")
    if int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")


def fast_fit(
    model: keras.Model,
    x,
    y,
    *,
    epochs: int,
    batch_size: int = PLAYGROUND_BATCH_SIZE,
    validation_data: tuple | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    every: int | None = None,
    jit_compile: bool = False,
) -> pd.DataFrame:
    """Train like `model.fit(x, y, shuffle=False)`, many epochs per compiled call.

    Each step is the model's own `train_step`, so the weights match plain `fit` with
    `shuffle=False` (bit for bit without XLA on CPU). The losses are the Playground's:
    the loss on the whole training (and test) set after each epoch, plus epoch 0 before
    training, not `fit`'s running mean over the epoch's batches.

    Callbacks get `on_train_begin`, then `on_epoch_begin`/`on_epoch_end` only at the
    epochs where the loop stops: every `every` epochs, every `callback.every` epochs
    for a callback with such an int attribute, the epochs listed in a callback's
    `at_epochs`, and the last. Batch hooks are not called. `model.stop_training` is
    honoured at those stops.

    Args:
        model: a compiled Keras model (TensorFlow backend).
        x, y: training data, used in this order every epoch.
        epochs: epochs to train.
        batch_size: examples per SGD step (the last batch may be smaller, as in `fit`).
        validation_data: (x_test, y_test) scored after every epoch.
        callbacks: Keras callbacks, called at the stops.
        every: also stop every this many epochs (None: only where callbacks ask).
        jit_compile: compile with XLA (faster per step, slower to compile; the results
            then differ from `fit` by float round-off).

    Returns:
        A DataFrame with `epoch` (0 … epochs), `loss` and, with validation data, `val_loss`;
        `frame.attrs["seconds"]` is the wall time.
    """
    import tensorflow as tf

    _check_fast(model, epochs, batch_size)
    epochs, batch_size = int(epochs), int(batch_size)
    x, y = np.asarray(x, "float32"), np.asarray(y, "float32")
    batch_size = min(batch_size, len(x))
    xb, yb, rest = _batches(x, y, batch_size)
    xr, yr = rest if rest is not None else (x[:1], y[:1])
    validate = validation_data is not None
    xv, yv = (np.asarray(a, "float32") for a in validation_data) if validate else (x, y)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    run = _runner(model, len(xb), rest is not None, validate, bool(jit_compile))
    tensors = [tf.constant(a) for a in (xb, yb, xr, yr, x, y, xv, yv)]

    start = time.perf_counter()
    rows = {
        "loss": [model_loss(model, x, y)],
        "val_loss": [model_loss(model, xv, yv) if validate else float("nan")],
    }
    for callback in callbacks:
        callback.set_model(model)
        callback.set_params({"epochs": epochs, "steps": len(xb) + (rest is not None), "verbose": 0})
        callback.on_train_begin({})
    model.stop_training = False
    done = 0
    for stop in _stops(epochs, every, callbacks):
        for callback in callbacks:
            callback.on_epoch_begin(done, {})
        k = stop - done
        train, test = run(k if jit_compile else tf.constant(k), *tensors)
        rows["loss"].extend(train.numpy().tolist())
        rows["val_loss"].extend(test.numpy().tolist() if validate else [float("nan")] * k)
        done = stop
        logs = (
            {"loss": rows["loss"][-1], "val_loss": rows["val_loss"][-1]}
            if validate
            else {"loss": rows["loss"][-1]}
        )
        for callback in callbacks:
            callback.on_epoch_end(done - 1, dict(logs))
        if model.stop_training:
            log.info("fast_fit: stopped by a callback after epoch %d", done)
            break
    for callback in callbacks:
        callback.on_train_end({})
    frame = pd.DataFrame({"epoch": np.arange(len(rows["loss"])), **rows})
    if not validate:
        frame = frame.drop(columns="val_loss")
    frame.attrs["seconds"] = time.perf_counter() - start
    return frame
