"""Strategies compared from a table of trials: summary, values tried, ranking, plots."""

import numpy as np
import pandas as pd
import pytest

from chapters.ch4_cnn.search_strategies import (
    best_by_value,
    most_often_best,
    plot_best_so_far,
    plot_coverage,
    ranking,
    same_first_draws,
    search_bests,
    strategy_summary,
)

WORDS = {"learning_rate": "learning rates", "dropout": "dropout rates"}


def trials(rows: dict[str, list[tuple]]) -> pd.DataFrame:
    """strategy -> [(seed, learning_rate, dropout, score), …] as a trials table."""
    out = []
    for strategy, entries in rows.items():
        for seed, lr, rate, score in entries:
            out.append(
                {"strategy": strategy, "seed": seed, "learning_rate": lr, "dropout": rate,
                 "score": score, "seconds": 2.0}
            )  # fmt: skip
    frame = pd.DataFrame(out)
    frame["trial"] = frame.groupby(["strategy", "seed"]).cumcount() + 1
    frame["elapsed"] = frame.groupby(["strategy", "seed"])["seconds"].cumsum()
    frame["best_score"] = frame.groupby(["strategy", "seed"])["score"].cummax()
    return frame


TRIALS = trials(
    {
        "grid": [(0, 0.1, 0.0, 0.2), (0, 0.01, 0.0, 0.9), (1, 0.1, 0.0, 0.3), (1, 0.01, 0.0, 0.92)],
        "random": [
            (0, 0.01, 0.2, 0.95),
            (0, 0.01, 0.2, 0.94),
            (1, 1e-3, 0.1, 0.96),
            (1, 0.1, 0.3, 0.4),
        ],
    }
)


def test_summary_counts_values_repeats_and_poor_trials():
    s = strategy_summary(TRIALS, WORDS, poor_score=0.5).set_index("strategy")
    assert list(s.index) == ["grid", "random"]
    assert s.loc["grid", "median best"] == pytest.approx(0.91)
    assert (s.loc["grid", "worst seed"], s.loc["grid", "best seed"]) == (0.9, 0.92)
    assert (
        s.loc["grid", "learning rates per seed"] == 2
        and s.loc["grid", "dropout rates per seed"] == 1
    )
    assert s.loc["random", "dropout rates, all seeds"] == 3
    assert s.loc["random", "repeats"] == 1 and s.loc["grid", "repeats"] == 0
    assert s.loc["grid", "poor trials"] == 2 and s.loc["random", "poor trials"] == 1
    assert s.loc["random", "best learning rate"] == 1e-3 and s.loc["random", "best dropout"] == 0.1
    assert s.loc["grid", "seconds"] == 8.0


def test_ranking_says_when_seeds_separate_the_winner():
    summary = strategy_summary(TRIALS, WORDS, poor_score=0.5)
    assert ranking(summary) == ("random", "grid", True)  # random's worst 0.95 > grid's best 0.92
    close = TRIALS.copy()
    close.loc[(close["strategy"] == "random") & (close["seed"] == 0), "score"] = 0.91
    assert ranking(strategy_summary(close, WORDS, poor_score=0.5)) == ("random", "grid", False)
    with pytest.raises(ValueError, match="at least two strategies"):
        ranking(summary.iloc[:1])


def test_best_by_value_marks_untried_values():
    table = best_by_value(TRIALS, "dropout", [0.0, 0.1, 0.2, 0.3, 0.4]).set_index("dropout")
    assert list(table.columns) == ["grid", "random"]
    assert table.loc[0.0, "grid"] == 0.92 and np.isnan(table.loc[0.0, "random"])
    assert np.isnan(table.loc[0.4]).all()


def test_same_first_draws_compares_values_seed_by_seed():
    pair = trials({"bayesian": [(0, 0.1, 0.0, 0.5)], "random": [(0, 0.1, 0.0, 0.6)]})
    assert same_first_draws(pair, ["learning_rate", "dropout"], 1)
    pair.loc[pair["strategy"] == "random", "dropout"] = 0.2
    assert not same_first_draws(pair, ["learning_rate", "dropout"], 1)
    assert not same_first_draws(TRIALS, ["learning_rate", "dropout"], 1)  # neither is there


def test_plots_draw_one_line_per_strategy_and_one_map_each():
    import matplotlib

    matplotlib.use("Agg")
    fig = plot_best_so_far(TRIALS)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["grid", "random"]
    fig = plot_coverage(
        TRIALS, ("learning_rate", [0.1, 0.01, 1e-3]), ("dropout", [0.0, 0.1, 0.2, 0.3]),
        titles={"grid": "grid search"},
    )  # fmt: skip
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["grid search: 2 of 12 cells tried", "random: 3 of 12 cells tried"]


def test_each_search_best_and_the_settings_best_most_often():
    bests = search_bests(TRIALS, ["learning_rate", "dropout"])
    assert list(zip(bests["strategy"], bests["seed"], bests["trial"])) == [
        ("grid", 0, 2), ("grid", 1, 2), ("random", 0, 1), ("random", 1, 1),
    ]  # fmt: skip
    assert list(bests["score"]) == [0.9, 0.92, 0.95, 0.96]
    top = most_often_best(bests, ["learning_rate", "dropout"]).set_index("strategy")
    # grid: both searches peak at learning rate 0.01, dropout 0
    assert tuple(top.loc["grid", ["learning_rate", "dropout", "searches", "of"]]) == (
        0.01, 0.0, 2, 2,
    )  # fmt: skip
    # random: one search each; the tie goes to the higher best score (0.96 at 1e-3, 0.1)
    assert tuple(top.loc["random", ["learning_rate", "dropout", "searches"]]) == (1e-3, 0.1, 1)
