"""Run a search, in this process or as the chief of workers (local, remote or both), and
write its report: trials.csv, best_score.png, heatmap.png (a two-parameter grid),
summary.json. Figures are drawn on `Figure`s, never through pyplot, so a report changes no
notebook's plotting backend."""

from __future__ import annotations

import io
import queue
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from companion.errors import CompanionError
from companion.run.atomic import replace_atomically, to_jsonable, write_json, write_text
from companion.run.env import library_versions
from companion.search.distributed import (
    WorkerPool,
    cpu_count,
    describe_exit,
    free_port,
    report_events,
    serve_oracle,
)
from companion.search.progress import Progress
from companion.search.settings import (
    SearchSettings,
    check_same,
    load_settings,
    save_settings,
    search_data,
)
from companion.search.spaces import tuner_for
from companion.search.trials import best_so_far, plot_grid_heatmap, trial_worker, trials_dataframe
from companion.search.tuning import grid_size, hp_values

LOCALHOST = "127.0.0.1"


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a search: every process is stopped; `run` holds what finished."""

    def __init__(self, run: SearchRun | None) -> None:
        super().__init__("search interrupted")
        self.run = run


@dataclass
class SearchRun:
    """A finished (or interrupted) search: its tuner, data and how it ran."""

    tuner: Any
    settings: SearchSettings
    project_dir: Path
    data: str
    seconds: float

    @property
    def workers(self) -> list[str]:
        """The processes that ran its finished trials ("tuner0", "tuner1", …)."""
        return sorted({trial_worker(t) for t in self.tuner.oracle.trials.values()} - {""})

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial (`companion.search.trials.trials_dataframe`)."""
        return trials_dataframe(self.tuner)


def prepare_project(
    settings: SearchSettings, project_dir: Path, *, resume: bool, overwrite: bool
) -> None:
    """Check an existing project against the settings (or delete it); store the settings."""
    if resume and overwrite:
        raise CompanionError("--resume and --fresh contradict each other; pick one")
    exists = (project_dir / "oracle.json").exists()
    if exists and overwrite:
        shutil.rmtree(project_dir)
    elif exists and not resume:
        raise CompanionError(
            f"{project_dir} already holds a search: pass --resume to continue it or --fresh "
            "to start again (the old folder is moved aside)"
        )
    elif exists and (stored := load_settings(project_dir)) is not None:
        check_same(stored, settings, project_dir)
    save_settings(settings, project_dir)


def budget(tuner, settings: SearchSettings) -> int | None:
    """How many trials the search will run, if the tuner knows."""
    if settings.tuner != "grid":
        return None if settings.tuner == "hyperband" else settings.max_trials
    size = grid_size(tuner.oracle.get_space())
    return int(min(size, settings.max_trials or size))


def run_search(
    settings: SearchSettings,
    project_dir: str | Path,
    *,
    workers: int = 0,
    resume: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    data: tuple | None = None,
    port: int | None = None,
    host: str = LOCALHOST,
    threads: int | None = None,
    verbose: bool = True,
) -> SearchRun:
    """Run a search in the keras-tuner project folder `project_dir`; return what ran.

    `workers` local worker processes run the trials (0: this process does); with `port`
    this process serves the oracle there on `host` ("0.0.0.0": every interface) and waits
    for remote workers too. `resume` continues the project (interrupted trials are rerun),
    `overwrite` starts it again. `data` is (x, y, x_val, y_val, description) if already
    loaded; `threads` the TensorFlow threads per local worker (default: the cores shared
    out); `progress` shows each trial (default: a line each on stdout unless not `verbose`).
    """
    project_dir = Path(project_dir)
    prepare_project(settings, project_dir, resume=resume, overwrite=overwrite)
    serve, remote = workers > 0 or port is not None, port is not None
    if serve:
        port = free_port(host, port or 0)
    data = data or search_data(settings)
    start = time.perf_counter()
    pool = None
    if workers:
        chief = f"{LOCALHOST if host in ('0.0.0.0', '') else host}:{port}"
        threads = threads or max(1, cpu_count() // workers)
        pool = WorkerPool(workers, project_dir=project_dir, chief=chief, threads=threads)
        pool.start()  # they load TensorFlow while this process builds the chief
    tuner = None
    try:
        tuner_id = "chief" if serve else None
        tuner = tuner_for(settings, project_dir, len(data[0]), resume=resume, tuner_id=tuner_id)
        progress = progress or Progress(
            budget(tuner, settings),
            done=len(tuner.oracle.end_order),
            objective=settings.objective,
            stream=None if verbose else io.StringIO(),
        )
        if serve:
            _serve(tuner, host, port, pool, progress, remote=remote)
        else:
            report_events(tuner.oracle, progress)
            x, y, x_val, y_val, _ = data
            tuner.search(
                x, y, validation_data=(x_val, y_val), epochs=settings.epochs,
                batch_size=settings.batch_size, verbose=0,
            )  # fmt: skip
    except KeyboardInterrupt:
        run = tuner and SearchRun(
            tuner, settings, project_dir, data[-1], time.perf_counter() - start
        )
        raise SearchInterrupted(run) from None
    finally:
        if pool is not None:
            pool.stop()
        if progress is not None:
            progress.close()
    return SearchRun(tuner, settings, project_dir, data[-1], time.perf_counter() - start)


def _serve(tuner, host, port, pool: WorkerPool | None, progress: Progress, *, remote: bool):
    events: queue.Queue = queue.Queue()
    report_events(tuner.oracle, events.put)  # called from gRPC threads: shown from here
    tuner.save()  # as keras-tuner's chief does: a resumed chief reloads from here
    workers = pool.workers if pool else []
    server, servicer = serve_oracle(tuner.oracle, host, port, gather=len(workers))
    if remote:
        progress.note(f"chief serving on port {port}: start workers with --chief HOST:{port}")
    for worker in workers:
        progress.note(f"worker {worker.name} started (pid {worker.process.pid})")
    idle_since = None
    try:
        while not servicer.finished:
            _show(events, progress)
            for worker, code in pool.poll() if pool else ():
                trial = tuner.oracle.ongoing_trials.get(worker.name)
                during = f" during trial {trial.trial_id}" if trial else ""
                progress.note(
                    f"worker {worker.name} stopped ({describe_exit(code)}){during}; started "
                    f"again with the same id (pid {worker.process.pid}) to finish it"
                )
            if pool and pool.all_done and not remote:
                # Every local worker was told to stop: nothing else can finish a trial.
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 10:
                    break
            time.sleep(0.2)
        _show(events, progress)
    finally:
        if pool is not None:
            pool.stop()  # first, while the server still takes a last result
        server.stop(5.0).wait()  # calls already running (a trial's result) finish first


def _show(events: queue.Queue, progress: Progress) -> None:
    while not events.empty():
        progress(events.get_nowait())


# ------------------------------------------------------------------------ the report


def tuned_names(run: SearchRun) -> list[str]:
    """The hyperparameters the search varies (those with more than one value)."""
    space = run.tuner.oracle.get_space().space
    return [hp.name for hp in space if (values := hp_values(hp)) is None or len(values) > 1]


def summarise(run: SearchRun, frame: pd.DataFrame, *, complete: bool) -> dict[str, Any]:
    """The search in one JSON-ready dict: best values and score, counts, times, settings."""
    done = frame[frame["status"] == "COMPLETED"] if len(frame) else frame
    best: dict[str, Any] = {}
    if len(done) and done["score"].notna().any():
        maximise = run.tuner.oracle.objective.direction == "max"
        top = done.loc[done["score"].idxmax() if maximise else done["score"].idxmin()]
        names = run.tuner.oracle.get_space().values  # every hyperparameter, tuned or not
        best = {
            "trial_id": top["trial_id"],
            "score": float(top["score"]),
            "values": {k: top[k] for k in names if k in top and pd.notna(top[k])},
            "worker": top.get("worker", ""),
        }
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    trial_seconds = round(float(frame["seconds"].sum()), 2) if len(frame) else 0.0
    return to_jsonable(
        {
            "search": run.settings.label,
            "tuner": run.settings.tuner,
            "objective": run.settings.objective,
            "complete": complete,
            "best": best,
            "trials": {str(k).lower(): int(v) for k, v in counts.items()},
            "workers": run.workers,
            "seconds": {"wall": round(run.seconds, 2), "trials": trial_seconds},
            "data": run.data,
            "settings": asdict(run.settings),
            "versions": library_versions(),
        }
    )


def plot_best(frame: pd.DataFrame, *, objective: str, direction: str = "max") -> Figure:
    """The best score so far against the number of trials run."""
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


def write_report(run: SearchRun, out: Path, *, complete: bool) -> dict[str, Any]:
    """Write trials.csv, the figures and summary.json into `out` (each whole or not at all);
    return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    frame, objective = run.trials, run.settings.objective
    write_text(out / "trials.csv", frame.to_csv(index=False))
    figures: dict[str, Figure] = {}
    if len(frame) and frame["score"].notna().any():
        direction = run.tuner.oracle.objective.direction
        figures["best_score.png"] = plot_best(frame, objective=objective, direction=direction)
        names = tuned_names(run)
        if run.settings.tuner == "grid" and len(names) == 2:
            fig = figures["heatmap.png"] = Figure(figsize=(6.5, 4.5))
            title = f"{objective} of each grid point (blank: not tried)"
            plot_grid_heatmap(frame, *names[::-1], ax=fig.subplots(), title=title)
            fig.tight_layout()
    for name, fig in figures.items():
        replace_atomically(out / name, lambda temporary, f=fig: f.savefig(temporary, format="png"))
    summary = {**summarise(run, frame, complete=complete), "figures": list(figures)}
    write_json(out / "summary.json", summary)
    return summary
