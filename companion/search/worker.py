"""A worker of a distributed search: asks the chief for trials, trains them, reports back.

keras-tuner's workers wait up to an hour on every call to the chief; here a worker that
cannot reach its chief gives up after `wait` seconds with a message saying what to check.
TensorFlow loads while the worker looks for the chief, so a slow chief costs no extra time.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from companion.errors import CompanionError
from companion.search.settings import SearchSettings, check_same, load_settings
from companion.search.spaces import search_data

TUNER_ID = "KERASTUNER_TUNER_ID"
ORACLE_IP = "KERASTUNER_ORACLE_IP"
ORACLE_PORT = "KERASTUNER_ORACLE_PORT"


def parse_address(text: str) -> tuple[str, int]:
    """'HOST:PORT' as (host, port), or a one-line error."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CompanionError(f"--chief must be HOST:PORT (e.g. 192.168.1.10:8470), got {text!r}")
    return host.strip("[]"), int(port)


def wait_for_chief(host: str, port: int, timeout: float) -> None:
    """Return once the chief answers; raise a one-line error after `timeout` seconds."""
    import grpc

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


def limit_threads(threads: int) -> None:
    """Give TensorFlow `threads` cores (before it runs anything)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


class _Probe(threading.Thread):
    """Looks for the chief in the background; a daemon, so it never holds the process."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        super().__init__(daemon=True)
        self.args, self.error = (host, port, timeout), None

    def run(self) -> None:
        try:
            wait_for_chief(*self.args)
        except CompanionError as error:
            self.error = error

    def result(self) -> None:
        self.join()
        if self.error:
            raise self.error


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
    """Run trials for the chief at `chief` until it says stop; return 0.

    Args:
        settings: this worker's settings; those in `project_dir` win when the folder is
            shared with the chief (then `given`, the flags the user set, must agree).
        project_dir: the keras-tuner project folder (shared with the chief, or its own).
        chief: "HOST:PORT" of the chief.
        worker_id: K of this worker's keras-tuner id "tunerK" (a restarted worker keeps it,
            so the chief hands it back its unfinished trial).
        threads: TensorFlow threads (None: TensorFlow decides).
        wait: seconds to wait for the chief, at the start and on every call.
    """
    host, port = parse_address(chief)
    env = {TUNER_ID: f"tuner{worker_id}", ORACLE_IP: host, ORACLE_PORT: str(port)}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # how keras-tuner tells a worker from a chief
    try:
        return _work(settings, project_dir, host, port, threads, wait, given)
    finally:  # called from Python (a test, a notebook): leave no worker identity behind
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _work(settings, project_dir, host, port, threads, wait, given) -> int:
    probe = _Probe(host, port, wait)
    probe.start()
    if threads:
        limit_threads(threads)
    from keras_tuner.src.distribute import oracle_client

    # Imported here: it loads Keras, and the command line imports this module first.
    from companion.search.builders import tuner_for

    probe.result()
    # The chief writes its settings before it serves: if they are not here now, this
    # worker has its own folder and its own flags.
    stored = load_settings(project_dir)
    if stored is not None:
        settings = stored.updated(**(given or {}))  # this machine's --mnist, say
        check_same(stored, settings, project_dir)
    x, y, x_val, y_val, _ = search_data(settings)
    tuner = tuner_for(settings, project_dir, len(x))
    oracle_client.TIMEOUT = wait
    try:
        tuner.search(
            x,
            y,
            validation_data=(x_val, y_val),
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            verbose=0,
        )
    except Exception as error:
        if type(error).__module__.startswith("grpc"):
            raise CompanionError(
                f"lost the chief at {host}:{port} ({error}); this worker's trial stays "
                "unfinished: restart the worker with the same --id once the chief runs again"
            ) from None
        raise
    return 0
