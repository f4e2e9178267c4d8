"""keras-tuner without the foot-guns.

What bites students, and what this module does about it:
- an old project silently reloaded (`overwrite=False`): `make_tuner` refuses to reuse a
  project unless told to resume or overwrite it;
- RandomSearch giving up after 20 duplicate draws on a small space: the draw limit is raised
  and a trial budget larger than the space is refused;
- a Float without a step silently becoming 10 grid values: refused in a grid;
- a grid far bigger than intended: its size is checked before anything trains;
- seed=0 silently meaning "a random seed" to keras-tuner: 0 is a seed like any other;
- no table of results: `trials_dataframe` (`companion.search.trials`) gives one, with seconds
  and worker per trial;
- bookkeeping in one shared file that every trial rewrites (entries lost with several
  workers): each trial's seconds and worker travel with its own metrics instead, which the
  oracle (the chief, in a distributed search) alone writes into that trial's trial.json.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import keras_tuner as kt
import numpy as np
from keras_tuner.src import utils as kt_utils
from keras_tuner.src.distribute.oracle_client import OracleClient
from keras_tuner.src.engine import tuner_utils

from companion.errors import CompanionError
from companion.run.atomic import write_text
from companion.run.progress import handler, trial_done
from companion.search.trials import SECONDS_METRIC, WORKER_METRIC, worker_number
from companion.seed import derive_seed, set_seed

log = logging.getLogger(__name__)
_keras_tuner_save_json = kt_utils.save_json


def _save_json_whole(path, obj) -> str:
    """keras-tuner's `save_json` (trial.json, oracle.json), written whole or not at all.

    keras-tuner writes in place, so a kill -9 mid-write left an empty trial.json that the
    resumed search could not read; a temporary file renamed into place leaves the old file
    or the new one. Remote paths (gs://…) keep keras-tuner's own writer.
    """
    if "://" in str(path):
        return _keras_tuner_save_json(path, obj)
    text = json.dumps(obj)
    write_text(Path(path), text)
    return text


kt_utils.save_json = _save_json_whole  # keras-tuner calls it as `utils.save_json`


def is_distributed_worker() -> bool:
    """Whether this process is a worker of a keras-tuner distributed search (from its env)."""
    return "KERASTUNER_ORACLE_IP" in os.environ and "chief" not in os.environ.get(
        "KERASTUNER_TUNER_ID", "chief"
    )


def _tuner_id() -> str:
    return os.environ.get("KERASTUNER_TUNER_ID", "tuner0")


class _Timed:
    """Mixin: seeds each trial from the tuner's seed; reports its seconds and worker."""

    companion_seed: int = 0

    def on_trial_begin(self, trial):
        # The same trial id gets the same initial weights, in this run or a resumed one,
        # whichever worker runs it.
        set_seed(derive_seed(self.companion_seed, f"trial-{trial.trial_id}"))
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        _log_trial(self.oracle, trial)  # in the process that ran the trial

    def _run_and_update_trial(self, trial, *fit_args, **fit_kwargs):
        # keras-tuner's own body, plus two metrics: they reach the oracle with the score
        # (over gRPC in a distributed search), so no worker writes a shared file.
        start = time.perf_counter()
        results = self.run_trial(trial, *fit_args, **fit_kwargs)
        objective = self.oracle.objective
        tuner_utils.validate_trial_results(results, objective, "Tuner.run_trial()")
        metrics = dict(tuner_utils.convert_to_metrics_dict(results, objective))
        metrics[SECONDS_METRIC] = time.perf_counter() - start
        metrics[WORKER_METRIC] = worker_number(str(self.tuner_id))
        step = tuner_utils.get_best_step(results, objective)
        self.oracle.update_trial(trial.trial_id, metrics, step=step)


def _log_trial(oracle: kt.Oracle, trial) -> None:
    """One progress line per finished trial (shown only where progress is shown)."""
    # A distributed worker's oracle is a gRPC client without the trial table; its
    # launcher shows the trials instead.
    if handler() is None or isinstance(oracle, OracleClient):
        return
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
    Points differing only in an inactive conditional value (e.g. a taper for a 1-layer
    net) are one point: keyed on raw values, such a point was retried forever.
    """

    def populate_space(self, trial_id):
        tried = {_key(t.hyperparameters.values) for t in self.trials.values()}
        for values in grid_points(self.get_space()):
            if _key(values) not in tried:
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}
        return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}


def grid_points(space: kt.HyperParameters):
    """Yield each distinct point of a finite space once, with only its active values."""
    hps = list(space.space)
    seen = set()
    for combo in itertools.product(*(hp_values(hp) for hp in hps)):
        point = space.copy()
        point.values = {hp.name: value for hp, value in zip(hps, combo)}
        point.ensure_active_values()  # drops values whose condition is not met
        if _key(point.values) not in seen:
            seen.add(_key(point.values))
            yield dict(point.values)


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
    space = _space(hypermodel_or_hps)
    sizes = [hp_values(hp) for hp in space.space]
    if any(v is None for v in sizes):
        return math.inf
    product = float(np.prod([len(v) for v in sizes])) if sizes else 1.0
    if product > 100_000 or not any(hp.conditions for hp in space.space):
        return product
    return float(sum(1 for _ in grid_points(space)))  # conditional: count distinct points


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
    if is_distributed_worker():
        # The chief owns the project (maybe this very folder): a worker never deletes it.
        existing, overwrite, resume = True, False, False
    elif existing and not (overwrite or resume):
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
    # keras-tuner reloads a project only when this tuner's own state file (`{}`) is there,
    # so a search continued by another process (a chief after a one-process run, or the
    # reverse) would silently start again over the finished trials: write the file.
    state = project_dir / f"{kwargs.get('tuner_id') or _tuner_id()}.json"
    if existing and resume and not state.exists():
        state.write_text("{}")
    # A new project starts clean of keras-tuner's state only: a half-made one (a tuner file
    # but no oracle) cannot be reloaded, while other files (a search's settings, its
    # workers' logs) are kept.
    stale = not existing and state.exists()
    tuner = KINDS[kind](
        hypermodel,
        objective=objective,
        # keras-tuner reads seed=0 as "no seed" and draws one per process, so random
        # searches with seed 0 differed between runs (and between a chief and one process).
        seed=seed or derive_seed(0, "oracle"),
        directory=str(directory),
        project_name=project,
        overwrite=overwrite or stale,
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
