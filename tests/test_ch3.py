"""Chapter 3 end to end (--quick), its written-out nets against the library's, its pure pieces."""

import json
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from model_match import assert_same_layers

from chapters import ch3_depth_width as ch3
from companion.budget import check_budget, mlp
from companion.data.mnist import load_mnist
from companion.errors import RuleError
from companion.seed import derive_seed


@pytest.fixture(scope="module")
def small():
    """The shipped sample, flat, cut to 1,000 training and 300 validation and test images."""
    return load_mnist(sample=True).flat().subset(train=1_000, val=300, test=300)


# --- the nets the chapter writes out -------------------------------------------------------


@pytest.mark.parametrize("problem", ["3B", "3C", "3D"])
def test_each_budget_net_is_the_library_mlp_layer_by_layer(problem):
    chosen, budget = ch3.CHOSEN[problem], ch3.BUDGETS[problem]
    written = {"3B": ch3.model_3b, "3C": ch3.model_3c, "3D": ch3.model_3d}[problem]
    assert_same_layers(written(), mlp(chosen.widths, dropout=chosen.dropout))
    assert_same_layers(written(0.3), mlp(chosen.widths, dropout=0.3))  # its dropout is used
    check_budget(written(), budget.max_units, budget.min_layers)  # it obeys the set's rules
    with pytest.raises(AssertionError, match="differs"):  # and the comparison can fail
        assert_same_layers(written(), mlp(chosen.widths, dropout=chosen.dropout + 0.05))


def test_the_study_nets_are_the_library_mlp_layer_by_layer():
    shapes = [*ch3.study_shapes(100), *ch3.study_shapes(1000)]
    assert (250, 250, 250, 250) in shapes and (571, 286, 143) in shapes
    for widths in shapes:
        assert_same_layers(ch3.study_net(widths, 0.1), mlp(widths, dropout=0.1))
    with pytest.raises(AssertionError):
        assert_same_layers(ch3.study_net((50, 50), 0.1), mlp((60, 40), dropout=0.1))


def test_a_recipe_of_the_chosen_shape_trains_the_written_out_net():
    chosen = ch3.CHOSEN["3C"]
    assert ch3.builder(chosen, "3C")().name == "net_3c"
    assert ch3.builder(replace(chosen, dropout=0.3), "3C")().layers[2].rate == 0.3
    other = ch3.builder(replace(chosen, widths=(100, 100)), "3C")()  # an edited recipe
    assert other.name == "mlp" and [layer.units for layer in other.layers[::3]] == [100, 100, 10]
    assert ch3.builder(chosen)().name == "mlp"  # no problem named: the library's builder


def test_the_written_out_net_and_mlp_train_to_the_same_numbers(small):
    """The candidates train through `mlp`: the chosen one scores as the chapter's net does."""
    recipe = replace(ch3.CHOSEN["3C"], epochs=2, batch_size=128)
    written = ch3.train_recipe(small, recipe, seed=5, build=ch3.builder(recipe, "3C"))
    library = ch3.train_recipe(small, recipe, seed=5)
    assert written.val_accuracy == pytest.approx(library.val_accuracy, abs=1e-9)
    assert written.test_accuracy == pytest.approx(library.test_accuracy, abs=1e-9)
    columns = ["loss", "accuracy", "val_loss", "val_accuracy"]
    np.testing.assert_allclose(written.history[columns], library.history[columns], rtol=1e-6)


def test_a_net_over_budget_is_refused_before_training(small):
    budget = SimpleNamespace(max_units=100, min_layers=2)
    with pytest.raises(RuleError, match="at least 2 hidden layers"):
        ch3.train_recipe(small, ch3.Recipe((100,), epochs=1), seed=0, budget=budget)
    with pytest.raises(RuleError, match=r"the budget is 100 \(remove 20 units\)"):
        ch3.train_recipe(small, ch3.Recipe((60, 60), epochs=1), seed=0, budget=budget)


def test_train_recipe_learns_and_its_seed_alone_sets_the_numbers(small):
    recipe = ch3.Recipe((32,), epochs=2, batch_size=64, max_shift=1)
    first = ch3.train_recipe(small, recipe, seed=3)
    np.random.seed(99)  # random state left behind by something else must not matter
    ch3.train_recipe(small, ch3.Recipe((8,), epochs=1), seed=11, test=False)
    again = ch3.train_recipe(small, recipe, seed=3)
    other = ch3.train_recipe(small, recipe, seed=4, epochs=1, test=False)
    assert again.val_accuracy == pytest.approx(first.val_accuracy, abs=1e-9)
    assert again.test_accuracy == pytest.approx(first.test_accuracy, abs=1e-9)
    assert 0.6 < first.val_accuracy < 0.95 and 0.6 < first.test_accuracy < 0.95
    assert first.params == (784 + 1) * 32 + (32 + 1) * 10
    assert list(first.history["epoch"]) == [1, 2] and len(other.history) == 1  # epochs=1 wins
    assert other.test_accuracy is None  # test=False leaves the test set alone
    # the final validation score is the history's last one, re-scored on the same model
    assert first.val_accuracy == pytest.approx(first.history["val_accuracy"].iloc[-1], abs=1e-5)


def test_the_budgets_are_the_sets():
    rules = {p: (b.max_units, b.min_layers, b.set_bar) for p, b in ch3.BUDGETS.items()}
    assert rules == {"3B": (100, 1, 0.975), "3C": (200, 2, 0.98), "3D": (1000, 3, 0.983)}
    assert all(b.our_bar > b.set_bar for b in ch3.BUDGETS.values())
    assert [p.title for p in ch3.PROBLEMS[1:4]] == [
        "At most 100 hidden units",
        "At most 200 hidden units in at least 2 layers",
        "At most 1000 hidden units in at least 3 layers",
    ]


def test_the_package_lists_its_problems_without_loading_keras():
    code = (
        "import sys\n"
        "import chapters.ch3_depth_width as ch3\n"
        "print(*[p.id for p in ch3.PROBLEMS], 'keras' in sys.modules, ch3.CHOSEN['3C'].shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3A", "3B", "3C", "3D", "study", "False", "150-50"]
    solvers = [problem.solver().__name__ for problem in ch3.PROBLEMS]
    assert solvers == ["run_3a", "run_3b", "run_3c", "run_3d", "run_study"]


def mlp_params(widths, inputs=784, classes=10):
    """Weights and biases of a 784-input MLP with these hidden widths and a 10-way output."""
    sizes = [inputs, *widths, classes]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def test_data_facts_are_read_off_the_arrays():
    facts = ch3.data_facts(load_mnist(sample=True, flatten=True))
    assert (facts.height, facts.width) == (28, 28)
    assert (facts.pixel_min, facts.pixel_max) == (0, 255)
    assert facts.counts == {"train": 6_667, "val": 1_333, "test": 2_000}
    assert sum(facts.per_class["test"]) == 2_000
    assert 0.7 < facts.zero_fraction < 0.9  # most of an MNIST digit is background
    assert facts.flat_shape == [8_000, 784]
    lines = ch3.text_3a(facts).splitlines()
    table = lines[lines.index("| split | images | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |") :]
    assert table[1] == "|" + "---|" * 12  # the header rule every Markdown table needs
    assert table[2].startswith("| train | 6,667 | ") and table[4].startswith("| test | 2,000 | ")
    assert "28 × 28 pixels" in lines[0]


STUDY_COLUMNS = ["budget", "widths", "depth", "params", "val_median", "val_min", "val_max"]


def test_study_findings_follow_the_numbers():
    table = pd.DataFrame(
        [
            # budget 100: one layer best; budget 1000: 2 layers clearly better
            (100, "100", 1, 79_510, 0.970, 0.969, 0.971),
            (100, "50-50", 2, 42_310, 0.965, 0.964, 0.966),
            (1000, "1000", 1, 795_010, 0.975, 0.974, 0.976),
            (1000, "500-500", 2, 648_010, 0.980, 0.979, 0.981),
        ],
        columns=STUDY_COLUMNS,
    )
    assert ch3.study_verdicts(table) == {100: "wider", 1000: "deeper"}
    text = "\n".join(ch3.study_findings(table))
    assert all(n in text for n in ("0.9700", "0.9650", "0.9800", "0.9750", "0.0050"))
    assert "785" in text  # the parameters per first-layer unit: 784 inputs + a bias
    assert "648,010" in text and "795,010" in text  # the two 1000-unit nets' parameters


def test_study_findings_say_so_when_width_beats_depth_everywhere():
    table = pd.DataFrame(
        [
            (200, "200", 1, 159_010, 0.975, 0.974, 0.976),
            (200, "100-100", 2, 89_610, 0.960, 0.959, 0.961),
            (1000, "1000", 1, 795_010, 0.982, 0.981, 0.983),
            (1000, "250-250-250-250", 4, 397_510, 0.950, 0.949, 0.951),
        ],
        columns=STUDY_COLUMNS,
    )
    assert ch3.study_verdicts(table) == {200: "wider", 1000: "wider"}
    text = "\n".join(ch3.study_findings(table))
    assert all(n in text for n in ("0.9750", "0.9600", "0.9820", "0.9500", "397,510"))
    # the short summary lists the budgets by verdict: both under the one that won
    assert text != "\n".join(ch3.study_findings(table.assign(val_min=table["val_min"] - 0.02)))


def test_study_findings_call_a_gap_within_the_seed_spread_a_tie():
    table = pd.DataFrame(
        [  # the deeper net is ahead by 0.002, but seeds spread by 0.01
            (200, "200", 1, 159_010, 0.970, 0.965, 0.975),
            (200, "100-100", 2, 89_610, 0.972, 0.967, 0.977),
        ],
        columns=STUDY_COLUMNS,
    )
    assert ch3.study_verdicts(table) == {200: "tie"}  # 0.002 ahead, inside the 0.01 spread
    text = "\n".join(ch3.study_findings(table))
    assert "0.9700" in text and "0.9720" in text and "0.0100" in text  # scores and spread


def test_tuner_verdict_follows_which_side_won():
    table = pd.DataFrame([(100, "100", 1, 79_510, 0.950, 0.949, 0.951)], columns=STUDY_COLUMNS)
    trials = pd.DataFrame({"budget": [100, 100], "widths": ["50-50", "100"], "score": [0.96, 0.9]})
    (gap,) = ch3.tuner_gaps(trials, table)
    assert (gap["tuner"], gap["study"], gap["verdict"]) == ("50-50", "100", "above")
    assert gap["gap"] == pytest.approx(0.01) and gap["noise"] == pytest.approx(0.002)
    assert all(n in ch3.tuner_vs_study(trials, table)[0] for n in ("0.9600", "0.0100", "0.9500"))
    trials["score"] = [0.93, 0.94]
    (gap,) = ch3.tuner_gaps(trials, table)
    assert (gap["tuner"], gap["verdict"]) == ("100", "below")
    assert all(n in ch3.tuner_vs_study(trials, table)[0] for n in ("0.9400", "0.0100"))
    trials["score"] = [0.93, 0.9515]  # 0.0015 above, inside the seeds' 0.002 spread
    assert ch3.tuner_gaps(trials, table)[0]["verdict"] == "within noise"


def candidates(rows, chosen_index=0, **settings):
    """A candidates table: (widths, batch, val accuracy, s/epoch) per row."""
    table = pd.DataFrame(
        [
            {
                "problem": "3C",
                "widths": w,
                "dropout": 0.1,
                "input_dropout": 0.0,
                "epochs": 20,
                "batch_size": batch,
                "learning_rate": 0.002,
                "max_shift": 1,
                "hidden_units": sum(map(int, w.split("-"))),
                "params": 1000,
                "seed": 7,
                "val_accuracy": acc,
                "epoch_seconds": sec,
                **settings,
            }
            for w, batch, acc, sec in rows
        ]
    )
    return table.assign(chosen=[i == chosen_index for i in range(len(table))])


def test_choice_verdict_follows_the_candidates_scores():
    cases = {
        "best": [("150-50", 128, 0.987, 4.0), ("100-100", 128, 0.984, 4.0)],
        "best, close": [("150-50", 128, 0.9870, 4.0), ("150-50", 256, 0.9860, 3.0)],
        "close": [("150-50", 256, 0.9865, 3.0), ("150-50", 128, 0.9870, 4.0)],
        "beaten": [("150-50", 128, 0.980, 4.0), ("100-100", 128, 0.987, 4.0)],
    }
    texts = set()
    for verdict, rows in cases.items():
        table = candidates(rows)
        assert ch3.choice_verdict(table) == verdict
        text = " ".join(ch3.choice_text(table))
        assert all(f"{acc:.4f}" in text for _, _, acc, _ in rows)  # both scores are read out
        texts.add(text.split(". By shape")[0])
    assert len(texts) == len(cases)  # each verdict reads differently
    assert "0.0070" in " ".join(ch3.choice_text(candidates(cases["beaten"])))  # the gap
    # the tolerance decides: with a tighter one, the close runner-up no longer is
    assert ch3.choice_verdict(candidates(cases["best, close"]), tolerance=0.0005) == "best"
    missing = candidates([("150-50", 128, 0.980, 4.0)], chosen_index=None)
    assert ch3.choice_verdict(missing) == "missing"


def test_shape_verdict_ranks_shapes_by_their_numbers():
    deeper = candidates([("200", 128, 0.975, 3.0), ("100-50-50", 128, 0.985, 4.0)])
    assert ch3.shape_verdict(deeper) == "ranked"
    text = ch3.shape_text(deeper)
    assert text.index("100-50-50") < text.index("200")  # best first
    assert all(n in text for n in ("0.9850", "0.9750", "0.0100"))
    close = candidates([("200", 128, 0.9850, 3.0), ("100-50-50", 128, 0.9845, 4.0)])
    assert ch3.shape_verdict(close) == "too close"
    assert "0.9845" in ch3.shape_text(close) and "0.0100" not in ch3.shape_text(close)
    assert ch3.shape_verdict(candidates([("200", 128, 0.98, 3.0)])) == "one shape"


def budget_result(exploration, *, train_images=50_000):
    nets = [
        ch3.TrainedNet(
            seed=s,
            history=pd.DataFrame(),
            val_accuracy=v,
            test_accuracy=t,
            params=1000,
            epoch_seconds=3.0,
        )
        for s, v, t in ((1, 0.9880, 0.9890), (2, 0.9860, 0.9870), (3, 0.9870, 0.9880))
    ]
    return ch3.BudgetResult(
        "3D",
        ch3.BUDGETS["3D"],
        ch3.CHOSEN["3D"],
        nets,
        train_images,
        10_000,
        exploration=exploration,
    )


def test_budget_text_marks_a_quoted_table_as_quoted():
    rows = [("334-333-333", 256, 0.9875, 5.0), ("500-300-200", 256, 0.9850, 5.0)]
    table = ch3.mark_chosen(candidates(rows, dropout=0.2, max_shift=2), ch3.CHOSEN["3D"])
    meta = {
        "date": "2030-01-02T03:04",
        "command": "python -m x --explore",
        "data": "MNIST (a)",
        "seed": 7,
        "train_images": 50_000,
        "val_images": 10_000,
    }
    quoted = ch3.Exploration("3D", table, False, meta, "chapters/data/3D_candidates.csv")
    text = ch3.text_3d(budget_result(quoted))
    budget = ch3.BUDGETS["3D"]
    assert f"{budget.max_units} hidden units" in text
    assert f"at least {budget.min_layers} hidden layers" in text
    assert ch3.QUOTED_MARK in text and ch3.MEASURED_MARK not in text
    assert "2030-01-02T03:04" in text and "chapters/data/3D_candidates.csv" in text
    assert "`python -m x --explore`" in text and "MNIST (a)" in text
    assert ch3.agreement(budget_result(quoted)) == "within"  # the seeds span 0.9860 to 0.9880
    assert all(n in text for n in ("0.9875", "0.9860", "0.9880"))
    assert "![" not in text  # no figures asked for
    high = ch3.mark_chosen(
        candidates([("334-333-333", 256, 0.9895, 5.0)], dropout=0.2, max_shift=2), ch3.CHOSEN["3D"]
    )
    assert ch3.agreement(budget_result(replace(quoted, table=high))) == "above"
    other = budget_result(quoted, train_images=6_667)
    assert ch3.agreement(other) == "incomparable"
    assert "![runs](r.png)" in ch3.text_3d(other, {"runs": "![runs](r.png)"})
    measured = ch3.Exploration("3D", table, True, meta, "this run")
    assert ch3.MEASURED_MARK in ch3.text_3d(budget_result(measured))
    assert ch3.agreement(budget_result(measured)) is None  # nothing quoted to compare
    missing = ch3.text_3d(budget_result(None))
    assert "chapters/data/3D_candidates.csv" in missing and ch3.QUOTED_MARK not in missing


def test_candidates_pass_the_budget_check_with_two_shapes_each():
    for problem, recipes in ch3.CANDIDATES.items():
        budget = ch3.BUDGETS[problem]
        assert ch3.CHOSEN[problem] in recipes
        assert len({r.widths for r in recipes}) >= 2
        for r in recipes:  # the models the chapter builds obey the set's rules
            check_budget(mlp(r.widths), budget.max_units, budget.min_layers)
        wider = (*ch3.CHOSEN[problem].widths[:-1], ch3.CHOSEN[problem].widths[-1] + 1)
        with pytest.raises(RuleError, match="the budget is"):  # each spends its whole budget
            check_budget(mlp(wider), budget.max_units, budget.min_layers)


def test_the_stored_exploration_backs_every_chosen_recipe():
    for problem in ("3B", "3C", "3D"):
        stored = ch3.stored_exploration(problem)
        assert stored is not None and not stored.measured
        assert stored.table["chosen"].sum() == 1  # the chapter's recipe was explored
        # and it is the one the choice rule picks: the highest validation accuracy
        assert stored.table.loc[stored.table["val_accuracy"].idxmax(), "chosen"]
        assert stored.table["widths"].nunique() >= 2
        assert 0.97 < stored.table["val_accuracy"].max() < 1.0  # full MNIST, 20 epochs
        assert {"date", "command", "data", "seed"} <= set(stored.meta)
        assert f"--explore --only {problem}" in stored.meta["command"]
        assert stored.meta["train_images"] == 50_000


def test_an_exploration_saves_and_loads_back(tmp_path):
    table = ch3.mark_chosen(candidates([("150-50", 128, 0.9875, 4.0)]), ch3.CHOSEN["3C"])
    saved = ch3.Exploration("3C", table, True, {"date": "d", "seed": 7}, "this run")
    path = ch3.save_exploration(saved, tmp_path)
    assert path.name == "3C_candidates.csv" and path.with_suffix(".json").exists()
    loaded = ch3.stored_exploration("3C", tmp_path)
    assert not loaded.measured and loaded.meta == {"date": "d", "seed": 7}
    assert loaded.table["chosen"].tolist() == [True]
    assert loaded.table["val_accuracy"].tolist() == pytest.approx([0.9875])


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
        widths = list(ch3.CHOSEN[pid].widths)
        assert (entry["widths"], entry["hidden_layers"]) == (widths, len(widths))
        assert entry["params"] == mlp_params(widths)  # the net trained is the recipe's
        # each seed comes from the problem id and the base seed (0), by the one rule
        assert entry["seeds"] == [derive_seed(0, f"{pid}:seed-{i}") for i in range(ch3.SEEDS)]
        assert len(entry["runs"]) == len(entry["val_runs"]) == ch3.SEEDS
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
    # the proxy check: the study's two shapes at 3B's recipe, one seed and one epoch
    check = problems["study"]["proxy_check"]
    (row,) = check["budgets"]
    assert (row["budget"], row["wide"], row["split"]) == (100, "100", "50-50")
    assert row["recipe"] == {**ch3.CHOSEN["3B"].row(), "epochs": 1}
    assert row["proxy_verdict"] == problems["study"]["verdicts"]["100"]
    assert len(row["wide_runs"]) == len(row["split_runs"]) == 1 == len(check["seeds"])
    assert row["graded_verdict"] == "tie" and check["outcomes"] == {"100": row["outcome"]}
    assert check["train_images"] == 6_667  # the full (sample's) training split, not the 2,000
    report = (tmp_path / "report.md").read_text()
    assert f"{row['wide_runs'][0]:.4f}" in report and f"{row['split_runs'][0]:.4f}" in report
    assert "Quick mode" in report and "figures/study_depth_width.png" in report
    # the default run quotes the stored exploration, and says so
    assert report.count(ch3.QUOTED_MARK) == 3
    assert problems["3C"]["candidates"]["measured"] is False
    assert (tmp_path / "figures" / "3A_digits.png").exists()
    # 3C alone gives the numbers it gave after 3A and 3B: no seed depends on what ran before
    alone = tmp_path / "alone"
    assert ch3.main(["--quick", "--only", "3C", "--out", str(alone)]) == 0
    again = json.loads((alone / "summary.json").read_text())["problems"]["3C"]
    assert again["runs"] == pytest.approx(problems["3C"]["runs"], abs=1e-6)
    assert again["val_runs"] == pytest.approx(problems["3C"]["val_runs"], abs=1e-6)


def test_a_missing_mnist_file_is_one_line_and_exit_2(tmp_path, capsys):
    code = ch3.main(["--only", "3A", "--mnist", str(tmp_path / "nope.npz"), "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "MNIST file not found" in err and err.count("\n") == 1


def test_explore_retrains_the_candidates_and_writes_their_table(tmp_path):
    code = ch3.main(["--quick", "--explore", "--only", "3B", "--out", str(tmp_path)])
    assert code == 0
    entry = json.loads((tmp_path / "summary.json").read_text())["problems"]["3B"]
    rows = entry["candidates"]["rows"]
    assert entry["candidates"]["measured"] is True and len(rows) == len(ch3.CANDIDATES["3B"])
    assert sum(r["chosen"] for r in rows) == 1 and all(0.4 < r["val_accuracy"] < 0.95 for r in rows)
    meta = json.loads((tmp_path / "histories" / "3B_candidates.json").read_text())
    assert meta["command"].endswith("--quick --explore --only 3B")
    assert meta["train_images"] == 6_667
    assert len(pd.read_csv(tmp_path / "histories" / "3B_candidates.csv")) == len(rows)
    assert ch3.MEASURED_MARK in (tmp_path / "report.md").read_text()
