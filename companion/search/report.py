"""A search folder's results: trials.csv, figures and summary.json.

Figures are drawn on `matplotlib.figure.Figure`s, never through pyplot, so writing a
report changes no notebook's plotting backend.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from companion.env import library_versions
from companion.search.run import SearchRun

TRIALS_FILE = "trials.csv"
SUMMARY_FILE = "summary.json"
BEST_FIGURE = "best_score.png"
HEATMAP_FIGURE = "heatmap.png"


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def tuned_names(run: SearchRun) -> list[str]:
    """The hyperparameters the search varies (those with more than one value)."""
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.tuning import hp_values

    return [
        hp.name
        for hp in run.tuner.oracle.get_space().space
        if (values := hp_values(hp)) is None or len(values) > 1
    ]


def summarise(run: SearchRun, frame: pd.DataFrame, *, complete: bool) -> dict[str, Any]:
    """The search in one JSON-ready dict: best values and score, counts, times, settings."""

    done = frame[frame["status"] == "COMPLETED"] if len(frame) else frame
    best: dict[str, Any] = {}
    if len(done) and done["score"].notna().any():
        direction = run.tuner.oracle.objective.direction
        top = done.loc[done["score"].idxmax() if direction == "max" else done["score"].idxmin()]
        names = list(run.tuner.oracle.get_space().values)  # every hyperparameter, tuned or not
        best = {
            "trial_id": top["trial_id"],
            "score": float(top["score"]),
            "values": {k: _number(top[k]) for k in names if k in top and pd.notna(top[k])},
            "worker": top.get("worker", ""),
        }
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    return {
        "search": run.settings.label,
        "tuner": run.settings.tuner,
        "objective": run.settings.objective,
        "complete": complete,
        "best": best,
        "trials": {str(k).lower(): int(v) for k, v in counts.items()},
        "workers": run.workers,
        "seconds": {
            "wall": round(run.seconds, 2),
            "trials": round(float(frame["seconds"].sum()), 2) if len(frame) else 0.0,
        },
        "data": run.data,
        "settings": run.settings.to_json(),
        "versions": library_versions(),
    }


def plot_best(frame: pd.DataFrame, *, objective: str, direction: str = "max"):
    """The best score so far against the number of trials run."""
    from matplotlib.figure import Figure

    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.trials import best_so_far

    curve = best_so_far(frame, direction=direction)
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    ax.step(curve["trial"], curve["best_score"], where="post", marker="o", label="best so far")
    ax.scatter(curve["trial"], curve["score"], color="C1", s=14, label="each trial")
    ax.set(xlabel="trials", ylabel=objective, title=f"best {objective} against trials")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_grid_scores(frame: pd.DataFrame, x: str, y: str, *, objective: str):
    """A two-parameter grid's scores as a heatmap."""
    from matplotlib.figure import Figure

    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.trials import plot_grid_heatmap

    fig = Figure(figsize=(6.5, 4.5))
    title = f"{objective} of each grid point (blank: not tried)"
    plot_grid_heatmap(frame, x, y, ax=fig.subplots(), fmt="{:.3f}", title=title)
    fig.tight_layout()
    return fig


def write_report(run: SearchRun, out: Path, *, complete: bool) -> dict[str, Any]:
    """Write trials.csv, the figures and summary.json into `out`; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    frame = run.trials
    frame.to_csv(out / TRIALS_FILE, index=False)
    objective = run.settings.objective
    direction = run.tuner.oracle.objective.direction
    figures = []
    if len(frame) and frame["score"].notna().any():
        plot_best(frame, objective=objective, direction=direction).savefig(out / BEST_FIGURE)
        figures.append(BEST_FIGURE)
        names = tuned_names(run)
        if run.settings.tuner == "grid" and len(names) == 2:
            plot_grid_scores(frame, names[1], names[0], objective=objective).savefig(
                out / HEATMAP_FIGURE
            )
            figures.append(HEATMAP_FIGURE)
    summary = summarise(run, frame, complete=complete)
    summary["figures"] = figures
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, default=_number))
    return summary
