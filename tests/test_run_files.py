"""A run folder's layout: moving aside, temporaries, old tuner projects (companion.run.files)."""

from pathlib import Path

from companion.run.files import ASIDE, aside_path, inside, temporaries, tuner_projects


def test_aside_path_is_a_free_name_beside_the_folder(tmp_path):
    first = aside_path(tmp_path / "R")
    assert first.parent == tmp_path and first.name.startswith("R" + ASIDE)
    first.mkdir()
    second = aside_path(tmp_path / "R")
    assert second != first and not second.exists() and second.name.startswith(first.name)


def write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_temporaries_are_the_hidden_tmp_files_of_either_form(tmp_path):
    for name in (".4A.png.41.tmp.png", ".summary.json.41.tmp", "4A.png", ".lock", "a.tmp"):
        write(tmp_path / name)
    assert [p.name for p in temporaries(tmp_path)] == [".4A.png.41.tmp.png", ".summary.json.41.tmp"]


def test_tuner_projects_are_found_by_their_oracle_one_level_down(tmp_path):
    write(tmp_path / "tuning" / "4E_grid" / "oracle.json")
    write(tmp_path / "tuning" / "4E_grid.old-1" / "oracle.json")  # moved aside: not a project
    write(tmp_path / "tuning" / "notes" / "a.txt")
    write(tmp_path / "tuner" / "budget_100" / "oracle.json")
    write(tmp_path / "figures" / "4A.png")
    assert tuner_projects(tmp_path) == ["tuner/budget_100", "tuning/4E_grid"]


def test_inside_is_by_whole_name_parts():
    assert inside("tuning/4E_grid", "tuning") and inside("tuning", "tuning")
    assert not inside("tuning_old/x", "tuning") and not inside("tuning", "tuning/4E_grid")
