"""fast_fit: the weights of plain `fit`, many epochs per compiled call, callbacks at stops."""

import keras
import numpy as np
import pytest

from companion.data.playground import playground_dataset
from companion.playground.fastfit import fast_fit
from companion.playground.model import playground_model
from companion.probes import model_loss
from companion.seed import set_seed


@pytest.mark.parametrize("n_train", [250, 247])  # 247: a last, smaller batch as in fit
def test_fast_fit_matches_plain_fit(n_train):
    data = playground_dataset("circle", 500, seed=9)
    x, y = data.x_train[:n_train], data.y_train[:n_train]
    set_seed(1)
    fast = playground_model(activation="sigmoid")
    set_seed(1)
    plain = playground_model(activation="sigmoid")
    history = fast_fit(fast, x, y, epochs=6, validation_data=(data.x_test, data.y_test))
    plain.fit(x, y, epochs=6, batch_size=10, shuffle=False, verbose=0)
    for a, b in zip(fast.weights, plain.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6)
    assert list(history.columns) == ["epoch", "loss", "val_loss"]
    assert len(history) == 7 and history["epoch"].iloc[-1] == 6
    assert history["loss"].iloc[-1] == pytest.approx(model_loss(plain, x, y), abs=1e-6)
    assert history["val_loss"].iloc[-1] == pytest.approx(
        model_loss(plain, data.x_test, data.y_test), abs=1e-6
    )


def test_fast_fit_stops_for_callbacks_and_early_stop():
    data = playground_dataset("gauss", 100, seed=10)
    model = playground_model()
    seen = []

    class Spy(keras.callbacks.Callback):
        at_epochs = (3,)
        every = 5

        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch + 1, sorted(logs)))
            if epoch + 1 == 10:
                self.model.stop_training = True

    history = fast_fit(model, data.x_train, data.y_train, epochs=20, callbacks=[Spy()])
    assert [e for e, _ in seen] == [3, 5, 10]
    assert seen[0][1] == ["loss"]
    assert len(history) == 11  # epoch 0 and ten epochs, then stopped


def test_fast_fit_refuses_an_uncompiled_model():
    with pytest.raises(ValueError, match="compile the model"):
        fast_fit(playground_model(compile=False), np.zeros((4, 2)), np.zeros(4), epochs=1)
