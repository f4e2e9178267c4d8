"""Chapter 1 end to end in quick mode, checked through its summary.json."""

import json
from dataclasses import replace

import pandas as pd
import pytest
from model_match import assert_same_compile, assert_same_layers

from chapters import ch1_principles
from chapters.ch1_principles.demo_text import verdict, verdict_word
from chapters.ch1_principles.p1a_init import comparison_1a
from chapters.ch1_principles.p1b_activations import (
    comparison_1b,
    zero_sigmoid_finding,
    zero_sigmoid_verdict,
)
from chapters.ch1_principles.p1c_dying_relu import results_1c
from chapters.ch1_principles.p1e_xor import results_1e


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
    assert "figures/1A_boundaries.gif" in report
    assert (out / "histories" / "1A_relu_random_seed1.csv").exists()
    assert (out / "histories" / "1B_milestones.csv").exists()


def test_1a_zero_start_never_moves(quick_run):
    a = quick_run[1]["problems"]["1A"]
    assert a["zero_init_max_gradient"] == {"start": 0.0, "training": 0.0}
    assert a["zero_init_weights_moved"] == 0.0
    assert a["epochs"] == 60 and a["seeds"] == [0, 1]  # --quick: two seeds
    random, zeros = a["per_seed"]["relu/random"], a["per_seed"]["relu/zeros"]
    assert [r["seed"] for r in random] == [0, 1] == [r["seed"] for r in zeros]
    for row in zeros:
        assert row["final_test_loss"] == pytest.approx(row["plateau_loss"], abs=0.01)
        assert row["first_below_0_05"] is None and row["left_plateau"] is False
    for row in random:
        assert row["final_test_loss"] < row["plateau_loss"] - 0.05
        assert row["first_below_0_05"] is None or 0 < row["first_below_0_05"] <= 60
    spread = a["spread"]["relu/random"]["final_test_loss"]
    assert spread["min"] <= spread["median"] <= spread["max"] and spread["seeds"] == 2


def test_1b_milestones_per_seed_and_symmetry(quick_run):
    out, summary = quick_run
    b = summary["problems"]["1B"]
    assert set(b["per_seed"]) == {"relu/random", "sigmoid/random", "sigmoid/zeros"}
    for rows in b["per_seed"].values():
        assert len(rows) == 2
        for row in rows:
            assert {"first_below_0_05", "settle_epoch", "final_test_loss"} <= set(row)
            settle = row["settle_epoch"]
            assert settle is None or 0 <= settle <= 54  # settled: still for the last 10 %
    assert b["zero_init_symmetry_max"] < 1e-6
    assert b["zero_init_boundary_spread"] < 1e-3
    section = (out / "sections" / "1B.md").read_text()
    assert b["epochs"] == 60 and "**60 epochs**" in section  # quick: this run's length, in bold
    assert "1B_boundaries.gif" in section


def test_full_run_uses_at_least_three_seeds():
    assert ch1_principles.SEEDS >= 3 and ch1_principles.EPOCHS_1B == 4000


def test_gifs_are_small_animations(quick_run):
    from PIL import Image

    out = quick_run[0]
    for name in ("1A_boundaries", "1B_boundaries"):
        path = out / "figures" / f"{name}.gif"
        assert 5_000 < path.stat().st_size < 600_000
        with Image.open(path) as gif:
            assert gif.n_frames > 10  # one frame per snapshot epoch


def test_1c_per_seed_ordered_and_shuffled(quick_run):
    c = quick_run[1]["problems"]["1C"]
    orders = {(r["output"], r["order"]) for r in c["runs"]}
    assert {o for _, o in orders} == {"negatives_first", "shuffled"}
    assert {o for o, _ in orders} == {"tanh", "linear", "softmax"}
    playground_rate = [r for r in c["runs"] if r["learning_rate"] < 0.1]
    shuffled = [r["accuracy"] for r in playground_rate if r["order"] == "shuffled"]
    assert min(shuffled) > 0.9  # the Playground rate learns the circle in one shuffled pass
    for row in (r for r in playground_rate if r["order"] == "negatives_first"):
        # It fits the class seen last: "-1" everywhere after the negatives, "+1" at the end.
        assert row["positive_after_half"] < 0.05 and row["positive_end"] > 0.95
        assert row["accuracy"] == pytest.approx(0.5, abs=0.05)
        assert row["dead_start"] <= row["dead_after_half"] <= row["dead_max"]
    # The verdicts summary.json records are the ones the runs' table chooses.
    findings = ch1_principles.dying_findings(pd.DataFrame(c["runs"]))
    assert c["findings"] == findings.summary()
    assert set(c["findings"]["dead_compared"]) == {f"{r['learning_rate']:g}" for r in c["runs"]}


def test_1d_1e_truth_tables(quick_run):
    d, e = quick_run[1]["problems"]["1D"], quick_run[1]["problems"]["1E"]
    assert [row["output"] for row in d["truth_table"]] == [0.0, 1.0, 1.0, 3.0] and d["correct"]
    assert d["hidden_units"] == 0
    assert [row["output"] for row in e["handbuilt_truth_table"]] == [0.0, 1.0, 1.0, 0.0]
    assert e["handbuilt_correct"] and e["single_layer_success_share"] == 0.0
    assert e["single_layer_most_right"] <= 3
    shares = e["two_layer_success_share"]
    assert set(shares) == {f"{h} hidden, {o} output" for h in (2, 8) for o in ("relu", "linear")}
    # A linear output and more units make a good start likelier (4 starts each, quick).
    assert shares["8 hidden, linear output"] >= 0.75
    assert shares["8 hidden, linear output"] > shares["2 hidden, relu output"]


def test_unknown_problem_is_a_one_line_error(tmp_path, capsys):
    assert ch1_principles.main(["--only", "9Z", "--out", str(tmp_path)]) == 2
    assert "9Z" in capsys.readouterr().err  # the error names the bad id


# ----------------------------------------------------------------------------- report text
# The text functions read only the result's tables, so made-up results test them cheaply.
# Each case below reverses the usual finding; the text must follow the numbers.


def verdicts(comparison) -> dict[str, str]:
    """A comparison table's verdicts in words ("agrees?"), by demo."""
    return dict(zip(comparison["demo"], comparison["agrees?"]))


def verdict_words(comparison) -> dict[str, str]:
    """A comparison table's verdicts ("yes", "partly", "no", "cannot tell"), by demo."""
    return dict(zip(comparison["demo"], comparison["verdict"]))


def milestones(demo, seed, *, first, settle, final, exit_=None, epochs=4000, plateau=0.5):
    return {
        "demo": demo,
        "seed": seed,
        "epochs": epochs,
        "start_test_loss": 0.5,
        "first_below_0_05": first,
        "settle_epoch": settle,
        "final_test_loss": final,
        "final_train_loss": final,
        "plateau_loss": plateau,
        "plateau_exit": exit_,
        "left_plateau": exit_ is not None,
    }


def activation_result(rows, epochs=4000, symmetry_max=0.0):

    seeds = sorted({r["seed"] for r in rows})
    gradients = pd.DataFrame(
        [
            {
                "demo": d,
                "seed": k,
                "first / output at start": g,
                "first / output, median over training": g,
            }
            for d, g in (("relu/random", 0.01), ("sigmoid/random", 0.5))  # reversed too
            for k in seeds
        ]
    )
    symmetry = pd.DataFrame(
        [
            {
                "seed": k,
                "symmetry_end": symmetry_max,
                "symmetry_max": symmetry_max,
                "boundary_spread": 0.0,
                "direction": [0.1, 0.2],
            }
            for k in seeds
        ]
    )
    return ch1_principles.ActivationDemos(pd.DataFrame(rows), gradients, symmetry, epochs)


def test_1b_text_when_sigmoid_beats_relu_and_the_zero_net_leaves_early():
    rows = []
    for k in range(3):
        rows += [
            milestones("relu/random", k, first=900 + k, settle=1500, final=0.02, exit_=400),
            milestones("sigmoid/random", k, first=150 + k, settle=300, final=0.001, exit_=50),
            milestones("sigmoid/zeros", k, first=None, settle=900, final=0.3, exit_=600 + k),
        ]
    result = activation_result(rows)
    text = ch1_principles.text_1b(result)
    comparison = comparison_1b(result.table, result.epochs)
    agrees = verdicts(comparison)
    assert verdict_words(comparison) == {
        "relu, random start": "no",  # ReLU past epoch 300: slower than said
        "sigmoid, random start": "no",  # sigmoid first in every seed
        "sigmoid, zero start": "no",  # leaves at 600-602: early
    }
    assert ch1_principles.results_1b(result)["verdicts"] == verdict_words(comparison)
    assert "| verdict" not in text  # the column for code is not shown; "agrees?" says it
    assert "1600" in agrees["sigmoid, zero start"]  # "early" is half the 3200 reported
    assert all(verdict in text for verdict in agrees.values())  # the text states each verdict
    speed = ch1_principles.speed_ratios(result.table)
    assert list(speed["settle_epoch"]) == [0.2, 0.2, 0.2]  # sigmoid settles at 300, ReLU 1500
    assert "0.2×" in text  # the ratio, as the text gives it
    assert ch1_principles.results_1b(result)["sigmoid_speed_ratios"]["settle_epoch"] == [0.2] * 3
    assert all(f"{600 + k}" in text for k in range(3))  # the zero start's exits, seed by seed
    ratios = pd.DataFrame(ch1_principles.results_1b(result)["gradient_ratios"])
    start = ratios.groupby("demo")["first / output at start"].median()
    assert start["sigmoid/random"] > start["relu/random"]  # sigmoid's first layer is not slower
    assert f"{start['sigmoid/random']:.3g}" in text and f"{start['relu/random']:.3g}" in text


def test_1b_quick_text_labels_its_length_and_unsettled_runs():
    rows = []
    for k in range(2):
        rows += [
            milestones("relu/random", k, first=100, settle=150, final=0.01, exit_=20, epochs=600),
            milestones(
                "sigmoid/random", k, first=None, settle=None, final=0.2, exit_=300, epochs=600
            ),
            milestones("sigmoid/zeros", k, first=None, settle=100, final=0.5, epochs=600),
        ]
    result = activation_result(rows, epochs=600, symmetry_max=1e-7)
    text = ch1_principles.text_1b(result)
    assert "**600 epochs**" in text  # this run's length, in bold
    assert "4000 epochs" not in text  # not the set's
    spread = ch1_principles.results_1b(result)["spread"]["sigmoid/random"]["settle_epoch"]
    assert spread["reached"] == 0 and spread["median"] is None  # sigmoid settled in no seed
    speed = ch1_principles.speed_ratios(result.table)
    assert speed["settle_epoch"].empty and speed["first_below_0_05"].empty  # nothing to divide
    assert "×" not in text  # so no speed ratio is taken from an unsettled run
    comparison = comparison_1b(result.table, result.epochs)
    agrees = verdicts(comparison)
    assert verdict_words(comparison)["sigmoid, zero start"] == "cannot tell"  # no exit, 600 < 3200
    assert agrees["sigmoid, zero start"] in text
    assert ch1_principles.results_1b(result)["zero_init_symmetry_max"] == pytest.approx(1e-7)
    assert "1e-07" in text  # the symmetry measure is reported, not rounded to 0


@pytest.mark.parametrize(
    ("exits", "epochs", "word"),
    [
        ([2000.0, 2500.0, 3000.0], 4000, "yes"),  # late, every seed
        ([2000.0, None, None], 4000, "yes"),  # late in one, never in the others
        ([None, None, None], 4000, "yes"),  # never
        ([1599.0, None, None], 4000, "no"),  # one seed before half the reported 3200
        ([None, None, None], 3199, "cannot tell"),  # no exit, but shorter than the set's run
    ],
)
def test_1b_zero_sigmoid_verdict_follows_the_exits(exits, epochs, word):
    zeros = pd.DataFrame({"seed": range(len(exits)), "plateau_exit": exits})
    assert zero_sigmoid_finding(zeros, epochs)[0] == word
    assert zero_sigmoid_verdict(zeros, epochs).startswith(f"{word}: ")  # the words say it first


@pytest.mark.parametrize(("count", "word"), [(3, "yes"), (2, "partly"), (1, "partly"), (0, "no")])
def test_verdict_word_counts_the_seeds(count, word):
    assert verdict_word(count, 3) == word
    assert verdict(count, 3, "none did").startswith(word)


def init_result(*, random_first, zero_exit, moved):

    rows = []
    for k in range(3):
        rows += [
            milestones("relu/random", k, first=random_first, settle=200, final=0.2, epochs=250),
            milestones(
                "relu/zeros", k, first=None, settle=5, final=0.3, exit_=zero_exit, epochs=250
            ),
        ]
    gradients = pd.DataFrame(
        [
            {
                "seed": k,
                "max_grad_start": 0.0,
                "max_grad_training": moved,
                "checks": 40,
                "weights_moved": moved,
            }
            for k in range(3)
        ]
    )
    start = pd.DataFrame([{"layer": "output", "weight": "bias", "max_abs": 0.05, "norm": 0.05}])
    return ch1_principles.InitDemos(pd.DataFrame(rows), gradients, start, 0.01, 250)


def test_1a_text_when_the_zero_net_learns_and_the_random_one_does_not():
    result = init_result(random_first=None, zero_exit=40, moved=1e-3)
    text = ch1_principles.text_1a(result)
    comparison = comparison_1a(result.table, result.epochs)
    agrees = verdicts(comparison)
    assert verdict_words(comparison) == {
        "relu, random start": "no",  # never below 0.05
        "relu, zero start": "no",  # it left the plateau in every seed
    }
    assert ch1_principles.results_1a(result)["verdicts"] == verdict_words(comparison)
    assert all(verdict in text for verdict in agrees.values())
    assert ch1_principles.results_1a(result)["zero_init_weights_moved"] == pytest.approx(1e-3)
    assert "0.001" in text  # the weights moved: the text gives by how much


def test_1a_text_in_the_usual_case_and_with_figures():
    result = init_result(random_first=120, zero_exit=None, moved=0.0)
    text = ch1_principles.text_1a(result, {"loss": "![loss](figures/1A_loss.png)"})
    comparison = comparison_1a(result.table, result.epochs)
    agrees = verdicts(comparison)
    assert verdict_words(comparison) == {"relu, random start": "yes", "relu, zero start": "yes"}
    assert all(verdict in text for verdict in agrees.values())
    assert "epoch 120" in text  # the random start's first epoch below 0.05
    assert ch1_principles.results_1a(result)["zero_init_weights_moved"] == 0.0
    assert "![loss](figures/1A_loss.png)" in text
    assert "figures/" not in ch1_principles.text_1a(result)  # no figures: none embedded


def test_1d_answer_is_read_off_the_network():
    net = ch1_principles.or_network()
    assert net.hidden_units == 0 and net.correct
    assert f"**{net.correct}**" in ch1_principles.text_1d(net)  # the verdict the table chose
    wrong = ch1_principles.or_network(weights=(0.5, 0.5), bias=0.0)  # (0, 1) gives only 0.5
    assert not wrong.correct and list(wrong.table["ok"]) == [True, False, False, True]
    text = ch1_principles.text_1d(wrong)
    assert f"**{wrong.correct}**" in text and "| 0.5 " in text  # the row that fails, as computed


@pytest.mark.parametrize(
    ("exits", "epochs", "where", "median"),
    [
        ([1800.0, 2100.0, 2500.0], 4000, 2000, "2100"),
        ([300.0, 420.0, 700.0], 4000, 500, "420"),
        ([999.0], 4000, 500, "999"),  # 1000 is the two reports' midpoint on a log scale
        ([1001.0], 4000, 2000, "1001"),
        ([None, 300.0, 420.0], 4000, 500, "420"),  # a miss counts as the latest
        ([None, None, 900.0], 4000, "later", "4000"),  # the median seed never dropped
        ([None, None, 300.0], 600, "cannot place", "600"),  # ... in a run shorter than 2000
    ],
)
def test_sigmoid_speed_is_placed_against_the_nearer_report(exits, epochs, where, median):
    sig = pd.DataFrame({"plateau_exit": exits})
    assert ch1_principles.sigmoid_reported_place(sig, epochs) == where
    text = ch1_principles.sigmoid_reported_text(sig, epochs)
    assert median in text and (str(where) in text or where == "cannot place")


def test_notebook_path_compute_text_and_inline_animation():
    pytest.importorskip("IPython")
    from companion.playground.boundary import animation_html

    result = ch1_principles.init_demos(seeds=(0,), epochs=8)  # a notebook's first cell
    assert list(result.table["demo"]) == ["relu/random", "relu/zeros"]
    assert set(result.table["seed"]) == {0}
    assert ch1_principles.results_1a(result)["seeds"] == [0]
    final = result.table.set_index("demo").loc["relu/random", "final_test_loss"]
    assert f"**{final:.4f}**" in ch1_principles.text_1a(result)  # one seed: its loss, no spread
    html = animation_html(ch1_principles.boundary_animation(result.fits, title="1A"))
    assert "<script" in html.data


# ----------------------------------------------------------------------------- seeds


def test_a_problem_gives_the_same_numbers_whatever_ran_before():
    import keras
    import numpy as np

    def xor(seed):
        result = ch1_principles.xor_networks(
            starts=2, epochs=40, hidden_sizes=(2,), outputs=("linear",), seed=seed
        )
        return result.two_layer["final_loss"].to_numpy()

    alone = xor(7)
    np.random.seed(123)  # "before" runs that leave the global random state elsewhere
    keras.utils.set_random_seed(99)
    keras.random.uniform((50,))
    after_others = xor(7)
    np.testing.assert_array_equal(alone, after_others)
    assert not np.array_equal(alone, xor(8))  # and the seed does matter


def test_each_problem_draws_its_own_seed():
    from types import SimpleNamespace

    from companion.run.runner import Context

    ctx = Context(SimpleNamespace(seed=0), folder=None, problem="1A")
    demos_1a = ctx.seed_for("demos")
    ctx.problem = "1B"
    assert ctx.seed_for("demos") != demos_1a


# ----------------------------------------------------------------------------- 1C and 1E text


def dying_result(dead_max, *, positive_after_half=0.0, positive_end=1.0):
    """A made-up 1C result: per rate, the (ordered, shuffled) largest dead share, 2 seeds."""
    rows = []
    for rate, by_order in dead_max.items():
        for seed in range(2):
            for order, dead in zip(("negatives_first", "shuffled"), by_order):
                ordered = order == "negatives_first"
                rows.append(
                    {
                        "output": "tanh",
                        "learning_rate": rate,
                        "order": order,
                        "seed": seed,
                        "dead_start": 0.0,
                        "dead_after_half": dead,
                        "dead_max": dead,
                        "dead_end": dead,
                        "positive_after_half": positive_after_half if ordered else 0.5,
                        "positive_end": positive_end if ordered else 0.5,
                        "accuracy": 0.5 if ordered else 0.99,
                    }
                )
    settings = {"dataset": "circle", "n": 1000, "hidden": [8, 8], "batch_size": 1}
    return ch1_principles.DyingRelu(pd.DataFrame(rows), pd.DataFrame(), settings)


@pytest.mark.parametrize(
    ("ordered", "shuffled", "compared", "small"),
    [
        (0.0, 0.0, "about as many", True),
        (0.6, 0.0, "more", False),
        (0.05, 0.3, "fewer", True),
        (0.12, 0.11, "about as many", False),  # within 0.02 of each other, above FEW_DEAD
    ],
)
def test_1c_findings_follow_the_dead_share(ordered, shuffled, compared, small):
    result = dying_result({0.03: (ordered, shuffled)})
    findings = result.findings
    assert findings.dead_compared == {0.03: compared}
    assert findings.strict_effect_small is small
    assert not findings.large_rate_kills_more and findings.large_rate_more_dead_with is None
    text = ch1_principles.text_1c(result)
    assert f"at most {ordered:.1%} against {shuffled:.1%}" in text  # the numbers chosen from
    assert f"({compared} dead" in text  # the verdict, as the findings chose it


@pytest.mark.parametrize(
    ("after_half", "end", "fits"),
    [(0.0, 1.0, True), (0.2, 1.0, False), (0.0, 0.9, False), (0.04, 0.96, True)],
)
def test_1c_fits_last_class_follows_the_positive_shares(after_half, end, fits):
    result = dying_result({0.03: (0.0, 0.0)}, positive_after_half=after_half, positive_end=end)
    assert result.findings.fits_last_class is fits
    text = ch1_principles.text_1c(result)
    assert f"{after_half:.1%} of all points positive" in text and f"{end:.1%} at the end" in text


@pytest.mark.parametrize(
    ("high", "kills_more", "more_with"),
    [
        ((0.5, 0.7), True, "shuffled"),
        ((0.7, 0.5), True, "negatives_first"),
        ((0.5, 0.505), True, "negatives_first"),  # shuffled ahead by less than 0.01
        ((0.5, 0.03), False, None),  # one order stays near the low rate's share
    ],
)
def test_1c_large_rate_finding_follows_both_orders(high, kills_more, more_with):
    result = dying_result({0.03: (0.0, 0.0), 0.3: high})
    findings = result.findings
    assert findings.large_rate_kills_more is kills_more
    assert findings.large_rate_more_dead_with == more_with
    assert findings.strict_effect_small  # the low rate's ordered share is 0
    summary = results_1c(result)["findings"]  # summary.json's form: rates as text keys
    assert summary["dead_compared"] == findings.summary()["dead_compared"]
    assert list(summary["dead_compared"]) == ["0.03", "0.3"]
    assert summary["large_rate_more_dead_with"] == more_with
    assert "(2 seeds)" in ch1_principles.text_1c(result)  # the seed count the means are over


def xor_starts(hidden, output, right):
    return [
        {"hidden": hidden, "output": output, "start": k, "right": r, "all_four_right": r == 4}
        for k, r in enumerate(right)
    ]


def xor_result(single_right, handbuilt=None):
    two = pd.DataFrame(
        xor_starts("2", "relu", [4, 3, 2, 4]) + xor_starts("8", "relu", [4, 4, 4, 3])
    )
    single = pd.DataFrame(xor_starts("none", "relu", single_right))
    settings = {"starts": 4, "epochs": 600, "optimizer": "Adam(0.05)"}
    handbuilt = handbuilt or ch1_principles.xor_handbuilt()
    return ch1_principles.XorNetworks(handbuilt, single, two, settings)


def test_1e_text_reads_the_shares():
    result = xor_result([3, 2, 3, 3])
    text = ch1_principles.text_1e(result)
    summary = results_1e(result)
    assert summary["two_layer_success_share"] == {
        "2 hidden, relu output": 0.5,
        "8 hidden, relu output": 0.75,
    }
    assert "50%" in text and "75%" in text  # each share, as the text gives it
    assert summary["single_layer_most_right"] == 3 and summary["single_layer_success_share"] == 0
    assert "3 of 4" in text and "0%" in text  # the single layer's best and share
    assert result.fewest_layers == summary["fewest_layers"] == 2  # no single layer did it
    assert "Fewest layers: 2" in text


def test_1e_fewest_layers_follow_the_nets():
    assert xor_result([3, 4, 3, 3]).fewest_layers == 1  # a single layer got all four right
    handbuilt = ch1_principles.xor_handbuilt()
    wrong = replace(handbuilt, table=handbuilt.table.assign(ok=False))
    assert not wrong.correct
    assert xor_result([3, 2, 3, 3], wrong).fewest_layers is None  # nothing shown to work
    assert xor_result([3, 2, 3, 3], handbuilt).fewest_layers == len(handbuilt.model.layers) == 2
    for single, fewest in (([3, 4, 3, 3], "1"), ([3, 2, 3, 3], "not shown")):
        result = xor_result(single, None if fewest == "1" else wrong)
        assert f"Fewest layers: {fewest}" in ch1_principles.text_1e(result)


# ----------------------------------------------------------------------------- written-out models
# Each problem's model is written out in its chapter module; the library keeps a parametrised
# builder (`playground_model`). These tests build both with the same settings and compare them
# layer by layer, so the two cannot drift; and they check that the chapter's fast loops give
# the weights `model.fit` gives on the chapter's own nets.


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("init", ["playground", "zeros"])
@pytest.mark.parametrize("seed", [None, 11])
def test_1a_1b_playground_net_is_the_builders(activation, init, seed):
    from companion import pset
    from companion.playground.model import playground_model

    net = ch1_principles.playground_net(activation, init, seed=seed)
    built = playground_model(pset.PLAYGROUND_HIDDEN, activation=activation, init=init, seed=seed)
    assert_same_layers(net, built)
    assert_same_compile(net, built)
    assert net.count_params() == 2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    assert float(net.optimizer.learning_rate) == pytest.approx(pset.PLAYGROUND_LEARNING_RATE)
    if seed is not None:  # a seeded start is the same start
        for w, v in zip(net.get_weights(), built.get_weights()):
            assert (w == v).all()


def test_1a_playground_net_refuses_an_unknown_start():
    with pytest.raises(ValueError, match="init.*'ones'"):
        ch1_principles.playground_net("relu", "ones")


@pytest.mark.parametrize("output", ["tanh", "linear", "softmax"])
def test_1c_dying_net_is_the_builders(output):
    from companion import pset
    from companion.playground.model import playground_model

    net = ch1_principles.dying_net(output, learning_rate=0.3)
    built = playground_model(pset.DYING_HIDDEN, activation="relu", output=output, learning_rate=0.3)
    assert_same_layers(net, built)
    assert_same_compile(net, built)
    assert net.layers[-1].units == (2 if output == "softmax" else 1)


def test_1c_dying_net_refuses_an_unknown_output():
    with pytest.raises(ValueError, match="output.*tanh, linear, softmax.*'sigmoid'"):
        ch1_principles.dying_net("sigmoid")


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_1a_1b_fast_loop_gives_fits_weights_on_the_chapters_net(activation):
    import numpy as np

    from companion.playground.fastfit import fast_fit
    from companion.probes import model_loss

    data = ch1_principles.circle(0, 3)
    x, y = data.x_train, data.y_train
    fast = ch1_principles.playground_net(activation, seed=5)
    plain = ch1_principles.playground_net(activation, seed=5)
    history = fast_fit(fast, x, y, epochs=20, batch_size=10)
    plain.fit(x, y, epochs=20, batch_size=10, shuffle=False, verbose=0)
    start = ch1_principles.playground_net(activation, seed=5).get_weights()
    moved = max(np.abs(w - v).max() for w, v in zip(plain.get_weights(), start))
    assert moved > 1e-2  # 20 epochs really train it
    for a, b in zip(fast.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert history["loss"].iloc[-1] == pytest.approx(model_loss(plain, x, y), abs=1e-6)


def test_1a_shared_trainer_gives_a_fresh_nets_fit():
    import numpy as np

    data = ch1_principles.circle(1, 3)
    trainer = ch1_principles.playground_net("sigmoid")
    ch1_principles.playground_demo(data, activation="sigmoid", epochs=5, seed=2, trainer=trainer)
    shared = ch1_principles.playground_demo(
        data, activation="sigmoid", epochs=12, seed=9, trainer=trainer
    )
    fresh = ch1_principles.playground_demo(data, activation="sigmoid", epochs=12, seed=9)
    np.testing.assert_allclose(shared.history["val_loss"], fresh.history["val_loss"], atol=1e-6)
    for a, b in zip(shared.model.get_weights(), fresh.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert shared.model is not trainer  # the fit keeps its own copy


def test_1c_probed_pass_gives_fits_weights_on_the_chapters_net():
    import numpy as np

    from companion.data.playground import ordered_dataset
    from companion.playground.model import reinitialize
    from companion.playground.one_pass import probed_pass

    x, y = ordered_dataset("circle", 200, 0.0, 4, order="negatives_first", labels="pm1")
    model = ch1_principles.dying_net("tanh", learning_rate=0.3)
    reinitialize(model, 3)
    start = model.get_weights()
    probed_pass(model, x, y, probe_every=50)
    fast = model.get_weights()
    reinitialize(model, 3)
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0)
    assert max(np.abs(a - b).max() for a, b in zip(fast, start)) > 1e-2
    for a, b in zip(fast, model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("hidden, output", [((), "relu"), ((8,), "linear")])
def test_1e_xor_net_is_written_out_and_fast_fit_gives_fits_weights(hidden, output):
    import keras
    import numpy as np

    from companion.playground.fastfit import fast_fit
    from companion.playground.handbuilt import binary_inputs
    from companion.playground.model import reinitialize

    model = ch1_principles.xor_net(hidden, output=output, learning_rate=0.05)
    assert [type(layer) for layer in model.layers] == [keras.layers.Dense] * (len(hidden) + 1)
    assert [layer.units for layer in model.layers] == [*hidden, 1]
    assert model.layers[-1].activation.__name__ == output
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    x = binary_inputs(2)
    y = np.array([float(a != b) for a, b in x], dtype="float32")
    reinitialize(model, 7)
    fast_fit(model, x, y, epochs=30, batch_size=4)
    fast = model.get_weights()
    reinitialize(model, 7)
    model.fit(x, y, epochs=30, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(fast, model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_chapter_reads_the_sets_facts_from_pset():
    from companion import pset

    assert ch1_principles.DEMO == {"hidden": (4, 2), "batch_size": 10, "learning_rate": 0.03}
    assert (ch1_principles.EPOCHS_1A, ch1_principles.EPOCHS_1B) == (pset.EPOCHS_1A, 4000)
    net = ch1_principles.or_network()
    assert net.model.layers[0].get_weights()[0].ravel().tolist() == list(pset.OR_WEIGHTS)
    assert net.model.layers[0].get_weights()[1].tolist() == [pset.OR_BIAS]


def test_package_loads_no_keras_and_keeps_every_old_name():
    import subprocess
    import sys

    code = (
        "import sys, chapters.ch1_principles as c; "
        "assert c.PROBLEMS[0].id == '1A'; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'matplotlib')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    old = str.split(
        "DEMO DEMOS_1B EPOCHS_1A EPOCHS_1B QUICK_1B QUICK_SEEDS SEEDS ActivationDemos DemoFit "
        "DyingRelu InitDemos LogicNetwork XorNetworks activation_demos boundary_animation "
        "boundary_figure circle comparison_1b dying_figure dying_relu dying_summary epoch_text "
        "final_boundary_figure gradient_figure init_demos loss_figure or_network "
        "playground_demo results_1a results_1b run_1a run_1b run_1c run_1d run_1e seed_table "
        "sigmoid_reported_text spread_table text_1a text_1b text_1c text_1d text_1e "
        "train_demos xor_handbuilt xor_networks"
    )
    for name in old + ch1_principles.__all__:
        assert getattr(ch1_principles, name) is not None, name
    assert callable(ch1_principles.init_demos)  # the function, not a submodule of that name
    assert [problem.solver() for problem in ch1_principles.PROBLEMS] == [
        ch1_principles.run_1a,
        ch1_principles.run_1b,
        ch1_principles.run_1c,
        ch1_principles.run_1d,
        ch1_principles.run_1e,
    ]
