"""Run folders never lose work, tried as a user would: real chapter subprocesses.

Chapter 4's 4B and 4C need no training and 4E's quick search trains small CNNs. The SIGKILL
test runs a stand-in chapter (same runner, same run folder) whose problems write figures,
tables, sections and a tuner-like project without TensorFlow, so twenty kills take seconds.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from chapters.ch4_cnn import main as ch4_main
from companion.run.folder import RunFolder
from companion.run.lock import FolderLock
from companion.seed import derive_seed

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "MPLBACKEND": "Agg",
    "PYTHONUNBUFFERED": "1",
}
CH4 = [sys.executable, "-m", "chapters.ch4_cnn", "--quick"]
PROG = "python -m chapters.ch4_cnn: error: "


def ch4(*args, prefix=(), timeout=600):
    return subprocess.run(
        [*prefix, *CH4, *map(str, args)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_line(done) -> str:
    """The one line a user error prints (exit 2, no traceback)."""
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(PROG)
    return lines[0][len(PROG) :]


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# --------------------------------------------------------------- reruns and --fresh


def ch4_here(capsys, *args) -> tuple[int, str]:
    """The chapter's command run in this process (a subprocess imports TensorFlow again)."""
    code = ch4_main(["--quick", *map(str, args)])
    return code, capsys.readouterr().out


def test_a_rerun_adds_to_the_folder_and_fresh_moves_it_aside(tmp_path, capsys):
    out = tmp_path / "R"
    assert ch4_here(capsys, "--only", "4B", "--out", out)[0] == 0
    code, text = ch4_here(capsys, "--only", "4C", "--out", out)
    assert code == 0, text
    assert [line for line in text.splitlines() if "4B" in line and "--fresh" in line]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["problems"]) == {"4B", "4C"}
    assert summary["problems"]["4B"]["params"] == 608
    report = (out / "report.md").read_text()
    assert "## 4B. " in report and "## 4C. " in report
    assert "4A, 4D, 4E, 4F" in report.rstrip().splitlines()[-1]  # the problems not run, listed
    before = files_of(out)

    code, text = ch4_here(capsys, "--only", "4C", "--fresh", "--out", out)
    assert code == 0, text
    [aside] = tmp_path.glob("R.old-*")
    assert str(aside) in text  # the run says where the old folder went
    assert files_of(aside) == before  # moved, intact
    assert set(json.loads((out / "summary.json").read_text())["problems"]) == {"4C"}
    assert "## 4B. " not in (out / "report.md").read_text()


# --------------------------------------------------------------- clean refusals


def test_out_naming_a_file_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    line = error_line(ch4("--only", "4B", "--out", tmp_path / "notes.txt"))
    assert line.startswith(f"--out {tmp_path / 'notes.txt'} ")  # the flag and the file it names
    line = error_line(ch4("--only", "4B", "--out", tmp_path / "notes.txt" / "run"))
    assert str(tmp_path / "notes.txt" / "run") in line  # the folder it could not make
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _without_root_powers():
    """A prefix that makes root obey file permissions (as every user does), or None."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search") if setpriv else None


@pytest.mark.parametrize("inside", [False, True])
def test_a_folder_that_cannot_be_written_is_one_line(inside):
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot bite")
    base = Path(tempfile.mkdtemp())
    try:
        locked = base / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        out = locked / "run" if inside else locked
        line = error_line(ch4("--only", "4B", "--out", out, prefix=prefix))
        target = out if inside else out / ".lock"
        assert str(target) in line and "Permission denied" in line and "--out" in line
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base)


def test_a_corrupt_summary_under_resume_is_one_line_and_nothing_is_deleted(tmp_path):
    with RunFolder(tmp_path, chapter="ch4_cnn", title="Chapter 4", order=["4B", "4C"]) as run:
        run.write_config({"seed": 0, "quick": True})
        run.begin("4B", replace=True)
        run.record("4B", "Parameters", "608 parameters", {"params": 608})
    summary = tmp_path / "summary.json"
    summary.write_text(summary.read_text()[:40])  # e.g. damaged by a full disk elsewhere
    before = files_of(tmp_path)
    line = error_line(ch4("--only", "4C", "--resume", "--out", tmp_path))
    assert line.startswith(f"{summary} ") and "JSON" in line  # the file and what is wrong
    assert "--fresh" in line  # and the way out
    assert files_of(tmp_path) == before


def test_a_run_into_a_folder_in_use_is_refused(tmp_path):
    with FolderLock(tmp_path):  # this test process plays the live run
        line = error_line(ch4("--only", "4B", "--out", tmp_path))
    assert line.startswith(f"{tmp_path} ")
    for name in (f"process {os.getpid()}", str(tmp_path / ".lock"), "--out"):
        assert name in line  # who holds it, the lock, the fix
    assert not (tmp_path / "summary.json").exists()


# --------------------------------------------------------------- SIGKILL at any moment

STAND_IN = '''
"""A stand-in chapter: the real runner and run folder, problems that only write files."""
import os
import pathlib
import sys
import time

import companion.run.runner
from companion.run.runner import Problem, Section, run_chapter

companion.run.runner.set_seed = lambda seed: seed  # keeps TensorFlow out: a second per run

STALL = os.environ.get("STALL_WRITING")  # a slow disk: stop halfway through writing this file
if STALL:
    write_text = pathlib.Path.write_text

    def half_then_wait(self, text, *args, **kwargs):
        if STALL in self.name:
            with open(self, "w") as handle:
                handle.write(text[: len(text) // 2])
            print("STALLED", flush=True)
            time.sleep(120)
        return write_text(self, text, *args, **kwargs)

    pathlib.Path.write_text = half_then_wait


class Table:
    """What save_table needs of a DataFrame (pandas takes a second to import)."""

    def __init__(self, column):
        self.column = column

    def to_csv(self, path, index):
        with open(path, "w") as handle:
            handle.write("x\\n" + "".join(f"{v}\\n" for v in self.column))


def solve(pid, n_figures, project=False):
    def run(ctx):
        import matplotlib.pyplot as plt
        import numpy as np

        rng = np.random.default_rng(ctx.seed)
        md = []
        for i in range(n_figures):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot(rng.random(50))
            md.append(ctx.folder.figure_md(fig, f"{pid}_{i}", f"{pid} figure {i}"))
        ctx.folder.save_table(Table(rng.random(200)), f"{pid}_table")
        if project:  # handed out, then written in place, as keras-tuner writes its projects
            folder = ctx.folder.folder_for(f"tuning/{pid}_search")
            (folder / "oracle.json").write_text("{}")
        return Section("\\n".join(md), {"value": float(rng.random())}, "done")

    return run


PROBLEMS = [
    Problem("KA", "two figures", solve("KA", 2)),
    Problem("KB", "one figure", solve("KB", 1)),
    Problem("KC", "a search", solve("KC", 1, project=True)),
    Problem("KD", "three figures", solve("KD", 3)),
]
code = run_chapter("ch_kill", "Killed at any moment", PROBLEMS, sys.argv[1:])
print("tensorflow loaded:", "tensorflow" in sys.modules)
sys.exit(code)
'''


def check_consistent(folder: Path) -> set[str]:
    """Every problem summary.json lists has its section, report entry and whole files."""
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        return set()
    summary = json.loads(summary_path.read_text())  # parses: never half-written
    json.loads((folder / "config.json").read_text())
    report = (folder / "report.md").read_text()
    assert report.startswith("# Killed at any moment\n")
    for problem in summary["problems"]:
        units = summary["files"][problem]
        section = (folder / "sections" / f"{problem}.md").read_text()
        assert section.startswith(f"## {problem}. ") and section in report
        assert f"figures/{problem}_0.png" in units and f"histories/{problem}_table.csv" in units
        for unit in units:
            path = folder / unit
            assert path.exists(), unit
            if path.suffix == ".png":
                assert path.read_bytes().endswith(b"IEND\xaeB`\x82"), unit  # a whole PNG
            if path.suffix == ".csv":
                assert len(pd.read_csv(path)) == 200, unit
    return set(summary["problems"])


def test_sigkill_at_random_moments_never_leaves_a_broken_folder(tmp_path):
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    out = tmp_path / "R"

    def start(*flags, stall=""):
        return subprocess.Popen(
            [sys.executable, str(script), "--out", str(out), *flags],
            cwd=ROOT,
            env={**ENV, "STALL_WRITING": stall},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    began = time.perf_counter()
    first = start()
    output = first.communicate(timeout=120)[0]
    assert first.returncode == 0, output
    whole = time.perf_counter() - began
    assert "tensorflow loaded: False" in output  # a run takes about a second: kills land in it
    assert check_consistent(out) == {"KA", "KB", "KC", "KD"}

    rng = random.Random(155)
    plans = [(), ("--resume",), ("--only", "KB,KC"), ("--seed", "3"), ("--resume",)]
    # Three kills land in the middle of writing a file, whatever the machine's speed.
    stalls = {2: "summary.json", 6: "report.md", 9: "config.json"}
    stale_locks = 0
    for i in range(12):
        flags = plans[i % len(plans)] if i != 7 else ("--fresh",)
        run = start(*flags, stall=stalls.get(i, ""))
        if i in stalls:
            while (line := run.stdout.readline()) and line.strip() != "STALLED":
                pass
            assert line, f"the run never wrote {stalls[i]}"
        else:
            time.sleep(whole * (i + rng.random()) / 12)  # a kill in each twelfth of a run
        run.send_signal(signal.SIGKILL)
        run.wait()
        run.stdout.close()
        check_consistent(out)
        stale_locks += (out / ".lock").exists()
        for aside in tmp_path.glob("R.old-*"):
            check_consistent(aside)
    assert stale_locks >= 3  # most kills caught a run holding the folder

    last = start("--resume")
    text = last.communicate(timeout=120)[0]
    assert last.returncode == 0, text
    assert check_consistent(out) == {"KA", "KB", "KC", "KD"}
    assert not list(out.rglob(".*.tmp*")) and not (out / ".lock").exists()


# --------------------------------------------------------------- 4E killed mid-search


def trials(project: Path) -> list[dict]:
    """Each trial of a keras-tuner project: id, status, values and score."""
    rows = []
    for path in sorted(project.glob("trial_*/trial.json")):
        trial = json.loads(path.read_text())
        rows.append(
            {
                "id": trial["trial_id"],
                "status": trial["status"],
                "values": json.dumps(trial["hyperparameters"]["values"], sort_keys=True),
                "score": trial["score"],
            }
        )
    return rows


def unowned(folder: Path) -> list[str]:
    """Files of a run folder that no problem owns and that are not the folder's bookkeeping."""
    summary = json.loads((folder / "summary.json").read_text())
    owned = [u for units in summary["files"].values() for u in units]
    own = ("summary.json", "config.json", "report.md", "sections/", ".lock")
    return [
        name
        for name in files_of(folder)
        if not name.startswith(own)
        and not any(name == u or name.startswith(f"{u}/") for u in owned)
    ]


def test_4e_killed_mid_grid_search_resumes_to_the_same_best_score(ch4_quick, tmp_path):
    # The uninterrupted reference: 4E of the chapter's --quick --seed 3 run (conftest: one run
    # shared with test_ch4.py). 4E's seeds come from the base seed and "4E" only, so it is
    # the run of 4E alone.
    whole, broken = ch4_quick[0], tmp_path / "broken"
    assert unowned(whole) == []  # every file 4E (and 4A-4F) wrote went through the run folder

    run = subprocess.Popen(
        [*CH4, "--only", "4E", "--out", str(broken), "--seed", "3"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seed = derive_seed(3, "4E:search-0")  # quick 4E: one search per strategy, seeded by the context
    grid = broken / "tuning" / f"4E_grid_seed{seed}"
    second_trial = grid / "trial_1"
    deadline = time.monotonic() + 300
    while not second_trial.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "4E finished before it could be killed"
    run.send_signal(signal.SIGKILL)  # the first grid trial is done, the second is training
    run.wait()
    assert not (broken / "tuning" / f"4E_random_seed{seed}").exists()
    assert "4E" not in json.loads((broken / "summary.json").read_text())["problems"]
    first_trial = (grid / "trial_0" / "trial.json").read_bytes()

    resumed = ch4("--only", "4E", "--out", broken, "--seed", "3", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"process {run.pid}" in resumed.stdout  # it names the killed run whose lock it took
    # The finished trial was kept, not trained again; nothing was moved aside or restarted.
    assert (grid / "trial_0" / "trial.json").read_bytes() == first_trial
    assert not list((broken / "tuning").glob("*.old-*"))
    assert unowned(broken) == []  # what the killed run wrote was already 4E's
    best = json.loads((broken / "summary.json").read_text())["problems"]["4E"]
    expected = json.loads((whole / "summary.json").read_text())["problems"]["4E"]
    budget = expected["budget"]
    for kind in expected["best_scores"]:
        rows = trials(broken / "tuning" / f"4E_{kind}_seed{seed}")
        assert [r["status"] for r in rows] == ["COMPLETED"] * budget  # each trial once
        reference = {
            r["values"]: r["score"] for r in trials(whole / "tuning" / f"4E_{kind}_seed{seed}")
        }
        if kind != "bayesian":  # Bayesian draws depend on the scores it has seen so far
            assert len({r["values"] for r in rows}) == budget
            assert {r["values"] for r in rows} == set(reference)
            for r in rows:  # the rerun trial scores as it did in the uninterrupted run
                assert r["score"] == pytest.approx(reference[r["values"]], abs=5e-4)
        # One validation image is 1/1,333 of the score: allow less than that.
        assert best["best_scores"][kind] == pytest.approx(expected["best_scores"][kind], abs=5e-4)
