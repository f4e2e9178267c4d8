"""`fast_fit`: many epochs of a small net per compiled call, with the weights of `fit`.

Keras' `fit` returns to Python after every batch and epoch; for the Playground's nets (25
steps an epoch, thousands of epochs) that overhead is nearly all the time. `fast_fit`
runs k epochs inside one traced `tf.while_loop` of the model's own `train_step`, handing
back to Python only where a callback asks (see benchmarks/bench_playground.py: about 50×
faster than `fit` on the 4000-epoch demo, same weights).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd

from companion.probes import loss_on, model_loss, traced
from companion.pset import PLAYGROUND_BATCH_SIZE  # the Playground's batch, fast_fit's default

# fast_fit is TensorFlow's (checked by _check_fast): Keras has loaded it then, at no cost
tf = None
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

log = logging.getLogger(__name__)


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
    loss = loss_on(model)

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
            train = train.write(e, tf.cast(loss(x, y), tf.float32))
            if validate:
                test = test.write(e, tf.cast(loss(xv, yv), tf.float32))
            return e + 1, train, test

        arrays = (tf.TensorArray(tf.float32, size=k), tf.TensorArray(tf.float32, size=k))
        _, train, test = tf.while_loop(lambda e, *_: e < k, body, (tf.constant(0), *arrays))
        return train.stack(), (test.stack() if validate else train.stack())

    return run


def _runner(model, steps, partial, validate, jit):
    key = ("fast_fit", steps, partial, validate, jit)
    return traced(model, key, lambda: _make_runner(model, steps, partial, validate, jit))


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
