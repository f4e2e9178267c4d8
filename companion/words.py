"""Counts and lists in a report's English: the one pluralising helper chapters share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def count(n: int, noun: str) -> str:
    """'1 seed', '3 seeds', '20,000 images' (a regular plural: noun + 's')."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def join(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = [str(name) for name in names]
    if not names:
        raise ValueError("join needs at least one name")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def value_set(values: Iterable[float]) -> str:
    """Distinct numbers in braces, smallest first: '{0.001, 0.01}'."""
    return "{" + ", ".join(f"{v:g}" for v in sorted(set(values))) + "}"
