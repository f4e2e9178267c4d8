"""VariableDropout and DropoutSweep: one traced model for every rate of a sweep."""

import keras
import numpy as np
import pytest
from keras import layers

from companion.models import cnn
from companion.seed import set_seed
from companion.sweep import DropoutSweep, VariableDropout


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
