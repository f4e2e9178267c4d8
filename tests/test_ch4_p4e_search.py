"""4E: the report pairs each figure with what produced it; made-up searches on both sides.

The made-up searches include the unusual findings (random search beating the grid, seeds
that do not separate the strategies): the verdict fields must follow them, and the text
must print the numbers and the settings that chose them.
"""

import numpy as np
import pandas as pd
import pytest

from chapters.ch4_cnn.p4e_search import (
    DROPOUT_RATES,
    LEARNING_RATES,
    SearchResult,
    best_by_value,
    hyperparameter_search,
    most_often_best,
    search_bests,
    search_headline,
    search_summary,
    search_tuner,
    text_4e,
)
from chapters.ch4_cnn.search_strategies import ranking
from companion.search.trials import trials_dataframe
from companion.seed import derive_seed
from companion.training import one_hot


def fake_search(
    best: dict[str, list[float]], budget: int = 4, settings: dict | None = None
) -> SearchResult:
    """Trials whose last one scores `best[strategy][seed]`; the grid walks its fixed order.

    `settings[strategy]` optionally lists, per seed, the (learning rate, dropout) of that
    last, best trial."""
    rows = []
    lrs, rates = LEARNING_RATES, DROPOUT_RATES
    for strategy, per_seed in best.items():
        for seed, top in enumerate(per_seed):
            for trial in range(1, budget + 1):
                if strategy == "grid":
                    lr, rate = lrs[(trial - 1) % 5], rates[(trial - 1) // 5]
                else:
                    lr, rate = lrs[(2 * trial + seed) % 5], rates[(trial + seed) % 6]
                if trial == budget and settings and strategy in settings:
                    lr, rate = settings[strategy][seed]
                score = top if trial == budget else 0.3 + 0.1 * trial
                rows.append(
                    {
                        "strategy": strategy,
                        "seed": seed,
                        "trial": trial,
                        "dropout": rate,
                        "learning_rate": lr,
                        "score": score,
                        "seconds": 1.0,
                    }
                )
    trials = pd.DataFrame(rows)
    trials["elapsed"] = trials.groupby(["strategy", "seed"])["seconds"].cumsum()
    trials["best_score"] = trials.groupby(["strategy", "seed"])["score"].cummax()
    return SearchResult(trials, budget, 1024, 1000, 1, 2)


def test_random_search_wins_across_seeds():
    r = fake_search(
        {"grid": [0.90, 0.91, 0.905], "random": [0.97, 0.96, 0.975], "bayesian": [0.93, 0.92, 0.94]}
    )
    text = text_4e(r)
    summary = search_summary(r)
    # random's worst seed (0.96) beats bayesian's best (0.94): the ranking holds across seeds
    assert ranking(summary) == ("random", "bayesian", True)
    assert all(number in text for number in ("0.9700", "0.9300", "0.9600", "0.9400"))
    grid = summary.set_index("strategy").loc["grid"]
    assert grid["dropout rates per seed"] == 1  # 4 grid trials: dropout 0 only
    assert "{0.1, 0.2, 0.3, 0.4, 0.5}" in text  # the dropout rates the grid never reached
    assert "![" not in text  # figures=None leaves them out
    assert search_headline(summary) == (
        "median best val accuracy: grid 0.9050, random 0.9700, bayesian 0.9300"
    )


def test_seeds_that_do_not_separate_the_strategies():
    r = fake_search(
        {"grid": [0.95, 0.90, 0.96], "random": [0.94, 0.93, 0.91], "bayesian": [0.5, 0.6, 0.55]}
    )
    text = text_4e(r, {"search": "![search](figures/4E_search.png)\n"})
    # grid's seeds (0.90 to 0.96) overlap random's (0.91 to 0.94): the seeds do not separate them
    assert ranking(search_summary(r)) == ("grid", "random", False)
    assert "(0.9000 to 0.9600)" in text and "(0.9100 to 0.9400)" in text
    assert "![search](figures/4E_search.png)" in text
    # Seeds are numbered in the tables (the derived 10-digit seeds are listed once, above).
    assert "| seed 1 | seed 2 | seed 3 |" in text and "| grid | 1 | 1 |" in text


def test_the_median_best_is_paired_with_the_settings_that_scored_it():
    """2 of random's 3 searches peak at (0.01, 0.2): the text names those, not one trial's."""
    scores = {"grid": [0.90, 0.91, 0.905], "random": [0.97, 0.96, 0.975]}
    settings = {"random": [(0.01, 0.2), (0.001, 0.4), (0.01, 0.2)]}
    r = fake_search(scores, settings=settings)
    bests = search_bests(r)
    assert len(bests) == 6  # one row per (strategy, seed)
    random = bests[bests["strategy"] == "random"]
    assert list(random["score"]) == [0.97, 0.96, 0.975]
    assert list(zip(random["learning_rate"], random["dropout"])) == settings["random"]
    top = most_often_best(r).set_index("strategy").loc["random"]
    assert (top["learning_rate"], top["dropout"], top["searches"], top["of"]) == (0.01, 0.2, 2, 3)
    text = text_4e(r)
    assert "learning rate 0.01 and dropout 0.2" in text and "2 of its 3" in text
    # each search's best row, with the settings beside its score
    assert "| random | 2 | 4 | 0.001 | 0.4 | 0.96 |" in text


def test_every_search_peaking_elsewhere_flips_the_count():
    scores = {"grid": [0.90, 0.91, 0.905], "random": [0.97, 0.96, 0.975]}
    apart = {"random": [(0.01, 0.2), (0.001, 0.4), (0.1, 0.0)]}
    top = most_often_best(fake_search(scores, settings=apart)).set_index("strategy")
    assert top.loc["random", "searches"] == 1  # no settings peak in two searches
    # on a tie in count, the settings with the higher best score come first
    assert (top.loc["random", "learning_rate"], top.loc["random", "dropout"]) == (0.1, 0.0)
    alike = {"random": [(0.01, 0.2)] * 3}
    top = most_often_best(fake_search(scores, settings=alike)).set_index("strategy")
    assert top.loc["random", "searches"] == 3
    assert "All 3 of its searches" in text_4e(fake_search(scores, settings=alike))


def test_summary_counts_values_tried_repeats_and_poor_trials():
    r = fake_search({"grid": [0.9], "random": [0.95]}, budget=6)
    random = r.trials.index[r.trials["strategy"] == "random"]
    r.trials.loc[random[-1], ["dropout", "learning_rate"]] = r.trials.loc[
        random[0], ["dropout", "learning_rate"]
    ]  # the last random trial repeats the first
    summary = search_summary(r).set_index("strategy")
    assert summary.loc["grid", "learning rates per seed"] == 5
    assert summary.loc["grid", "dropout rates per seed"] == 2  # trial 6 reaches dropout 0.1
    assert summary.loc["grid", "poor trials"] == 1  # 0.4 lies below POOR_SCORE, 0.5 does not
    assert summary.loc["random", "repeats"] == 1 and summary.loc["grid", "repeats"] == 0
    table = best_by_value(r, "dropout").set_index("dropout")
    assert np.isnan(table.loc[0.5, "grid"]) and table.loc[0.1, "grid"] == 0.9


def test_no_poor_trials_prints_no_empty_set():
    r = fake_search({"grid": [0.9], "random": [0.95]}, budget=4)
    r.trials["score"] = r.trials["score"].clip(lower=0.6)  # every trial above POOR_SCORE
    assert "{}" not in text_4e(r)


def test_quick_run_records_each_searchs_best(ch4_quick):
    """4E of the chapter's --quick --seed 3 run (conftest: one run shared with test_ch4.py)."""
    out, summary = ch4_quick
    e = summary["problems"]["4E"]
    assert e["seeds"] == [derive_seed(3, "4E:search-0")] and e["budget"] == 3
    assert set(e["best_scores"]) == {"grid", "random", "bayesian"}
    trials = pd.read_csv(out / "histories" / "4E_trials.csv")
    for kind, scores in e["best_scores"].items():
        searched = trials[trials["strategy"] == kind].groupby("seed")["score"].max()
        assert scores == pytest.approx([searched[seed] for seed in e["seeds"]])
        assert e["strategies"][kind]["trials"] == e["budget"] * len(e["seeds"])
        assert e["strategies"][kind]["median best"] == pytest.approx(np.median(scores))
    assert max(max(scores) for scores in e["best_scores"].values()) > 0.5  # chance is 0.1
    assert e["winner"] == max(e["best_scores"], key=lambda k: np.median(e["best_scores"][k]))
    # each search's best trial: its settings really scored its best score
    for row in e["search_bests"]:
        trial = trials[
            (trials["strategy"] == row["strategy"])
            & (trials["seed"] == row["seed"])
            & (trials["trial"] == row["trial"])
        ].iloc[0]
        assert (trial["learning_rate"], trial["dropout"]) == (row["learning_rate"], row["dropout"])
        assert trial["score"] == pytest.approx(e["best_scores"][row["strategy"]][0])
    winner = e["most_often_best"][e["winner"]]
    assert winner["searches"] == winner["of"] == 1
    report = (out / "report.md").read_text()
    assert f"learning rate {winner['learning_rate']:g} and dropout {winner['dropout']:g}" in report


# --- a search run by the caller (a notebook's cell) ------------------------------------------

SMALL = {"budget": 2, "train_images": 128, "val_images": 128, "epochs": 1}


def searched_grid(data, directory, seed: int, budget: int = 2):
    """The notebook's cell: 4E's grid tuner, searched on the chapter's images."""
    tuner = search_tuner("grid", seed, directory=directory, budget=budget, prefix="notebook")
    x, y = data.x_train[:128], one_hot(data.y_train[:128])
    val = (data.x_val[:128], one_hot(data.y_val[:128]))
    tuner.search(x, y, validation_data=val, epochs=1, batch_size=32, verbose=0)
    return tuner


def test_a_searched_tuner_is_read_not_run_again(mnist_sample, tmp_path):
    tuner = searched_grid(mnist_sample, tmp_path / "mine", seed=4)
    shared = tuner.hypermodel.build.sweep.model  # SweepHyperModel's traced model
    before = [w.copy() for w in shared.get_weights()]
    where = {"strategies": ("grid", "random"), "seeds": [4], **SMALL}
    given = hyperparameter_search(
        mnist_sample, directory=tmp_path / "given", searched={("grid", 4): tuner}, **where
    )
    own = hyperparameter_search(mnist_sample, directory=tmp_path / "own", **where)
    assert not (tmp_path / "given" / "4E_grid_seed4").exists()  # the grid was not run again
    # the tuner's one traced model went on to serve the random search: it trained again
    assert not all(np.array_equal(a, b) for a, b in zip(before, shared.get_weights()))
    assert (tmp_path / "given" / "4E_random_seed4").is_dir()
    mine = trials_dataframe(tuner)
    grid = given.trials[given.trials["strategy"] == "grid"]
    assert grid["score"].tolist() == mine["score"].tolist()
    assert grid["learning_rate"].tolist() == mine["learning_rate"].tolist() == [0.1, 0.01]
    # the same seed and images as the chapter's own search: the same trials
    assert grid["score"].tolist() == pytest.approx(
        own.trials.loc[own.trials["strategy"] == "grid", "score"].tolist(), abs=0.01
    )


def test_a_searched_tuner_must_match_the_call(mnist_sample, tmp_path):
    tuner = searched_grid(mnist_sample, tmp_path, seed=4)
    where = {"directory": tmp_path / "run", "strategies": ("grid",), **SMALL}
    with pytest.raises(ValueError, match="made for seed 4, not 5"):
        hyperparameter_search(mnist_sample, seeds=[5, 4], searched={("grid", 5): tuner}, **where)
    with pytest.raises(ValueError, match="finished 2 of 2 trials; this call's budget is 3"):
        hyperparameter_search(
            mnist_sample, seeds=[4], searched={("grid", 4): tuner}, **{**where, "budget": 3}
        )
    with pytest.raises(ValueError, match="given for random is a GridSearch"):
        hyperparameter_search(
            mnist_sample,
            seeds=[4],
            searched={("random", 4): tuner},
            **{**where, "strategies": ("random",)},
        )
    with pytest.raises(ValueError, match="does not run"):
        hyperparameter_search(mnist_sample, seeds=[4], searched={("bayesian", 4): tuner}, **where)
    unsearched = search_tuner("grid", 4, directory=tmp_path, budget=2, prefix="unsearched")
    with pytest.raises(ValueError, match="finished 0 of 2 trials"):
        hyperparameter_search(mnist_sample, seeds=[4], searched={("grid", 4): unsearched}, **where)
