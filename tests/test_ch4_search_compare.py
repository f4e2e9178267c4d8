"""4E's search_each: every strategy searches once per seed; one table of every trial."""

import keras
import numpy as np
import pytest

from chapters.ch4_cnn.p4e_search import search_each
from chapters.ch4_cnn.search_compare import TRIAL_COLUMNS
from companion.models import cnn
from companion.sweep import SweepHyperModel


def build(hp) -> keras.Sequential:
    rate = hp.Choice("dropout", [0.0, 0.5])
    learning_rate = hp.Choice("learning_rate", [1e-3, 1e-2])
    model = cnn(
        input_shape=(8, 8, 1), filters=(4,), dense_units=(8,), conv_dropout=rate, dropout=rate
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, 64), 10)
    return x, y


def test_search_each_runs_every_strategy_and_seed(toy, tmp_path):
    x, y = toy

    def search(resume: bool):
        hypermodel = SweepHyperModel(build)
        return search_each(
            hypermodel, x, y, (x[:32], y[:32]), directory=tmp_path, strategies=("grid", "random"),
            seeds=(5, 6), budget=2, resume=resume, prefix="toy",
        )  # fmt: skip

    trials = search(resume=False)
    assert list(trials.columns) == [*TRIAL_COLUMNS[:3], "dropout", "learning_rate",
                                    *TRIAL_COLUMNS[3:]]  # fmt: skip
    assert len(trials) == 2 * 2 * 2
    assert trials.groupby(["strategy", "seed"])["trial"].apply(list).tolist() == [[1, 2]] * 4
    grid = trials[trials["strategy"] == "grid"]
    assert grid["learning_rate"].tolist() == [1e-3, 1e-2] * 2  # the grid's fixed order, per seed
    assert (trials["best_score"] >= trials["score"]).all()
    assert (tmp_path / "toy_random_seed6").is_dir()
    again = search(resume=True)  # finished searches: kept, not rerun
    assert again["score"].tolist() == pytest.approx(trials["score"].tolist())
