"""A search's trials as a table: scores, hyperparameters, seconds and worker per trial.

Each trial's seconds and worker travel with its own metrics (numbers only, as gRPC carries
them), written by the oracle alone into that trial's trial.json.
"""

from __future__ import annotations

import math

import keras_tuner as kt
import numpy as np
import pandas as pd

from companion.plots import plot_heatmap

SECONDS_METRIC = "trial_seconds"
WORKER_METRIC = "trial_worker"


def worker_number(tuner_id: str) -> float:
    """The K of a worker id 'tunerK' (keras-tuner's naming); NaN for other ids."""
    digits = tuner_id.removeprefix("tuner")
    return float(digits) if digits.isdigit() else math.nan


def _last(trial, name: str) -> float:
    metrics = trial.metrics
    return float(metrics.get_last_value(name)) if metrics.exists(name) else math.nan


def trial_seconds(trial: kt.engine.trial.Trial) -> float:
    """How long a finished trial took (NaN if it never reported)."""
    return _last(trial, SECONDS_METRIC)


def trial_worker(trial: kt.engine.trial.Trial) -> str:
    """Which worker ran a finished trial ('tuner0', 'tuner1', …; '' if unknown)."""
    number = _last(trial, WORKER_METRIC)
    return "" if math.isnan(number) else f"tuner{int(number)}"


def trials_dataframe(tuner: kt.Tuner) -> pd.DataFrame:
    """One row per trial: trial_id, each hyperparameter, score, best_step, status, seconds,
    worker (which keras-tuner worker ran it: 'tuner0', 'tuner1', …)."""
    trials = tuner.oracle.trials
    order = sorted(trials, key=lambda i: (int(i), i) if i.isdigit() else (10**9, i))
    rows = [
        {
            "trial_id": trial.trial_id,
            **trial.hyperparameters.values,
            "score": np.nan if trial.score is None else float(trial.score),
            "best_step": trial.best_step,
            "status": str(trial.status),
            "seconds": trial_seconds(trial),
            "worker": trial_worker(trial),
        }
        for trial in map(trials.get, order)
    ]
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
