"""One probed pass of SGD: the monitor's rows, the positive share, the same weights as fit."""

import numpy as np
import pytest

from companion.callbacks import DeadReluMonitor
from companion.data.playground import ordered_dataset
from companion.playground.model import playground_model, reinitialize
from companion.playground.one_pass import positive_share, probed_pass


@pytest.fixture(scope="module")
def negatives_first():
    return ordered_dataset("circle", 200, 0.0, 3, order="negatives_first", labels="pm1")


def test_positive_share_reads_the_sign_or_the_second_class():
    import keras

    x = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]], dtype="float32")
    sign = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    sign.layers[0].set_weights([np.array([[1.0], [0.0]])])  # output = x1
    assert positive_share(sign, x) == 0.5
    two = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, use_bias=False)])
    two.layers[0].set_weights([np.array([[0.0, 1.0], [0.0, 0.0]])])  # class 1 where x1 > 0
    assert positive_share(two, x) == 0.5
    sign.layers[0].set_weights([np.array([[-1.0], [0.0]])])
    assert positive_share(sign, x[[1, 3]]) == 1.0


def test_probed_pass_rows_and_the_class_seen_last(negatives_first):
    x, y = negatives_first
    model = playground_model((8, 8), activation="relu", output="tanh")
    reinitialize(model, 1)
    frame = probed_pass(model, x, y, probe_every=50)
    assert list(frame.columns) == ["seen", "dead_fraction", "positive_share"]
    assert frame["seen"].tolist() == [0, 50, 100, 150, 200]
    after_negatives = frame.loc[frame["seen"] == 100, "positive_share"].item()
    assert after_negatives < 0.1  # 100 negatives: it says "-1" nearly everywhere
    assert frame["positive_share"].iloc[-1] > 0.9  # then the positives: "+1"


def test_probed_pass_matches_fit_with_the_monitor(negatives_first):
    x, y = negatives_first
    model = playground_model((8, 8), activation="relu", output="tanh", learning_rate=0.3)
    reinitialize(model, 2)
    frame = probed_pass(model, x, y, probe_every=40)
    fast = model.get_weights()
    reinitialize(model, 2)
    monitor = DeadReluMonitor(x, batches=40)
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[monitor])
    for a, b in zip(fast, model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    by_fit = monitor.to_frame().drop_duplicates("step")
    np.testing.assert_allclose(frame["dead_fraction"], by_fit["dead_fraction"])


def test_probe_every_must_be_positive(negatives_first):
    x, y = negatives_first
    model = playground_model((4,), activation="relu")
    with pytest.raises(ValueError, match="probe_every.*0"):
        probed_pass(model, x, y, probe_every=0)
