"""keras-tuner without the foot-guns.

What bites students, and what this module does about it:
- an old project silently reloaded (`overwrite=False`): `make_tuner` refuses to reuse a
  project unless told to resume or overwrite it;
- RandomSearch giving up after 20 duplicate draws on a small space: the draw limit is raised
  and a trial budget larger than the space is refused;
- a Float without a step silently becoming 10 grid values: refused in a grid;
- a grid far bigger than intended: its size is checked before anything trains;
- no table of results: `trials_dataframe` gives one, with seconds per trial.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import keras_tuner as kt
import numpy as np
import pandas as pd

from companion.errors import CompanionError
from companion.progress import trial_done
from companion.seed import derive_seed, set_seed

log = logging.getLogger(__name__)

TIMES_FILE = "trial_seconds.json"


class _Timed:
    """Mixin: seeds each trial from the tuner's seed and records its wall time."""

    companion_seed: int = 0

    def on_trial_begin(self, trial):
        self._trial_start = time.perf_counter()
        # The same trial id gets the same initial weights, in this run or a resumed one.
        set_seed(derive_seed(self.companion_seed, f"trial-{trial.trial_id}"))
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        path = Path(self.project_dir) / TIMES_FILE
        times = json.loads(path.read_text()) if path.exists() else {}
        times[trial.trial_id] = time.perf_counter() - getattr(
            self, "_trial_start", time.perf_counter()
        )
        path.write_text(json.dumps(times))
        super().on_trial_end(trial)
        _log_trial(self.oracle, trial)


def _log_trial(oracle: kt.Oracle, trial) -> None:
    """One progress line per finished trial (shown only where progress is shown)."""
    finished = [t for t in oracle.trials.values() if t.status == "COMPLETED"]
    best = oracle.get_best_trials(1)
    trial_done(
        len(finished),
        oracle.max_trials,
        trial.hyperparameters.values,
        trial.score,
        best[0].score if best else None,
    )


class GridOracle(kt.Oracle):
    """Walks the grid in order (last-declared hyperparameter fastest), skipping tried points.

    keras-tuner's own grid oracle keeps its place in memory only, so a reloaded search
    stops after the interrupted trial; this one finds its place again from the trials.
    """

    def populate_space(self, trial_id):
        space = [hp for hp in self.get_space().space]
        tried = {_key(t.hyperparameters.values) for t in self.trials.values()}
        for combo in itertools.product(*(hp_values(hp) for hp in space)):
            values = {hp.name: value for hp, value in zip(space, combo)}
            if _key(values) not in tried:
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}
        return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}


def _key(values: dict) -> tuple:
    return tuple(sorted((name, repr(value)) for name, value in values.items()))


class GridSearch(_Timed, kt.Tuner):
    """A resumable grid search, seeded per trial and timed."""

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials=None,
        seed=None,
        hyperparameters=None,
        **kwargs,
    ):
        oracle = GridOracle(
            objective=objective, max_trials=max_trials, seed=seed, hyperparameters=hyperparameters
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)


class RandomSearch(_Timed, kt.RandomSearch):
    """keras_tuner.RandomSearch, seeded per trial and timed."""


class Hyperband(_Timed, kt.Hyperband):
    """keras_tuner.Hyperband, seeded per trial and timed."""


class BayesianOptimization(_Timed, kt.BayesianOptimization):
    """keras_tuner.BayesianOptimization, seeded per trial and timed."""


KINDS = {
    "grid": GridSearch,
    "random": RandomSearch,
    "hyperband": Hyperband,
    "bayesian": BayesianOptimization,
}


def declared_space(hypermodel: kt.HyperModel | Callable) -> kt.HyperParameters:
    """The hyperparameters a hypermodel declares with their defaults (builds it once)."""
    hp = kt.HyperParameters()
    build = hypermodel.build if isinstance(hypermodel, kt.HyperModel) else hypermodel
    build(hp)
    keras.backend.clear_session()
    return hp


def _space(hypermodel_or_hps) -> kt.HyperParameters:
    if isinstance(hypermodel_or_hps, kt.HyperParameters):
        return hypermodel_or_hps
    return declared_space(hypermodel_or_hps)


def hp_values(hp) -> list | None:
    """The finite list of values a hyperparameter takes, or None if it is continuous."""
    if isinstance(hp, kt.engine.hyperparameters.Fixed):
        return [hp.value]
    if isinstance(hp, kt.engine.hyperparameters.Boolean):
        return [False, True]
    if isinstance(hp, kt.engine.hyperparameters.Choice):
        return list(hp.values)
    if getattr(hp, "step", None) is None:
        if isinstance(hp, kt.engine.hyperparameters.Int) and hp.sampling == "linear":
            return list(range(hp.min_value, hp.max_value + 1))
        return None
    return list(hp.values)


def grid_size(hypermodel_or_hps) -> float:
    """How many combinations a grid over the space has (inf if a value is continuous)."""
    sizes = [hp_values(hp) for hp in _space(hypermodel_or_hps).space]
    if any(v is None for v in sizes):
        return math.inf
    return float(np.prod([len(v) for v in sizes])) if sizes else 1.0


def _check_grid(space: kt.HyperParameters, max_grid: int, max_trials: int | None) -> None:
    for hp in space.space:
        if hp_values(hp) is None:
            raise CompanionError(
                f"hyperparameter {hp.name!r} is continuous ({type(hp).__name__} without a "
                "step): a grid search would silently try 10 evenly spaced values; give it a "
                "step or use hp.Choice with the values you mean"
            )
    size = grid_size(space)
    budget = size if max_trials is None else min(size, max_trials)
    if budget > max_grid:
        raise CompanionError(
            f"the grid has {int(size)} combinations ({_describe(space)}); that is more than "
            f"max_grid={max_grid}: shrink the grid, pass max_trials, or raise max_grid"
        )


def _describe(space: kt.HyperParameters) -> str:
    return " × ".join(f"{len(hp_values(hp))} {hp.name}" for hp in space.space)


def make_tuner(
    kind: str,
    hypermodel: kt.HyperModel | Callable,
    *,
    directory: str | Path,
    project: str,
    seed: int = 0,
    objective: str | kt.Objective = "val_accuracy",
    max_trials: int | None = None,
    overwrite: bool = False,
    resume: bool = False,
    max_grid: int = 200,
    **kwargs: Any,
) -> kt.Tuner:
    """Build a keras-tuner tuner with checks that catch the usual mistakes.

    Args:
        kind: "grid", "random", "hyperband" or "bayesian".
        hypermodel: a `keras_tuner.HyperModel` or a `build(hp)` function.
        directory: where tuner projects live.
        project: this search's folder name inside `directory`.
        seed: seeds the oracle and each trial's weights.
        objective: the metric to maximise/minimise (e.g. "val_accuracy").
        max_trials: the trial budget (grid: None runs the whole grid).
        overwrite: delete an existing project and start again.
        resume: continue an existing project (interrupted trials are rerun).
        max_grid: refuse grids with more combinations than this.
        **kwargs: passed to the keras-tuner class (e.g. `max_epochs` for hyperband).

    Returns:
        The tuner; call `.search(x, y, validation_data=..., epochs=...)` on it.
    """
    if kind not in KINDS:
        raise CompanionError(f"unknown tuner kind {kind!r}; choose one of {', '.join(KINDS)}")
    if overwrite and resume:
        raise CompanionError("overwrite=True and resume=True contradict each other; pick one")
    project_dir = Path(directory) / project
    existing = (project_dir / "oracle.json").exists()
    if existing and not (overwrite or resume):
        raise CompanionError(
            f"tuner project {project_dir} already exists; pass resume=True to continue it "
            "or overwrite=True to start again (keras-tuner would silently reload it)"
        )
    space = declared_space(hypermodel)
    if kind == "grid":
        _check_grid(space, max_grid, max_trials)
    if kind in ("random", "bayesian"):
        max_trials = 10 if max_trials is None else max_trials
        size = grid_size(space)
        if max_trials > size:
            raise CompanionError(
                f"max_trials={max_trials} is larger than the whole space ({int(size)} "
                f"combinations: {_describe(space)}); use kind='grid' to try them all"
            )
    if max_trials is not None:
        kwargs["max_trials"] = max_trials
    if kind == "hyperband":
        kwargs.pop("max_trials", None)
    tuner = KINDS[kind](
        hypermodel,
        objective=objective,
        seed=seed,
        directory=str(directory),
        project_name=project,
        overwrite=overwrite or not existing,
        **kwargs,
    )
    tuner.companion_seed = seed
    if resume and kind != "hyperband":
        # A reloaded oracle keeps its old budget; the caller's budget is the one meant.
        tuner.oracle.max_trials = max_trials
    if hasattr(tuner.oracle, "_max_collisions"):
        # keras-tuner stops a random search after 20 duplicate draws in a row, which on a
        # small finite space ends it long before max_trials; the budget check above
        # already guarantees enough distinct combinations exist.
        tuner.oracle._max_collisions = 10_000
    return tuner


def _trial_order(trial_id: str) -> tuple[int, str]:
    return (int(trial_id), trial_id) if trial_id.isdigit() else (10**9, trial_id)


def trials_dataframe(tuner: kt.Tuner) -> pd.DataFrame:
    """One row per trial: trial_id, each hyperparameter, score, best_step, status, seconds."""
    path = Path(tuner.project_dir) / TIMES_FILE
    times = json.loads(path.read_text()) if path.exists() else {}
    rows = []
    for trial_id in sorted(tuner.oracle.trials, key=_trial_order):
        trial = tuner.oracle.trials[trial_id]
        rows.append(
            {
                "trial_id": trial_id,
                **trial.hyperparameters.values,
                "score": np.nan if trial.score is None else float(trial.score),
                "best_step": trial.best_step,
                "status": str(trial.status),
                "seconds": times.get(trial_id, np.nan),
            }
        )
    return pd.DataFrame(rows)


def best_so_far(frame: pd.DataFrame, *, direction: str = "max") -> pd.DataFrame:
    """Add `trial` (1, 2, …), `elapsed` seconds and the running best `best_score`."""
    out = frame.reset_index(drop=True).copy()
    out["trial"] = np.arange(1, len(out) + 1)
    out["elapsed"] = out["seconds"].fillna(0).cumsum()
    score = out["score"].astype(float)
    filled = score.fillna(-np.inf if direction == "max" else np.inf)
    out["best_score"] = filled.cummax() if direction == "max" else filled.cummin()
    out.loc[~np.isfinite(out["best_score"]), "best_score"] = np.nan
    return out


def plot_grid_heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    score: str = "score",
    ax=None,
    fmt: str = "{:.3f}",
    title: str = "",
):
    """Scores of a two-parameter grid as a heatmap (untried cells left blank)."""
    from companion.plots import plot_heatmap

    table = frame.pivot_table(index=y, columns=x, values=score, aggfunc="max")
    fig = plot_heatmap(
        table.values,
        ax=ax,
        fmt=fmt,
        xlabels=list(table.columns),
        ylabels=list(table.index),
        title=title or f"{score} by {y} × {x}",
    )
    (ax or fig.axes[0]).set(xlabel=x, ylabel=y)
    return fig
