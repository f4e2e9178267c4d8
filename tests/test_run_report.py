"""The report a run folder assembles (companion.run.report via RunFolder): sections and order."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from companion.errors import CompanionError
from companion.run.atomic import read_json
from companion.run.folder import RunFolder

ORDER = ["4A", "4B", "4C"]


def folder(path, *, resume=False, chapter="ch4_cnn"):
    return RunFolder(path, chapter=chapter, title="Chapter 4", order=ORDER, resume=resume)


def report(path) -> str:
    return (Path(path) / "report.md").read_text()


def test_creates_the_layout(tmp_path):
    run = folder(tmp_path / "run")
    for sub in ("figures", "histories", "sections"):
        assert (run.path / sub).is_dir()
    assert run.completed == set()


def test_each_section_is_written_when_its_problem_finishes(tmp_path):
    run = folder(tmp_path)
    run.write_config({"seed": 3, "quick": True})
    run.record("4B", "Parameters", "608 parameters.", {"params": 608})
    assert (tmp_path / "sections" / "4B.md").read_text().startswith("## 4B. Parameters")
    text = report(tmp_path)
    assert "608 parameters." in text  # the section the problem recorded
    assert "4A, 4C" in text.rstrip().splitlines()[-1]  # the last line lists what did not run
    assert read_json(tmp_path / "summary.json")["problems"] == {"4B": {"params": 608}}
    assert run.completed == {"4B"}


def test_report_follows_the_chapter_order_not_the_finishing_order(tmp_path):
    run = folder(tmp_path)
    run.record("4C", "Pooling", "pooling text", {})
    run.record("4A", "Padding", "padding text", {})
    run.record("4B", "Parameters", "params text", {})
    text = report(tmp_path)
    assert text.index("## 4A.") < text.index("## 4B.") < text.index("## 4C.")
    assert text.rstrip().endswith("pooling text")  # nothing listed as missing after 4C
    assert text.startswith("# Chapter 4\n")


def test_summary_and_config_hold_numpy_values_and_nan_as_null(tmp_path):
    run = folder(tmp_path)
    run.write_config({"seed": np.int64(7), "quick": np.bool_(False), "rates": np.arange(3)})
    run.record(
        "4F",
        "CNN",
        "text",
        {
            "test_accuracy": np.float32(0.9921875),
            "params": np.int64(421_930),
            "matrix": np.array([[1.0, 0.5], [0.5, 0.25]]),
            "missing": float("nan"),
            "inf": np.float64(np.inf),
            "nested": {"sweep": [{"rate": 0.1, "val": np.float64(np.nan)}]},
            "shape": (28, 28, 8),
            "path": tmp_path / "model.keras",
        },
    )
    raw = (tmp_path / "summary.json").read_text()
    assert "NaN" not in raw and "Infinity" not in raw  # strict JSON
    summary = json.loads(raw)
    entry = summary["problems"]["4F"]
    assert entry["test_accuracy"] == pytest.approx(0.9921875)
    assert entry["params"] == 421_930 and isinstance(entry["params"], int)
    assert entry["matrix"] == [[1.0, 0.5], [0.5, 0.25]]
    assert entry["missing"] is None and entry["inf"] is None
    assert entry["nested"] == {"sweep": [{"rate": 0.1, "val": None}]}
    assert entry["shape"] == [28, 28, 8]
    assert entry["path"] == str(tmp_path / "model.keras")
    config = read_json(tmp_path / "config.json")
    assert config == {"seed": 7, "quick": False, "rates": [0, 1, 2]}
    assert summary["seed"] == 7 and summary["quick"] is False
    assert not list(tmp_path.glob(".*.tmp*"))  # atomic writes leave no temporaries


def test_config_merges_and_data_notes_reach_the_report(tmp_path):
    run = folder(tmp_path)
    run.write_config({"seed": 1, "settings": {"epochs": None}})
    run.note_data("mnist", "MNIST (keras.datasets.mnist): 50,000 train")
    run.write_config({"quick": True})
    config = read_json(tmp_path / "config.json")
    assert config["seed"] == 1 and config["quick"] is True
    assert config["settings"] == {"epochs": None}
    assert config["data"] == {"mnist": "MNIST (keras.datasets.mnist): 50,000 train"}
    text = report(tmp_path)
    header = text.split("\n\n")[1].splitlines()  # the settings, one line each
    assert [line.endswith(f"`{v}`") for line, v in zip(header, (1, True))] == [True, True]
    assert "(mnist)" in header[2] and header[2].endswith(config["data"]["mnist"])
    assert read_json(tmp_path / "summary.json")["data"] == config["data"]


def test_figures_and_histories(tmp_path):
    import matplotlib.pyplot as plt

    run = folder(tmp_path)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    markdown = run.figure_md(fig, "curve", "A falling line")
    assert markdown == "![A falling line](figures/curve.png)\n\n*A falling line*\n"
    assert (tmp_path / "figures" / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()  # closed, so long runs do not leak figures
    frame = pd.DataFrame({"epoch": [1, 2], "loss": [0.5, 0.25]})
    assert run.save_table(frame, "fit") == "histories/fit.csv"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "histories" / "fit.csv"), frame)


def first_run(path):
    run = folder(path)
    run.write_config({"seed": 0, "quick": True})
    run.note_data("mnist", "the shipped sample")
    run.record("4A", "Padding", "first run's 4A", {"value": 1})
    return run


def test_resume_keeps_finished_problems_and_data_notes(tmp_path):
    first_run(tmp_path)
    run = folder(tmp_path, resume=True)
    assert run.completed == {"4A"}
    run.write_config({"seed": 0, "quick": True, "resume": True})
    run.record("4B", "Parameters", "second run's 4B", {"value": 2})
    text = report(tmp_path)
    assert "first run's 4A" in text and "second run's 4B" in text
    assert "the shipped sample" in text.split("## ")[0]  # the data note, in the header
    summary = read_json(tmp_path / "summary.json")
    assert summary["problems"] == {"4A": {"value": 1}, "4B": {"value": 2}}
    assert read_json(tmp_path / "config.json")["data"] == {"mnist": "the shipped sample"}


def test_a_rerun_keeps_the_problems_it_does_not_run(tmp_path):
    first_run(tmp_path)
    run = folder(tmp_path)  # no resume: 4B replaces nothing but itself
    assert run.completed == {"4A"}
    run.write_config({"seed": 1, "quick": True})
    run.begin("4B", replace=True)
    run.record("4B", "Parameters", "second run's 4B", {"value": 2})
    text = report(tmp_path)
    assert "first run's 4A" in text and "second run's 4B" in text
    header = text.split("## ")[0]
    assert "the shipped sample" in header  # 4A's data note stays
    # The report says which kept answers came from other settings.
    assert "4A (seed `0`)" in header and "4B" not in header
    summary = read_json(tmp_path / "summary.json")
    assert summary["problems"] == {"4A": {"value": 1}, "4B": {"value": 2}}
    assert summary["provenance"]["4A"]["seed"] == 0 and summary["provenance"]["4B"]["seed"] == 1


def test_a_fresh_folder_starts_empty_and_keeps_the_old_one(tmp_path):
    first_run(tmp_path / "run")
    old_summary = (tmp_path / "run" / "summary.json").read_bytes()
    run = RunFolder(tmp_path / "run", chapter="ch4_cnn", title="Chapter 4", order=ORDER, fresh=True)
    assert run.completed == set()
    run.write_config({"seed": 1, "quick": False})
    text = report(tmp_path / "run")
    assert "first run's 4A" not in text and "the shipped sample" not in text
    assert "4A, 4B, 4C" in text.rstrip().splitlines()[-1]  # every problem listed as not run
    assert run.moved_to.name.startswith("run.old-")
    assert (run.moved_to / "summary.json").read_bytes() == old_summary
    assert "first run's 4A" in (run.moved_to / "report.md").read_text()


@pytest.mark.parametrize("resume", [True, False])
def test_another_chapters_folder_is_refused(tmp_path, resume):
    first_run(tmp_path)
    with pytest.raises(CompanionError, match="'ch4_cnn'.*'ch3_depth_width'"):
        folder(tmp_path, resume=resume, chapter="ch3_depth_width")


def test_resume_of_an_empty_folder_starts_fresh(tmp_path):
    run = folder(tmp_path / "new", resume=True)
    assert run.completed == set() and run.summary["chapter"] == "ch4_cnn"
