"""Run a search: in this process, or as the chief of workers (local, remote or both).

`run_search` is what the command line and the chapters call. With `workers=0` the search
runs here; otherwise this process holds keras-tuner's oracle and serves it over gRPC
(keras-tuner's own distributed mode), and `workers` local processes ask it for trials.
"""

from __future__ import annotations

import io
import queue
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion.errors import CompanionError
from companion.search.launcher import WorkerPool, cpu_count, describe_exit
from companion.search.progress import Progress, TrialEvent
from companion.search.settings import SearchSettings, check_same, load_settings, save_settings
from companion.search.spaces import search_data

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
    workers: list[str]
    seconds: float

    @property
    def trials(self):
        """One row per trial (`companion.trials.trials_dataframe`)."""
        # Imported here, not at the top: it loads Keras (start-up speed).
        from companion.trials import trials_dataframe

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
    elif exists:
        stored = load_settings(project_dir)
        if stored is not None:
            check_same(stored, settings, project_dir)
    save_settings(settings, project_dir)


def budget(tuner, settings: SearchSettings) -> int | None:
    """How many trials the search will run, if the tuner knows."""
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.tuning import grid_size

    if settings.tuner == "hyperband":
        return None
    if settings.tuner == "grid":
        size = grid_size(tuner.oracle.get_space())
        return int(size if settings.max_trials is None else min(size, settings.max_trials))
    return settings.max_trials


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
    """Run a search; return its tuner and what it ran on.

    Args:
        settings: the space, tuner, data and training of the search.
        project_dir: the keras-tuner project folder (created; its parent must be writable).
        workers: local worker processes (0: run every trial in this process).
        resume: continue the project in `project_dir` (interrupted trials are rerun).
        overwrite: delete the project in `project_dir` and start again.
        progress: shows each trial (default: a `Progress` on stdout).
        data: (x, y, x_val, y_val, description) already loaded (workers load their own).
        port: serve the oracle on this port and wait for remote workers too (None: a
            free loopback port, only when `workers` > 0).
        host: the address to serve on ("0.0.0.0": every network interface).
        threads: TensorFlow threads per local worker (default: the cores shared out).
        verbose: print a line per trial (when `progress` is not given).
    """
    # Imported here: it loads Keras, and the command line imports this module first.
    from companion.search.builders import tuner_for

    project_dir = Path(project_dir)
    prepare_project(settings, project_dir, resume=resume, overwrite=overwrite)
    port_given = port is not None
    serve = workers > 0 or port_given
    if serve:
        # Imported here, not at the top: it loads Keras (start-up speed).
        from companion.search.chief import check_port_free, free_port

        port = free_port(host) if port is None else port
        check_port_free(host, port)
    data = data or search_data(settings)
    start = time.perf_counter()
    pool = None
    if workers:
        share = threads or max(1, cpu_count() // workers)
        pool = WorkerPool(
            workers,
            project_dir=project_dir,
            chief=f"{LOCALHOST if host in ('0.0.0.0', '') else host}:{port}",
            threads=share,
            wait=600.0,
            log_dir=project_dir / "logs",
        )
        pool.start()  # they load TensorFlow while this process builds the chief
    tuner = None
    try:
        tuner = tuner_for(
            settings, project_dir, len(data[0]), resume=resume, tuner_id="chief" if serve else None
        )
        progress = progress or Progress(
            budget(tuner, settings),
            done=len(tuner.oracle.end_order),
            objective=settings.objective,
            stream=None if verbose else io.StringIO(),
        )
        if serve:
            names = _serve(tuner, host, port, pool, progress, remote=port_given)
        else:
            names = _search_here(tuner, settings, data, progress)
    except KeyboardInterrupt:
        if pool is not None:
            pool.stop()
        run = None
        if tuner is not None:
            names = sorted(_runners(tuner))
            run = SearchRun(
                tuner, settings, project_dir, data[-1], names, time.perf_counter() - start
            )
        raise SearchInterrupted(run) from None
    finally:
        if pool is not None:
            pool.stop()
        if progress is not None:
            progress.close()
    return SearchRun(tuner, settings, project_dir, data[-1], names, time.perf_counter() - start)


def _search_here(tuner, settings: SearchSettings, data: tuple, progress: Progress) -> list[str]:
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.search.chief import report_events

    report_events(tuner.oracle, progress)
    x, y, x_val, y_val, _ = data
    tuner.search(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        verbose=0,
    )
    return [str(tuner.tuner_id)]


def _serve(tuner, host, port, pool: WorkerPool | None, progress: Progress, *, remote: bool):
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.search.chief import OracleServer, report_events

    events: queue.Queue[TrialEvent] = queue.Queue()
    report_events(tuner.oracle, events.put)  # called from gRPC threads: shown from here
    tuner.save()  # as keras-tuner's chief does: a resumed chief reloads from here
    server = OracleServer(tuner.oracle, host, port, gather=len(pool.workers) if pool else 0)
    server.start()
    if remote:
        progress.note(f"chief serving on port {port}: start workers with --chief HOST:{port}")
    for worker in pool.workers if pool else ():
        progress.note(f"worker {worker.name} started (pid {worker.process.pid})")
    idle_since = None
    try:
        while not server.finished:
            _show(events, progress)
            for worker, code in pool.poll() if pool else ():
                _restarted(tuner, worker, code, progress)
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
        server.stop()
    return sorted(_runners(tuner))


def _restarted(tuner, worker, code: int, progress: Progress) -> None:
    trial = tuner.oracle.ongoing_trials.get(worker.name)
    during = f" during trial {trial.trial_id}" if trial else ""
    progress.note(
        f"worker {worker.name} stopped ({describe_exit(code)}){during}; started again "
        f"with the same id (pid {worker.process.pid}) to finish it"
    )


def _show(events: queue.Queue, progress: Progress) -> None:
    while True:
        try:
            progress(events.get_nowait())
        except queue.Empty:
            return


def _runners(tuner) -> set[str]:
    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.trials import trial_worker

    return {trial_worker(t) for t in tuner.oracle.trials.values()} - {""}
