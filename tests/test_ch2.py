"""Chapter 2 end to end: --quick on synthetic data, --csv on the fixture, a bad CSV."""

import json
from pathlib import Path

import pytest

from chapters import ch2_inside

FIXTURE = Path(__file__).resolve().parents[1] / "companion" / "data" / "covid_fixture.csv"
SCORE_KEYS = {"test_accuracy", "balanced_accuracy", "roc_auc", "final_loss", "baseline_accuracy"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ch2")
    code = ch2_inside.main(["--quick", "--rows", "8000", "--epochs", "8", "--out", str(out)])
    return code, out, json.loads((out / "summary.json").read_text())


def test_quick_run_writes_every_problem(quick_run):
    code, out, summary = quick_run
    assert code == 0
    problems = summary["problems"]
    assert set(problems) == {"2A", "2B", "2C", "2D"}
    assert problems["2A"]["versions"]["keras"].startswith("3.")
    assert problems["2B"]["rows_after_step"]["loaded"] == 8000
    assert 7 <= len(problems["2B"]["features"]) <= 12
    for problem in ("2C", "2D"):
        assert not SCORE_KEYS - set(problems[problem]), problem
    for figure in ("2B_death_rates", "2C_curves", "2C_weights", "2D_losses", "2D_log_odds"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 5_000


def test_quick_run_numbers(quick_run):
    problems = quick_run[2]["problems"]
    for problem in ("2C", "2D"):
        scores = problems[problem]
        assert 0.95 < scores["baseline_accuracy"] < 0.99  # always No, on a ~2.6 % outcome
        assert scores["roc_auc"] > 0.75  # age and hospitalisation carry real signal
        assert scores["balanced_accuracy"] > 0.6
    assert problems["2D"]["collapse_max_abs_diff"] < 1e-5
    assert problems["2D"]["relu_collapse_max_abs_diff"] > 1e-3
    weights = problems["2C"]["first_layer_weights"]
    assert len(weights) == 5 and len(weights[0]) == len(problems["2B"]["features"])


def test_synthetic_data_is_labelled_everywhere(quick_run):
    _, out, summary = quick_run
    report = (out / "report.md").read_text()
    assert "SYNTHETIC COVID-19 cases" in report  # the data line at the top
    for problem in ("2B", "2C", "2D"):
        section = (out / "sections" / f"{problem}.md").read_text()
        assert "**Data: SYNTHETIC cases**" in section
        assert summary["problems"][problem]["synthetic"] is True
    assert report.count("[SYNTHETIC data]") >= 10  # five figures, caption and alt text each


def test_csv_fixture_preprocessing(tmp_path, capsys):
    out = tmp_path / "csv"
    assert ch2_inside.main(["--csv", str(FIXTURE), "--only", "2B", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["problems"]["2B"]["rows_after_step"]
    assert rows["loaded"] == 400 and rows["death_yn Yes/No"] == 256


def test_a_synthetic_csv_is_reported_as_synthetic(tmp_path):
    # The fixture is synthetic and says so in its first line: --csv must not call it CDC data.
    out = tmp_path / "fixture"
    assert ch2_inside.main(["--csv", str(FIXTURE), "--only", "2B", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["problems"]["2B"]["synthetic"] is True
    report = (out / "report.md").read_text()
    assert "SYNTHETIC COVID-19 cases" in report and "CDC COVID-19 case surveillance" not in report
    section = (out / "sections" / "2B.md").read_text()
    assert "**Data: SYNTHETIC cases**" in section and "says so in its first line" in section
    assert "[SYNTHETIC data]" in section  # the figure's caption
    # The same rows without the marker line are taken as the CDC file.
    plain = tmp_path / "plain.csv"
    plain.write_text(FIXTURE.read_text().split("\n", 1)[1])
    out = tmp_path / "plain"
    assert ch2_inside.main(["--csv", str(plain), "--only", "2B", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["problems"]["2B"]["synthetic"] is False
    assert "SYNTHETIC" not in (out / "report.md").read_text()


def test_bad_csv_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("cdc_report_dt,sex\n2020/01/02,Male\n")
    code = ch2_inside.main(["--csv", str(bad), "--only", "2B", "--out", str(tmp_path / "o")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "lacks the column(s) cdc_case_earliest_dt, pos_spec_dt" in error
    assert len(error.splitlines()) == 1
