"""chapters.ch3_depth_width.proxy_check: the study's verdict retrained at the graded recipe."""

from dataclasses import replace

import pandas as pd
import pytest

from chapters import ch3_depth_width as ch3
from chapters.ch3_depth_width.proxy_check import (
    BudgetCheck,
    ProxyCheck,
    carries,
    check_proxy,
    compared_shapes,
    proxy_check_text,
    rule_note,
    seed_verdict,
)
from companion.data.mnist import load_mnist

STUDY_COLUMNS = ["budget", "widths", "depth", "params", "val_median", "val_min", "val_max"]


def test_a_side_wins_only_when_its_worst_seed_beats_the_others_best():
    assert seed_verdict([0.980, 0.981, 0.982], [0.984, 0.985, 0.986]) == "deeper"
    assert seed_verdict([0.984, 0.985, 0.986], [0.980, 0.981, 0.982]) == "wider"
    # the split's median is ahead, but one of its seeds falls inside one layer's range
    assert seed_verdict([0.980, 0.981, 0.982], [0.9815, 0.985, 0.986]) == "tie"
    # one seed a side shows no noise, however far apart the two are
    assert seed_verdict([0.90], [0.99]) == "tie"
    assert seed_verdict([0.90], [0.99], min_seeds=1) == "deeper"


@pytest.mark.parametrize(
    "proxy, graded, outcome",
    [
        ("wider", "wider", "holds"),
        ("deeper", "deeper", "holds"),
        ("tie", "tie", "holds"),
        ("wider", "deeper", "flips"),
        ("deeper", "wider", "flips"),
        ("wider", "tie", "within noise"),
        ("tie", "deeper", "separates"),
    ],
)
def test_the_outcome_compares_the_two_verdicts(proxy, graded, outcome):
    assert carries(proxy, graded) == outcome


def made_up(proxy, wide_runs, split_runs, budget=100):
    """A check as if trained: the study's verdict and the graded seeds, both made up."""
    return BudgetCheck(
        budget, "3B", ch3.CHOSEN["3B"], "100", "50-50", proxy, 0.9355, 0.9274, wide_runs, split_runs
    )


def test_made_up_results_flip_the_outcome_and_the_text_follows():
    holds = made_up("wider", [0.9812, 0.9815, 0.9818], [0.9790, 0.9795, 0.9801])
    flips = made_up("wider", [0.9790, 0.9795, 0.9801], [0.9812, 0.9815, 0.9818])
    noise = made_up("wider", [0.9800, 0.9812, 0.9818], [0.9790, 0.9805, 0.9811])
    assert (holds.graded, holds.outcome) == ("wider", "holds")
    assert (flips.graded, flips.outcome) == ("deeper", "flips")
    assert (noise.graded, noise.outcome) == ("tie", "within noise")
    # the study saw noise at 200 units; the graded seeds tell the shapes apart
    sharper = made_up("tie", [0.9858, 0.9859, 0.9860], [0.9845, 0.9852, 0.9854], budget=200)
    assert (sharper.graded, sharper.outcome) == ("wider", "separates")
    sharp_text = proxy_check_text(ProxyCheck([sharper], (1, 2, 3), 50_000))
    assert all(n in sharp_text for n in ("0.9858", "0.9860", "0.9845", "0.9854"))
    check = ProxyCheck([holds, replace(flips, budget=200, problem="3C")], (1, 2, 3), 50_000)
    summary = check.summary()
    assert summary["outcomes"] == {"100": "holds", "200": "flips"}
    assert summary["budgets"][0]["wide_median"] == pytest.approx(0.9815)
    assert summary["budgets"][1]["graded_verdict"] == "deeper"
    text = proxy_check_text(check)
    for number in ("0.9812", "0.9818", "0.9790", "0.9801", "0.9355", "0.9274", "50,000"):
        assert number in text
    # the medians' change from the study's, smallest and largest: 0.9795 - 0.9355 at 200
    # units (one layer's seeds swapped in) and 0.9815 - 0.9274
    assert "+0.0440" in text and "+0.0541" in text
    # a check with only held verdicts reads differently from one with a flip
    assert proxy_check_text(ProxyCheck([holds], (1, 2, 3), 50_000)) != proxy_check_text(
        ProxyCheck([replace(holds, wide_runs=flips.wide_runs)], (1, 2, 3), 50_000)
    )


def test_unchecked_budgets_are_named():
    holds = made_up("wider", [0.9812, 0.9815, 0.9818], [0.9790, 0.9795, 0.9801])
    check = ProxyCheck([holds], (1, 2, 3), 50_000, unchecked=[1000])
    assert check.summary()["unchecked"] == [1000]
    assert "1000" in proxy_check_text(check)
    assert "1000" not in proxy_check_text(replace(check, unchecked=[]))


def test_the_compared_pair_is_one_layer_and_the_best_split_by_median():
    part = pd.DataFrame(
        [
            (200, "200", 1, 159_010, 0.9455, 0.9433, 0.9460),
            (200, "100-100", 2, 89_610, 0.9470, 0.9467, 0.9482),
            (200, "50-50-50-50", 4, 48_160, 0.9293, 0.9239, 0.9490),  # best seed, worse median
        ],
        columns=STUDY_COLUMNS,
    )
    wide, split = compared_shapes(part)
    assert (wide["widths"], split["widths"]) == ("200", "100-100")
    with pytest.raises(ValueError, match="no shape deeper than 200"):
        compared_shapes(part.iloc[:1])


def test_check_proxy_trains_both_shapes_at_the_graded_recipe_per_seed():
    data = load_mnist(sample=True).flat().subset(train=1_000, val=300, test=300)
    table = pd.DataFrame(
        [
            (100, "100", 1, 79_510, 0.93, 0.92, 0.94),
            (100, "50-50", 2, 42_310, 0.92, 0.91, 0.93),
            (1000, "1000", 1, 795_010, 0.96, 0.95, 0.97),
            (1000, "500-500", 2, 648_010, 0.97, 0.96, 0.98),
        ],
        columns=STUDY_COLUMNS,
    )
    recipes = {100: ("3B", ch3.CHOSEN["3B"]), 200: ("3C", ch3.CHOSEN["3C"])}
    check = check_proxy(
        data, table, {100: "wider", 1000: "deeper"}, recipes, seeds=(0, 1), epochs=3
    )
    assert [c.budget for c in check.checks] == [100]  # the study has no 200-unit rows here
    assert check.unchecked == [1000] and check.train_images == 1_000
    (c,) = check.checks
    assert (c.wide, c.split, c.proxy) == ("100", "50-50", "wider")
    assert c.recipe == replace(ch3.CHOSEN["3B"], epochs=3)  # 3B's batch, shifts and dropout
    assert len(c.wide_runs) == len(c.split_runs) == 2
    assert all(0.2 < a < 1.0 for a in c.wide_runs + c.split_runs)  # they learned something
    assert c.wide_runs != c.split_runs and c.wide_runs[0] != c.wide_runs[1]  # shapes and seeds


def test_a_shape_the_problems_rules_forbid_is_named():
    one_layer = made_up("tie", [0.984, 0.985], [0.984, 0.986], budget=200)
    forbidden = ProxyCheck([replace(one_layer, problem="3C", wide="200")], (1, 2), 50_000)
    allowed = ProxyCheck([made_up("wider", [0.98, 0.981], [0.97, 0.971])], (1, 2), 50_000)
    assert rule_note(forbidden) and "3C" in rule_note(forbidden)  # one layer, 3C wants 2
    assert rule_note(allowed) == ""  # one layer is within 3B's rules
