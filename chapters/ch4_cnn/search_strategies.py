"""Search strategies compared, read off one table of every trial of every search.

The table (from `chapters.ch4_cnn.search_compare`) has one row per trial: strategy, seed, trial
(1, 2, …), the hyperparameters, score, seconds, elapsed and best_score (best so far in its
search). `strategy_summary`, `best_by_value`, `search_bests`, `most_often_best`, `ranking`
and `same_first_draws` read it into tables and verdicts; `plot_best_so_far` and `plot_coverage` draw it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from companion.plots import plot_heatmap
from companion.stats import spread


def strategy_summary(
    trials: pd.DataFrame, hyperparameters: Mapping[str, str], *, poor_score: float
) -> pd.DataFrame:
    """One row per strategy: best score over seeds, the values tried, how the budget went.

    Args:
        trials: the trials table.
        hyperparameters: column -> plural words for it, e.g. {"dropout": "dropout rates"}:
            columns "<words> per seed" and "<words>, all seeds" count the values tried,
            "best <column with spaces>" holds the best trial's value.
        poor_score: a trial scoring below it counts as poor.
    """
    names = list(hyperparameters)
    rows = []
    for strategy, group in trials.groupby("strategy", sort=False):
        by_seed = group.groupby("seed")
        best = spread(by_seed["score"].max())
        distinct = by_seed.apply(lambda t: len(t.drop_duplicates(names)))
        top = group.loc[group["score"].idxmax()]
        row = {
            "strategy": strategy,
            "median best": best.median,
            "worst seed": best.min,
            "best seed": best.max,
        }
        for name, words in hyperparameters.items():
            row[f"{words} per seed"] = float(by_seed[name].nunique().mean())
        for name, words in hyperparameters.items():
            row[f"{words}, all seeds"] = group[name].nunique()
        row |= {
            "repeats": int(len(group) - distinct.sum()),
            "poor trials": int((group["score"] < poor_score).sum()),
            "trials": len(group),
            "seconds": float(group["seconds"].sum()),
        }
        row |= {f"best {name.replace('_', ' ')}": float(top[name]) for name in names}
        rows.append(row)
    return pd.DataFrame(rows)


def best_by_value(trials: pd.DataFrame, name: str, values: Sequence[float]) -> pd.DataFrame:
    """The best score each strategy reached at each value of one hyperparameter (NaN: untried)."""
    strategies = list(dict.fromkeys(trials["strategy"]))
    table = trials.pivot_table(index=name, columns="strategy", values="score", aggfunc="max")
    table = table.reindex(index=list(values), columns=strategies)
    return table.rename_axis(columns=None).reset_index()


def search_bests(trials: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """One row per search (strategy, seed): its best trial's settings and score (first on ties)."""
    top = trials.loc[trials.groupby(["strategy", "seed"], sort=False)["score"].idxmax()]
    return top[["strategy", "seed", "trial", *names, "score"]].reset_index(drop=True)


def most_often_best(bests: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Per strategy: the settings best in most of its searches, in how many, out of how many.

    `bests` is `search_bests`' table. On a tie in count, the settings whose searches'
    best scores have the higher median come first.
    """
    rows = []
    for strategy, group in bests.groupby("strategy", sort=False):
        tally = group.groupby(list(names))["score"].agg(["size", "median"]).reset_index()
        top = tally.sort_values(["size", "median"], ascending=False).iloc[0]
        row = {"strategy": strategy, **{name: float(top[name]) for name in names}}
        rows.append(row | {"searches": int(top["size"]), "of": len(group)})
    return pd.DataFrame(rows)


def ranking(summary: pd.DataFrame) -> tuple[str, str, bool]:
    """(winner, runner-up, separated) by median best; separated: the seed ranges don't overlap."""
    if len(summary) < 2:
        raise ValueError("ranking needs at least two strategies to compare")
    ranked = summary.sort_values("median best", ascending=False).set_index("strategy")
    winner, runner_up = ranked.index[:2]
    separated = ranked.loc[winner, "worst seed"] > ranked.loc[runner_up, "best seed"]
    return str(winner), str(runner_up), bool(separated)


def same_first_draws(
    trials: pd.DataFrame, names: Sequence[str], initial: int, pair=("bayesian", "random")
) -> bool:
    """Whether two strategies tried the same values in their first `initial` trials, per seed."""
    first = trials[trials["trial"] <= initial]
    draws = [
        first[first["strategy"] == k][["seed", "trial", *names]].reset_index(drop=True)
        for k in pair
    ]
    return not any(d.empty for d in draws) and draws[0].equals(draws[1])


def plot_best_so_far(trials: pd.DataFrame, *, axes=None):
    """Best score so far against trials (median and range over seeds) and against time."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(13, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, (strategy, group) in zip(colors, trials.groupby("strategy", sort=False)):
        curves = group.pivot_table(index="trial", columns="seed", values="best_score")
        axes[0].step(curves.index, curves.median(axis=1), where="post", color=color, label=strategy)
        low, high = curves.min(axis=1), curves.max(axis=1)
        axes[0].fill_between(curves.index, low, high, step="post", color=color, alpha=0.2)
        for _, one in group.groupby("seed"):
            axes[1].step(one["elapsed"], one["best_score"], where="post", color=color, alpha=0.7)
        axes[1].plot([], [], color=color, label=strategy)
    n = trials["seed"].nunique()
    axes[0].set(
        xlabel="trials",
        ylabel="best validation accuracy so far",
        title=f"best score vs trials (median; band: range over {n} seed{'s' * (n > 1)})",
    )
    axes[1].set(xlabel="seconds", title="best score vs time (one line per seed)")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_coverage(
    trials: pd.DataFrame,
    rows: tuple[str, Sequence[float]],
    columns: tuple[str, Sequence[float]],
    *,
    titles: Mapping[str, str] | None = None,
    axes=None,
):
    """Per strategy, the best score in each cell of a two-hyperparameter grid; blank: untried.

    `rows` and `columns` are (hyperparameter, its values); `titles` names the strategies.
    """
    strategies = list(dict.fromkeys(trials["strategy"]))
    if axes is None:
        _, axes = plt.subplots(1, len(strategies), figsize=(5.4 * len(strategies), 4.2))
    (row, row_values), (column, column_values) = rows, columns
    for ax, strategy in zip(np.atleast_1d(axes), strategies):
        table = trials[trials["strategy"] == strategy].pivot_table(
            index=row, columns=column, values="score", aggfunc="max"
        )
        table = table.reindex(index=list(row_values), columns=list(column_values))
        name = (titles or {}).get(strategy, strategy)
        plot_heatmap(
            table.values,
            ax=ax,
            fmt="{:.2f}",
            vmin=0,
            vmax=1,
            colorbar=False,
            xlabels=[f"{v:g}" for v in column_values],
            ylabels=[f"{v:g}" for v in row_values],
            title=f"{name}: {int(table.notna().values.sum())} of {table.size} cells tried",
        )
        ax.set(xlabel=column.replace("_", " "), ylabel=row.replace("_", " "))
    fig = np.atleast_1d(axes)[0].figure
    fig.tight_layout()
    return fig
