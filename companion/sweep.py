"""Sweeps and searches that reuse one traced model instead of building one per trial."""

from __future__ import annotations

import contextlib
import gc
import random
from collections.abc import Callable, Iterator, Mapping, Sequence

import keras
import numpy as np
import pandas as pd
from keras import layers, ops

from companion.models import check_rate
from companion.seed import derive_seed, set_seed
from companion.training import correct_predictions, train


class VariableDropout(layers.Dropout):
    """Dropout whose rate is read from a shared variable at run time.

    Keras' Dropout bakes its rate into the traced train step, so each new rate costs a new
    trace (about 2 s per model here). Reading the rate from a variable lets one traced
    step serve every rate of a sweep. It draws masks the way Keras' Dropout does: keep a
    unit when a uniform draw is at least the rate, and scale kept units by 1 / (1 - rate).
    """

    def __init__(self, rate_variable: keras.Variable, **kwargs):
        super().__init__(0.5, **kwargs)  # any rate > 0 gives the layer its seed generator
        # Held outside Keras' tracking: the shared rate is not a weight of each layer (it
        # would add one "parameter" per Dropout to count_params).
        object.__setattr__(self, "rate_variable", rate_variable)

    @property
    def current_rate(self) -> float:
        """The rate the layer applies now."""
        return float(ops.convert_to_numpy(self.rate_variable))

    def call(self, inputs, training=False):
        if not training:
            return inputs
        rate = ops.cast(self.rate_variable, inputs.dtype)
        noise = keras.random.uniform(
            ops.shape(inputs), seed=self.seed_generator, dtype=inputs.dtype
        )
        return ops.where(noise >= rate, inputs / (1.0 - rate), ops.zeros_like(inputs))


class DropoutSweep:
    """Train one model at several dropout rates, each from fresh weights, with one trace.

    `build(rate)` makes a fresh model for a rate (its weights are that rate's starting
    point, so seed before calling `start`); `compile_model(model)` compiles the sweep's
    model once. `start(rate)` returns the model ready to train at `rate`: the fresh
    weights copied in (batch-norm statistics included), the optimizer's state back to
    its start, every Dropout at `rate`, new dropout masks drawn from the global seed.

    Example:
        sweep = DropoutSweep(lambda r: my_cnn(dropout=r), lambda m: m.compile("adam", ...))
        for rate in (0.0, 0.1, 0.2):
            set_seed(rate_seed)
            model = sweep.start(rate)
            model.fit(x, y, epochs=1)
    """

    def __init__(
        self,
        build: Callable[[float], keras.Model] | None,
        compile_model: Callable[[keras.Model], None],
    ):
        self.build = build  # None: each fresh model is given to `start_from` instead
        self.compile_model = compile_model
        self.rate = keras.Variable(0.0, trainable=False, dtype="float32", name="sweep_rate")
        self.model: keras.Model | None = None
        self._optimizer_start: list[np.ndarray] = []

    def start(self, rate: float) -> keras.Model:
        """The sweep's model, reset to fresh weights and set to `rate`."""
        if self.build is None:
            raise ValueError("this sweep has no build(rate): give fresh models to start_from")
        rate = check_rate(rate)
        return self.start_from(self.build(rate), rate)

    def start_from(self, fresh: keras.Model, rate: float) -> keras.Model:
        """The sweep's model with `fresh`'s weights, set to `rate` (same architecture each time)."""
        rate = check_rate(rate)
        if self.model is None:
            self.model = self._clone(fresh)
        else:
            for variable, value in zip(self.model.optimizer.variables, self._optimizer_start):
                variable.assign(value)
        self.model.set_weights(fresh.get_weights())
        self.rate.assign(rate)
        for layer in self.model.layers:
            if isinstance(layer, VariableDropout):
                layer.seed_generator.state.assign([random.randint(1, 2**30), 0])
        return self.model

    def _clone(self, fresh: keras.Model) -> keras.Model:
        def swap(layer):
            if isinstance(layer, layers.Dropout):
                return VariableDropout(self.rate, name=layer.name)
            return layer.__class__.from_config(layer.get_config())

        if not any(isinstance(layer, layers.Dropout) for layer in fresh.layers):
            raise ValueError("the model has no Dropout layer: there is nothing to sweep")
        model = keras.models.clone_model(fresh, clone_function=swap)
        self.compile_model(model)
        if getattr(model, "optimizer", None) is None:
            raise ValueError("compile_model must compile the model it is given")
        # Built now so its starting state can be restored before each rate.
        model.optimizer.build(model.trainable_variables)
        self._optimizer_start = [ops.convert_to_numpy(v) for v in model.optimizer.variables]
        return model


def score_rates(
    sweep: DropoutSweep,
    rates: Sequence[float],
    batches: Callable[[int], object],
    splits: Mapping[str, tuple],
    *,
    epochs: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """Train the sweep's model at each rate from fresh seeded weights; score it on each split.

    Each rate gets its own seed derived from `seed`, so a rate's row is the same whether
    or not other rates ran before it.

    Args:
        sweep: the DropoutSweep (its compile sets the optimizer and the steps per call).
        rates: dropout rates in [0, 1).
        batches: seed -> the training pipeline (a tf.data.Dataset that batches itself).
        splits: name -> (x, integer labels); the rows get a `<name>_accuracy` column each,
            all scored in one predict call.
        epochs: epochs per rate.
        seed: the sweep's seed.

    Returns:
        One row per rate: `rate` and the accuracy on each split.
    """
    rows = []
    for rate in rates:
        rate_seed = derive_seed(seed, f"rate-{rate}")
        set_seed(rate_seed)  # the fresh weights and the dropout masks
        model = sweep.start(rate)
        name = f"rate {rate:g}"  # what progress lines call this training
        train(model, batches(rate_seed), epochs=epochs, optimizer=None, curves=False, name=name)
        hits = correct_predictions(model, *splits.values())
        row = {f"{name}_accuracy": float(h.mean()) for name, h in zip(splits, hits)}
        rows.append({"rate": float(rate), **row})
    return pd.DataFrame(rows)


def choose_rate(sweep: pd.DataFrame, tolerance: float, column: str = "val_accuracy") -> float:
    """The largest rate above 0 whose score is within `tolerance` of the sweep's best.

    Short training favours weak regularisation, so near-ties go to the stronger rate.
    Rate 0 is a reference, never the choice (a Dropout of rate 0 drops nothing). If no
    rate above 0 is within `tolerance`, the best rate above 0.
    """
    positive = sweep[sweep["rate"] > 0]
    if positive.empty:
        raise ValueError("the sweep has no rate above 0; dropout needs a rate above 0")
    close = positive[positive[column] >= sweep[column].max() - tolerance]
    if close.empty:
        return float(positive.loc[positive[column].idxmax(), "rate"])
    return float(close["rate"].max())


class SweepHyperModel:
    """A keras-tuner build function for searches over dropout rate and learning rate only.

    keras-tuner builds, compiles and traces a new model for every trial, which costs
    more than a one-epoch trial on a few thousand images takes to train (12 such trials
    took 149 s with a new model each, 62 s with this class, under the same load). When
    the only hyperparameters are every Dropout's rate and the optimizer's learning rate,
    one traced model can serve every trial of every search. Each call runs `build(hp)`,
    which declares the trial's hyperparameters and returns its fresh compiled model; the
    shared model (a clone of the first, compiled the same way) takes that model's weights,
    its Dropout rate and its optimizer's learning rate, with a fresh optimizer state
    (`DropoutSweep.start_from`). Pass it to `companion.search.tuning.make_tuner` in place of
    `build`.

    Args:
        build: keras-tuner's `build(hp)`: the same architecture for every `hp`, all its
            Dropout layers at one rate, compiled with a plain learning rate (a schedule
            would ignore the trial's learning rate).
    """

    def __init__(self, build: Callable[[object], keras.Model]):
        self.build = build
        self.sweep: DropoutSweep | None = None

    def __call__(self, hp) -> keras.Model:
        fresh = self.build(hp)
        rate = dropout_rate(fresh)
        learning_rate = float(ops.convert_to_numpy(fresh.optimizer.learning_rate))
        if self.sweep is None:
            config = fresh.get_compile_config()
            self.sweep = DropoutSweep(None, lambda model: model.compile_from_config(config))
        model = self.sweep.start_from(fresh, rate)
        try:
            model.optimizer.learning_rate.assign(learning_rate)
        except AttributeError:
            raise ValueError(
                "build(hp) must give the optimizer a plain learning rate, not a schedule: "
                "a search sets the learning rate of each trial"
            ) from None
        return model


def dropout_rate(model: keras.Model) -> float:
    """The one rate of `model`'s Dropout layers (0 when it has none)."""
    rates = {float(layer.rate) for layer in model.layers if isinstance(layer, layers.Dropout)}
    if len(rates) > 1:
        raise ValueError(f"the model's Dropout layers differ in rate ({sorted(rates)}): one rate")
    return rates.pop() if rates else 0.0


@contextlib.contextmanager
def frozen_gc() -> Iterator[None]:
    """Within the block, objects alive on entry are left out of garbage collection.

    keras-tuner calls `gc.collect()` twice per trial (before it builds each model, and
    in `keras.backend.clear_session`). With TensorFlow loaded each call walks about
    430,000 objects: 0.2 s of CPU here, half a minute over a 72-trial search. Freezing
    what is alive on entry (modules, data) leaves the collections only what the search
    itself creates; on exit the frozen objects are collectable again. If something else
    has frozen objects already, the block changes nothing (Python cannot thaw only ours).
    """
    if gc.get_freeze_count():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
