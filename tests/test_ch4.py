"""Chapter 4: end to end in --quick mode, and each text function fed results by hand.

The hand-made results include the unusual findings: the report must follow them.
4A, 4D, 4E and 4F have their own files (tests/test_ch4_p4*.py).
"""

import json
import shutil

import numpy as np
import pytest

from chapters import ch4_cnn


@pytest.fixture(scope="module")
def quick_run(ch4_quick):
    """The chapter, --quick --seed 3 (conftest: made once per session, shared read-only)."""
    return ch4_quick


def test_run_folder_has_every_file(quick_run):
    out, _ = quick_run
    for name in ("report.md", "summary.json", "config.json", "4F_cnn.keras"):
        assert (out / name).is_file(), name
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {
        "4A_patch_coverage.png",
        "4D_pooling_noise.png",
        "4E_search.png",
        "4E_coverage.png",
        "4F_dropout_sweep.png",
        "4F_regularizers.png",
        "4F_cnn_curves.png",
    } <= figures
    histories = {p.name for p in (out / "histories").glob("*.csv")}
    assert {
        "4D_pooling_noise.csv",
        "4D_pooling_noise_seeds.csv",
        "4E_trials.csv",
        "4F_cnn.csv",
        "4F_dropout_sweep.csv",
        "4F_regularizers.csv",
    } <= histories
    report = (out / "report.md").read_text()
    for problem in ("4A", "4B", "4C", "4D", "4E", "4F"):
        assert f"## {problem}." in report
    assert "shipped sample" in report  # the data used is named
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3 and config["quick"] is True
    assert config["versions"]["keras"].startswith("3.")


def test_summary_answers(quick_run):
    out, summary = quick_run
    p = summary["problems"]
    assert set(p) == {"4A", "4B", "4C", "4D", "4E", "4F"}
    assert p["4B"]["params"] == 608 and p["4B"]["output_shape"] == [28, 28, 8]
    assert p["4B"]["keras_params"] == 608
    assert p["4C"]["average"] == [
        [[1, 0.5], [0.5, 0.25]],
        [[0.5, 1], [0.25, 0.5]],
        [[0.25, 0.5], [0.5, 1]],
        [[0.5, 0.25], [1, 0.5]],
    ]
    assert p["4C"]["max"] == [[[1, 1], [1, 1]]] * 4


def test_same_seed_same_summary_and_only_matches(quick_run, ch4_quick_4d):
    """4D alone (`--only 4D`, its own run) scores as 4D did after the chapter's 4A-4C.

    Its seeds come from the base seed and the problem id only (`ctx.seed_for`), so the
    numbers match to float precision, not merely within noise.
    """
    _, summary = quick_run
    again = ch4_quick_4d[1]["problems"]["4D"]["table"]
    assert set(ch4_quick_4d[1]["problems"]) == {"4D"}  # run alone
    for first, second in zip(summary["problems"]["4D"]["table"], again):
        for key, value in first.items():
            if isinstance(value, float):
                assert second[key] == pytest.approx(value, abs=1e-3), key


def test_resume_keeps_finished_problems(quick_run, tmp_path):
    shared, summary = quick_run
    out = shutil.copytree(shared, tmp_path / "run")  # the shared run stays as it was
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


# --- text functions fed results by hand ------------------------------------------------


def test_4b_text_follows_its_numbers():
    count = ch4_cnn.conv_count()
    assert count.agree and count.params == 608 and count.output_shape == (28, 28, 8)
    assert "**608 parameters**" in ch4_cnn.text_4b(count)
    wrong = ch4_cnn.ConvCountResult(608, (28, 28, 8), 600, (28, 28, 8))
    assert not wrong.agree
    assert "DIFFERENT from the formula" in ch4_cnn.text_4b(wrong)  # the verdict `agree` chose
    assert "600 parameters" in ch4_cnn.text_4b(wrong)  # with Keras' own count


def test_4c_text_and_headline_follow_the_pooled_outputs():
    r = ch4_cnn.pooling()
    assert ch4_cnn.pooling_headline(r) == (
        "average: [[1, 1/2], [1/2, 1/4]] and rotations; max: all ones"
    )
    assert "Max pooling is invariant to this one-pixel shift; average pooling is not." in (
        ch4_cnn.text_4c(r)
    )
    # Reversed by hand: max pooling tells the inputs apart, average pooling does not.
    same = np.full((2, 2), 0.5)
    reversed_result = ch4_cnn.PoolingResult(
        r.inputs,
        {name: same for name in r.inputs},
        {name: np.eye(2) * (i + 1) for i, name in enumerate(r.inputs)},
    )
    text = ch4_cnn.text_4c(reversed_result)
    assert "Average pooling is invariant to this shift; max pooling is not." in text
    assert "Max pooling gives 4 different outputs for 4 inputs." in text
    assert ch4_cnn.pooling_headline(reversed_result) == (
        "average: always [[1/2, 1/2], [1/2, 1/2]]; max: 4 different outputs"
    )
