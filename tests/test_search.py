"""`companion.search` in this process: flags, bad input, progress lines, a tiny search.

The multi-process runs (workers, restarts, Ctrl-C, a chief and a worker started by hand)
are in test_search_workers.py.
"""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from search_space import GRID, TINY

from companion.errors import CompanionError
from companion.search.cli import main
from companion.search.distributed import (
    MAX_RESTARTS,
    WorkerError,
    WorkerPool,
    describe_exit,
    last_line,
    parse_address,
)
from companion.search.progress import Progress, TrialEvent
from companion.search.settings import SearchSettings, check_same, load_settings, save_settings


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # one line, no traceback
    return err[0]


# ---------------------------------------------------------------- a search in one process


def test_one_process_search_writes_the_search_folder(tiny_search):
    frame = pd.read_csv(tiny_search / "trials.csv")
    assert len(frame) == 4 and (frame.status == "COMPLETED").all()
    assert set(zip(frame.units, frame.learning_rate)) == GRID
    assert (frame.seconds > 0).all() and set(frame.worker) == {"tuner0"}
    summary = json.loads((tiny_search / "summary.json").read_text())
    assert summary["complete"] and summary["trials"] == {"completed": 4}
    # The wider, faster-learning net wins clearly on this grid.
    assert summary["best"]["values"] == {"units": 32, "learning_rate": 0.003}
    assert summary["best"]["score"] == pytest.approx(frame.score.max())
    assert 0.2 < summary["best"]["score"] <= 1
    assert summary["settings"]["images"] == 256
    assert "first 256 train and 256 validation images" in summary["data"]
    assert sorted(summary["figures"]) == ["best_score.png", "heatmap.png"]
    assert all((tiny_search / name).stat().st_size > 1000 for name in summary["figures"])
    stored = load_settings(tiny_search / "tuner")
    assert stored.hypermodel == "tests.search_space:build" and stored.sample


def test_a_report_cut_short_mid_figure_leaves_every_file_whole(tiny_search, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    out = tmp_path / "search"
    shutil.copytree(tiny_search, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    save = Figure.savefig

    def fail_in_the_heatmap(fig, path, **kwargs):
        if fig.get_figwidth() == 6.5:  # the heatmap: half its bytes down, then the failure
            Path(path).write_bytes(before["heatmap.png"][:100])
            raise OSError("disk full")
        save(fig, path, **kwargs)

    monkeypatch.setattr(Figure, "savefig", fail_in_the_heatmap)
    with pytest.raises(OSError, match="disk full"):
        main(["--out", str(out), "--resume"])
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after.keys() == before.keys()  # no temporary file left behind
    assert after["heatmap.png"] == before["heatmap.png"]  # the old figure, not a cut one
    assert after["summary.json"] == before["summary.json"]
    assert json.loads(after["summary.json"])["complete"]


def test_an_existing_search_needs_resume_or_fresh(tiny_search, capsys):
    assert main([*TINY, "--out", str(tiny_search)]) == 2
    assert "already holds a search: pass --resume" in error_line(capsys)
    assert main([*TINY, "--out", str(tiny_search), "--resume", "--fresh"]) == 2
    assert "contradict" in error_line(capsys)


def test_resume_refuses_other_settings_and_keeps_finished_trials(tiny_search, capsys):
    before = (tiny_search / "trials.csv").read_text()
    assert main([*TINY, "--out", str(tiny_search), "--resume", "--epochs", "3"]) == 2
    assert "epochs 1 there, 3 here" in error_line(capsys)
    # Resuming a finished search runs nothing again.
    assert main(["--out", str(tiny_search), "--resume"]) == 0
    assert (tiny_search / "trials.csv").read_text() == before


def test_grid_too_large_is_refused(tmp_path, capsys):
    args = ["cnn", "--tuner", "grid", "--max-grid", "10", "--out", str(tmp_path), "--quick"]
    args += ["--max-trials", "50"]
    assert main(args) == 2
    assert "the grid has 72 combinations" in error_line(capsys)


def test_a_hypermodel_that_builds_no_model_is_refused(tmp_path, capsys):
    args = ["--hypermodel", "tests.search_space:not_a_model", "--out", str(tmp_path), "--quick"]
    assert main(args) == 2
    assert "returned str, not a keras.Model" in error_line(capsys)


# ---------------------------------------------------------------- bad input before any model


@pytest.mark.parametrize(
    "args, message",
    [
        (["resnet"], "unknown space 'resnet': choose one of cnn-4e, cnn, mlp-budget"),
        (["--hypermodel", "nowhere:build"], "cannot import 'nowhere'"),
        (["--hypermodel", "tests.search_space:missing"], "has no function 'missing'"),
        (["--hypermodel", "build"], "must be MODULE:FUNCTION"),
        (["--role", "worker", "--id", "0"], "--role worker needs --chief HOST:PORT and --id K"),
        (["--role", "chief"], "--role chief needs --port P"),
        (["--role", "worker", "--chief", "host", "--id", "0"], "--chief must be HOST:PORT"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message, tmp_path, capsys):
    assert main([*args, "--quick", "--out", str(tmp_path)]) == 2
    assert message in error_line(capsys)


def test_a_port_in_use_is_refused(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = [*TINY, "--role", "chief", "--port", str(port), "--out", str(tmp_path)]
        assert main(args) == 2
    assert f"port {port} is in use" in error_line(capsys)


def test_a_worker_gives_up_on_a_chief_it_cannot_reach(tmp_path, capsys):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again below: nothing listens there
    args = [*TINY, "--role", "worker", "--chief", f"127.0.0.1:{port}", "--id", "0"]
    assert main([*args, "--wait", "1", "--out", str(tmp_path)]) == 2
    assert f"cannot reach the chief at 127.0.0.1:{port} after 1 s" in error_line(capsys)
    assert "KERASTUNER_ORACLE_IP" not in os.environ  # no worker identity left behind


# ---------------------------------------------------------------- pieces


def test_progress_lines_count_trials_and_track_the_best():
    stream = io.StringIO()
    progress = Progress(4, done=1, stream=stream)
    progress(TrialEvent("begin", "1", "tuner1", {"units": 4}))
    end = TrialEvent("end", "1", "tuner1", {"units": 4}, "COMPLETED", 0.5, 2.0, 0.7)
    progress(end)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "trial 1 started on tuner1: units=4"
    assert lines[1].startswith("trial 2 of 4 (id 1 on tuner1, 2.0 s): units=4")
    assert lines[1].endswith("val_accuracy 0.5000, best so far 0.7000")


def test_progress_on_a_terminal_keeps_one_status_line():
    stream = io.StringIO()
    progress = Progress(None, stream=stream, live=True)
    progress(TrialEvent("begin", "0", "tuner0", {"units": 4}))
    progress(TrialEvent("begin", "1", "tuner1", {"units": 8}))
    status = "[0 done, best –; running 0 on tuner0, 1 on tuner1]"
    assert stream.getvalue().split("\r\033[K")[-1] == status  # redrawn, not appended
    progress(TrialEvent("end", "0", "tuner0", {"units": 4}, "FAILED", None, 1.0, None))
    text = stream.getvalue()
    assert "\r\033[K" in text and "trial 1 (id 0 on tuner0, 1.0 s) FAILED" in text
    assert text.endswith("[1 done, best –; running 1 on tuner1]")


def test_settings_round_trip_and_conflicts(tmp_path):
    settings = SearchSettings(space="cnn", tuner="random", max_trials=5, images=100)
    save_settings(settings, tmp_path)
    assert load_settings(tmp_path) == settings
    check_same(settings, settings.updated(max_trials=9, mnist="elsewhere.npz"), tmp_path)
    with pytest.raises(CompanionError, match="seed 0 there, 3 here"):
        check_same(settings, settings.updated(seed=3), tmp_path)


def test_small_helpers():
    assert parse_address("10.0.0.2:8470") == ("10.0.0.2", 8470)
    assert parse_address("[::1]:8470") == ("::1", 8470)
    assert describe_exit(-9) == "killed by SIGKILL" and describe_exit(3) == "exit code 3"
    assert last_line(Path("/nonexistent")) == ""


def test_a_local_worker_that_fails_stops_the_pool_with_its_exit_code(tmp_path):
    pool = WorkerPool(1, project_dir=tmp_path / "tuner", chief="127.0.0.1:1", threads=1)
    (worker,) = pool.workers
    worker.log.write_text("python -m companion.search: error: no MNIST at m.npz\n")

    def exits(code: int) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])
        process.wait()
        return process

    worker.process = exits(2)  # bad input: reported at once, never restarted
    with pytest.raises(WorkerError, match="tuner0: .*no MNIST at m.npz") as bad:
        pool.poll()
    assert isinstance(bad.value, CompanionError) and bad.value.exit_code == 2
    worker.process, worker.restarts = exits(1), MAX_RESTARTS  # a worker that keeps dying
    with pytest.raises(WorkerError, match=f"died {MAX_RESTARTS + 1} times") as dying:
        pool.poll()
    assert dying.value.exit_code == 1 and worker.restarts == MAX_RESTARTS


def test_fresh_moves_the_earlier_search_aside_intact(tiny_search, tmp_path, capsys):
    out = tmp_path / "s"
    shutil.copytree(tiny_search, out)
    before = (out / "trials.csv").read_text()
    assert main([*TINY, "--out", str(out), "--fresh"]) == 0
    (old,) = tmp_path.glob("s.old-*")
    assert (old / "trials.csv").read_text() == before
    assert (old / "tuner" / "oracle.json").exists()
    assert "moved the earlier search aside" in capsys.readouterr().out
    assert (out / "summary.json").exists()


# ---------------------------------------------------------------- spaces without Keras


def test_the_command_line_and_spaces_load_no_keras():
    code = (
        "import sys, companion.search.cli, companion.search.settings as s; "
        "print(sorted(s.SPACES), 'keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert out == ["['cnn',", "'cnn-4e',", "'mlp-budget']", "False", "False"]
