"""Run folders never lose work: reruns, --fresh, tuner projects, refusals, atomic writes."""

import json

import pandas as pd
import pytest

from companion.errors import CompanionError
from companion.run.folder import LAYOUT, RunFolder, read_json

ORDER = ["4A", "4B", "4C", "4D", "4E"]


def folder(path, **kwargs):
    return RunFolder(path, chapter="ch4_cnn", title="Chapter 4", order=ORDER, **kwargs)


def figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    return fig


def summary(path):
    return read_json(path / "summary.json")


def solve(run, problem, *, figures=(), project=None, replace=True, value=1):
    """Run a fake problem through the folder: figures, a tuner project, its record."""
    run.begin(problem, replace=replace)
    for name in figures:
        run.save_figure(figure(), name)
    if project:  # handed out, then filled in place (as keras-tuner fills its projects)
        (run.folder_for(f"tuning/{project}") / "oracle.json").write_text(json.dumps({"v": value}))
    run.record(problem, problem, f"{problem} answer {value}", {"value": value})


def test_a_rerun_replaces_exactly_the_problems_it_runs(tmp_path):
    run = folder(tmp_path)
    solve(run, "4A", figures=["4A_curve", "4A_extra"])
    solve(run, "4B", figures=["4B_plot"])
    first_4b = (tmp_path / "figures" / "4B_plot.png").read_bytes()

    again = folder(tmp_path)
    again.begin("4A", replace=True)
    # Until the rerun writes anything, the earlier answer stays listed ...
    assert set(summary(tmp_path)["problems"]) == {"4A", "4B"}
    again.save_figure(figure(), "4A_curve")
    # ... and from its first file on, it is no longer (its figure is being replaced).
    assert set(summary(tmp_path)["problems"]) == {"4B"}
    assert "## 4A." not in (tmp_path / "report.md").read_text()
    again.record("4A", "4A", "4A answer 2", {"value": 2})

    done = summary(tmp_path)
    assert done["problems"] == {"4A": {"value": 2}, "4B": {"value": 1}}
    assert done["files"] == {"4A": ["figures/4A_curve.png"], "4B": ["figures/4B_plot.png"]}
    assert not (tmp_path / "figures" / "4A_extra.png").exists()  # the old 4A's, not redone
    assert (tmp_path / "figures" / "4B_plot.png").read_bytes() == first_4b
    text = (tmp_path / "report.md").read_text()
    assert "4A answer 2" in text and "4A answer 1" not in text and "4B answer 1" in text


def test_a_rerun_that_fails_before_writing_keeps_the_earlier_answer(tmp_path):
    solve(folder(tmp_path), "4B", figures=["4B_plot"])
    again = folder(tmp_path)
    again.begin("4B", replace=True)  # ... and then the problem raises (say, a bad --mnist)
    again.close()
    run = folder(tmp_path, lock=True)
    assert run.completed == {"4B"}
    assert "4B answer 1" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "figures" / "4B_plot.png").is_file()


def test_a_rerun_moves_the_problems_tuner_project_aside(tmp_path):
    run = folder(tmp_path)
    solve(run, "4D", project="4D_other")
    solve(run, "4E", project="4E_grid", value=1)
    assert summary(tmp_path)["files"]["4E"] == ["tuning/4E_grid"]

    again = folder(tmp_path)
    notes = again.begin("4E", replace=True)
    [aside] = [p for p in (tmp_path / "tuning").iterdir() if p.name.startswith("4E_grid.old-")]
    [note] = notes
    assert note.startswith("4E: ") and "tuning/4E_grid" in note and note.endswith(str(aside))
    assert json.loads((aside / "oracle.json").read_text()) == {"v": 1}  # moved, not deleted
    assert not (tmp_path / "tuning" / "4E_grid").exists()  # keras-tuner starts afresh
    assert (tmp_path / "tuning" / "4D_other" / "oracle.json").exists()  # not 4E's: untouched


def test_resume_leaves_the_tuner_project_to_continue(tmp_path):
    run = folder(tmp_path)
    run.begin("4E", replace=False)
    (run.folder_for("tuning/4E_grid") / "oracle.json").write_text("{}")
    run.close()  # killed mid-search: 4E never recorded

    # The killed problem's partial work was recorded as its own when it was handed out ...
    assert summary(tmp_path)["files"] == {"4E": ["tuning/4E_grid"]}
    assert summary(tmp_path)["running"] == {"problem": "4E"}
    resumed = folder(tmp_path, resume=True, lock=True)
    assert resumed.summary["files"] == {"4E": ["tuning/4E_grid"]}
    assert resumed.begin("4E", replace=False) == []
    assert (tmp_path / "tuning" / "4E_grid" / "oracle.json").exists()
    resumed.close()
    # ... so a rerun without --resume moves it aside rather than letting keras-tuner delete it.
    rerun = folder(tmp_path, lock=True)
    [note] = rerun.begin("4E", replace=True)
    [aside] = (tmp_path / "tuning").glob("4E_grid.old-*")
    assert "tuning/4E_grid" in note and str(aside) in note  # what moved, and where
    assert not (tmp_path / "tuning" / "4E_grid").exists()


def test_fresh_moves_the_folder_aside_with_its_tuner_projects(tmp_path):
    out = tmp_path / "R"
    solve(folder(out), "4E", project="4E_grid")
    run = folder(out, fresh=True, lock=True)
    assert run.notes == [f"moved the earlier run folder aside to {run.moved_to}"]
    assert (run.moved_to / "tuning" / "4E_grid" / "oracle.json").exists()
    assert summary(run.moved_to)["problems"] == {"4E": {"value": 1}}
    assert not (run.moved_to / ".lock").exists()  # our lock left with us
    assert (out / ".lock").exists() and not (out / "tuning").exists()
    assert run.completed == set()
    run.close()
    assert not (out / ".lock").exists()


def test_fresh_refuses_a_folder_that_is_not_a_run_folder(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(CompanionError, match=r"'thesis.tex'"):
        folder(tmp_path, fresh=True)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"
    assert not list(tmp_path.parent.glob(f"{tmp_path.name}.old-*"))


def test_fresh_refuses_to_move_the_current_folder(tmp_path, monkeypatch):
    folder(tmp_path).write_config({"seed": 0})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CompanionError, match="--fresh"):
        folder(".", fresh=True)
    assert (tmp_path / "summary.json").exists()


def test_resume_and_fresh_contradict(tmp_path):
    with pytest.raises(CompanionError, match="--resume.*--fresh"):
        folder(tmp_path, resume=True, fresh=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"chapter": "ch4_cnn", "problems": {"4A": {', "not valid JSON"),
        ("\xff\xfe garbage", "not valid JSON"),
        ('["a list"]', "is not a companion run summary"),
        (
            json.dumps({"chapter": "ch4_cnn", "layout": 99, "problems": {}}),
            "written by another version of companion \\(layout 99",
        ),
    ],
)
@pytest.mark.parametrize("resume", [True, False])
def test_a_broken_or_foreign_summary_is_refused_and_kept(tmp_path, content, message, resume):
    (tmp_path / "summary.json").write_text(content, encoding="utf-8")
    (tmp_path / "sections").mkdir()
    (tmp_path / "sections" / "4A.md").write_text("## 4A. kept")
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    with pytest.raises(CompanionError, match=message) as error:
        folder(tmp_path, resume=resume, lock=True)
    assert str(tmp_path) in str(error.value) and "--fresh" in str(error.value)
    after = sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    assert after == before  # nothing deleted or rewritten, and the lock was let go


def test_a_folder_from_before_layouts_is_read_and_upgraded(tmp_path):
    legacy = {"chapter": "ch4_cnn", "title": "Chapter 4", "problems": {"4E": {"v": 1}}}
    (tmp_path / "summary.json").write_text(json.dumps(legacy))
    (tmp_path / "tuning" / "4E_grid").mkdir(parents=True)
    (tmp_path / "tuning" / "4E_grid" / "oracle.json").write_text("{}")
    run = folder(tmp_path)
    assert run.completed == {"4E"}
    run.write_config({"seed": 0})
    assert summary(tmp_path)["layout"] == LAYOUT
    # Its tuner projects have no recorded owner: a rerun moves them aside all the same.
    [note] = run.begin("4E", replace=True)
    [aside] = (tmp_path / "tuning").glob("4E_grid.old-*")
    assert "tuning/4E_grid" in note and str(aside) in note


def test_out_naming_a_file_is_refused(tmp_path):
    (tmp_path / "results.txt").write_text("mine")
    with pytest.raises(CompanionError, match="results.txt"):
        folder(tmp_path / "results.txt")
    assert (tmp_path / "results.txt").read_text() == "mine"


def test_temporaries_of_a_killed_writer_are_swept_by_the_next_one(tmp_path):
    folder(tmp_path).write_config({"seed": 0})
    (tmp_path / ".summary.json.4242.tmp").write_text('{"half":')
    (tmp_path / "figures" / ".4A.png.4242.tmp").write_bytes(b"\x89PNG")
    folder(tmp_path, lock=True).close()
    assert not list(tmp_path.rglob("*.tmp"))


def test_figures_and_histories_are_written_atomically(tmp_path):
    run = folder(tmp_path)
    run.save_table(pd.DataFrame({"a": [1]}), "old")

    class Broken:
        def to_csv(self, path, index):
            path.write_text("a\n1\n2")
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        run.save_table(Broken(), "old")
    assert (tmp_path / "histories" / "old.csv").read_text() == "a\n1\n"
    assert sorted(p.name for p in (tmp_path / "histories").iterdir()) == ["old.csv"]


# --------------------------------------------------------------- owners recorded as written


def test_each_file_is_recorded_under_its_problem_as_it_is_handed_out(tmp_path):
    run = folder(tmp_path, lock=True)
    run.begin("4F", replace=True)
    assert run.write_file("4F_cnn.keras", lambda tmp: tmp.write_bytes(b"model")) == "4F_cnn.keras"
    streamed = run.path_for("histories/4F_cnn.csv")  # a callback rewrites it each epoch
    assert streamed == tmp_path / "histories" / "4F_cnn.csv" and not streamed.exists()
    on_disk = summary(tmp_path)
    assert on_disk["running"] == {"problem": "4F"}
    assert on_disk["files"] == {"4F": ["4F_cnn.keras", "histories/4F_cnn.csv"]}
    run.close()  # killed here: the CSV was handed out but never written

    reopened = folder(tmp_path, resume=True, lock=True)
    assert reopened.summary["files"] == {"4F": ["4F_cnn.keras"]}  # what exists, still 4F's
    assert "running" not in reopened.summary
    reopened.close()


def test_write_file_keeps_the_suffix_for_writers_that_need_it(tmp_path):
    run = folder(tmp_path)
    seen = []

    def save(tmp):  # like keras' model.save, which takes only a `.keras` name
        assert tmp.suffix == ".keras" and tmp.name.startswith(".") and tmp.parent == tmp_path
        seen.append(tmp)
        tmp.write_bytes(b"whole")

    run.write_file("4F_cnn.keras", save)
    assert (tmp_path / "4F_cnn.keras").read_bytes() == b"whole" and not seen[0].exists()

    def half_then_fail(tmp):
        tmp.write_bytes(b"ha")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        run.write_file("4F_cnn.keras", half_then_fail)
    assert (tmp_path / "4F_cnn.keras").read_bytes() == b"whole"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_rerun_replaces_its_own_files_by_owner_and_keeps_the_others(tmp_path):
    run = folder(tmp_path)
    run.begin("4B", replace=True)
    run.write_file("4B_model.keras", lambda tmp: tmp.write_text("4B"))
    run.save_table(pd.DataFrame({"a": [1]}), "4B_table")
    run.record("4B", "4B", "4B answer", {"value": 1})
    run.begin("4E", replace=True)
    run.save_table(pd.DataFrame({"a": [1]}), "4E_old_only")
    (run.folder_for("tuning") / "oracle.json").write_text('{"v": 1}')
    run.record("4E", "4E", "4E answer", {"value": 1})
    (tmp_path / "figures" / "mine.png").write_bytes(b"the user's")  # no owner: never touched

    again = folder(tmp_path)
    [note] = again.begin("4E", replace=True)
    assert note.startswith("4E: ") and "tuning.old-" in note  # the whole folder, moved aside
    again.folder_for("tuning")
    again.record("4E", "4E", "4E again", {"value": 2})
    files = summary(tmp_path)["files"]
    assert files == {"4B": ["4B_model.keras", "histories/4B_table.csv"], "4E": ["tuning"]}
    assert not (tmp_path / "histories" / "4E_old_only.csv").exists()  # 4E's, not redone
    assert (tmp_path / "4B_model.keras").read_text() == "4B"
    assert (tmp_path / "histories" / "4B_table.csv").exists()
    assert (tmp_path / "figures" / "mine.png").read_bytes() == b"the user's"
    [aside] = tmp_path.glob("tuning.old-*")
    assert json.loads((aside / "oracle.json").read_text()) == {"v": 1}


def test_a_folder_holding_an_earlier_per_project_record_moves_aside_once(tmp_path):
    run = folder(tmp_path)
    solve(run, "4E", project="4E_grid")  # recorded project by project (an older 4E)
    resumed = folder(tmp_path)
    resumed.begin("4E", replace=False)
    resumed.folder_for("tuning")  # today's 4E owns the whole folder
    resumed.record("4E", "4E", "4E", {})
    assert summary(tmp_path)["files"]["4E"] == ["tuning", "tuning/4E_grid"]
    [note] = folder(tmp_path).begin("4E", replace=True)
    [aside] = tmp_path.glob("tuning.old-*")
    assert note.startswith("4E: ") and str(aside) in note  # the whole folder moved, and where
    assert (aside / "4E_grid" / "oracle.json").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("summary.json", "not a name a problem can write"),
        ("sections/4E.md", "not a name a problem can write"),
        ("../elsewhere.png", "not a name a problem can write"),
        ("/tmp/x.png", "not a name a problem can write"),
        ("figures/.4E.png.1.tmp", "hidden names"),
        ("tuning", "'tuning'.*'tuning/4D_search'.*4D"),
        ("tuning/4D_search/trial_0", "'tuning/4D_search'.*4D"),
    ],
)
def test_names_a_problem_cannot_be_handed(tmp_path, name, message):
    run = folder(tmp_path)
    solve(run, "4D", project="4D_search")
    run.begin("4E", replace=True)
    with pytest.raises(ValueError, match=message):
        run.folder_for(name)
    files = summary(tmp_path)["files"]
    assert files["4D"] == ["tuning/4D_search"] and not files.get("4E")


def test_temporaries_of_either_form_are_swept(tmp_path):
    folder(tmp_path).write_config({"seed": 0})
    (tmp_path / ".4F_cnn.keras.4242.tmp.keras").write_bytes(b"PK")
    (tmp_path / "histories" / ".4F.csv.4242.tmp.csv").write_text("a\n")
    folder(tmp_path, lock=True).close()
    assert not [p for p in tmp_path.rglob(".*") if ".tmp" in p.name]
