"""Is a measured difference real? Paired confidence intervals and seed spreads.

Two models scored on the same images differ by less than a point on MNIST, and one run
cannot tell a real difference from luck. What this module gives a report:
- `paired_difference`: the mean of a − b over paired items (each image scored by both
  models) with a normal-approximation confidence interval; pairing removes the
  images' own difficulty, so the interval is much narrower than two separate ones;
- `spread`: min / median / max of a result over seeds, so a table shows the range too;
- `Difference.verdict`: "higher", "lower" or "within noise", the word a sentence needs.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Difference:
    """A mean difference with its confidence interval.

    Args:
        mean: the mean of a − b.
        low, high: the confidence interval's ends.
        n: how many paired items it rests on.
        confidence: the interval's level, e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def within_noise(self) -> bool:
        """True when the interval includes 0: the data cannot tell the sign."""
        return self.low <= 0.0 <= self.high

    @property
    def verdict(self) -> str:
        """'higher' (a above b), 'lower' or 'within noise'."""
        if self.within_noise:
            return "within noise"
        return "higher" if self.mean > 0 else "lower"

    def describe(self, fmt: str = "{:+.2%}") -> str:
        """E.g. '+0.31% (95% CI +0.12% to +0.50%)'."""
        return (
            f"{fmt.format(self.mean)} ({self.confidence:.0%} CI "
            f"{fmt.format(self.low)} to {fmt.format(self.high)})"
        )


def paired_difference(a, b, *, confidence: float = 0.95) -> Difference:
    """Mean of a − b over paired items, with a normal-approximation confidence interval.

    Args:
        a, b: equal-length arrays of per-item scores (e.g. 1/0 for each test image
            classified right/wrong by two models, or per-image accuracy drops).
        confidence: the interval's level, in (0, 1).

    Returns:
        A `Difference`. With thousands of items the normal approximation is close.
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must pair up item by item, got {a.size} and {b.size} items")
    if a.size < 2:
        raise ValueError(f"a confidence interval needs at least 2 paired items, got {a.size}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    d = a - b
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * float(np.std(d, ddof=1)) / np.sqrt(d.size)
    mean = float(np.mean(d))
    return Difference(mean, mean - half, mean + half, int(d.size), confidence)


@dataclass(frozen=True)
class Spread:
    """The range of one result over seeds."""

    min: float
    median: float
    max: float
    n: int

    def overlaps(self, other: Spread) -> bool:
        """True when the two ranges share a value: the seeds do not separate them."""
        return self.min <= other.max and other.min <= self.max


def spread(values: Sequence[float]) -> Spread:
    """Min, median and max of results over seeds (NaNs, e.g. failed trials, are ignored)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise ValueError("spread needs at least one finite value")
    return Spread(
        float(finite.min()), float(np.median(finite)), float(finite.max()), int(finite.size)
    )


def seed_verdict(a: Spread, b: Spread) -> str:
    """'higher' when a's worst seed beats b's best, 'lower' the other way, else 'within noise'.

    The rule the chapters use to name a winner over seeds (4E's strategies, 4F's
    regularisers): a ranking holds only where the seed ranges do not overlap.
    """
    if a.min > b.max:
        return "higher"
    if a.max < b.min:
        return "lower"
    return "within noise"


def proportion_difference(a: float, b: float, n: int, *, confidence: float = 0.95) -> Difference:
    """Accuracy a − b of two models scored on the same n items, when only the rates are kept.

    Treats the two rates as independent (a normal approximation): wider than the paired
    interval the per-item hits would give, so a difference it calls real is real.
    """
    if n < 2:
        raise ValueError(f"a confidence interval needs at least 2 items, got {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * float(np.sqrt((a * (1 - a) + b * (1 - b)) / n))
    mean = float(a - b)
    return Difference(mean, mean - half, mean + half, int(n), confidence)
