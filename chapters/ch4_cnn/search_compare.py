"""Search strategies compared: each searches the same space with the same budget, once per seed.

`search_each_with_workers` runs every (strategy, seed) search through `companion.search`
worker processes (chapter 4E's `search_each` runs them in its own process, with keras-tuner
in view); `trials_table` makes either's searches one table of every trial, which
`chapters.ch4_cnn.search_strategies` reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from companion.search.run import run_search
from companion.search.trials import best_so_far

TRIAL_COLUMNS = ["strategy", "seed", "trial", "score", "seconds", "elapsed", "best_score"]


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
    """Every strategy searches once per seed, by `run_search` with `workers` processes each.

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
    return trials_table(frames)


def trials_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One table of every trial of several searches: strategy, seed, trial, values, scores."""
    trials = pd.concat(frames, ignore_index=True)
    names = [c for c in frames[0].columns if c not in _TUNER_COLUMNS and c not in TRIAL_COLUMNS]
    return trials[[*TRIAL_COLUMNS[:3], *names, *TRIAL_COLUMNS[3:]]]


# trials_dataframe's bookkeeping columns, left out of the comparison's table
_TUNER_COLUMNS = {"trial_id", "best_step", "status", "worker"}
