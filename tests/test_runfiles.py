"""The run folder's layout names and its scan of what each problem wrote (companion.runfiles)."""

import os
from pathlib import Path, PurePosixPath

from companion.runfiles import ASIDE, aside_path, scan, unit_of


def test_aside_path_is_a_free_name_beside_the_folder(tmp_path):
    first = aside_path(tmp_path / "R")
    assert first.parent == tmp_path and first.name.startswith("R" + ASIDE)
    first.mkdir()
    second = aside_path(tmp_path / "R")
    assert second != first and not second.exists() and second.name.startswith(first.name)


def test_a_unit_is_a_top_level_file_or_an_entry_one_level_down():
    assert unit_of(PurePosixPath("4F_cnn.keras")) == "4F_cnn.keras"
    assert unit_of(PurePosixPath("figures/4A.png")) == "figures/4A.png"
    assert unit_of(PurePosixPath("tuning/4E_grid/trial_0/trial.json")) == "tuning/4E_grid"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_scan_counts_each_units_files_and_skips_bookkeeping(tmp_path):
    write(tmp_path / "figures" / "4A.png", "12345")
    write(tmp_path / "tuning" / "4E_grid" / "a.json", "ab")
    write(tmp_path / "tuning" / "4E_grid" / "t" / "b.json", "abc")
    for skipped in ("summary.json", "report.md", ".lock", "figures/.4B.png.1.tmp"):
        write(tmp_path / skipped, "x")
    write(tmp_path / ("R" + ASIDE + "1") / "old.txt", "x")
    units = scan(tmp_path)
    assert set(units) == {"figures/4A.png", "tuning/4E_grid"}
    assert units["figures/4A.png"][:2] == (1, 5)
    assert units["tuning/4E_grid"][:2] == (2, 5)  # files in sub-folders count for their unit


def test_scan_sees_a_file_changed_in_place(tmp_path):
    target = tmp_path / "histories" / "4F.csv"
    write(target, "epoch\n1\n")
    before = scan(tmp_path)["histories/4F.csv"]
    os.utime(target, ns=(before[2] + 10**9, before[2] + 10**9))
    assert scan(tmp_path)["histories/4F.csv"][2] > before[2]
