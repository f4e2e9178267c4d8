"""Chapter 3 end to end (--quick) and its pure pieces."""

import json

import pandas as pd
import pytest

from chapters import ch3_depth_width as ch3


def test_data_facts_are_read_off_the_arrays():
    from companion.data.mnist import load_mnist

    facts = ch3.data_facts(load_mnist(sample=True, flatten=True))
    assert (facts.height, facts.width) == (28, 28)
    assert (facts.pixel_min, facts.pixel_max) == (0, 255)
    assert facts.counts == {"train": 6_667, "val": 1_333, "test": 2_000}
    assert sum(facts.per_class["test"]) == 2_000
    assert 0.7 < facts.zero_fraction < 0.9  # most of an MNIST digit is background
    assert facts.flat_shape == [8_000, 784]


def test_trimmed_cuts_each_split():
    from companion.data.mnist import load_mnist

    data = ch3.trimmed(load_mnist(sample=True, flatten=True), {"train": 100, "test": 50})
    assert (len(data.x_train), len(data.y_train), len(data.x_test)) == (100, 100, 50)
    assert len(data.x_val) == 1_333


def test_study_findings_follow_the_numbers():
    table = pd.DataFrame(
        [
            # budget 100: one layer best; budget 1000: 2 layers clearly better
            (100, "100", 1, 79_510, 0.970, 0.969, 0.971),
            (100, "50-50", 2, 42_310, 0.965, 0.964, 0.966),
            (1000, "1000", 1, 795_010, 0.975, 0.974, 0.976),
            (1000, "500-500", 2, 648_010, 0.980, 0.979, 0.981),
        ],
        columns=["budget", "widths", "depth", "params", "val_median", "val_min", "val_max"],
    )
    text = "\n".join(ch3.study_findings(table))
    assert "one layer of 100 is best (0.9700); the best split, 50-50 (0.9650), is beyond" in text
    assert "500-500 beats one layer of 1000 by 0.0050" in text
    assert "depth pays at 1000 units; width is as good or better at 100 units" in text


def test_quick_run_writes_every_problem(tmp_path):
    code = ch3.main(["--quick", "--out", str(tmp_path)])
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    problems = summary["problems"]
    assert list(problems) == ["3A", "3B", "3C", "3D", "study"]
    assert problems["3A"]["height"] == 28 and problems["3A"]["pixel_max"] == 255
    for pid in ("3B", "3C", "3D"):
        entry = problems[pid]
        budget = ch3.BUDGETS[pid]
        for key in ("widths", "hidden_units", "hidden_layers", "params", "runs"):
            assert key in entry
        assert entry["hidden_units"] == sum(entry["widths"]) <= budget.max_units
        assert entry["hidden_layers"] >= budget.min_layers
        assert len(entry["runs"]) == ch3.SEEDS
        assert entry["test_accuracy"] == pytest.approx(sorted(entry["runs"])[1])
        assert entry["pass_rate"] == pytest.approx(
            sum(a >= budget.set_bar for a in entry["runs"]) / ch3.SEEDS
        )
        # a quick run on the sample learns something, but nowhere near the bars
        assert 0.5 < entry["test_accuracy"] < 0.97
    rows = problems["study"]["study"]
    assert {r["budget"] for r in rows} == {100}  # --quick: one budget, two shapes
    assert [r["widths"] for r in rows] == ["100", "50-50"]
    assert {"widths", "depth", "params", "val_runs", "val_median"} <= set(rows[0])
    tuned = problems["study"]["tuner"]
    assert tuned and all(sum(map(int, t["widths"].split("-"))) <= t["budget"] for t in tuned)
    report = (tmp_path / "report.md").read_text()
    assert "Quick mode" in report and "figures/study_depth_width.png" in report
    assert (tmp_path / "figures" / "3A_digits.png").exists()


def test_a_missing_mnist_file_is_one_line_and_exit_2(tmp_path, capsys):
    code = ch3.main(["--only", "3A", "--mnist", str(tmp_path / "nope.npz"), "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "MNIST file not found" in err and err.count("\n") == 1
