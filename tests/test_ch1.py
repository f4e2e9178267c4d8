"""Chapter 1 end to end in quick mode, checked through its summary.json."""

import json

import pytest

from chapters import ch1_principles


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ch1")
    # --epochs shortens the long 1A/1B runs further; 1C-1E run their quick settings.
    code = ch1_principles.main(["--quick", "--epochs", "60", "--out", str(out)])
    assert code == 0
    return out, json.loads((out / "summary.json").read_text())


def test_every_problem_ran_and_wrote_its_files(quick_run):
    out, summary = quick_run
    assert list(summary["problems"]) == ["1A", "1B", "1C", "1D", "1E"]
    report = (out / "report.md").read_text()
    for name in ("1A_boundaries", "1A_loss", "1B_gradients", "1C_dead"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 5000
        assert f"figures/{name}.png" in report
    assert (out / "histories" / "1A_relu_random.csv").exists()


def test_1a_zero_start_never_moves(quick_run):
    a = quick_run[1]["problems"]["1A"]
    assert a["zero_init_max_gradient"] == {"start": 0.0, "training": 0.0}
    assert a["zero_init_weights_moved"] == 0.0
    assert a["zeros"]["final_test_loss"] == pytest.approx(0.5, abs=0.02)
    assert a["random"]["final_test_loss"] < a["zeros"]["final_test_loss"] - 0.05
    assert a["epochs"] == 60


def test_1b_settle_epochs_and_symmetry(quick_run):
    b = quick_run[1]["problems"]["1B"]
    assert set(b["epochs_to_settle"]) == {
        "relu/random",
        "relu/zeros",
        "sigmoid/random",
        "sigmoid/zeros",
    }
    assert all(0 <= e <= 60 for e in b["epochs_to_settle"].values())
    assert b["zero_init_symmetry"] < 1e-6
    assert b["zero_init_boundary_spread"] < 1e-3


def test_1c_per_seed_ordered_and_shuffled(quick_run):
    c = quick_run[1]["problems"]["1C"]
    orders = {(r["output"], r["order"]) for r in c["runs"]}
    assert {o for _, o in orders} == {"negatives_first", "shuffled"}
    assert {o for o, _ in orders} == {"tanh", "linear", "softmax"}
    for row in c["runs"]:
        assert 0 <= row["dead_end"] <= 1 and 0 <= row["accuracy"] <= 1
    shuffled = [
        r["accuracy"] for r in c["runs"] if r["order"] == "shuffled" and r["learning_rate"] < 0.1
    ]
    assert min(shuffled) > 0.9  # the Playground rate learns the circle in one shuffled pass


def test_1d_1e_truth_tables(quick_run):
    d, e = quick_run[1]["problems"]["1D"], quick_run[1]["problems"]["1E"]
    assert [row["output"] for row in d["truth_table"]] == [0.0, 1.0, 1.0, 3.0] and d["correct"]
    assert [row["output"] for row in e["handbuilt_truth_table"]] == [0.0, 1.0, 1.0, 0.0]
    assert e["handbuilt_correct"] and e["single_layer_success_share"] == 0.0
    assert e["single_layer_most_right"] <= 3
    assert all(0 <= v <= 1 for v in e["two_layer_success_share"].values())


def test_unknown_problem_is_a_one_line_error(tmp_path, capsys):
    assert ch1_principles.main(["--only", "9Z", "--out", str(tmp_path)]) == 2
    assert "unknown problem id 9Z" in capsys.readouterr().err
