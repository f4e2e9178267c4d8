"""Paired confidence intervals and seed spreads (companion.stats)."""

import numpy as np
import pytest

from companion.stats import Difference, paired_difference, spread


def test_paired_difference_matches_the_textbook_interval():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 5_000)
    b = np.where(rng.random(5_000) < 0.05, 1 - a, a)  # b disagrees with a on ~5% of items
    d = paired_difference(a, b)
    diffs = a - b
    half = 1.959964 * diffs.std(ddof=1) / np.sqrt(diffs.size)
    assert d.mean == pytest.approx(diffs.mean())
    assert d.low == pytest.approx(diffs.mean() - half, rel=1e-5)
    assert d.high == pytest.approx(diffs.mean() + half, rel=1e-5)
    assert d.n == 5_000 and d.confidence == 0.95


def test_pairing_sees_a_small_real_difference_that_separate_accuracies_would_hide():
    """Model b is right wherever a is, and on 1% more images: a +1-point gap, never noise."""
    rng = np.random.default_rng(1)
    a = (rng.random(10_000) < 0.9).astype(int)
    b = a.copy()
    b[np.flatnonzero(a == 0)[:100]] = 1
    d = paired_difference(b, a)
    assert d.mean == pytest.approx(0.01)
    assert d.verdict == "higher" and not d.within_noise
    assert paired_difference(a, b).verdict == "lower"


def test_identical_scores_are_within_noise():
    a = np.array([1, 0, 1, 1, 0, 1])
    d = paired_difference(a, a)
    assert d.mean == d.low == d.high == 0.0
    assert d.within_noise and d.verdict == "within noise"


def test_wider_confidence_gives_a_wider_interval():
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    narrow, wide = paired_difference(a, b, confidence=0.8), paired_difference(a, b, confidence=0.99)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_describe_formats_mean_and_interval():
    d = Difference(mean=0.0031, low=0.0012, high=0.005, n=100)
    assert d.describe() == "+0.31% (95% CI +0.12% to +0.50%)"


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        ([1, 0, 1], [1, 0], {}, "3 and 2"),
        ([1], [0], {}, "2 paired.*1"),
        ([1, 0], [0, 1], {"confidence": 1.0}, r"confidence.*1\.0"),
    ],
)
def test_paired_difference_refuses_bad_input(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_difference(a, b, **kwargs)


def test_spread_ignores_nans_and_tells_overlap():
    s = spread([0.91, float("nan"), 0.95, 0.93])
    assert (s.min, s.median, s.max, s.n) == (0.91, 0.93, 0.95, 3)
    assert s.overlaps(spread([0.94, 0.99]))
    assert not s.overlaps(spread([0.96, 0.99]))
    with pytest.raises(ValueError, match="at least one finite value"):
        spread([float("nan")])
