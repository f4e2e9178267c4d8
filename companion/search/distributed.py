"""keras-tuner's distributed mode: the chief serves its oracle over gRPC, workers ask it.

It differs from keras-tuner's own chief and workers where they were seen to go wrong
(keras-tuner 1.4.8, 8-trial grid, chief + 2 workers on loopback): gRPC let two chiefs bind
one port (SO_REUSEPORT), the chief checked every 20 s whether the search was over and saved
the last trial as still running (rerun on resume), a worker killed mid-trial left the chief
waiting forever, and workers waited an hour for a chief that was gone. Local workers run in
their own session: a Ctrl-C reaches only the launcher, which stops them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import tensorflow as tf
from keras_tuner.src import protos
from keras_tuner.src.distribute import oracle_client
from keras_tuner.src.distribute.oracle_chief import OracleServicer, exit_chief
from keras_tuner.src.engine.oracle import Display
from keras_tuner.src.engine.trial import Trial, TrialStatus

import companion
from companion.errors import CompanionError
from companion.search.progress import TrialEvent
from companion.search.settings import SearchSettings, check_same, load_settings, search_data
from companion.search.spaces import tuner_for
from companion.search.trials import trial_seconds, trial_worker

MAX_RESTARTS = 3  # a worker that keeps dying is broken, not unlucky
EXIT_BAD_INPUT = 2
# keras-tuner hands trials to whoever asks first, so a worker that loads faster can take
# every trial of a small search: the first trials wait until every local worker has
# asked, or this many seconds have passed.
GATHER_SECONDS = 120.0


# ------------------------------------------------------------------------ the chief


def _port_in_use(port: int, why: str = "") -> CompanionError:
    return CompanionError(
        f"port {port} is in use on this machine{why}: pick another --port, or stop the "
        "program that holds it"
    )


def free_port(host: str = "127.0.0.1", port: int = 0) -> int:
    """`port` if it can be bound on `host` (0: one the OS picks), else a one-line error."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise _port_in_use(port, f" ({error.strerror})") from None
        return int(probe.getsockname()[1])


def _runner(oracle, trial) -> str:
    running = {t.trial_id: str(k) for k, t in oracle.ongoing_trials.items()}
    return running.get(trial.trial_id, "")


class _TrialEvents(Display):
    """keras-tuner's printed display, replaced by events to `sink`; its saved state is kept."""

    def __init__(self, oracle, sink: Callable[[TrialEvent], None]) -> None:
        super().__init__(oracle=oracle, verbose=0)
        self.sink = sink

    def on_trial_begin(self, trial):
        values = dict(trial.hyperparameters.values)
        self.sink(TrialEvent("begin", trial.trial_id, _runner(self.oracle, trial), values))

    def on_trial_end(self, trial):
        best = self.oracle.get_best_trials(1)
        self.sink(
            TrialEvent(
                "end",
                trial.trial_id,
                trial_worker(trial) or _runner(self.oracle, trial),
                dict(trial.hyperparameters.values),
                status=str(trial.status),
                score=trial.score,
                seconds=trial_seconds(trial),
                best_score=best[0].score if best else None,
            )
        )


def report_events(oracle, sink: Callable[[TrialEvent], None]) -> None:
    """Send the oracle's trial events to `sink` instead of printing keras-tuner's display."""
    events = _TrialEvents(oracle, sink)
    events.set_state(oracle._display.get_state())
    oracle._display = events


class _Servicer(OracleServicer):
    """keras-tuner's servicer, with the first trials gathered and a save after each."""

    def __init__(self, oracle, gather: int) -> None:
        super().__init__(oracle)
        self.gather, self.asked, self.first = gather, set(), None

    def CreateTrial(self, request, context):  # noqa: N802 - gRPC's method name
        self.asked.add(request.tuner_id)
        self.first = self.first or time.monotonic()
        if len(self.asked) < self.gather and time.monotonic() - self.first < GATHER_SECONDS:
            time.sleep(0.2)  # the worker asks again at once: not a busy loop here
            idle = Trial(self.oracle.hyperparameters.copy(), status=TrialStatus.IDLE)
            return protos.get_service().CreateTrialResponse(trial=idle.to_proto())
        return super().CreateTrial(request, context)

    def EndTrial(self, request, context):  # noqa: N802 - gRPC's method name
        answer = super().EndTrial(request, context)
        self.oracle.save()  # the oracle saved before it let the trial go: save once more
        return answer

    @property
    def finished(self) -> bool:
        """True once the oracle has said 'stop' and no worker holds a trial or an id."""
        return self.stop_triggered and exit_chief(self.oracle)


def serve_oracle(oracle, host: str, port: int, *, gather: int = 0):
    """Serve `oracle` to workers on `host:port`, bound exclusively; return (server, servicer).

    The first trials wait until `gather` workers have asked (see GATHER_SECONDS); the
    servicer's `finished` says when every trial is done and every worker told so.
    """
    # One thread, as keras-tuner serves: the oracle's calls are short and serialised.
    server = grpc.server(futures.ThreadPoolExecutor(1), options=[("grpc.so_reuseport", 0)])
    servicer = _Servicer(oracle, gather)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise _port_in_use(port)
    server.start()
    return server, servicer


# ------------------------------------------------------------------------ a worker


def parse_address(text: str) -> tuple[str, int]:
    """'HOST:PORT' as (host, port), or a one-line error."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CompanionError(f"--chief must be HOST:PORT (e.g. 192.168.1.10:8470), got {text!r}")
    return host.strip("[]"), int(port)


def wait_for_chief(host: str, port: int, timeout: float) -> None:
    """Return once the chief answers; raise a one-line error after `timeout` seconds."""
    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise CompanionError(
            f"cannot reach the chief at {host}:{port} after {timeout:g} s: start it first "
            f"(python -m companion.search --role chief --port {port} ...), or check the "
            "host name, the port and the firewall"
        ) from None
    finally:
        channel.close()


def run_worker(
    settings: SearchSettings,
    project_dir: Path,
    *,
    chief: str,
    worker_id: int,
    threads: int | None = None,
    wait: float = 600.0,
    given: dict | None = None,
) -> int:
    """Run trials for the chief at `chief` ("HOST:PORT") until it says stop; return 0.

    The settings stored in `project_dir` win when the folder is shared with the chief
    (`given`, the flags the user set, must agree); the worker is named "tuner<worker_id>"
    (a restarted worker keeps it, so the chief hands it back its unfinished trial); it
    waits `wait` seconds for the chief, at the start and on every call.
    """
    host, port = parse_address(chief)
    if threads:  # before TensorFlow runs anything
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    wait_for_chief(host, port, wait)
    # The chief writes its settings before it serves: none here means a folder of its own.
    stored = load_settings(project_dir)
    if stored is not None:
        settings = stored.updated(**(given or {}))  # this machine's --mnist, say
        check_same(stored, settings, project_dir)
    env = {"KERASTUNER_TUNER_ID": f"tuner{worker_id}", "KERASTUNER_ORACLE_IP": host}
    env["KERASTUNER_ORACLE_PORT"] = str(port)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # how keras-tuner tells a worker from a chief
    oracle_client.TIMEOUT = wait
    try:
        x, y, x_val, y_val, _ = search_data(settings)
        tuner = tuner_for(settings, project_dir, len(x))
        tuner.search(
            x, y, validation_data=(x_val, y_val), epochs=settings.epochs,
            batch_size=settings.batch_size, verbose=0,
        )  # fmt: skip
    except grpc.RpcError as error:
        raise CompanionError(
            f"lost the chief at {host}:{port} ({error}); this worker's trial stays "
            "unfinished: restart the worker with the same --id once the chief runs again"
        ) from None
    finally:  # called from Python (a test, a notebook): leave no worker identity behind
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})
    return 0


# ------------------------------------------------------------------------ local workers


class WorkerError(CompanionError):
    """A local worker could not do its work: bad input (exit code 2), or it kept dying (1)."""

    def __init__(self, message: str, bad_input: bool = False) -> None:
        super().__init__(message)
        self.exit_code = 2 if bad_input else 1


@dataclass
class Worker:
    """One local worker: its id K ('tunerK'), its process, its restarts and its log."""

    number: int
    log: Path
    process: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def name(self) -> str:
        """Its keras-tuner id, 'tunerK'."""
        return f"tuner{self.number}"


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def describe_exit(code: int) -> str:
    """'exit code 3' or 'killed by SIGKILL'."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def last_line(path: Path) -> str:
    """The last non-empty line of a log (where a worker's one-line error ends up)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "")


class WorkerPool:
    """`count` local workers (`python -m companion.search --role worker`) asking the chief at
    `chief` for trials of the project in `project_dir`; each logs to its `logs/tunerK.log`."""

    def __init__(self, count: int, *, project_dir: Path, chief: str, threads: int) -> None:
        self.project_dir, self.chief, self.threads = project_dir, chief, threads
        (project_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.workers = [Worker(k, project_dir / "logs" / f"tuner{k}.log") for k in range(count)]

    def command(self, worker: Worker) -> list[str]:
        """The command line that starts one worker (it waits for the chief `--wait`'s default)."""
        flags = {"--role": "worker", "--chief": self.chief, "--id": worker.number}
        flags |= {"--out": self.project_dir.parent, "--project": self.project_dir.name}
        flags |= {"--threads": self.threads, "--parent": os.getpid()}
        argv = [str(a) for flag in flags.items() for a in flag]
        return [sys.executable, "-m", "companion.search", *argv]

    def start(self) -> None:
        """Start every worker."""
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: Worker) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # The worker imports this very companion, even if it is not installed.
        root = str(Path(companion.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        with open(worker.log, "a") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting {worker.name}\n")
            log.flush()
            worker.process = subprocess.Popen(
                self.command(worker), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )  # fmt: skip

    def poll(self) -> list[tuple[Worker, int]]:
        """Restart workers that died; return (worker, exit code) for each restarted one.

        Raises WorkerError when a worker reported bad input or died over MAX_RESTARTS times.
        """
        restarted = []
        for worker in self.workers:
            code = worker.process.poll()
            if code in (None, 0):
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
        return all(w.process.poll() == 0 for w in self.workers)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker: SIGTERM, then SIGKILL for those still alive after `timeout`."""
        alive = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in alive:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in alive:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
