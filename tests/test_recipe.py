"""companion.recipe: a recipe's words and table row, and train_recipe on a small sample."""

from types import SimpleNamespace

import numpy as np
import pytest

from companion.errors import RuleError
from companion.recipe import Recipe, train_recipe


@pytest.fixture(scope="module")
def small():
    """The shipped sample, flat, cut to 1,000 training and 300 validation and test images."""
    from companion.data.mnist import load_mnist

    return load_mnist(sample=True).flat().subset(train=1_000, val=300, test=300)


def test_describe_and_row_round_trip():
    recipe = Recipe((150, 50), dropout=0.1, epochs=1, batch_size=128, max_shift=0)
    assert recipe.describe() == (
        "150-50, dropout 0.1, 1 epoch, batch 128, Adam 0.002 cosine-decayed, no augmentation"
    )
    shifted = Recipe((100,), input_dropout=0.2, max_shift=2)
    assert "input dropout 0.2, 20 epochs" in shifted.describe()
    assert shifted.describe().endswith("shifts up to 2 px")
    assert recipe.row()["widths"] == "150-50"
    for r in (recipe, shifted):
        assert Recipe.from_row(r.row()) == r


def test_a_net_over_budget_is_refused_before_training(small):
    budget = SimpleNamespace(max_units=100, min_layers=2)
    with pytest.raises(RuleError, match="at least 2 hidden layers"):
        train_recipe(small, Recipe((100,), epochs=1), seed=0, budget=budget)
    with pytest.raises(RuleError, match=r"the budget is 100 \(remove 20 units\)"):
        train_recipe(small, Recipe((60, 60), epochs=1), seed=0, budget=budget)


def test_train_recipe_learns_and_its_seed_alone_sets_the_numbers(small):
    recipe = Recipe((32,), epochs=2, batch_size=64, max_shift=1)
    first = train_recipe(small, recipe, seed=3)
    np.random.seed(99)  # random state left behind by something else must not matter
    train_recipe(small, Recipe((8,), epochs=1), seed=11, test=False)
    again = train_recipe(small, recipe, seed=3)
    other = train_recipe(small, recipe, seed=4, epochs=1, test=False)
    assert again.val_accuracy == pytest.approx(first.val_accuracy, abs=1e-9)
    assert again.test_accuracy == pytest.approx(first.test_accuracy, abs=1e-9)
    assert 0.6 < first.val_accuracy < 0.95 and 0.6 < first.test_accuracy < 0.95
    assert first.params == (784 + 1) * 32 + (32 + 1) * 10
    assert list(first.history["epoch"]) == [1, 2] and len(other.history) == 1  # epochs=1 wins
    assert other.test_accuracy is None  # test=False leaves the test set alone
    # the final validation score is the history's last one, re-scored on the same model
    assert first.val_accuracy == pytest.approx(first.history["val_accuracy"].iloc[-1], abs=1e-5)
