"""keras-tuner without the foot-guns that bite students: an old project silently reloaded,
random searches giving up on small spaces, a Float without a step becoming 10 grid values,
grids far bigger than meant, seed=0 meaning "random", trial files cut short by a kill."""

from __future__ import annotations

import itertools
import json
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
from keras_tuner.src.distribute import utils as dist_utils
from keras_tuner.src.distribute.oracle_client import OracleClient
from keras_tuner.src.engine import tuner_utils
from keras_tuner.src.engine.hyperparameters import Boolean
from keras_tuner.src.engine.trial import TrialStatus

from companion.errors import CompanionError
from companion.run.atomic import write_text
from companion.run.progress import handler, trial_done
from companion.search.trials import SECONDS_METRIC, WORKER_METRIC, worker_number
from companion.seed import derive_seed, set_seed
from companion.sweep import frozen_gc

_keras_tuner_save_json = kt_utils.save_json


def _save_json_whole(path, obj) -> str:
    """keras-tuner's `save_json` (trial.json, oracle.json), written whole or not at all."""
    # keras-tuner writes in place, so a kill -9 mid-write left an empty trial.json that the
    # resumed search could not read. Remote paths (gs://…) keep keras-tuner's own writer.
    if "://" in str(path):
        return _keras_tuner_save_json(path, obj)
    text = json.dumps(obj)
    write_text(Path(path), text)
    return text


kt_utils.save_json = _save_json_whole  # keras-tuner calls it as `utils.save_json`


class _Timed:
    """Mixin: seeds each trial from the tuner's seed; reports its seconds and worker."""

    companion_seed: int = 0

    def search(self, *fit_args, **fit_kwargs):
        # keras-tuner runs two full garbage collections a trial (0.2 s each with TensorFlow
        # loaded, as long as a small trial): frozen_gc leaves them only what the search made.
        with frozen_gc():
            return super().search(*fit_args, **fit_kwargs)

    def on_trial_begin(self, trial):
        # The same trial id gets the same initial weights, in this run or a resumed one,
        # whichever worker runs it.
        set_seed(derive_seed(self.companion_seed, f"trial-{trial.trial_id}"))
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        _log_trial(self.oracle, trial)  # in the process that ran the trial

    def _run_and_update_trial(self, trial, *fit_args, **fit_kwargs):
        # keras-tuner's own body plus two metrics, which reach the oracle with the score
        # (over gRPC in a distributed search): several workers never rewrite a shared file.
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
    done = sum(t.status == "COMPLETED" for t in oracle.trials.values())
    best = oracle.get_best_trials(1)
    values, best_score = trial.hyperparameters.values, best[0].score if best else None
    trial_done(done, oracle.max_trials, values, trial.score, best_score)


class GridOracle(kt.Oracle):
    """Walks the grid in order (last-declared hyperparameter fastest), skipping tried points.

    keras-tuner's own grid oracle keeps its place in memory only, so a reloaded search
    stops after the interrupted trial; this one finds its place again from the trials.
    """

    def populate_space(self, trial_id):
        tried = {_key(t.hyperparameters.values) for t in self.trials.values()}
        for values in grid_points(self.get_space()):
            if _key(values) not in tried:
                return {"status": TrialStatus.RUNNING, "values": values}
        return {"status": TrialStatus.STOPPED, "values": None}


def grid_points(space: kt.HyperParameters):
    """Yield each distinct point of a finite space once, with only its active values."""
    # Points differing only in an inactive conditional value (a taper for a 1-layer net)
    # are one point: keyed on raw values, such a point was retried forever.
    hps, seen = list(space.space), set()
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

    def __init__(self, hypermodel=None, **kwargs):
        names = ("objective", "max_trials", "seed", "hyperparameters")
        oracle = GridOracle(**{name: kwargs.pop(name, None) for name in names})
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)


class RandomSearch(_Timed, kt.RandomSearch):
    """keras_tuner.RandomSearch, seeded per trial and timed."""


class Hyperband(_Timed, kt.Hyperband):
    """keras_tuner.Hyperband, seeded per trial and timed."""


class BayesianOptimization(_Timed, kt.BayesianOptimization):
    """keras_tuner.BayesianOptimization, seeded per trial and timed."""


KINDS = {"grid": GridSearch, "random": RandomSearch}
KINDS |= {"hyperband": Hyperband, "bayesian": BayesianOptimization}


def declared_space(hypermodel: kt.HyperModel | Callable) -> kt.HyperParameters:
    """The hyperparameters a hypermodel declares with their defaults (builds it once)."""
    hp = kt.HyperParameters()
    (hypermodel.build if isinstance(hypermodel, kt.HyperModel) else hypermodel)(hp)
    keras.backend.clear_session()
    return hp


def hp_values(hp) -> list | None:
    """The finite list of values a hyperparameter takes, or None if it is continuous."""
    if isinstance(hp, Boolean):
        return [False, True]  # keras-tuner's order is (True, False)
    # keras-tuner gives a linear Int step 1; Fixed and Choice have no step at all. A
    # numerical one without a step would take 10 evenly spaced values in keras-tuner's grid.
    return None if getattr(hp, "step", 0) is None else list(hp.values)


def grid_size(hypermodel_or_hps) -> float:
    """How many combinations a grid over the space has (inf if a value is continuous)."""
    space = hypermodel_or_hps
    if not isinstance(space, kt.HyperParameters):
        space = declared_space(space)
    sizes = [hp_values(hp) for hp in space.space]
    if any(v is None for v in sizes):
        return math.inf
    product = float(np.prod([len(v) for v in sizes])) if sizes else 1.0
    if product > 100_000 or not any(hp.conditions for hp in space.space):
        return product
    return float(sum(1 for _ in grid_points(space)))  # conditional: count distinct points


def _describe(space: kt.HyperParameters) -> str:
    return " × ".join(f"{len(hp_values(hp))} {hp.name}" for hp in space.space)


def _check_space(
    kind: str, space: kt.HyperParameters, max_grid: int, max_trials: int | None
) -> None:
    continuous = [hp for hp in space.space if hp_values(hp) is None]
    if kind == "grid" and continuous:
        raise CompanionError(
            f"hyperparameter {continuous[0].name!r} is continuous ({type(continuous[0]).__name__}"
            " without a step): a grid search would silently try 10 evenly spaced values; give "
            "it a step or use hp.Choice with the values you mean"
        )
    size = grid_size(space)
    if kind == "grid" and min(size, max_trials or size) > max_grid:
        raise CompanionError(
            f"the grid has {int(size)} combinations ({_describe(space)}); that is more than "
            f"max_grid={max_grid}: shrink the grid, pass max_trials, or raise max_grid"
        )
    if kind in ("random", "bayesian") and max_trials > size:
        raise CompanionError(
            f"max_trials={max_trials} is larger than the whole space ({int(size)} "
            f"combinations: {_describe(space)}); use kind='grid' to try them all"
        )


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
    """A keras-tuner tuner ("grid", "random", "hyperband" or "bayesian") in
    `directory/project`, checked for the usual mistakes; call `.search(...)` on it.

    `seed` seeds the oracle and each trial's weights; `max_trials` is the trial budget
    (grid: None runs the whole grid); `resume` continues an existing project (interrupted
    trials are rerun), `overwrite` deletes it; grids over `max_grid` points are refused;
    `kwargs` go to the keras-tuner class (e.g. `max_epochs` for hyperband).
    """
    if kind not in KINDS:
        raise CompanionError(f"unknown tuner kind {kind!r}; choose one of {', '.join(KINDS)}")
    if overwrite and resume:
        raise CompanionError("overwrite=True and resume=True contradict each other; pick one")
    project_dir = Path(directory) / project
    existing = (project_dir / "oracle.json").exists()
    if dist_utils.has_chief_oracle() and not dist_utils.is_chief_oracle():
        # The chief owns the project (maybe this very folder): a worker never deletes it.
        existing, overwrite, resume = True, False, False
    elif existing and not (overwrite or resume):
        raise CompanionError(
            f"tuner project {project_dir} already exists; pass resume=True to continue it "
            "or overwrite=True to start again (keras-tuner would silently reload it)"
        )
    if kind in ("random", "bayesian") and max_trials is None:
        max_trials = 10
    _check_space(kind, declared_space(hypermodel), max_grid, max_trials)
    if max_trials is not None and kind != "hyperband":
        kwargs["max_trials"] = max_trials
    # keras-tuner reloads a project only when this tuner's own state file is there, so a
    # search continued by another process (a chief after a one-process run, or the
    # reverse) would silently start again over the finished trials: write the file.
    tuner_id = kwargs.get("tuner_id") or os.environ.get("KERASTUNER_TUNER_ID", "tuner0")
    state = project_dir / f"{tuner_id}.json"
    if existing and resume and not state.exists():
        state.write_text("{}")
    tuner = KINDS[kind](
        hypermodel,
        objective=objective,
        # keras-tuner reads seed=0 as "no seed" and draws one per process, so random
        # searches with seed 0 differed between runs (and between a chief and one process).
        seed=seed or derive_seed(0, "oracle"),
        directory=str(directory),
        project_name=project,
        # A half-made project (a tuner file, no oracle) cannot be reloaded: start it clean
        # of keras-tuner's state, keeping other files (the search's settings, its logs).
        overwrite=overwrite or (not existing and state.exists()),
        **kwargs,
    )
    tuner.companion_seed = seed
    if resume and kind != "hyperband":
        tuner.oracle.max_trials = max_trials  # a reloaded oracle keeps its old budget
    if hasattr(tuner.oracle, "_max_collisions"):
        # keras-tuner stops a random search after 20 duplicate draws in a row, which on a
        # small space ends it long before max_trials; the check above leaves enough points.
        tuner.oracle._max_collisions = 10_000
    return tuner
