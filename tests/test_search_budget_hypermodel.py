"""The budget hypermodel: every draw within the budget, built and compiled, searchable."""

import itertools

import keras
import keras_tuner as kt
import numpy as np
import pytest

from companion.budget import check_budget, count_hidden_units, hidden_widths
from companion.search.budget_hypermodel import BudgetHyperModel
from companion.seed import set_seed


def all_draws(hypermodel):
    """Every combination of the hypermodel's declared values, as value dicts."""
    hp = kt.HyperParameters()
    hypermodel.declare(hp)
    names = [h.name for h in hp.space]
    choices = [
        list(range(h.min_value, h.max_value + 1))
        if isinstance(h, kt.engine.hyperparameters.Int)
        else list(h.values)
        for h in hp.space
    ]
    for combo in itertools.product(*choices):
        yield dict(zip(names, combo))


def test_hypermodel_draws_never_exceed_the_budget():
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(150):
        max_units = int(rng.integers(8, 1200))
        lo = int(rng.integers(1, 4))
        hi = int(rng.integers(lo, min(8, max_units // 2) + 1))
        ratios = sorted(set(rng.choice([0.1, 0.3, 0.5, 1.0, 2.0, 4.0], size=3).tolist()))
        fills = sorted(set(rng.choice([0.5, 0.8, 1.0], size=2).tolist()))
        hm = BudgetHyperModel(max_units, lo, hi, ratios=ratios, fills=fills)
        for values in all_draws(hm):
            widths = hm.widths(values)
            assert lo <= len(widths) <= hi
            assert sum(widths) <= max_units and min(widths) >= 1
            checked += 1
    assert checked > 1000


def test_hypermodel_builds_compiled_models_within_the_rules():
    hm = BudgetHyperModel(200, 2, 4, ratios=(1.0, 0.5), dropouts=(0.0, 0.2))
    for values in list(all_draws(hm))[::3]:
        hp = kt.HyperParameters()
        hm.declare(hp)
        for name, value in values.items():
            hp.values[name] = value
        model = hm.build(hp)
        check_budget(model, 200, min_hidden_layers=2)
        assert hidden_widths(model) == hm.widths(values)
        assert model.optimizer is not None


def test_hypermodel_refuses_an_impossible_space():
    with pytest.raises(ValueError, match="cannot fill 4 layers"):
        BudgetHyperModel(6, 1, 4, fills=(0.5,))
    with pytest.raises(ValueError, match="min_layers <= max_layers"):
        BudgetHyperModel(100, 3, 2)


def test_a_random_search_trains_only_models_within_budget(tmp_path):
    from companion.search.trials import trials_dataframe
    from companion.search.tuning import make_tuner

    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((32, 784), dtype="float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, 32), 10)
    hm = BudgetHyperModel(30, 1, 3, ratios=(1.0, 0.5), dropouts=(0.0,))
    built = []

    class Recording(BudgetHyperModel):
        def build(self, hp):
            model = super().build(hp)
            built.append(count_hidden_units(model))
            return model

    tuner = make_tuner(
        "random",
        Recording(30, 1, 3, ratios=(1.0, 0.5), dropouts=(0.0,)),
        directory=tmp_path,
        project="budget",
        max_trials=3,
    )
    tuner.search(x, y, validation_data=(x, y), epochs=1, batch_size=32, verbose=0)
    frame = trials_dataframe(tuner)
    assert len(frame) == 3
    assert built and max(built) <= 30
    assert all(sum(hm.widths(row)) <= 30 for row in frame.to_dict("records"))
