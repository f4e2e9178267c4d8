"""Lists and counts in the report's English."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def join(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def count(n: int, noun: str) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def value_set(values: Iterable[float]) -> str:
    """Distinct numbers in braces, smallest first: '{0.001, 0.01}'."""
    return "{" + ", ".join(f"{v:g}" for v in sorted(set(values))) + "}"
