"""Distributed searches on loopback: several processes, each loading TensorFlow.

The same tiny 2 × 2 grid as test_search.py, run by a chief and workers: with the launcher
(`--workers 2`), with a worker killed mid-trial, stopped by Ctrl-C and resumed, and with a
chief and a worker started by hand as the two-machine example in docs/search.md says.
Every wait is bounded: a hang fails the test.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from search_space import GRID, TINY

from companion.search.cli import main

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 300  # seconds for one search on a loaded 2-core machine; a hang fails after this
# TensorFlow's CPU kernels sum in another order with another thread count (a trial's score
# moves in its last digits, or by points at high learning rates): the workers get as many
# threads as this process has, so each trial computes exactly what the reference computed.
THREADS = str(len(os.sched_getaffinity(0)))
WORKERS = ["--workers", "2", "--threads", THREADS]


class Command:
    """`python -m companion.search ARGS` in a subprocess, its output read line by line."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "companion.search", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = LIMIT) -> re.Match:
        """The first new output line matching `pattern` (fails on exit or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                self.fail(f"exited before printing {pattern!r}")
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        self.fail(f"no line matching {pattern!r} within {timeout:g} s")

    def finish(self, timeout: float = LIMIT) -> int:
        """Wait for the command to end; its exit code."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"still running after {timeout:g} s")
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
        return code

    def fail(self, why: str) -> None:
        self.process.kill()  # its workers notice their launcher is gone and exit
        pytest.fail(f"{why}; output:\n" + "\n".join(self.seen[-40:]))


def trials(out: Path, grid: set = GRID) -> pd.DataFrame:
    """trials.csv, checked: every grid point completed exactly once."""
    frame = pd.read_csv(out / "trials.csv", dtype={"trial_id": str})
    assert len(frame) == len(grid) and (frame.status == "COMPLETED").all(), frame
    assert set(zip(frame.units, frame.learning_rate)) == grid
    oracle = json.loads((out / "tuner" / "oracle.json").read_text())
    assert sorted(oracle["end_order"]) == sorted(frame.trial_id)  # each ended once
    assert set(oracle["run_times"].values()) == {1} and not oracle["ongoing_trials"]
    return frame


def scores(frame: pd.DataFrame) -> dict:
    return {(r.units, r.learning_rate): r.score for r in frame.itertuples()}


def best_values(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())["best"]["values"]


def test_two_workers_run_each_trial_once_and_agree_with_one_process(tiny_search, tmp_path):
    search = Command(*TINY, *WORKERS, "--out", str(tmp_path))
    assert search.finish() == 0, search.seen
    frame = trials(tmp_path)
    assert set(frame.worker) == {"tuner0", "tuner1"}
    assert best_values(tmp_path) == best_values(tiny_search)
    assert scores(frame) == pytest.approx(scores(trials(tiny_search)), abs=1e-6)
    assert any(re.match(r"trial 4 of 4 .*best so far", line) for line in search.seen)
    logs = sorted(p.name for p in (tmp_path / "tuner" / "logs").iterdir())
    assert logs == ["tuner0.log", "tuner1.log"]


def test_a_worker_killed_mid_trial_is_restarted_and_finishes_it(tiny_search, tmp_path):
    search = Command(*TINY, *WORKERS, "--out", str(tmp_path))
    pids = {}
    while len(pids) < 2:
        name, pid = search.wait_for(r"worker (tuner\d) started \(pid (\d+)\)").groups()
        pids[name] = int(pid)
    trial, victim = search.wait_for(r"trial (\d+) started on (tuner\d)").groups()
    os.kill(pids[victim], signal.SIGKILL)
    search.wait_for(
        rf"worker {victim} stopped \(killed by SIGKILL\) during trial {trial}; started again"
    )
    assert search.finish() == 0, search.seen
    frame = trials(tmp_path)
    assert frame.set_index("trial_id").loc[trial, "worker"] == victim  # its own trial
    assert best_values(tmp_path) == best_values(tiny_search)
    assert scores(frame) == pytest.approx(scores(trials(tiny_search)), abs=1e-6)


def test_ctrl_c_stops_everything_and_resume_loses_and_repeats_nothing(tiny_search, tmp_path):
    search = Command(*TINY, *WORKERS, "--out", str(tmp_path))
    search.wait_for(r"trial 1 of 4 ")
    search.process.send_signal(signal.SIGINT)
    assert search.finish(timeout=60) == 130
    assert any("rerun with --resume" in line for line in search.seen)
    before = pd.read_csv(tmp_path / "trials.csv", dtype={"trial_id": str})
    done = before[before.status == "COMPLETED"]
    assert 1 <= len(done) < 4
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["complete"] is False
    # Resumed here, in one process: the chief's project continues wherever it is run.
    assert main(["--out", str(tmp_path), "--resume"]) == 0
    frame = trials(tmp_path).set_index("trial_id")
    kept = frame.loc[done.trial_id]
    # Finished trials were not run again: same seconds to the last digit.
    assert kept.seconds.tolist() == done.seconds.tolist()
    assert best_values(tmp_path) == best_values(tiny_search)


def test_chief_and_worker_started_by_hand(tiny_search, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The first 2 points of the grid (the mechanics need no more).
    chief = Command(
        *TINY, "--max-trials", "2", "--role", "chief", "--port", str(port),
        "--out", str(tmp_path / "a"),
    )  # fmt: skip
    # Started at once: a worker waits for its chief. It has its own folder (no shared
    # disk), so it is given the same flags.
    worker = Command(
        *TINY, "--role", "worker", "--chief", f"localhost:{port}", "--id", "0",
        "--out", str(tmp_path / "b"),
    )  # fmt: skip
    assert worker.finish() == 0, worker.seen
    chief.wait_for(rf"chief serving on port {port}", timeout=10)
    assert chief.finish(timeout=60) == 0, chief.seen
    frame = trials(tmp_path / "a", {(4, 1e-4), (4, 3e-3)})
    assert set(frame.worker) == {"tuner0"}
    reference = scores(trials(tiny_search))
    assert scores(frame) == pytest.approx({k: reference[k] for k in scores(frame)}, abs=1e-6)
    # The worker's folder holds its checkpoints, the chief's the trials' records.
    assert list((tmp_path / "b" / "tuner").glob("trial_*/checkpoint.weights.h5"))
