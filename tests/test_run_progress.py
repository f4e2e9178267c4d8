"""Progress lines: redrawn on a terminal, plain lines elsewhere, silent when nobody shows them."""

import io
import logging
import os
import pty
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from companion.run import progress
from companion.run.progress_callbacks import epoch_progress
from companion.seed import set_seed
from companion.training import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def shown():
    """Attach a handler writing to a buffer; detach afterwards."""
    buffers = []

    def attach(live: bool):
        buffer = io.StringIO()
        buffers.append(buffer)
        progress.attach(buffer, live=live)
        return buffer

    yield attach
    progress.detach()


def test_lines_mode_drops_redraws_and_ends_every_line(shown):
    buffer = shown(live=False)
    progress.LOG.info("epoch 1/3 [###] 5/10", extra={"redraw": True})
    progress.LOG.info("epoch 1/3  loss 0.5")
    assert buffer.getvalue() == "epoch 1/3  loss 0.5\n"


def test_live_mode_redraws_in_place_and_keeps_the_epoch_line(shown):
    buffer = shown(live=True)
    running, finished = "epoch 1/3 [#.....] 1/10 loss 0.9", "epoch 1/3  loss 0.5"
    progress.LOG.info(running, extra={"redraw": True})
    progress.LOG.info(finished)
    # the finished line overwrites the redrawn one (padded over its tail) and ends the line
    pad = " " * (len(running) - len(finished))
    assert buffer.getvalue() == f"\r{running}\r{finished}{pad}\n"


def test_end_line_closes_an_open_redraw(shown):
    buffer = shown(live=True)
    progress.LOG.info("working", extra={"redraw": True})
    progress.handler().end_line()
    progress.handler().end_line()  # nothing open: no second newline
    assert buffer.getvalue() == "\rworking\n"


def test_no_handler_means_no_callback():
    progress.detach()
    assert epoch_progress("x") is None
    assert progress.handler() is None


def test_duration_reads_like_a_person_would_say_it():
    assert progress.duration(4.4) == "4 s"
    assert progress.duration(185) == "3 min 05 s"
    assert progress.duration(3725) == "1 h 02 min"


class Slow(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        time.sleep(0.05)


def _fit(epochs: int) -> None:
    set_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = keras.utils.to_categorical(x[:, 0] > 0, 2)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    train(model, x, y, epochs=epochs, batch_size=16, name="tiny", callbacks=[Slow()])


def test_train_reports_each_epoch_of_long_training(shown, monkeypatch):
    monkeypatch.setattr(progress, "MIN_SECONDS", 0.0)  # every fit counts as long
    buffer = shown(live=False)
    _fit(3)
    lines = buffer.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == [f"tiny: epoch {i}/3" for i in (1, 2, 3)]
    assert "loss" in lines[0] and "left" in lines[0] and "left" not in lines[-1]


def test_short_training_stays_silent(shown, monkeypatch):
    monkeypatch.setattr(progress, "MIN_SECONDS", 600.0)  # every fit here counts as short
    buffer = shown(live=False)
    _fit(2)
    assert buffer.getvalue() == ""


def test_trial_lines_name_the_trial_its_score_and_the_best(shown):
    buffer = shown(live=False)
    progress.trial_done(3, 8, {"learning_rate": 0.01, "units": 32}, 0.912, 0.95)
    progress.trial_done(4, None, {"units": 8}, None, None)
    assert buffer.getvalue().splitlines() == [
        "trial 3/8  learning_rate=0.01  units=32  score 0.9120  (best so far 0.9500)",
        "trial 4  units=8  score failed",
    ]


# A tiny chapter whose one problem trains for a few seconds, run like a real chapter.
CHAPTER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from companion.run.runner import Problem, Section, run_chapter

    def run_long(ctx):
        import keras
        from companion.training import train

        class Slow(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                time.sleep(0.12)

        x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        y = keras.utils.to_categorical(x[:, 0] > 0, 2)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        train(model, x, y, epochs=3, batch_size=32, name="net", callbacks=[Slow()])
        return Section("done", {}, "trained")

    sys.exit(run_chapter("chx", "Tiny", [Problem("1A", "long", run_long)], sys.argv[1:]))
    """
)


def _chapter(tmp_path: Path, *flags: str, tty: bool) -> tuple[str, str]:
    script = tmp_path / "chx.py"
    script.write_text(CHAPTER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    cmd = [sys.executable, str(script), "--out", str(tmp_path / "run"), *flags]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower, env=env) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.stdout.read().decode()
        assert proc.wait(timeout=180) == 0
    os.close(leader)
    return stdout, b"".join(chunks).decode(errors="replace")


def test_a_chapter_on_a_terminal_redraws_progress(tmp_path):
    stdout, stderr = _chapter(tmp_path, tty=True)
    assert "1A     trained" in stdout
    assert "\r" in stderr and "[" in stderr  # a bar redrawn in place
    assert "net: epoch 3/3" in stderr


def test_a_chapter_into_a_pipe_prints_plain_epoch_lines(tmp_path):
    stdout, stderr = _chapter(tmp_path, tty=False)
    assert "\r" not in stderr
    epochs = [line for line in stderr.splitlines() if "net: epoch" in line]
    assert [line.split("net: ")[1].split("  ")[0] for line in epochs] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    # no TensorFlow start-up lines without -v
    assert "oneDNN" not in stderr and "absl::InitializeLog" not in stderr


def test_quiet_prints_only_the_problem_lines(tmp_path):
    stdout, stderr = _chapter(tmp_path, "--quiet", tty=False)
    assert stdout.splitlines() == ["  1A     trained  (" + stdout.split("(")[1].strip()]
    assert stderr == ""


def test_the_progress_logger_does_not_leak_into_the_root_logger(shown):
    shown(live=False)
    assert logging.getLogger("companion.run.progress").propagate is False


def test_the_quiet_start_up_waits_for_tensorflow_to_be_imported(tmp_path):
    code = (
        "import sys\n"
        "from companion.run.env import quiet_tensorflow_startup\n"
        "quiet_tensorflow_startup()\n"
        "print('tensorflow' in sys.modules)\n"
        "import keras\n"
        "print(keras.ops.sum(keras.ops.ones(3)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180
    )
    assert done.stdout.splitlines()[0] == "False"  # nothing imported until needed
    assert "3.0" in done.stdout
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr
