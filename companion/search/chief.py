"""The chief of a distributed search: keras-tuner's oracle served over gRPC.

keras-tuner's own `OracleServicer` answers the workers; what differs from its
`start_server` is what was measured or reported to go wrong with it:
- gRPC lets two servers bind one port (SO_REUSEPORT; measured: both binds succeed), so a
  second chief would silently share the workers: the port is bound alone, a busy one refused;
- the chief checked every 20 s whether the search was over: here every 0.2 s;
- its saved state listed the last finished trial as still running (saved before the
  trial was let go), so a resumed search ran that trial again: saved again after it;
- stopping it could cut a trial's record mid-write: `stop` lets running calls finish.
Trial events (begin, end) go to a callback, for the progress view.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent import futures

from companion.errors import CompanionError
from companion.search.progress import TrialEvent


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line error if `port` cannot be bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CompanionError(
                f"port {port} is in use on this machine ({error.strerror}): pick another "
                "--port, or stop the program that holds it"
            ) from None


def _event_display(oracle, sink: Callable[[TrialEvent], None]):
    from keras_tuner.src.engine.oracle import Display

    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.trials import trial_seconds, trial_worker

    class TrialEvents(Display):
        """keras-tuner's printed display, replaced by events; its saved state is kept."""

        def on_trial_begin(self, trial):
            sink(TrialEvent("begin", trial.trial_id, _runner(oracle, trial), _values(trial)))

        def on_trial_end(self, trial):
            best = oracle.get_best_trials(1)
            sink(
                TrialEvent(
                    "end",
                    trial.trial_id,
                    trial_worker(trial) or _runner(oracle, trial),
                    _values(trial),
                    status=str(trial.status),
                    score=trial.score,
                    seconds=trial_seconds(trial),
                    best_score=best[0].score if best and best[0].score is not None else None,
                )
            )

    events = TrialEvents(oracle=oracle, verbose=0)
    events.set_state(oracle._display.get_state())
    return events


def _values(trial) -> dict:
    return dict(trial.hyperparameters.values)


def _runner(oracle, trial) -> str:
    for tuner_id, running in oracle.ongoing_trials.items():
        if running.trial_id == trial.trial_id:
            return str(tuner_id)
    return ""


def report_events(oracle, sink: Callable[[TrialEvent], None]) -> None:
    """Send the oracle's trial events to `sink` instead of printing keras-tuner's display."""
    oracle._display = _event_display(oracle, sink)


GATHER_SECONDS = 120.0


def _idle_answer(oracle):
    """A CreateTrial answer that tells a worker to ask again (keras-tuner's IDLE status)."""
    from keras_tuner.src import protos
    from keras_tuner.src.engine import trial as trial_module

    idle = trial_module.TrialStatus.IDLE
    trial = trial_module.Trial(hyperparameters=oracle.hyperparameters.copy(), status=idle)
    return protos.get_service().CreateTrialResponse(trial=trial.to_proto())


class OracleServer:
    """Serves an oracle to workers until every trial is done and every worker told so."""

    def __init__(self, oracle, host: str, port: int, *, gather: int = 0) -> None:
        self.oracle, self.host, self.port = oracle, host, port
        # keras-tuner hands trials to whoever asks first, so a worker that loads faster can
        # take every trial of a small search (reported upstream as uneven spreading): the
        # first trials wait until `gather` workers have asked, or GATHER_SECONDS have passed.
        self.gather = gather
        self._server = None
        self._servicer = None

    def start(self) -> None:
        """Bind the port (exclusively) and start answering workers."""
        import grpc
        from keras_tuner.src import protos
        from keras_tuner.src.distribute.oracle_chief import OracleServicer

        # One thread, as keras-tuner serves: the oracle's calls are short and serialised.
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=1), options=[("grpc.so_reuseport", 0)]
        )

        gather, asked, first = self.gather, set(), []

        class Servicer(OracleServicer):
            def CreateTrial(self, request, context):  # noqa: N802 - gRPC's method name
                asked.add(request.tuner_id)
                if not first:
                    first.append(time.monotonic())
                if len(asked) < gather and time.monotonic() - first[0] < GATHER_SECONDS:
                    time.sleep(0.2)  # the worker asks again at once: not a busy loop here
                    return _idle_answer(self.oracle)
                return super().CreateTrial(request, context)

            def EndTrial(self, request, context):  # noqa: N802 - gRPC's method name
                answer = super().EndTrial(request, context)
                # The oracle saves before it forgets the trial as running, so a chief
                # stopped now would rerun a finished trial on resume: save once more.
                self.oracle.save()
                return answer

        self._servicer = Servicer(self.oracle)
        protos.get_service_grpc().add_OracleServicer_to_server(self._servicer, server)
        try:
            bound = server.add_insecure_port(f"{self.host}:{self.port}")
        except RuntimeError:
            bound = 0
        if not bound:
            raise CompanionError(
                f"port {self.port} is in use on this machine: pick another --port, or stop "
                "the program that holds it"
            )
        server.start()
        self._server = server

    @property
    def finished(self) -> bool:
        """True once the oracle has said 'stop' and no worker holds a trial or an id."""
        from keras_tuner.src.distribute.oracle_chief import exit_chief

        return bool(self._servicer and self._servicer.stop_triggered) and exit_chief(self.oracle)

    def wait(self, poll: float = 0.2, until: Callable[[], bool] | None = None) -> None:
        """Block until the search is finished (or `until()` says stop)."""
        while not self.finished and not (until and until()):
            time.sleep(poll)

    def stop(self, grace: float = 5.0) -> None:
        """Stop serving; calls already running (a trial's result being saved) finish first."""
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None
