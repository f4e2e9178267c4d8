"""Chapter 4: end to end in --quick mode, and each text function fed results by hand.

The hand-made results include the unusual findings (random search beating the grid,
pooling that does not help): the report must follow them. 4F has its own file.
"""

import json

import numpy as np
import pandas as pd
import pytest

from chapters import ch4_cnn
from chapters.ch4_cnn.p4d_noise import FEATURE_CHANGES
from chapters.ch4_cnn.search_strategies import ranking
from companion.augment import perturbations
from companion.seed import derive_seed
from companion.stats import Difference


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
    for name, row in table.items():
        if name != "clean":
            assert row["CI low"] <= row["pooling advantage"] <= row["CI high"]
            assert row["verdict"] in {"pooling helps", "within noise", "pooling hurts"}
    # --quick: one training seed, from the base seed through the problem's own part name
    assert p["4D"]["seeds"] == [derive_seed(3, "4D:models-0")]
    e = p["4E"]
    assert e["seeds"] == [derive_seed(3, "4E:search-0")] and e["budget"] == 3
    assert set(e["best_scores"]) == {"grid", "random", "bayesian"}
    trials = pd.read_csv(out / "histories" / "4E_trials.csv")
    for kind, scores in e["best_scores"].items():
        searched = trials[trials["strategy"] == kind].groupby("seed")["score"].max()
        assert scores == pytest.approx([searched[seed] for seed in e["seeds"]])
        assert e["strategies"][kind]["trials"] == e["budget"] * len(e["seeds"])
        assert e["strategies"][kind]["median best"] == pytest.approx(np.median(scores))
    assert max(max(scores) for scores in e["best_scores"].values()) > 0.5  # chance is 0.1
    assert e["winner"] == max(e["best_scores"], key=lambda k: np.median(e["best_scores"][k]))


def test_same_seed_same_summary_and_only_matches(quick_run, tmp_path):
    """4D alone, after the whole chapter drew its randomness in this process, scores as before.

    Its seeds come from the base seed and the problem id only (`ctx.seed_for`), so the
    numbers match to float precision, not merely within noise.
    """
    _, summary = quick_run
    out = tmp_path / "again"
    assert ch4_cnn.main(["--quick", "--out", str(out), "--seed", "3", "--only", "4d"]) == 0
    again = json.loads((out / "summary.json").read_text())["problems"]["4D"]["table"]
    for first, second in zip(summary["problems"]["4D"]["table"], again):
        for key, value in first.items():
            if isinstance(value, float):
                assert second[key] == pytest.approx(value, abs=1e-3), key


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


# --- text functions fed results by hand ------------------------------------------------


def fake_search(best: dict[str, list[float]], budget: int = 4) -> ch4_cnn.SearchResult:
    """Trials whose last one scores `best[strategy][seed]`; the grid walks its fixed order."""
    rows = []
    lrs, rates = ch4_cnn.LEARNING_RATES, ch4_cnn.DROPOUT_RATES
    for strategy, per_seed in best.items():
        for seed, top in enumerate(per_seed):
            for trial in range(1, budget + 1):
                if strategy == "grid":
                    lr, rate = lrs[(trial - 1) % 5], rates[(trial - 1) // 5]
                else:
                    lr, rate = lrs[(2 * trial + seed) % 5], rates[(trial + seed) % 6]
                score = top if trial == budget else 0.3 + 0.1 * trial
                rows.append(
                    {
                        "strategy": strategy,
                        "seed": seed,
                        "trial": trial,
                        "dropout": rate,
                        "learning_rate": lr,
                        "score": score,
                        "seconds": 1.0,
                    }
                )
    trials = pd.DataFrame(rows)
    trials["elapsed"] = trials.groupby(["strategy", "seed"])["seconds"].cumsum()
    trials["best_score"] = trials.groupby(["strategy", "seed"])["score"].cummax()
    return ch4_cnn.SearchResult(trials, budget, 1024, 1000, 1, 2)


def test_4e_text_says_random_search_won_when_it_did():
    r = fake_search(
        {"grid": [0.90, 0.91, 0.905], "random": [0.97, 0.96, 0.975], "bayesian": [0.93, 0.92, 0.94]}
    )
    text = ch4_cnn.text_4e(r)
    summary = ch4_cnn.search_summary(r)
    # random's worst seed (0.96) beats bayesian's best (0.94): the ranking holds across seeds
    assert ranking(summary) == ("random", "bayesian", True)
    assert all(number in text for number in ("0.9700", "0.9300", "0.9600", "0.9400"))
    assert "holds across these 3 seeds" in text  # the verdict `separated` chose
    grid = summary.set_index("strategy").loc["grid"]
    assert grid["dropout rates per seed"] == 1  # 4 grid trials: dropout 0 only
    assert "{0.1, 0.2, 0.3, 0.4, 0.5}" in text  # the dropout rates the grid never reached
    assert "![" not in text  # figures=None leaves them out
    assert "its 2 random draws are the random search's first ones" in text  # same combos here
    assert "Its best trial was a guided one in 3 of its 3 searches" in text
    headline = ch4_cnn.search_headline(ch4_cnn.search_summary(r))
    assert headline == "median best val accuracy: grid 0.9050, random 0.9700, bayesian 0.9300"


def test_4e_text_says_when_seeds_do_not_separate_the_strategies():
    r = fake_search(
        {"grid": [0.95, 0.90, 0.96], "random": [0.94, 0.93, 0.91], "bayesian": [0.5, 0.6, 0.55]}
    )
    text = ch4_cnn.text_4e(r, {"search": "![search](figures/4E_search.png)\n"})
    # grid's seeds (0.90 to 0.96) overlap random's (0.91 to 0.94): the seeds do not separate them
    assert ranking(ch4_cnn.search_summary(r)) == ("grid", "random", False)
    assert "(0.9000 to 0.9600) overlaps" in text and "(0.9100 to 0.9400)" in text
    assert "do not separate them" in text and "holds across" not in text  # the verdict chosen
    assert "![search](figures/4E_search.png)" in text
    # Seeds are numbered in the tables (the derived 10-digit seeds are listed once, above).
    assert "| seed 1 | seed 2 | seed 3 |" in text and "| grid | 1 | 1 |" in text


def test_4e_summary_counts_values_tried_repeats_and_poor_trials():
    r = fake_search({"grid": [0.9], "random": [0.95]}, budget=6)
    random = r.trials.index[r.trials["strategy"] == "random"]
    r.trials.loc[random[-1], ["dropout", "learning_rate"]] = r.trials.loc[
        random[0], ["dropout", "learning_rate"]
    ]  # the last random trial repeats the first
    summary = ch4_cnn.search_summary(r).set_index("strategy")
    assert summary.loc["grid", "learning rates per seed"] == 5
    assert summary.loc["grid", "dropout rates per seed"] == 2  # trial 6 reaches dropout 0.1
    assert summary.loc["grid", "poor trials"] == 1  # 0.4 lies below POOR_SCORE, 0.5 does not
    assert summary.loc["random", "repeats"] == 1 and summary.loc["grid", "repeats"] == 0
    table = ch4_cnn.best_by_value(r, "dropout").set_index("dropout")
    assert np.isnan(table.loc[0.5, "grid"]) and table.loc[0.1, "grid"] == 0.9


def noise_result(advantage: float, half_width: float, *, pooled_smaller: bool):
    """A 4D result with the same pooling advantage and interval for every perturbation."""
    names = list(perturbations(np.zeros((1, 28, 28, 1)), seed=0))
    rows = []
    for name in names:
        before, after = (0.0, 0.0) if name == "clean" else (0.3, 0.2 if pooled_smaller else 0.4)
        row = {
            "perturbation": name,
            "feature change, no pooling": before,
            "feature change, after max pooling": after,
            "accuracy, pooling model": 0.98 if name == "clean" else 0.95,
            "accuracy, strided model": 0.98 if name == "clean" else 0.95 - advantage,
        }
        if name != "clean":
            low, high = advantage - half_width, advantage + half_width
            d = Difference(advantage, low, high, 1000)
            seeds = [advantage - 0.001, advantage + 0.001]
            row |= {
                "pooling advantage": advantage,
                "CI low": low,
                "CI high": high,
                "seed min": min(seeds),
                "seed max": max(seeds),
                "verdict": ch4_cnn.robustness_verdict(d, seeds),
            }
        rows.append(row)
    clean = Difference(0.0, -0.002, 0.002, 1000)
    return ch4_cnn.NoiseResult(
        pd.DataFrame(rows), pd.DataFrame(), clean, {"pooling": 1, "strided": 1}, 10, 1000, 2, [0, 1]
    )


def test_4d_text_says_pooling_did_not_help_when_it_did_not():
    hurt = noise_result(-0.02, 0.005, pooled_smaller=False)
    assert set(hurt.table["verdict"].dropna()) == {"pooling hurts"}
    text = ch4_cnn.text_4d(hurt)
    assert "does NOT show that pooling helps" in text  # the conclusion the verdicts chose
    assert "-2.00%" in text  # the pooling advantage, every perturbation
    noisy_result = noise_result(0.002, 0.01, pooled_smaller=True)
    assert set(noisy_result.table["verdict"].dropna()) == {"within noise"}
    noisy = ch4_cnn.text_4d(noisy_result)
    assert "within noise" in noisy and "does NOT show" in noisy


def test_4d_text_says_pooling_helped_when_it_did():
    r = noise_result(0.02, 0.005, pooled_smaller=True)
    assert set(r.table["verdict"].dropna()) == {"pooling helps"}
    text = ch4_cnn.text_4d(r)
    assert "So pooling does help" in text and "does NOT show" not in text  # the verdict chosen
    assert r.clean.verdict == "within noise"  # on clean images the two models tie
    assert r.clean.describe() in text
    assert "accuracy -3.0% with pooling, -5.0% strided (pooling helps, 2 seeds)" in (
        ch4_cnn.noise_headline(r)
    )


@pytest.mark.parametrize(
    ("advantage", "low", "high", "seeds", "verdict"),
    [
        (0.02, 0.01, 0.03, [0.01, 0.03], "pooling helps"),
        (0.02, 0.01, 0.03, [-0.01, 0.03], "within noise"),  # one seed disagrees
        (0.02, -0.01, 0.05, [0.01, 0.03], "within noise"),  # the interval holds 0
        (-0.02, -0.03, -0.01, [-0.01, -0.03], "pooling hurts"),
    ],
)
def test_robustness_verdict_needs_interval_and_every_seed(advantage, low, high, seeds, verdict):
    d = Difference(advantage, low, high, 100)
    assert ch4_cnn.robustness_verdict(d, seeds) == verdict


def test_4a_and_4b_texts_follow_their_numbers():
    padding = ch4_cnn.zero_padding()
    text = ch4_cnn.text_4a(padding)
    assert padding.positions == {"valid": 169, "same": 400}  # 13×13 patches, one per pixel
    assert (padding.shrink("valid"), padding.shrink("same")) == (2, 0)  # pixels lost per layer
    assert padding.real_share == pytest.approx(25 / 64)  # 5×5 real pixels in the 8×8 corner
    assert all(number in text for number in ("13×13 = 169", "400", f"{padding.real_share:.0%}"))
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


def test_noise_tables_pair_the_models_image_by_image():
    """Strided loses 20% of images to the shift, pooling loses none: advantage +20 points."""
    n, seeds = 500, [0, 1]
    pooled = np.ones((2, 2, n))  # (seed, perturbation, image): right everywhere
    strided = np.ones((2, 2, n))
    strided[:, 1, : n // 5] = 0.0
    before, after = FEATURE_CHANGES
    changes = [{"clean": {before: 0.0, after: 0.0}, "shift": {before: 0.4, after: 0.3}}] * 2
    table, per_seed = ch4_cnn.noise_tables(["clean", "shift"], pooled, strided, changes, seeds)
    shifted = table.set_index("perturbation").loc["shift"]
    assert shifted["pooling advantage"] == pytest.approx(0.2)
    assert shifted["CI low"] > 0.15 and shifted["verdict"] == "pooling helps"
    assert shifted["seed min"] == shifted["seed max"] == pytest.approx(0.2)
    assert shifted["accuracy, strided model"] == pytest.approx(0.8)
    assert (shifted[before], shifted[after]) == pytest.approx((0.4, 0.3))
    assert len(per_seed) == 4 and set(per_seed["seed"]) == {0, 1}
    assert np.isnan(table.set_index("perturbation").loc["clean", "pooling advantage"])
