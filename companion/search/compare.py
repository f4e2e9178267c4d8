"""Search strategies compared: each searches the same space with the same budget, once per seed.

`search_each` runs every (strategy, seed) search in this process, `search_each_with_workers`
through `companion.search` worker processes; both return one table of every trial, which
`companion.search.strategies` reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from companion.search.run import run_search
from companion.sweep import frozen_gc
from companion.trials import best_so_far, trials_dataframe
from companion.tuning import make_tuner

TRIAL_COLUMNS = ["strategy", "seed", "trial", "score", "seconds", "elapsed", "best_score"]


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
) -> pd.DataFrame:
    """Every strategy searches `hypermodel`'s space with `budget` trials, once per seed.

    The seed seeds the strategy's draws and each trial's weights; each search is the
    keras-tuner project `<prefix>_<strategy>_seed<seed>` in `directory` (`resume`
    continues those projects; without it they start again).
    """
    frames = []
    with frozen_gc():  # keras-tuner's two collections per trial, made cheap
        for strategy in strategies:
            extra = {"num_initial_points": bayesian_initial} if strategy == "bayesian" else {}
            for seed in seeds:
                tuner = make_tuner(
                    strategy,
                    hypermodel,
                    directory=directory,
                    project=f"{prefix}_{strategy}_seed{seed}",
                    seed=seed,
                    max_trials=budget,
                    overwrite=not resume,
                    resume=resume,
                    **extra,
                )
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
    return _trials(frames)


def search_each_with_workers(
    settings: Callable[[str, int], object],
    data: tuple,
    *,
    directory: str | Path,
    strategies: Sequence[str],
    seeds: Sequence[int],
    workers: int,
    resume: bool = False,
    prefix: str = "search",
    verbose: bool = False,
) -> pd.DataFrame:
    """`search_each` through `companion.search.run_search` with `workers` processes each.

    `settings(strategy, seed)` gives each search's `SearchSettings`; `data` is the loaded
    (x, y, x_val, y_val, description) every search trains and scores on.
    """
    frames = []
    for strategy in strategies:
        for seed in seeds:
            search = run_search(
                settings(strategy, seed),
                Path(directory) / f"{prefix}_{strategy}_seed{seed}",
                workers=workers,
                resume=resume,
                overwrite=not resume,
                data=data,
                verbose=verbose,
            )
            frames.append(best_so_far(search.trials).assign(strategy=strategy, seed=seed))
    return _trials(frames)


def _trials(frames: list[pd.DataFrame]) -> pd.DataFrame:
    trials = pd.concat(frames, ignore_index=True)
    names = [c for c in frames[0].columns if c not in _TUNER_COLUMNS and c not in TRIAL_COLUMNS]
    return trials[[*TRIAL_COLUMNS[:3], *names, *TRIAL_COLUMNS[3:]]]


# trials_dataframe's bookkeeping columns, left out of the comparison's table
_TUNER_COLUMNS = {"trial_id", "best_step", "status", "worker"}
