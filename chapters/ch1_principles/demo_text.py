"""Reading the demos' milestone tables: spreads over seeds, per-seed rows, shared wording.

The words are chosen by the numbers ("in 2 of 3 seeds", "not within 600"), so every
sentence of 1A's and 1B's reports follows the run it describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from chapters.ch1_principles.demos import demo_label
from companion.playground.curves import seed_spread
from companion.words import join


def figure_block(figures: Mapping[str, str] | None, names: Sequence[str]) -> str:
    """The figures' Markdown in the given order, leaving out those not made."""
    return "\n".join(figures[name] for name in names if figures and name in figures)


def epoch_or_none(value) -> int | None:
    """An epoch cell as an int, or None for "not reached" (None or NaN)."""
    return None if value is None or pd.isna(value) else int(value)


def epoch_text(value, epochs: int) -> str:
    """An epoch, or "not within N" when the curve never got there."""
    value = epoch_or_none(value)
    return f"not within {epochs}" if value is None else str(value)


def spread_text(values, epochs: int | None = None, fmt: str = "{:g}") -> str:
    """min / median / max over seeds ("not within N" where a statistic falls on a miss)."""

    values = [None if pd.isna(v) else v for v in values]
    if len(set(values)) == 1:  # one seed, or all alike: no spread to show
        value = values[0]
        if epochs is None:
            return fmt.format(value)
        return f"not within {epochs}" if value is None else f"{value:g}"
    spread = seed_spread(values)
    if epochs is None:
        return " / ".join(fmt.format(spread[k]) for k in ("min", "median", "max"))
    return " / ".join(
        f"not within {epochs}" if spread[k] is None else f"{spread[k]:g}"
        for k in ("min", "median", "max")
    )


def spread_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per demo: min / median / max over seeds of each milestone."""
    rows = []
    for demo, part in table.groupby("demo", sort=False):
        epochs = int(part["epochs"].max())
        rows.append(
            {
                "demo": demo_label(demo),
                "seeds": len(part),
                "first epoch test loss < 0.05": spread_text(part["first_below_0_05"], epochs),
                "settle epoch": spread_text(part["settle_epoch"], epochs),
                "final test loss": spread_text(part["final_test_loss"], fmt="{:.4f}"),
                "left the plateau": f"{int(part['left_plateau'].sum())} of {len(part)}",
            }
        )
    return pd.DataFrame(rows)


def seed_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every fit, by demo and seed: its milestones ("not within N" for a miss)."""
    order = {demo: i for i, demo in enumerate(dict.fromkeys(table["demo"]))}
    table = table.sort_values(
        ["demo", "seed"], key=lambda c: c.map(order) if c.name == "demo" else c
    )
    return pd.DataFrame(
        {
            "demo": table["demo"].map(demo_label),
            "seed": table["seed"],
            "first epoch < 0.05": [
                epoch_text(v, e) for v, e in zip(table["first_below_0_05"], table["epochs"])
            ],
            "settle epoch": [
                epoch_text(v, e) for v, e in zip(table["settle_epoch"], table["epochs"])
            ],
            "final test loss": table["final_test_loss"],
            "constant-guess loss": table["plateau_loss"],
            "left plateau at": [
                epoch_text(v, e) for v, e in zip(table["plateau_exit"], table["epochs"])
            ],
        }
    )


def per_seed_results(table: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """summary.json's per-demo, per-seed milestones (None: not reached)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for demo, part in table.groupby("demo", sort=False):
        out[demo] = [
            {
                "seed": int(row["seed"]),
                "first_below_0_05": epoch_or_none(row["first_below_0_05"]),
                "settle_epoch": epoch_or_none(row["settle_epoch"]),
                "settled": epoch_or_none(row["settle_epoch"]) is not None,
                "final_test_loss": float(row["final_test_loss"]),
                "final_train_loss": float(row["final_train_loss"]),
                "plateau_loss": float(row["plateau_loss"]),
                "plateau_exit": epoch_or_none(row["plateau_exit"]),
                "left_plateau": bool(row["left_plateau"]),
            }
            for _, row in part.iterrows()
        ]
    return out


def spread_results(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """summary.json's per-demo min/median/max (None: the statistic is a miss)."""

    out = {}
    for demo, part in table.groupby("demo", sort=False):
        out[demo] = {
            column: seed_spread(
                [epoch_or_none(v) if column != "final_test_loss" else v for v in part[column]]
            )
            for column in ("first_below_0_05", "settle_epoch", "final_test_loss")
        }
        out[demo]["left_plateau"] = int(part["left_plateau"].sum())
    return out


def demo_rows(table: pd.DataFrame, demo: str) -> pd.DataFrame:
    """The rows of one demo, by seed."""
    return table[table["demo"] == demo].sort_values("seed")


def by_seed_text(part: pd.DataFrame, column: str, epochs: int) -> str:
    """ "epoch 2799 (seed 0); not within 4000 epochs in seeds 1 and 2"."""
    reached, missed = part[part[column].notna()], part[part[column].isna()]
    pieces = [f"epoch {int(v)} (seed {int(k)})" for k, v in zip(reached["seed"], reached[column])]
    if len(missed):
        seeds = [str(int(k)) for k in missed["seed"]]
        noun = "seed" if len(seeds) == 1 else "seeds"
        pieces.append(f"not within {epochs} epochs in {noun} {join(seeds)}")
    return "; ".join(pieces)


def seeds_text(count: int, total: int) -> str:
    """ "every seed", "no seed", "2 of 3 seeds"."""
    if count == total:
        return "every seed" if total > 1 else "the one seed"
    if count == 0:
        return "no seed"
    return f"{count} of {total} seeds"


def verdict_word(count: int, total: int) -> str:
    """ "yes" when every seed agrees, "partly" when some do, "no" when none does."""
    return "yes" if count == total else ("partly" if count else "no")


def verdict(count: int, total: int, none: str) -> str:
    """ "yes (every seed)", "partly (2 of 3 seeds)" or "no: <none>"."""
    word = verdict_word(count, total)
    return f"no: {none}" if word == "no" else f"{word} ({seeds_text(count, total)})"


def comparison_shown(comparison: pd.DataFrame) -> pd.DataFrame:
    """A comparison table as the report shows it: its "verdict" column is for code (the
    "agrees?" column says the same in words)."""
    return comparison.drop(columns="verdict")


def comparison_verdicts(comparison: pd.DataFrame) -> dict[str, str]:
    """summary.json's verdicts by demo: "yes", "partly", "no" or "cannot tell"."""
    return dict(zip(comparison["demo"], comparison["verdict"]))
