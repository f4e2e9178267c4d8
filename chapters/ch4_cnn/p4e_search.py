"""4E: grid search, random search and Bayesian optimisation at the same budget, over seeds.

The searched model is `build(hp)` below: keras-tuner calls it once per trial, and
`python -m companion.search cnn-4e` searches the same function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import pandas as pd
from keras import layers
from keras_tuner import Tuner

from chapters.ch4_cnn import search_strategies as tables
from chapters.ch4_cnn.search_compare import search_each_with_workers, trials_table
from companion.pset import SEARCH_DROPOUT_RATES, SEARCH_LEARNING_RATES, SEARCH_STRATEGIES
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.search.settings import SearchSettings
from companion.search.trials import best_so_far, trials_dataframe
from companion.search.tuning import KINDS, make_tuner
from companion.sweep import SweepHyperModel, frozen_gc
from companion.training import one_hot
from companion.words import count, value_set

# The set's example grid, learning rate × dropout rate (companion's `cnn-4e` space),
# searched three ways.
LEARNING_RATES, DROPOUT_RATES = SEARCH_LEARNING_RATES, SEARCH_DROPOUT_RATES
STRATEGY_NAMES = {
    "grid": "grid search",
    "random": "random search",
    "bayesian": "Bayesian optimisation",
}
# The hyperparameters, in the order the space declares them, and their words in the tables.
HYPERPARAMETERS = {"learning_rate": "learning rates", "dropout": "dropout rates"}
NAMES = ["dropout", "learning_rate"]
# A trial below this validation accuracy (chance is 0.1) learned little: budget spent poorly.
POOR_SCORE = 0.5


def build(hp) -> keras.Model:
    """4E's hypermodel: a small CNN at the trial's dropout rate, compiled at its learning rate."""
    # Dropout is declared first, so the grid varies the learning rate fastest.
    rate = hp.Choice("dropout", DROPOUT_RATES)
    learning_rate = hp.Choice("learning_rate", LEARNING_RATES)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            # Each block pools right after its convolution: batch norm and ReLU then see a
            # quarter of the values (max pooling commutes with ReLU). A conv followed by
            # batch norm needs no bias: BN's beta does its job.
            layers.Conv2D(16, 3, padding="same", use_bias=False),
            layers.MaxPooling2D(2),
            layers.BatchNormalization(momentum=0.9),  # settles within a 1-epoch trial
            layers.ReLU(),
            layers.Dropout(rate),
            layers.Conv2D(32, 3, padding="same", use_bias=False),
            layers.MaxPooling2D(2),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Dropout(rate),
            layers.Flatten(),
            layers.Dense(64),
            layers.ReLU(),
            layers.Dropout(rate),  # every Dropout at the one searched rate
            layers.Dense(10),
            layers.Softmax(),
        ],
        name="search_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",  # the search gives one-hot labels
        metrics=["accuracy"],
        steps_per_execution=16,  # 16 batches per call: less Python per step on a CPU
    )
    return model


search_hypermodel = build  # its earlier name (notebooks and other tuners)


@dataclass
class SearchResult:
    """4E: every trial of every strategy and seed, and the settings they ran under.

    `trials` has one row per trial: strategy, seed, trial (1, 2, …), dropout,
    learning_rate, score (validation accuracy), seconds, elapsed and best_score (the best
    so far in that search).
    """

    trials: pd.DataFrame
    budget: int
    train_images: int
    val_images: int
    epochs: int
    bayesian_initial: int

    @property
    def strategies(self) -> list[str]:
        return list(dict.fromkeys(self.trials["strategy"]))

    @property
    def seeds(self) -> list[int]:
        return sorted(set(self.trials["seed"]))


def hyperparameter_search(
    data,
    *,
    directory,
    strategies: Sequence[str] = SEARCH_STRATEGIES,
    seeds: Sequence[int] = (0,),
    budget: int = 8,
    train_images: int = 2_048,
    val_images: int | None = None,
    epochs: int = 1,
    bayesian_initial: int = 3,
    resume: bool = False,
    workers: int = 0,
    mnist=None,
    verbose: bool = False,
    searched: Mapping[tuple[str, int], Tuner] | None = None,
) -> SearchResult:
    """4E: each strategy searches the same space with the same budget, once per seed.

    Every trial trains `build(hp)`'s CNN on the same `train_images` for `epochs` and scores
    it on the validation split. A seed seeds the strategy's draws and each trial's initial
    weights. `workers` > 0 runs each search through `companion.search` (space `cnn-4e`, the
    same `build`) with that many worker processes instead (a new model per trial; they load
    the data themselves: `mnist` is the file `data` came from; Bayesian optimisation then
    starts from keras-tuner's default number of random points). `searched` maps a
    (strategy, seed) to a tuner already searched (a notebook's cells: `search_tuner` with
    this call's budget, then `tuner.search` on the same images and epochs): its trials are
    read, not run again.
    """
    if searched and workers > 0:
        raise ValueError("searched tuners are read in one process: leave workers at 0")
    x, y = data.x_train[:train_images], one_hot(data.y_train[:train_images])
    val = (data.x_val[:val_images], one_hot(data.y_val[:val_images]))
    where = {"directory": directory, "strategies": strategies, "seeds": seeds, "prefix": "4E"}
    if workers > 0:

        def settings(strategy: str, seed: int) -> SearchSettings:
            return SearchSettings(
                space="cnn-4e",
                tuner=strategy,
                max_trials=budget,
                epochs=epochs,
                images=len(x),
                val_images=len(val[0]),
                seed=seed,
                mnist=None if mnist is None else str(mnist),
                sample=data.is_sample and mnist is None,
            )

        loaded = (x, y, *val, data.description)
        trials = search_each_with_workers(
            settings, loaded, workers=workers, resume=resume, verbose=verbose, **where
        )
    else:
        # One traced model serves every trial (it takes each build(hp)'s weights, dropout
        # and learning rate): the same scores in less than half the time (12 trials on
        # 4,096 images: 62 s against 149 s with a new model per trial, measured here);
        # a searched tuner's traced model serves the rest as well.
        hypermodel = _shared_hypermodel(searched) or SweepHyperModel(build)
        trials = search_each(
            hypermodel, x, y, val, budget=budget, epochs=epochs,
            bayesian_initial=bayesian_initial, resume=resume, searched=searched, **where,
        )  # fmt: skip
    return SearchResult(trials, budget, len(x), len(val[0]), epochs, bayesian_initial)


def search_each(
    hypermodel,
    x,
    y,
    validation: tuple,
    *,
    directory: str | Path,
    strategies: Sequence[str],
    seeds: Sequence[int],
    budget: int,
    epochs: int = 1,
    bayesian_initial: int = 3,
    resume: bool = False,
    prefix: str = "search",
    searched: Mapping[tuple[str, int], Tuner] | None = None,
) -> pd.DataFrame:
    """Every strategy searches `hypermodel`'s space with `budget` trials, once per seed.

    The seed seeds the strategy's draws and each trial's weights; each search is the
    keras-tuner project `<prefix>_<strategy>_seed<seed>` in `directory` (`resume`
    continues those projects; without it they start again). A (strategy, seed) in
    `searched` is that tuner's finished search, read instead. One row per trial.
    """
    searched = dict(searched or {})
    unknown = set(searched) - {(k, seed) for k in strategies for seed in seeds}
    if unknown:
        raise ValueError(f"searched names (strategy, seed) pairs this call does not run: {unknown}")
    frames = []
    with frozen_gc():  # the tuners' making too (each search freezes its own trials)
        for strategy in strategies:
            for seed in seeds:
                tuner = searched.get((strategy, seed))
                if tuner is not None:
                    check_searched(tuner, strategy, seed, budget)
                else:
                    tuner = search_tuner(
                        strategy, seed, directory=directory, budget=budget,
                        bayesian_initial=bayesian_initial, resume=resume,
                        prefix=prefix, hypermodel=hypermodel,
                    )  # fmt: skip
                    # keras-tuner's model.fit: each trial trains `epochs`, scored on `validation`
                    tuner.search(
                        x,
                        y,
                        validation_data=validation,
                        epochs=epochs,
                        batch_size=32,
                        validation_batch_size=512,  # scoring only: big batches, same score
                        verbose=0,
                    )
                frame = best_so_far(trials_dataframe(tuner))
                frames.append(frame.assign(strategy=strategy, seed=seed))
    return trials_table(frames)


def search_tuner(
    strategy: str,
    seed: int,
    *,
    directory: str | Path,
    budget: int,
    bayesian_initial: int = 3,
    resume: bool = False,
    prefix: str = "4E",
    hypermodel=None,
) -> Tuner:
    """One of 4E's searches, ready for `tuner.search`: `strategy` over `build`'s space.

    `seed` seeds the strategy's draws and each trial's weights; `budget` is its trials;
    Bayesian optimisation starts with `bayesian_initial` random ones. The hypermodel is
    `build` served by one traced model (`SweepHyperModel`) unless given.
    """
    extra = {"num_initial_points": bayesian_initial} if strategy == "bayesian" else {}
    return make_tuner(
        strategy,
        SweepHyperModel(build) if hypermodel is None else hypermodel,
        directory=directory,
        project=f"{prefix}_{strategy}_seed{seed}",
        seed=seed,
        max_trials=budget,
        overwrite=not resume,
        resume=resume,
        **extra,
    )


def _shared_hypermodel(searched: Mapping[tuple[str, int], Tuner] | None):
    """The first searched tuner's `SweepHyperModel` (its traced model), or None."""
    for tuner in (searched or {}).values():
        served = getattr(tuner.hypermodel, "build", None)  # keras-tuner wraps a callable
        if isinstance(served, SweepHyperModel):
            return served
    return None


def check_searched(tuner: Tuner, strategy: str, seed: int, budget: int) -> None:
    """Refuse a searched tuner whose strategy, seed or finished trials differ from the call's."""
    if not isinstance(tuner, KINDS[strategy]):
        raise ValueError(f"the tuner given for {strategy} is a {type(tuner).__name__}")
    made_for = getattr(tuner, "companion_seed", None)
    if made_for != seed:
        raise ValueError(f"the {strategy} tuner was made for seed {made_for}, not {seed}")
    done = sum(t.status == "COMPLETED" for t in tuner.oracle.trials.values())
    if done != budget or tuner.oracle.max_trials != budget:
        raise ValueError(
            f"the {strategy} tuner finished {done} of {tuner.oracle.max_trials} trials; this "
            f"call's budget is {budget}: run tuner.search with search_tuner(budget={budget})"
        )


def search_summary(r: SearchResult) -> pd.DataFrame:
    """One row per strategy: the best score over seeds, what was tried, how the budget went."""
    return tables.strategy_summary(r.trials, HYPERPARAMETERS, poor_score=POOR_SCORE)


def best_by_value(r: SearchResult, name: str) -> pd.DataFrame:
    """The best score each strategy reached at each value of one hyperparameter (– : never tried)."""
    values = LEARNING_RATES if name == "learning_rate" else DROPOUT_RATES
    return tables.best_by_value(r.trials, name, values)


def plot_search(r: SearchResult, *, axes=None):
    """Best score so far against trials (median and range over seeds) and against time."""
    return tables.plot_best_so_far(r.trials, axes=axes)


def plot_search_coverage(r: SearchResult, *, axes=None):
    """Per strategy, the best score at each (learning rate, dropout) over seeds; blank: untried."""
    rows, columns = ("learning_rate", LEARNING_RATES), ("dropout", DROPOUT_RATES)
    return tables.plot_coverage(r.trials, rows, columns, titles=STRATEGY_NAMES, axes=axes)


def _compare(a: float, b: float) -> str:
    return "more" if a > b else "fewer" if a < b else "as many"


def strategy_findings(r: SearchResult, summary: pd.DataFrame) -> list[str]:
    """One paragraph per strategy: its strength and limitation, then what its trials show."""
    s = summary.set_index("strategy")
    writers = {"grid": _grid_finding, "random": _random_finding, "bayesian": _bayesian_finding}
    return [writers[k](r, s) for k in r.strategies if k in writers]


def _coverage(r: SearchResult, s: pd.DataFrame, strategy: str) -> str:
    row = s.loc[strategy]
    text = (
        f"it tried {row['learning rates per seed']:.1f} of the {len(LEARNING_RATES)} learning "
        f"rates and {row['dropout rates per seed']:.1f} of the {len(DROPOUT_RATES)} dropout "
        "rates per seed"
    )
    if len(r.seeds) > 1:
        text += (
            f" ({row['learning rates, all seeds']:.0f} and {row['dropout rates, all seeds']:.0f}"
            f" over all {len(r.seeds)} seeds)"
        )
    if strategy != "grid" and "grid" in s.index:
        g = s.loc["grid"]
        text += (
            f", {_compare(row['learning rates per seed'], g['learning rates per seed'])} "
            "learning rates and "
            f"{_compare(row['dropout rates per seed'], g['dropout rates per seed'])} dropout "
            "rates than the grid"
        )
    return text


def _poor(r: SearchResult, s: pd.DataFrame, strategy: str) -> str:
    row = s.loc[strategy]
    trials = r.trials[r.trials["strategy"] == strategy]
    poor = trials[trials["score"] < POOR_SCORE]
    text = f"{row['poor trials']:.0f} of its {row['trials']:.0f} trials were poor"
    if len(poor):
        text += f" (learning rates {value_set(poor['learning_rate'])})"
    return text


def _grid_finding(r: SearchResult, s: pd.DataFrame) -> str:
    size = len(LEARNING_RATES) * len(DROPOUT_RATES)
    grid = r.trials[(r.trials["strategy"] == "grid") & (r.trials["seed"] == r.seeds[0])]
    untried = sorted(set(DROPOUT_RATES) - set(grid["dropout"]))
    line = (
        f"**Grid search.** Strength: exhaustive and reproducible; given all {size} trials it "
        "is sure to find the space's best combination, and its results read as a heatmap. "
        f"Limitation: its cost multiplies with every hyperparameter ({size} here; one more "
        f"with 4 values would make {4 * size}), and cut short it spends its budget in a fixed "
        "order (dropout outer, learning rate fastest). In this run, with "
        f"{r.budget} trials, {_grid_seeds(r)} tried learning rates "
        f"{value_set(grid['learning_rate'])} and dropout rates {value_set(grid['dropout'])}"
    )
    line += f"; it never reached dropout {value_set(untried)}." if untried else "."
    if len(r.seeds) > 1:
        line += (
            " Its seeds change only the initial weights, so its spread "
            f"({s.loc['grid', 'worst seed']:.4f} to {s.loc['grid', 'best seed']:.4f}) is "
            "training noise alone."
        )
    return line + f" {_poor(r, s, 'grid').capitalize()}."


def _grid_seeds(r: SearchResult) -> str:
    """'every seed' when each grid search tried the same combinations in the same order."""
    grid = r.trials[r.trials["strategy"] == "grid"]
    orders = {tuple(map(tuple, g[NAMES].values)) for _, g in grid.groupby("seed")}
    if len(r.seeds) == 1:
        return "its search"
    return (
        "every seed (the same combinations in the same order)"
        if len(orders) == 1
        else (f"its seeds did not all try the same combinations; seed 1 ({r.seeds[0]})")
    )


def _random_finding(r: SearchResult, s: pd.DataFrame) -> str:
    return (
        "**Random search.** Strength: every trial is an independent draw from the whole "
        "space, so any budget samples every hyperparameter at once and the search can stop "
        "at any time. Limitation: nothing guarantees it covers a region or reaches the best "
        "value, and it lands on poor values as often as they fill the space. In this run "
        f"{_coverage(r, s, 'random')}; {_poor(r, s, 'random')}."
    )


def _bayesian_finding(r: SearchResult, s: pd.DataFrame) -> str:
    trials = r.trials[r.trials["strategy"] == "bayesian"]
    guided = trials.loc[trials["trial"] > r.bayesian_initial, "score"]
    drawn = trials.loc[trials["trial"] <= r.bayesian_initial, "score"]
    line = (
        "**Bayesian optimisation.** Strength: it learns from the scores so far; after "
        f"{r.bayesian_initial} random draws a Gaussian process fitted to them picks each next "
        "trial where it expects a high score. Limitation: the model pays only once it has a "
        "few points, and on a small discrete space it can propose a combination already "
        f"tried, spending a trial on a repeat. In this run {_coverage(r, s, 'bayesian')}"
    )
    if len(guided):
        better = _compare(guided.mean(), drawn.mean())
        better = {"more": "higher than", "fewer": "lower than", "as many": "as high as"}[better]
        line += (
            f"; its guided trials scored {guided.mean():.3f} on average, {better} its "
            f"random draws ({drawn.mean():.3f})"
        )
    repeats = s.loc["bayesian", "repeats"]
    line += f"; {repeats:.0f} trials repeated a combination; {_poor(r, s, 'bayesian')}."
    top = trials.loc[trials.groupby("seed")["score"].idxmax()]
    from_guided = int((top["trial"] > r.bayesian_initial).sum())
    line += f" Its best trial was a guided one in {from_guided} of its {len(top)} searches."
    if tables.same_first_draws(r.trials, NAMES, r.bayesian_initial):
        line += (
            f" With the same seed its {r.bayesian_initial} random draws are the random "
            "search's first ones, so the two differ only after them."
        )
    return line


def search_bests(r: SearchResult) -> pd.DataFrame:
    """One row per search: strategy, seed, the best trial's number, settings and score."""
    return tables.search_bests(r.trials, NAMES)


def most_often_best(r: SearchResult) -> pd.DataFrame:
    """Per strategy: the settings best in most of its searches, and in how many."""
    return tables.most_often_best(search_bests(r), NAMES)


def _settings_line(r: SearchResult, strategy: str) -> str:
    top = most_often_best(r).set_index("strategy").loc[strategy]
    settings = f"learning rate {top['learning_rate']:g} and dropout {top['dropout']:g}"
    searches, of = int(top["searches"]), int(top["of"])
    if of == 1:
        return f"Its one search peaked at {settings}."
    if searches == of:
        return f"All {of} of its searches peaked at {settings}."
    if searches == 1:
        return f"Each of its {of} searches peaked at different settings."
    return f"{searches} of its {of} searches peaked at {settings}."


def _median_of(n: int) -> str:
    if n == 1:
        return "its one search's best score"
    return f"the median over its {n} searches of each search's best score"


def _bests_table(r: SearchResult, number: Mapping[int, int]) -> pd.DataFrame:
    bests = search_bests(r)
    bests["seed"] = bests["seed"].map(number)
    return bests[["strategy", "seed", "trial", "learning_rate", "dropout", "score"]]


def _name(strategy: str) -> str:
    return STRATEGY_NAMES.get(strategy, strategy)


def search_headline(summary: pd.DataFrame) -> str:
    """One line: the median best score of each strategy."""
    pairs = zip(summary["strategy"], summary["median best"])
    bests = ", ".join(f"{strategy} {best:.4f}" for strategy, best in pairs)
    return f"median best val accuracy: {bests}"


def text_4e(r: SearchResult, figures: Mapping[str, str] | None = None) -> str:
    """4E's report section: strengths and limitations read off this run's trials."""
    figures = figures or {}
    summary = search_summary(r)
    s = summary.set_index("strategy")
    winner, runner_up, separated = tables.ranking(summary)
    w, u = s.loc[winner], s.loc[runner_up]
    n_seeds = len(r.seeds)
    if n_seeds == 1:
        noise = "One seed cannot tell how much of this difference is noise (the full run uses 3)."
    elif separated:
        noise = (
            f"Its worst seed ({w['worst seed']:.4f}) beat {_name(runner_up)}'s best seed "
            f"({u['best seed']:.4f}), so the difference holds across these {n_seeds} seeds."
        )
    else:
        noise = (
            f"Its seed range ({w['worst seed']:.4f} to {w['best seed']:.4f}) overlaps "
            f"{_name(runner_up)}'s ({u['worst seed']:.4f} to {u['best seed']:.4f}), so {n_seeds} "
            "seeds of this budget do not separate them."
        )
    best_table = summary[["strategy", "median best", "worst seed", "best seed"]]
    per_seed = r.trials.pivot_table(index="strategy", columns="seed", values="score", aggfunc="max")
    number = {seed: i + 1 for i, seed in enumerate(r.seeds)}  # "seed 2", not its 10 digits
    per_seed.columns = [f"seed {number[c]}" for c in per_seed.columns]
    best_table = best_table.join(per_seed, on="strategy")
    spend = summary[["strategy", "trials", "poor trials", "repeats", "seconds"]]
    size = len(LEARNING_RATES) * len(DROPOUT_RATES)
    trials = r.trials.assign(seed=r.trials["seed"].map(number))
    trials = trials[["strategy", "seed", "trial", "learning_rate", "dropout", "score", "seconds"]]
    paragraphs = "\n\n".join(strategy_findings(r, summary))
    poor = r.trials.loc[r.trials["score"] < POOR_SCORE, "learning_rate"]
    poor_lrs = f"those were at learning rates {value_set(poor)}" if len(poor) else "there were none"
    return f"""
The space is the set's example: learning rate in {value_set(LEARNING_RATES)} × dropout in
{value_set(DROPOUT_RATES)}: {size} combinations. Each strategy gets the same budget, {r.budget}
trials per search, and searches once per seed ({count(n_seeds, "seed")}, numbered from 1 below:
{", ".join(map(str, r.seeds))}; same data). A trial trains a small CNN on {r.train_images:,} training images for {r.epochs}
epoch(s) and scores it on {r.val_images:,} validation images (the test set is not used).
Bayesian optimisation is keras-tuner's `BayesianOptimization` with {r.bayesian_initial} random
trials first.

{figures.get("search", "")}
**Best validation accuracy** of each search:

{markdown_table(best_table)}
**{_name(winner).capitalize()}** had the highest median best score, {w["median best"]:.4f}
({_median_of(n_seeds)});
{_name(runner_up)} came next ({u["median best"]:.4f}). {noise} {_settings_line(r, winner)}
Each search's best trial, and the settings that scored it:

{markdown_table(_bests_table(r, number))}
**What each strategy tried.** The best score each reached at each value (– : never tried, over
all seeds):

{markdown_table(best_by_value(r, "learning_rate"))}
{markdown_table(best_by_value(r, "dropout"))}
{figures.get("coverage", "")}
**How the budget was spent.** A poor trial scored below {POOR_SCORE} (chance is 0.1); here
{poor_lrs}. A repeat trains a combination the same search
already tried:

{markdown_table(spend)}
**Strengths and limitations, read off the trials.**

{paragraphs}

<details><summary>every trial</summary>

{markdown_table(trials)}
</details>

A search interrupted part-way continues with `--resume` (finished trials are kept).
"""


def search_results(r: SearchResult, summary: pd.DataFrame) -> dict:
    """4E's summary.json entry: per-strategy, per-seed best scores and what each tried."""
    winner, runner_up, separated = tables.ranking(summary)
    best = r.trials.groupby(["strategy", "seed"])["score"].max()
    return {
        "seeds": r.seeds,
        "best_scores": {k: [float(best[k, seed]) for seed in r.seeds] for k in r.strategies},
        "strategies": summary.set_index("strategy").to_dict(orient="index"),
        "winner": winner,
        "runner_up": runner_up,
        "separated": separated,
        "search_bests": search_bests(r).to_dict(orient="records"),
        "most_often_best": most_often_best(r).set_index("strategy").to_dict(orient="index"),
        "budget": r.budget,
        "train_images": r.train_images,
        "val_images": r.val_images,
        "epochs": r.epochs,
        "bayesian_initial": r.bayesian_initial,
    }


def run_4e(ctx: Context) -> Section:
    """4E: grid, random and Bayesian search at the same budget, over several seeds."""
    data = ctx.mnist()
    r = hyperparameter_search(
        data,
        directory=ctx.folder.folder_for("tuning"),  # 4E's: a rerun moves it aside whole
        seeds=[ctx.seed_for(f"search-{i}") for i in range(1 if ctx.quick else 3)],
        budget=3 if ctx.quick else 8,
        train_images=1_536 if ctx.quick else 2_048,
        val_images=None if ctx.quick else 5_120,
        epochs=ctx.epochs(1),
        bayesian_initial=2 if ctx.quick else 3,
        resume=ctx.args.resume,
        workers=ctx.args.workers,
        mnist=ctx.args.mnist,
        # in one process each trial reports through the run's progress lines; workers'
        # trials are reported by the search's own view
        verbose=ctx.args.workers > 0 and not ctx.args.quiet,
    )
    ctx.folder.save_table(r.trials, "4E_trials")
    figures = {
        "search": ctx.folder.figure_md(
            plot_search(r), "4E_search", "Best score so far: grid, random and Bayesian search"
        ),
        "coverage": ctx.folder.figure_md(
            plot_search_coverage(r), "4E_coverage", "Which combinations each strategy tried"
        ),
    }
    summary = search_summary(r)
    return Section(text_4e(r, figures), search_results(r, summary), search_headline(summary))
