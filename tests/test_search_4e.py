"""4E's `build(hp)`: the library's CNN layer by layer, and the model every 4E search trains.

Both the chapter's search (one traced model shared across trials) and `python -m
companion.search cnn-4e` (a new model per trial) must train what `build(hp)` writes out.
"""

import itertools
import json
import random

import keras
import keras_tuner as kt
import pandas as pd
import pytest
from model_match import assert_same_layers, layer_config

from chapters.ch4_cnn import p4e_search
from companion.models import cnn
from companion.pset import SEARCH_DROPOUT_RATES, SEARCH_LEARNING_RATES
from companion.search import learning_rate_dropout_cnn
from companion.search.cli import main
from companion.search.settings import SearchSettings
from companion.search.spaces import hypermodel_for
from companion.sweep import SweepHyperModel, VariableDropout

GRID = list(itertools.product(SEARCH_DROPOUT_RATES, SEARCH_LEARNING_RATES))
# A few points of the 30: both ends and three drawn with a fixed seed.
SAMPLED = [GRID[0], GRID[-1], *random.Random(4).sample(GRID[1:-1], 3)]


def hp_at(dropout: float, learning_rate: float) -> kt.HyperParameters:
    hp = kt.HyperParameters()
    hp.values = {"dropout": dropout, "learning_rate": learning_rate}
    return hp


def library_cnn(rate: float) -> keras.Sequential:
    return cnn(
        filters=(16, 32), dense_units=(64,), pool_first=True, conv_dropout=rate, dropout=rate
    )


@pytest.mark.parametrize(("dropout", "learning_rate"), SAMPLED)
def test_build_is_the_library_cnn_at_sampled_values(dropout, learning_rate):
    model = p4e_search.build(hp_at(dropout, learning_rate))
    assert_same_layers(model, library_cnn(dropout))
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [dropout] * 3
    assert float(model.optimizer.learning_rate) == pytest.approx(learning_rate)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    config = model.get_compile_config()
    assert config["loss"] == "categorical_crossentropy" and config["metrics"] == ["accuracy"]
    assert config["steps_per_execution"] == 16


def test_the_layer_comparison_sees_a_changed_layer():
    model = p4e_search.build(hp_at(0.2, 1e-3))
    with pytest.raises(AssertionError):
        assert_same_layers(model, library_cnn(0.3))  # another dropout rate
    other = cnn(filters=(16, 32), dense_units=(64,), conv_dropout=0.2, dropout=0.2)
    with pytest.raises(AssertionError):
        assert_same_layers(model, other)  # pooling after ReLU: same classes, other order


def test_build_declares_the_sets_grid_dropout_first():
    hp = kt.HyperParameters()
    p4e_search.build(hp)
    assert [h.name for h in hp.space] == ["dropout", "learning_rate"]
    assert list(hp.space[0].values) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert list(hp.space[1].values) == [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]


def test_the_cnn_4e_space_is_the_chapters_build():
    settings = SearchSettings(space="cnn-4e")
    assert hypermodel_for(settings, 256) is p4e_search.build
    assert_same_layers(learning_rate_dropout_cnn(hp_at(0.4, 1e-4)), library_cnn(0.4))


class Spy:
    """Wraps `build`: keeps each call's values and the model it returned.

    make_tuner also calls it once with the defaults, to read the declared space.
    """

    def __init__(self):
        self.build = p4e_search.build
        self.calls: list[tuple[dict, keras.Model]] = []

    def __call__(self, hp):
        model = self.build(hp)
        self.calls.append((dict(hp.values), model))
        return model


def test_the_cnn_4e_command_trains_the_chapters_build(tmp_path, monkeypatch):
    spy = Spy()
    monkeypatch.setattr(p4e_search, "build", spy)
    args = ["cnn-4e", "--quick", "--max-trials", "2", "--images", "128"]
    assert main([*args, "--val-images", "128", "--out", str(tmp_path)]) == 0
    trials = pd.read_csv(tmp_path / "trials.csv")
    trained = [(v, m) for v, m in spy.calls if int(m.optimizer.iterations) > 0]
    assert len(trained) == len(trials) == 2  # each trial trained the very model build made
    tried = [(row.dropout, row.learning_rate) for row in trials.itertuples()]
    assert [(v["dropout"], v["learning_rate"]) for v, _ in trained] == tried
    for values, model in trained:
        assert_same_layers(model, library_cnn(values["dropout"]))
    best = json.loads((tmp_path / "summary.json").read_text())["best"]["values"]
    assert best in [values for values, _ in trained]


def test_the_chapters_search_trains_the_chapters_build(mnist_sample, tmp_path, monkeypatch):
    spy, made = Spy(), []

    class Recording(SweepHyperModel):
        def __init__(self, build):
            super().__init__(build)
            made.append(self)

    monkeypatch.setattr(p4e_search, "build", spy)
    monkeypatch.setattr(p4e_search, "SweepHyperModel", Recording)
    r = p4e_search.hyperparameter_search(
        mnist_sample, directory=tmp_path, strategies=("grid",), budget=2,
        train_images=128, val_images=128,
    )  # fmt: skip
    assert len(made) == 1 and made[0].build is spy
    assert len(r.trials) == 2 and len(spy.calls) >= 2
    tried = list(zip(r.trials["dropout"], r.trials["learning_rate"]))
    assert [(v["dropout"], v["learning_rate"]) for v, _ in spy.calls[-2:]] == tried
    # The one traced model the trials shared: build(hp)'s layers, each Dropout swapped
    # for one that reads the trial's rate, trained by the last trial at its learning rate.
    shared, (values, last) = made[0].sweep.model, spy.calls[-1]
    assert int(shared.optimizer.iterations) > 0
    assert float(shared.optimizer.learning_rate) == pytest.approx(values["learning_rate"])
    assert shared.count_params() == last.count_params()
    for mine, theirs in zip(shared.layers, last.layers, strict=True):
        if isinstance(theirs, keras.layers.Dropout):
            assert isinstance(mine, VariableDropout)
        else:
            assert type(mine) is type(theirs) and layer_config(mine) == layer_config(theirs)


def test_the_shared_model_scores_as_a_new_build_per_trial(mnist_sample, tmp_path):
    """The chapter's speed-up (one traced model) against keras-tuner's way (build each trial)."""
    x, y = mnist_sample.x_train[:256], keras.utils.to_categorical(mnist_sample.y_train[:256])
    val = (mnist_sample.x_val[:256], keras.utils.to_categorical(mnist_sample.y_val[:256]))
    where = {"directory": tmp_path, "strategies": ("grid",), "seeds": (3,), "budget": 2}
    shared = p4e_search.search_each(SweepHyperModel(p4e_search.build), x, y, val, **where)
    fresh = p4e_search.search_each(p4e_search.build, x, y, val, prefix="fresh", **where)
    assert list(shared["learning_rate"]) == list(fresh["learning_rate"]) == [0.1, 0.01]
    assert shared["score"].tolist() == pytest.approx(fresh["score"].tolist(), abs=0.01)
    assert shared["score"].max() > 0.2  # learned something (chance is 0.1)
