"""Readings follow the settings a notebook cell turns: 1D's weights, 4C's pool, 3A's data.

Each test changes a knob, and checks that the new result's fields change and that its
numbers (not the set's defaults) appear in the new reading.
"""

import argparse
import dataclasses
import re

import pytest

from chapters.ch1_principles.p1d_or import or_network, run_1d, text_1d
from chapters.ch3_depth_width.p3a_data import data_facts, text_3a
from chapters.ch4_cnn.p4c_pooling import matrix_text, pooling, run_4c, text_4c
from companion import pset
from companion.data.mnist import load_mnist
from companion.run.runner import Context

# --- 1D: the weights the call used ---------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "bias", "formula", "correct"),
    [
        ((2.0, 2.0), -1.0, "ReLU(2·x1 + 2·x2 − 1)", True),  # the set's
        ((1.0, 1.0), 0.0, "ReLU(1·x1 + 1·x2 + 0)", True),  # the notebook's "try (1, 1) and 0"
        ((3.0, 1.5), -0.5, "ReLU(3·x1 + 1.5·x2 − 0.5)", True),
        ((0.5, 0.5), 0.0, "ReLU(0.5·x1 + 0.5·x2 + 0)", False),  # (0, 1) gives only 0.5
        ((2.0, 2.0), 0.5, "ReLU(2·x1 + 2·x2 + 0.5)", False),  # (0, 0) gives 0.5, not 0
    ],
)
def test_1d_reading_names_the_weights_the_call_used(weights, bias, formula, correct):
    net = or_network(weights=weights, bias=bias)
    text = text_1d(net)
    assert net.correct is correct
    assert f"**{correct}**" in text
    assert formula in text
    call = f"model_from_weights([([{weights[0]:g}, {weights[1]:g}], [{bias:g}])])"
    assert call in text
    # The rule's figures: b, and each weight plus b.
    assert f"b = {bias:g}, a + b = {weights[0] + bias:g}, c + b = {weights[1] + bias:g}" in text
    for output in net.table["output"]:
        assert re.search(rf"\| {float(output):g} \|", text)
    broken = net.table[~net.table["ok"]]
    for _, row in broken.iterrows():
        assert f"({int(row['x1'])}, {int(row['x2'])}) gives {row['output']:g}" in text
    if (weights, bias) != (pset.OR_WEIGHTS, pset.OR_BIAS):
        assert "ReLU(2·x1 + 2·x2 − 1)" not in text  # the set's net is not named for another


def test_1d_run_records_the_set_weights_it_used():
    section = run_1d(Context(argparse.Namespace(seed=0), None, problem="1D"))
    assert section.results["weights"] == list(pset.OR_WEIGHTS)
    assert section.results["bias"] == pset.OR_BIAS
    assert section.results["correct"] is True


# --- 4C: the window count from the pool size -----------------------------------------------


def window_sentence(text: str) -> str:
    return next(s for s in text.split(";") if "pooling with" in s)


@pytest.mark.parametrize(
    ("pool", "stride", "windows", "counts", "left_out", "distinct_average"),
    [
        (2, 2, 4, [4, 2, 2, 1], 0, 4),  # the set's
        (3, 3, 1, [9], 1, 3),  # the notebook's "try 3": one window, the last row left out
        (3, 1, 4, [9, 6, 6, 4], 0, 4),
        (2, 1, 9, [4, 4, 4, 4, 2, 2, 2, 2, 1], 0, 4),
    ],
)
def test_4c_reading_counts_the_windows_of_the_pool_it_used(
    pool, stride, windows, counts, left_out, distinct_average
):
    r = pooling(pool=pool, stride=stride)
    assert (r.windows, r.window_counts, r.left_out) == (windows, counts, left_out)
    assert r.distinct(r.average) == distinct_average and r.distinct(r.maximum) == 1
    text = text_4c(r)
    sentence = window_sentence(text)
    assert f"{pool}×{pool} pooling with\nstride {stride}" in sentence
    assert re.search(rf"\b{windows} (overlapping )?windows?\b", sentence)
    assert (f"last {left_out} row" in sentence) is (left_out > 0)
    assert f"hold{'s' * (windows == 1)} {', '.join(map(str, counts))} ones" in text
    for m in r.average.values():
        assert f"`{matrix_text(m)}`" in text
    if windows != 4:
        assert "four windows" not in text and "4 windows" not in text


def test_4c_run_records_pool_stride_and_windows():
    results = run_4c(Context(argparse.Namespace(seed=0), None, problem="4C")).results
    assert (results["pool"], results["stride"], results["windows"]) == (2, 2, 4)
    assert (results["distinct_average"], results["distinct_max"]) == (4, 1)


# --- 3A: the data size, against the full set's ------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load_mnist(sample=True, flatten=True)


def test_3a_on_the_sample_names_the_full_set_and_the_sample(sample):
    facts = data_facts(sample)
    assert (facts.full_set, facts.sample) == (False, True)
    assert facts.full_counts == {"train": 60_000, "test": 10_000}  # from companion.pset
    text = text_3a(facts)
    counts = next(line for line in text.splitlines() if "**Counts**" in line)
    train, test = facts.counts["train"] + facts.counts["val"], facts.counts["test"]
    for n in (60_000, 10_000, train, facts.counts["train"], facts.counts["val"], test):
        assert f"{n:,}" in counts
    assert "sample" in counts


def test_3a_on_a_cut_of_the_data_says_so_with_its_own_sizes(sample):
    cut = dataclasses.replace(sample, is_sample=False).subset(train=3_000, val=500, test=700)
    facts = data_facts(cut)
    assert (facts.full_set, facts.sample) == (False, False)
    assert facts.counts == {"train": 3_000, "val": 500, "test": 700}
    counts = next(line for line in text_3a(facts).splitlines() if "**Counts**" in line)
    for n in (60_000, 10_000, 3_500, 3_000, 500, 700):
        assert f"{n:,}" in counts
    assert "sample" not in counts


def test_3a_on_the_full_set_quotes_no_other_size(sample, monkeypatch):
    # The sample's sizes as the set's: the reading then has no second size to name.
    monkeypatch.setattr(pset, "MNIST_TRAIN_IMAGES", 8_000)
    monkeypatch.setattr(pset, "MNIST_TEST_IMAGES", 2_000)
    facts = data_facts(dataclasses.replace(sample, is_sample=False))
    assert facts.full_set and facts.full_counts == {"train": 8_000, "test": 2_000}
    counts = next(line for line in text_3a(facts).splitlines() if "**Counts**" in line)
    assert "8,000 training images" in counts and "2,000 test images" in counts
    assert "60,000" not in counts and "10,000" not in counts
