"""The shared chapter command line, on a tiny fake chapter (no training, no data)."""

import errno
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chapters import CHAPTERS
from companion.errors import DataError
from companion.run.atomic import read_json
from companion.run.runner import Context, Problem, Section, run_chapter, select_problems
from companion.seed import derive_seed

ROOT = Path(__file__).resolve().parents[1]


def draws(ctx: Context) -> Section:
    """Random numbers from every generator a problem might use."""
    import keras

    values = [
        random.random(),
        float(np.random.random()),
        float(keras.ops.convert_to_numpy(keras.random.uniform(()))),
    ]
    return Section(f"drew {values}", {"draws": values, "epochs": ctx.epochs(5)}, "drew")


PROBLEMS = [Problem("1A", "first", draws), Problem("1B", "second", draws)]


def main(argv, problems=PROBLEMS, **kwargs):
    return run_chapter("ch_fake", "A fake chapter", problems, argv, **kwargs)


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --- flag validation ----------------------------------------------------------------------


def test_unknown_only_id_is_a_one_line_error(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--only", "1A,9Z"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("python -m chapters.ch_fake: error: ")
    assert all(name in line for name in ("9Z", "--only", "1A, 1B"))  # the bad id, the choices
    assert not (tmp_path / "summary.json").exists()  # nothing ran


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--epochs", "0"], ("--epochs", "got 0")),
        (["--epochs", "-3"], ("--epochs", "got -3")),
        (["--epochs", "two"], ("--epochs", "'two'")),
        (["--seed", "-1"], ("--seed", "got -1")),
        (["--seed", "1.5"], ("--seed", "'1.5'")),
        (["--bogus"], ("--bogus",)),
        (["--resume", "--fresh"], ("--fresh", "--resume")),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, names, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("python -m chapters.ch_fake: error: ")
    assert all(name in line for name in names) and line.endswith("(see --help)")


def test_only_is_case_insensitive_and_keeps_chapter_order():
    assert [p.id for p in select_problems(PROBLEMS, " 1b , 1a")] == ["1A", "1B"]
    assert select_problems(PROBLEMS, None) == PROBLEMS


def test_mnist_flag_only_where_the_chapter_uses_it(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--mnist", "x.npz"])
    assert "--mnist" in capsys.readouterr().err
    assert main(["--out", str(tmp_path), "--mnist", "x.npz", "--only", "1A"], uses_mnist=True) == 0
    assert read_json(tmp_path / "config.json")["settings"]["mnist"] == "x.npz"


def test_extra_flags_and_config_reach_config_json(tmp_path):
    def add(parser):
        parser.add_argument("--csv", default="cases.csv")

    code = main(
        ["--out", str(tmp_path), "--csv", "mine.csv", "--only", "1A"],
        add_arguments=add,
        config={"dataset": "fake"},
    )
    assert code == 0
    config = read_json(tmp_path / "config.json")
    assert config["settings"]["csv"] == "mine.csv" and config["dataset"] == "fake"
    assert config["settings"]["out"] == str(tmp_path)
    assert config["chapter"] == "ch_fake" and config["seed"] == 0
    assert "keras" in config["versions"] and "python" in config["versions"]


# --- a whole run ----------------------------------------------------------------------


def test_a_run_writes_every_problem_with_its_seconds(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--epochs", "3"]) == 0
    summary = read_json(tmp_path / "summary.json")
    assert set(summary["problems"]) == {"1A", "1B"}
    for entry in summary["problems"].values():
        assert entry["epochs"] == 3 and entry["seconds"] >= 0
    out = capsys.readouterr().out
    assert f"A fake chapter -> {tmp_path}" in out and "1A" in out and "report:" in out


def test_each_problem_is_seeded_from_seed_and_its_id(tmp_path):
    assert main(["--out", str(tmp_path / "all"), "--seed", "5"]) == 0
    assert main(["--out", str(tmp_path / "only"), "--seed", "5", "--only", "1B"]) == 0
    assert main(["--out", str(tmp_path / "other"), "--seed", "6"]) == 0
    full = read_json(tmp_path / "all" / "summary.json")["problems"]
    alone = read_json(tmp_path / "only" / "summary.json")["problems"]
    other = read_json(tmp_path / "other" / "summary.json")["problems"]
    # Running 1B alone draws exactly what it drew after 1A in the full run ...
    assert alone["1B"]["draws"] == full["1B"]["draws"]
    # ... each problem draws its own numbers, and the base seed changes them.
    for a, b in zip(full["1A"]["draws"], full["1B"]["draws"]):
        assert a != b
    for a, b in zip(full["1B"]["draws"], other["1B"]["draws"]):
        assert a != b


def test_seed_for_differs_by_part_problem_and_base_and_repeats_for_the_same():
    import argparse

    def seed_for(problem, part, seed=5):
        return Context(argparse.Namespace(seed=seed), None, problem=problem).seed_for(part)

    assert seed_for("4F", "final") == seed_for("4F", "final")
    assert seed_for("4F", "final") == derive_seed(5, "4F:final")  # the documented rule
    seeds = {seed_for(p, part, s) for p in ("4E", "4F") for part in ("a", "b") for s in (5, 6)}
    assert len(seeds) == 8


def test_user_error_inside_a_problem_is_one_line_exit_2(tmp_path, capsys):
    def broken(ctx):
        raise DataError("/data/mnist.npz: missing array(s) y_test")

    code = main(["--out", str(tmp_path)], problems=[*PROBLEMS[:1], Problem("1C", "x", broken)])
    assert code == 2
    line = one_line(capsys.readouterr().err)
    assert line == "python -m chapters.ch_fake: error: /data/mnist.npz: missing array(s) y_test"
    # The problem that finished before the error is kept.
    assert set(read_json(tmp_path / "summary.json")["problems"]) == {"1A"}


def test_interrupt_exits_130_keeps_finished_work_and_resume_continues(tmp_path, capsys):
    calls = []

    def interrupted(ctx):
        calls.append("1B")
        if len(calls) == 1:
            raise KeyboardInterrupt
        return Section("second time lucky", {"ok": True}, "done")

    problems = [PROBLEMS[0], Problem("1B", "second", interrupted)]
    assert main(["--out", str(tmp_path)], problems=problems) == 130
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "--resume" in err  # where the work is, how to go on
    first = read_json(tmp_path / "summary.json")["problems"]
    assert set(first) == {"1A"}

    assert main(["--out", str(tmp_path), "--resume"], problems=problems) == 0
    out = capsys.readouterr().out
    [status] = [line for line in out.splitlines() if line.strip().startswith("1A ")]
    assert not status.endswith(" s)")  # 1A reports no training time: it did not run again
    summary = read_json(tmp_path / "summary.json")["problems"]
    assert summary["1A"] == first["1A"]  # not rerun
    assert summary["1B"]["ok"] is True
    report = (tmp_path / "report.md").read_text()
    assert report.index("## 1A.") < report.index("## 1B. second")


# --- the run folder from the command line (in-process; real subprocesses: test_run_folder_cli)


def test_a_rerun_replaces_what_it_runs_and_says_what_it_keeps(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--only", "1A"]) == 0
    first = read_json(tmp_path / "summary.json")["problems"]["1A"]
    capsys.readouterr()
    assert main(["--out", str(tmp_path), "--only", "1B", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "1A" in line and "--fresh" in line]
    summary = read_json(tmp_path / "summary.json")
    assert summary["problems"]["1A"] == first and "1B" in summary["problems"]
    report = (tmp_path / "report.md").read_text()
    assert "## 1A. first" in report and "## 1B. second" in report
    assert "1A (seed `0`)" in report.split("## ")[0]  # the header names 1A's other seed

    assert main(["--out", str(tmp_path), "--fresh", "--only", "1B"]) == 0
    out = capsys.readouterr().out
    [aside] = tmp_path.parent.glob(f"{tmp_path.name}.old-*")
    assert str(aside) in out  # the run says where the old folder went
    assert set(read_json(tmp_path / "summary.json")["problems"]) == {"1B"}
    assert set(read_json(aside / "summary.json")["problems"]) == {"1A", "1B"}


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path, capsys):
    inner = []

    def starts_another_run(ctx):
        inner.append(main(["--out", str(tmp_path), "--only", "1A"]))
        return Section("done", {}, "done")

    assert main(["--out", str(tmp_path)], problems=[Problem("1A", "a", starts_another_run)]) == 0
    assert inner == [2]
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"python -m chapters.ch_fake: error: {tmp_path} ")
    for name in (f"process {os.getpid()}", str(tmp_path / ".lock"), "--out"):
        assert name in line  # who holds it, the lock, the fix
    assert not (tmp_path / ".lock").exists()  # the outer run let go when it finished


def test_a_full_disk_inside_a_problem_is_one_line_and_keeps_earlier_results(tmp_path, capsys):
    def fills_the_disk(ctx):
        raise OSError(errno.ENOSPC, "No space left on device", str(ctx.folder.path / "model.keras"))

    problems = [PROBLEMS[0], Problem("1B", "big", fills_the_disk)]
    assert main(["--out", str(tmp_path)], problems=problems) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("python -m chapters.ch_fake: error: ")
    for name in (str(tmp_path / "model.keras"), "No space left on device", "--resume"):
        assert name in line  # the file, the system's reason, the fix
    assert set(read_json(tmp_path / "summary.json")["problems"]) == {"1A"}


def test_a_full_disk_while_recording_leaves_the_earlier_summary(tmp_path, capsys, monkeypatch):
    assert main(["--out", str(tmp_path), "--only", "1A"]) == 0
    before = (tmp_path / "summary.json").read_text()
    import companion.run.atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(companion.run.atomic.os, "fsync", full)
    assert main(["--out", str(tmp_path), "--only", "1B"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "No space left on device" in line and str(tmp_path) in line
    assert json.loads((tmp_path / "summary.json").read_text()) == json.loads(before)
    assert not list(tmp_path.rglob(".*.tmp*"))


def test_other_os_errors_keep_their_traceback(tmp_path):
    def bug(ctx):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/nowhere/x")

    with pytest.raises(FileNotFoundError):
        main(["--out", str(tmp_path)], problems=[Problem("1A", "a", bug)])
    assert not (tmp_path / ".lock").exists()


# --- `python -m chapters` ----------------------------------------------------------------


def test_listing_the_chapters_is_fast_and_imports_no_tensorflow():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = (
        "import runpy, sys\n"
        "runpy.run_module('chapters', run_name='__main__', alter_sys=True)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'matplotlib', 'pandas'))\n"
        "print('HEAVY', heavy)\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    for name in CHAPTERS:
        assert name in done.stdout
    assert {"ch1_principles", "ch2_inside", "ch3_depth_width", "ch4_cnn"} <= set(CHAPTERS)
    assert seconds < 10  # about 0.1 s alone; generous for a shared machine


def test_python_m_chapters_prints_one_line_per_chapter():
    done = subprocess.run(
        [sys.executable, "-m", "chapters"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 + len(CHAPTERS)
    for line, (name, description) in zip(lines[1:], CHAPTERS.items()):
        assert line.split()[0] == name and line.rstrip().endswith(description)
