"""4F takes a CNN trained elsewhere (a notebook's cells) as its final model's first seed."""

from functools import partial

import keras
import pytest

from chapters import ch4_cnn
from companion.callbacks import EpochTimer
from companion.data.mnist import load_mnist
from companion.errors import RuleError
from companion.seed import derive_seed, set_seed
from companion.sweep import choose_rate
from companion.training import accuracies, one_hot


@pytest.fixture(scope="module")
def small():
    return load_mnist(sample=True).subset(train=256, val=256, test=256)


def fitted(data, rate: float, seed: int = 3):
    """The chapter's CNN at `rate`, compiled and fitted one epoch as a notebook's cells would."""
    set_seed(seed)
    model = ch4_cnn.chapter_cnn(rate)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        data.x_train,
        one_hot(data.y_train),
        batch_size=32,
        validation_data=(data.x_val, one_hot(data.y_val)),
        callbacks=[EpochTimer()],
        verbose=0,
    )
    return model, history


def test_a_trained_model_is_the_first_final_seed_the_others_train_copies(small):
    model, history = fitted(small, 0.3)
    kept, frame, tests = ch4_cnn.final_over_seeds(
        small, rate=0.3, out=None, epochs=1, seeds=(5, 6), trained=(model, history)
    )
    assert kept is model and list(frame["epoch"]) == [1]  # kept and scored, not retrained
    assert tests[0] == pytest.approx(accuracies(model, (small.x_test, small.y_test))[0])
    # the second seed trains a fresh copy of the model, as final_cnn does with that seed
    copy, _ = ch4_cnn.final_cnn(
        small, rate=0.3, out=None, epochs=1, seed=6, build=partial(keras.models.clone_model, model)
    )
    assert copy is not model and copy.count_params() == model.count_params()
    assert tests[1] == pytest.approx(accuracies(copy, (small.x_test, small.y_test))[0], abs=1e-9)


def test_cnn_4f_reads_the_rate_from_the_trained_model_and_says_who_set_it(small):
    # Four of the ten rates (0.8: the subset probe's row): the test needs a sweep's choice and
    # another rate, not the whole sweep, which the 4F file's quick run covers.
    sweep = ch4_cnn.dropout_sweep(small, rates=(0.1, 0.3, 0.5, 0.8), train_images=256, seed=1)
    mine = next(r for r in (0.3, 0.5) if r != choose_rate(sweep, ch4_cnn.SWEEP_TOLERANCE))
    model, history = fitted(small, mine)
    r = ch4_cnn.cnn_4f(
        small,
        seed_for=lambda part: derive_seed(0, f"4F:{part}"),
        quick=True,
        regularizer_epochs=1,
        swept=sweep,
        trained=(model, history),
    )
    assert r.sweep is sweep and r.model is model and r.epochs == 1
    assert (r.rate, r.rate_source) == (mine, "set by you")
    assert r.regularizers.rate == mine  # the comparison ran at the model's rate
    assert r.test_accuracy == pytest.approx(accuracies(model, (small.x_test, small.y_test))[0])
    assert f"{mine:g}" in ch4_cnn.rate_text(r) and "set by you" in ch4_cnn.rate_text(r)
    assert "4F_cnn.keras" in ch4_cnn.text_4f(r)  # the run saves its model; a notebook need not
    assert "4F_cnn.keras" not in ch4_cnn.text_4f(r, saved_as=None)


def test_cnn_4f_refuses_a_trained_model_that_breaks_the_rules(small):
    _, history = fitted(small, 0.3)
    no_norm = ch4_cnn.chapter_cnn(0.3, batch_norm=False, check=False)
    with pytest.raises(RuleError, match="BatchNormalization"):
        ch4_cnn.cnn_4f(
            small,
            seed_for=lambda part: derive_seed(0, f"4F:{part}"),
            quick=True,
            swept=ch4_cnn.dropout_sweep(small, rates=(0.3,), train_images=64, seed=1),
            trained=(no_norm, history),
        )
