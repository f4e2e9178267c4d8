"""VariableDropout, DropoutSweep and SweepHyperModel: one traced model for a sweep or a search."""

import gc

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers

from companion.augment import shifted_batches
from companion.models import cnn
from companion.seed import set_seed
from companion.sweep import (
    DropoutSweep,
    SweepHyperModel,
    VariableDropout,
    choose_rate,
    dropout_rate,
    frozen_gc,
    score_rates,
)


def small_cnn(rate: float) -> keras.Sequential:
    return cnn(
        input_shape=(8, 8, 1), filters=(4,), dense_units=(8,), conv_dropout=rate, dropout=rate
    )


def compile_small(model) -> None:
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, 64), 10)
    return x, y


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.6])
def test_variable_dropout_drops_that_fraction_and_rescales(rate):
    variable = keras.Variable(rate, trainable=False, dtype="float32")
    layer = VariableDropout(variable)
    x = np.ones((200, 500), dtype="float32")
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    assert np.mean(out == 0) == pytest.approx(rate, abs=0.01)
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    assert layer.current_rate == pytest.approx(rate)


def test_variable_dropout_adds_no_weights():
    variable = keras.Variable(0.3, trainable=False, dtype="float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), VariableDropout(variable)])
    assert model.count_params() == 4 * 3 + 3


def test_sweep_resets_weights_optimizer_and_rate(toy):
    x, y = toy
    sweep = DropoutSweep(small_cnn, compile_small)
    set_seed(1)
    expected = small_cnn(0.0)  # what start() copies in: the same seed gives the same build
    set_seed(1)
    model = sweep.start(0.0)
    for got, want in zip(model.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(got, want)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert int(model.optimizer.iterations) == 4
    traced = model.train_function

    set_seed(2)
    again = sweep.start(0.5)
    assert again is model
    assert int(model.optimizer.iterations) == 0
    assert all(not np.any(ops_value(v)) for v in model.optimizer.variables if "momentum" in v.path)
    assert sweep.rate.numpy() == pytest.approx(0.5)
    dropouts = [layer for layer in model.layers if isinstance(layer, VariableDropout)]
    assert len(dropouts) == 2 and all(d.current_rate == pytest.approx(0.5) for d in dropouts)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model.train_function is traced  # no new trace for the new rate


def ops_value(variable):
    return keras.ops.convert_to_numpy(variable)


def test_sweep_rate_is_reproducible_after_other_rates(toy):
    """Rate 0.3 after rate 0.7 ends where rate 0.3 alone ends: nothing leaks between rates."""
    x, y = toy

    def run(sweep, rate):
        set_seed(5)
        model = sweep.start(rate)
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
        return [w.copy() for w in model.get_weights()]

    alone = run(DropoutSweep(small_cnn, compile_small), 0.3)
    sweep = DropoutSweep(small_cnn, compile_small)
    run(sweep, 0.7)
    after = run(sweep, 0.3)
    for a, b in zip(alone, after):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_sweep_matches_a_model_built_for_the_rate(toy):
    """At rate 0 the sweep's model trains exactly like a fresh Keras model."""
    x, y = toy
    set_seed(3)
    plain = small_cnn(0.0)
    compile_small(plain)
    plain.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    sweep = DropoutSweep(small_cnn, compile_small)
    set_seed(9)
    sweep.start(0.4)  # a different rate first
    set_seed(3)
    model = sweep.start(0.0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_sweep_errors():
    def no_dropout(rate):
        return keras.Sequential([keras.Input((4,)), layers.Dense(2)])

    with pytest.raises(ValueError, match="no Dropout layer"):
        DropoutSweep(no_dropout, compile_small).start(0.1)
    with pytest.raises(ValueError, match="must compile"):
        DropoutSweep(small_cnn, lambda model: None).start(0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        DropoutSweep(small_cnn, compile_small).start(1.0)
    with pytest.raises(ValueError, match="start_from"):
        DropoutSweep(None, compile_small).start(0.1)


def test_sweep_start_from_takes_the_given_models_weights_and_rate():
    sweep = DropoutSweep(None, compile_small)
    first, second = small_cnn(0.2), small_cnn(0.4)
    assert sweep.start_from(first, 0.2) is sweep.start_from(second, 0.4)
    for got, want in zip(sweep.model.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert sweep.rate.numpy() == pytest.approx(0.4)


# --- SweepHyperModel: one traced model for a whole keras-tuner search ------------------


def declare(hp):
    return hp.Choice("dropout", (0.0,)), hp.Choice("learning_rate", (1e-2, 1e-3))


def fresh_build(hp):
    rate, learning_rate = declare(hp)
    model = small_cnn(rate)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class TraceRecorder(keras.callbacks.Callback):
    """Keeps each trial's traced train step (a class list: keras-tuner copies callbacks)."""

    seen: list = []

    def on_train_end(self, logs=None):
        TraceRecorder.seen.append(self.model.train_function)


def search(build, directory, project, toy):
    from companion.search.trials import trials_dataframe
    from companion.search.tuning import make_tuner

    x, y = toy
    tuner = make_tuner(
        "grid", build, directory=directory, project=project, seed=4, objective="val_loss"
    )
    with frozen_gc():
        tuner.search(
            x,
            y,
            validation_data=(x, y),
            epochs=2,
            batch_size=16,
            verbose=0,
            callbacks=[TraceRecorder()],
        )
    return trials_dataframe(tuner)


def test_sweep_hypermodel_scores_like_fresh_models_with_one_trace(toy, tmp_path):
    TraceRecorder.seen.clear()
    hypermodel = SweepHyperModel(fresh_build)
    shared = search(hypermodel, tmp_path, "shared", toy)
    assert len(TraceRecorder.seen) == 2 and TraceRecorder.seen[0] is TraceRecorder.seen[1]
    # the last trial's learning rate, on an optimizer compiled as build(hp) compiles
    assert float(hypermodel.sweep.model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert hypermodel.sweep.model.get_compile_config()["loss"] == "categorical_crossentropy"
    fresh = search(fresh_build, tmp_path, "fresh", toy)
    assert TraceRecorder.seen[2] is not TraceRecorder.seen[3]  # keras-tuner's way: a new one
    assert list(shared["learning_rate"]) == list(fresh["learning_rate"]) == [1e-2, 1e-3]
    np.testing.assert_allclose(shared["score"], fresh["score"], rtol=1e-3)


def test_sweep_hypermodel_refuses_a_learning_rate_schedule():
    import keras_tuner as kt

    def scheduled_build(hp):
        model = small_cnn(hp.Choice("dropout", (0.1,)))
        schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
        return model

    with pytest.raises(ValueError, match="not a schedule"):
        SweepHyperModel(scheduled_build)(kt.HyperParameters())


def test_sweep_hypermodel_takes_each_builds_rate_and_learning_rate():
    import keras_tuner as kt

    hypermodel = SweepHyperModel(fresh_build)
    hp = kt.HyperParameters()
    hp.values = {"dropout": 0.0, "learning_rate": 1e-2}
    model = hypermodel(hp)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    assert hypermodel.sweep.rate.numpy() == pytest.approx(0.0)
    assert [type(a) for a in model.layers] == [
        VariableDropout if isinstance(b, layers.Dropout) else type(b)
        for b in fresh_build(kt.HyperParameters()).layers
    ]


def test_dropout_rate_reads_the_one_rate():
    assert dropout_rate(small_cnn(0.3)) == pytest.approx(0.3)
    assert dropout_rate(keras.Sequential([keras.Input((4,)), layers.Dense(2)])) == 0.0
    mixed = cnn(
        input_shape=(8, 8, 1), filters=(4,), dense_units=(8,), conv_dropout=0.1, dropout=0.2
    )
    with pytest.raises(ValueError, match="differ in rate"):
        dropout_rate(mixed)


def test_frozen_gc_freezes_inside_the_block_only():
    assert gc.get_freeze_count() == 0
    with frozen_gc():
        assert gc.get_freeze_count() > 1000  # TensorFlow alone holds many thousand objects
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), frozen_gc():
        raise RuntimeError("thawed even so")
    assert gc.get_freeze_count() == 0


# --- score_rates and choose_rate: a sweep over rates and its choice -------------------


def test_score_rates_gives_each_rate_its_own_seeded_row(toy):
    x, y = toy
    labels = np.argmax(y, axis=1)

    def batches(seed):
        return shifted_batches(x, y, batch_size=16, max_shift=0, seed=seed)

    splits = {"train": (x, labels), "val": (x[:32], labels[:32])}
    alone = score_rates(DropoutSweep(small_cnn, compile_small), [0.5], batches, splits, seed=2)
    both = score_rates(DropoutSweep(small_cnn, compile_small), [0.0, 0.5], batches, splits, seed=2)
    assert list(both.columns) == ["rate", "train_accuracy", "val_accuracy"]
    assert list(both["rate"]) == [0.0, 0.5]
    # rate 0.5 scores the same whether rate 0.0 trained before it or not
    after = both.set_index("rate").loc[0.5]
    assert after["train_accuracy"] == pytest.approx(alone["train_accuracy"].iloc[0], abs=1e-6)
    assert after["val_accuracy"] == pytest.approx(alone["val_accuracy"].iloc[0], abs=1e-6)


def test_choose_rate_never_picks_zero():
    def sweep(accuracies):
        return pd.DataFrame({"rate": [0.0, 0.1, 0.2, 0.3], "val_accuracy": accuracies})

    assert choose_rate(sweep([0.990, 0.988, 0.986, 0.980]), 0.005) == 0.2  # within 0.5%
    assert choose_rate(sweep([0.990, 0.960, 0.970, 0.900]), 0.005) == 0.2  # best above 0
    assert choose_rate(sweep([0.980, 0.990, 0.982, 0.986]), 0.005) == 0.3
    assert choose_rate(sweep([0.980, 0.990, 0.982, 0.986]), 0.001) == 0.1  # tighter tolerance
    with pytest.raises(ValueError, match="no rate above 0"):
        choose_rate(pd.DataFrame({"rate": [0.0], "val_accuracy": [0.9]}), 0.005)
