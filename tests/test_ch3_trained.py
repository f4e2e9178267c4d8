"""Chapter 3's budget nets take a model trained elsewhere (a notebook's cells) as a seed's run."""

from dataclasses import replace

import pytest

from chapters import ch3_depth_width as ch3
from companion.budget import mlp
from companion.callbacks import EpochTimer
from companion.data.mnist import load_mnist
from companion.errors import RuleError
from companion.seed import set_seed
from companion.training import accuracies, one_hot


@pytest.fixture(scope="module")
def small():
    """The shipped sample, flat, cut to 1,000 training and 300 validation and test images."""
    return load_mnist(sample=True).flat().subset(train=1_000, val=300, test=300)


def fitted(data, widths, dropout: float, seed: int):
    """A model of `widths` compiled and fitted for one epoch, as a notebook's cells would."""
    set_seed(seed)
    model = mlp(widths, dropout=dropout)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        data.x_train,
        one_hot(data.y_train),
        epochs=1,
        validation_data=(data.x_val, one_hot(data.y_val)),
        callbacks=[EpochTimer()],
        verbose=0,
    )
    return model, history


def test_a_trained_model_is_the_first_seed_and_sets_the_recipe(small):
    model, history = fitted(small, (40, 20), 0.2, seed=7)
    recipe = replace(ch3.CHOSEN["3C"], epochs=1)
    result = ch3.budget_model(small, "3C", recipe=recipe, seeds=(7, 8), trained=(model, history))
    first, second = result.nets
    assert (first.seed, second.seed) == (7, 8)
    (test,) = accuracies(model, (small.x_test, small.y_test))
    assert first.test_accuracy == pytest.approx(test, abs=1e-9)  # scored, not retrained
    assert len(first.history) == 1 and first.epoch_seconds > 0
    assert (result.recipe.widths, result.recipe.dropout) == ((40, 20), 0.2)  # the model's
    assert second.params == model.count_params()  # the other seed trains a copy of it
    assert second.test_accuracy != first.test_accuracy
    assert "40-20" in ch3.text_3c(result)  # the reading names the model trained


def test_a_trained_model_over_budget_is_refused(small):
    model, history = fitted(small, (60,), 0.0, seed=1)
    with pytest.raises(RuleError, match="at least 2 hidden layers"):
        ch3.budget_model(small, "3C", seeds=(1,), trained=(model, history))
