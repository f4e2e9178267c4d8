"""Chapter 4 end to end in --quick mode: files, summary keys and values, reproducibility."""

import json

import pytest

from chapters import ch4_cnn


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ch4") / "run"
    assert ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3"]) == 0
    return out, json.loads((out / "summary.json").read_text())


def test_run_folder_has_every_file(quick_run):
    out, _ = quick_run
    for name in ("report.md", "summary.json", "config.json", "4F_cnn.keras"):
        assert (out / name).is_file(), name
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {
        "4A_patch_coverage.png",
        "4D_pooling_noise.png",
        "4E_search.png",
        "4F_dropout_sweep.png",
        "4F_cnn_curves.png",
    } <= figures
    histories = {p.name for p in (out / "histories").glob("*.csv")}
    assert {"4F_cnn.csv", "4F_dropout_sweep.csv", "4E_grid_trials.csv"} <= histories
    report = (out / "report.md").read_text()
    for problem in ("4A", "4B", "4C", "4D", "4E", "4F"):
        assert f"## {problem}." in report
    assert "shipped sample" in report  # the data used is named
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3 and config["quick"] is True
    assert config["versions"]["keras"].startswith("3.")


def test_summary_answers(quick_run):
    _, summary = quick_run
    p = summary["problems"]
    assert set(p) == {"4A", "4B", "4C", "4D", "4E", "4F"}
    assert p["4A"]["corner_coverage_valid"] == 1 and p["4A"]["corner_coverage_same"] == 16
    assert p["4B"]["params"] == 608 and p["4B"]["output_shape"] == [28, 28, 8]
    assert p["4B"]["keras_params"] == 608
    assert p["4C"]["average"] == [
        [[1, 0.5], [0.5, 0.25]],
        [[0.5, 1], [0.25, 0.5]],
        [[0.25, 0.5], [0.5, 1]],
        [[0.5, 0.25], [1, 0.5]],
    ]
    assert p["4C"]["max"] == [[[1, 1], [1, 1]]] * 4
    table = {row["perturbation"]: row for row in p["4D"]["table"]}
    clean, dropped = table["clean"], table["drop 5% of pixels"]
    assert clean["accuracy, pooling model"] > 0.8
    assert dropped["feature change, after max pooling"] < dropped["feature change, no pooling"]
    for kind in ("grid", "random"):
        assert p["4E"][kind]["trials"] == p["4E"]["budget"] == 2
        assert 0 <= p["4E"][kind]["best_score"] <= 1 and p["4E"][kind]["seconds"] > 0
    f = p["4F"]
    assert f["params"] < 1_000_000 and f["batch_size"] == 32 and f["epochs"] == 2
    assert [row["rate"] for row in f["dropout_sweep"]] == [i / 10 for i in range(10)]
    best = max(f["dropout_sweep"], key=lambda row: row["val_accuracy"])
    assert f["dropout_rate"] >= best["rate"] == f["best_val_rate"]  # chosen on validation
    chosen = next(row for row in f["dropout_sweep"] if row["rate"] == f["dropout_rate"])
    assert chosen["val_accuracy"] >= best["val_accuracy"] - ch4_cnn.SWEEP_TOLERANCE
    assert 0.85 < f["test_accuracy"] <= 1.0


def test_same_seed_same_summary_and_only_matches(quick_run, tmp_path):
    _, summary = quick_run
    out = tmp_path / "again"
    assert ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3", "--only", "4d"]) == 0
    again = json.loads((out / "summary.json").read_text())["problems"]["4D"]["table"]
    for first, second in zip(summary["problems"]["4D"]["table"], again):
        for key, value in first.items():
            if key != "perturbation":
                assert second[key] == pytest.approx(value, abs=0.02), key


def test_resume_keeps_finished_problems(quick_run):
    out, summary = quick_run
    code = ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3", "--resume"])
    assert code == 0
    resumed = json.loads((out / "summary.json").read_text())
    assert resumed["problems"]["4F"] == summary["problems"]["4F"]  # kept, not retrained


def test_user_errors_exit_with_one_line(tmp_path, capsys):
    assert ch4_cnn.main(["--only", "4G", "--out", str(tmp_path)]) == 2
    assert "unknown problem id 4G" in capsys.readouterr().err
    missing = tmp_path / "nope.npz"
    assert ch4_cnn.main(["--only", "4D", "--mnist", str(missing), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "MNIST file not found" in err and str(missing) in err and "\n" not in err
