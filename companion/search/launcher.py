"""Local worker processes for a search: started, watched, restarted, stopped.

Measured with keras-tuner 1.4.8 (8-trial grid, chief + 2 workers on loopback): a worker
killed mid-trial leaves its trial RUNNING at the chief, which then waits forever; the same
worker id started again finishes that trial, and every trial completes exactly once. So
the pool restarts a dead worker under its old id. Workers run in their own session: a
Ctrl-C at the terminal reaches only the launcher, which stops them in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import companion

# A worker that keeps dying is broken, not unlucky: give up after this many restarts.
MAX_RESTARTS = 3
EXIT_BAD_INPUT = 2


class WorkerError(RuntimeError):
    """A local worker could not do its work (bad input, or it kept dying)."""

    def __init__(self, message: str, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input


@dataclass
class Worker:
    """One local worker: its id K ('tunerK'), its process, its restarts and its log."""

    number: int
    log: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    exit_code: int | None = None
    pids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"tuner{self.number}"


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def describe_exit(code: int) -> str:
    """'exit code 3' or 'killed by SIGKILL'."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def last_line(path: Path) -> str:
    """The last non-empty line of a log (where a worker's one-line error ends up)."""
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else ""


class WorkerPool:
    """N worker processes of one search on this machine, each `python -m companion.search`.

    Args:
        count: how many workers (ids tuner0 … tuner{count-1}).
        project_dir: the tuner project the chief serves (its settings are read from there).
        chief: "HOST:PORT" of the chief.
        threads: TensorFlow threads per worker.
        wait: seconds a worker waits for the chief.
        log_dir: where each worker's output goes (`tunerK.log`).
    """

    def __init__(
        self,
        count: int,
        *,
        project_dir: Path,
        chief: str,
        threads: int,
        wait: float,
        log_dir: Path,
    ) -> None:
        self.project_dir, self.chief = project_dir, chief
        self.threads, self.wait = threads, wait
        log_dir.mkdir(parents=True, exist_ok=True)
        self.workers = [Worker(k, log_dir / f"tuner{k}.log") for k in range(count)]

    def command(self, worker: Worker) -> list[str]:
        """The command line that starts one worker."""
        return [
            sys.executable,
            "-m",
            "companion.search",
            "--role",
            "worker",
            "--chief",
            self.chief,
            "--id",
            str(worker.number),
            "--out",
            str(self.project_dir.parent),
            "--project",
            self.project_dir.name,
            "--threads",
            str(self.threads),
            "--wait",
            f"{self.wait:g}",
            "--parent",
            str(os.getpid()),
        ]

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # The worker imports this very companion, even if it is not installed.
        root = str(Path(companion.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        return env

    def start(self) -> None:
        """Start every worker."""
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: Worker) -> None:
        with open(worker.log, "a") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting {worker.name}\n")
            log.flush()
            worker.process = subprocess.Popen(
                self.command(worker),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._environment(),
                start_new_session=True,
            )
        worker.exit_code = None
        worker.pids.append(worker.process.pid)

    def poll(self) -> list[tuple[Worker, int]]:
        """Restart workers that died; return (worker, exit code) for each restarted one.

        Raises:
            WorkerError: a worker reported bad input, or died more than MAX_RESTARTS times.
        """
        restarted = []
        for worker in self.workers:
            if worker.process is None or worker.exit_code is not None:
                continue
            code = worker.process.poll()
            if code is None:
                continue
            if code == 0:
                worker.exit_code = 0
                continue
            if code == EXIT_BAD_INPUT:
                raise WorkerError(f"{worker.name}: {last_line(worker.log)}", bad_input=True)
            if worker.restarts >= MAX_RESTARTS:
                raise WorkerError(
                    f"{worker.name} died {worker.restarts + 1} times (last: "
                    f"{describe_exit(code)}; {last_line(worker.log)}); see {worker.log}"
                )
            worker.restarts += 1
            self._spawn(worker)
            restarted.append((worker, code))
        return restarted

    @property
    def all_done(self) -> bool:
        """Whether every worker has exited normally (the chief told each one to stop)."""
        return all(w.exit_code == 0 for w in self.workers)

    def running(self) -> Sequence[Worker]:
        """The workers whose process is still alive."""
        return [w for w in self.workers if w.process is not None and w.process.poll() is None]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker: SIGTERM, then SIGKILL for those still alive after `timeout`."""
        alive = self.running()
        for worker in alive:
            worker.process.terminate()
        deadline = time.monotonic() + timeout
        for worker in alive:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=timeout)
