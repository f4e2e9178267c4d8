"""The study's proxy checked: does its deeper-or-wider verdict hold at the graded recipe?

The study ranks shapes after a short recipe (2 epochs on 20,000 images); 3B and 3C train
20 epochs on the full training split with their own batch and shifts. Here the two shapes
a budget's verdict compares (the one wide layer and the study's best split) retrain at
that budget's graded recipe over several seeds, scored on the validation split (this is
a question about choosing shapes, so the test set stays out). A side wins only when its
worst seed beats the other's best; the outcome says whether the study's verdict holds,
flips, falls within noise, or was within noise where the graded recipe separates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from chapters.ch3_depth_width.p3b_p3d_budgets import train_recipe
from chapters.ch3_depth_width.recipe import Recipe
from chapters.ch3_depth_width.settings import BUDGETS, CHECK_MIN_SEEDS
from companion.run.markdown import markdown_table
from companion.stats import spread
from companion.words import count, join

# What each verdict ("deeper", "wider", "tie") says, in words.
VERDICT_WORDS = {
    "deeper": "the split wins",
    "wider": "one layer wins",
    "tie": "neither wins, within seed noise",
}


@dataclass
class BudgetCheck:
    """One budget's check: the study's two compared shapes, retrained at the graded recipe."""

    budget: int
    problem: str  # whose recipe the shapes trained with (3B, 3C)
    recipe: Recipe  # that recipe; each shape swaps in its own widths
    wide: str  # the study's shallowest shape, e.g. "100"
    split: str  # the study's best deeper shape, e.g. "50-50"
    proxy: str  # the study's verdict: "deeper", "wider" or "tie"
    proxy_wide: float  # the study's medians (short recipe, validation)
    proxy_split: float
    wide_runs: list[float] = field(default_factory=list)  # graded recipe, validation, per seed
    split_runs: list[float] = field(default_factory=list)

    @property
    def graded(self) -> str:
        """The graded recipe's verdict: "deeper", "wider" or "tie"."""
        return seed_verdict(self.wide_runs, self.split_runs)

    @property
    def outcome(self) -> str:
        """Whether the study's verdict carries: "holds", "flips", "within noise", "separates"."""
        return carries(self.proxy, self.graded)

    def record(self) -> dict[str, Any]:
        """The check's numbers for summary.json."""
        return {
            "budget": self.budget,
            "recipe_of": self.problem,
            "recipe": self.recipe.row(),
            "wide": self.wide,
            "split": self.split,
            "proxy_verdict": self.proxy,
            "proxy_wide_median": self.proxy_wide,
            "proxy_split_median": self.proxy_split,
            "wide_runs": self.wide_runs,
            "split_runs": self.split_runs,
            "wide_median": float(np.median(self.wide_runs)),
            "split_median": float(np.median(self.split_runs)),
            "graded_verdict": self.graded,
            "outcome": self.outcome,
        }


@dataclass
class ProxyCheck:
    """The check at each budget it covers, and how it was trained."""

    checks: list[BudgetCheck]
    seeds: tuple[int, ...]
    train_images: int
    unchecked: list[int] = field(default_factory=list)  # study budgets left out
    quick: bool = False

    def summary(self) -> dict[str, Any]:
        """What summary.json keeps: every budget's check and the outcomes by name."""
        return {
            "seeds": list(self.seeds),
            "train_images": self.train_images,
            "budgets": [c.record() for c in self.checks],
            "outcomes": {str(c.budget): c.outcome for c in self.checks},
            "unchecked": self.unchecked,
        }


def seed_verdict(wide: list[float], split: list[float], min_seeds: int = CHECK_MIN_SEEDS) -> str:
    """ "deeper" when the split's worst seed beats one layer's best, "wider" the other way
    round, else "tie"; fewer than `min_seeds` seeds a side show no noise, so "tie"."""
    if min(len(wide), len(split)) < min_seeds:
        return "tie"
    w, s = spread(wide), spread(split)
    if s.min > w.max:
        return "deeper"
    if w.min > s.max:
        return "wider"
    return "tie"


def carries(proxy: str, graded: str) -> str:
    """How the study's verdict fares at the graded recipe.

    "holds": the same verdict (both within noise counts); "flips": the other side wins;
    "within noise": the study named a winner the graded seeds cannot separate;
    "separates": the study saw noise and the graded recipe names a winner.
    """
    if proxy == graded:
        return "holds"
    if graded == "tie":
        return "within noise"
    return "separates" if proxy == "tie" else "flips"


def compared_shapes(part: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """One budget's study rows: the shallowest shape and the best (by median) deeper one."""
    wide = part.loc[part["depth"].idxmin()]
    deeper = part[part["depth"] > wide["depth"]]
    if deeper.empty:
        raise ValueError(
            f"budget {wide['budget']}: the study has no shape deeper than {wide['widths']}"
        )
    return wide, deeper.loc[deeper["val_median"].idxmax()]


def check_proxy(
    data,
    table: pd.DataFrame,
    verdicts: Mapping[int, str],
    recipes: Mapping[int, tuple[str, Recipe]],
    *,
    seeds: tuple[int, ...],
    epochs: int | None = None,
) -> ProxyCheck:
    """Retrain each checked budget's two compared shapes at its graded recipe, per seed.

    Args:
        data: flat MNIST splits, the full training split the graded problems use.
        table: the study's table (`StudyResult.table`).
        verdicts: the study's verdict per budget ("deeper", "wider", "tie").
        recipes: per budget to check, the problem whose recipe it uses and that recipe.
        seeds: one net per seed and shape.
        epochs: overrides the recipes' epochs (quick runs).
    """
    checks = []
    for budget, (problem, recipe) in recipes.items():
        part = table[table["budget"] == budget]
        if part.empty:
            continue
        recipe = replace(recipe, epochs=int(epochs)) if epochs else recipe
        wide, split = compared_shapes(part)
        runs = {
            row["widths"]: [graded_run(data, recipe, row["widths"], s) for s in seeds]
            for row in (wide, split)
        }
        checks.append(
            BudgetCheck(
                budget,
                problem,
                recipe,
                wide["widths"],
                split["widths"],
                verdicts[budget],
                float(wide["val_median"]),
                float(split["val_median"]),
                runs[wide["widths"]],
                runs[split["widths"]],
            )
        )
    unchecked = sorted(set(table["budget"]) - {c.budget for c in checks})
    return ProxyCheck(checks, tuple(seeds), len(data.x_train), [int(b) for b in unchecked])


def graded_run(data, recipe: Recipe, widths: str, seed: int) -> float:
    """One shape (widths like "50-50") trained at `recipe`: its validation accuracy."""
    shaped = replace(recipe, widths=tuple(int(w) for w in widths.split("-")))
    return train_recipe(data, shaped, seed=seed, test=False).val_accuracy


def proxy_check_text(check: ProxyCheck) -> str:
    """The check as Markdown: how it was run, its table, and how far the study's verdict carries."""
    if not check.checks:
        return ""
    first = check.checks[0]
    paragraphs = [
        "**The proxy checked.** The study's short recipe stands in for the graded one. At "
        f"{join([str(c.budget) for c in check.checks])} units the two shapes each verdict "
        "compares were retrained at the graded recipe of that budget's problem (e.g. "
        f"{first.problem}'s: {first.recipe.describe()}, on {check.train_images:,} training "
        f"images), {count(len(check.seeds), 'seed')} each, scored on the validation split. A "
        f"side wins only when its worst seed beats the other's best.{rule_note(check)}",
        markdown_table(check_table(check)).strip(),
        "\n".join(f"- {budget_check_sentence(c)}" for c in check.checks),
        carry_sentence(check),
    ]
    if check.quick:
        paragraphs.append(
            f"*Quick mode: {count(len(check.seeds), 'seed')}, "
            f"{count(first.recipe.epochs, 'epoch')} on {check.train_images:,} images; one "
            "seed shows no noise, so no verdict here is beyond it.*"
        )
    return "\n\n".join(paragraphs)


def rule_note(check: ProxyCheck) -> str:
    """A sentence for compared shapes the problem's own rules forbid (e.g. one layer in 3C)."""
    outside = [
        f"{c.wide} breaks {c.problem}'s rule of at least {BUDGETS[c.problem].min_layers} layers"
        for c in check.checks
        if len(c.wide.split("-")) < BUDGETS[c.problem].min_layers
    ]
    if not outside:
        return ""
    return f" ({join(outside)}: it trains here as the study's comparison, not as an answer.)"


def check_table(check: ProxyCheck) -> pd.DataFrame:
    """One row per checked budget: the study's verdict beside the graded seeds'."""

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.4f}" for v in values)

    return pd.DataFrame(
        {
            "budget": [c.budget for c in check.checks],
            "recipe": [c.problem for c in check.checks],
            "shapes": [f"{c.wide} vs {c.split}" for c in check.checks],
            "study medians": [f"{c.proxy_wide:.4f} vs {c.proxy_split:.4f}" for c in check.checks],
            "study verdict": [VERDICT_WORDS[c.proxy] for c in check.checks],
            "graded, per seed": [
                f"{runs(c.wide_runs)} vs {runs(c.split_runs)}" for c in check.checks
            ],
            "graded verdict": [VERDICT_WORDS[c.graded] for c in check.checks],
            "the study's verdict at the graded recipe": [c.outcome for c in check.checks],
        }
    )


def budget_check_sentence(c: BudgetCheck) -> str:
    """One budget's reading, chosen by its outcome."""
    w, s = spread(c.wide_runs), spread(c.split_runs)
    graded = (
        f"at {c.problem}'s recipe {c.wide} reaches {_span(c.wide_runs)} and {c.split} "
        f"{_span(c.split_runs)} (medians {w.median:.4f} and {s.median:.4f})"
    )
    unseparated = (
        "the seed ranges overlap"
        if min(w.n, s.n) >= CHECK_MIN_SEEDS
        else "one seed a side shows no noise"
    )
    study = f"the study's verdict ({VERDICT_WORDS[c.proxy]})"
    readings = {
        "holds": f"{study} **holds**: {graded}, so {VERDICT_WORDS[c.graded]} there too.",
        "flips": f"{study} **flips**: {graded}, so {VERDICT_WORDS[c.graded]} instead.",
        "within noise": f"{study} is **within noise** at the graded recipe: {graded}; "
        f"{unseparated}.",
        "separates": f"{study} **separates** at the graded recipe, where seeds do tell "
        f"the two apart: {graded}, so {VERDICT_WORDS[c.graded]}.",
    }
    return f"**{c.budget} units**: {readings[c.outcome]}"


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.4f}" if lo == hi else f"{lo:.4f} to {hi:.4f}"


def carry_sentence(check: ProxyCheck) -> str:
    """How far the study's verdicts carry, from the outcomes; the budgets left unchecked."""
    by_outcome: dict[str, list[str]] = {}
    for c in check.checks:
        by_outcome.setdefault(c.outcome, []).append(str(c.budget))
    parts = [f"{outcome} at {join(budgets)} units" for outcome, budgets in by_outcome.items()]
    held = len(by_outcome.get("holds", []))
    lifts = [
        float(np.median(runs)) - proxy
        for c in check.checks
        for runs, proxy in ((c.wide_runs, c.proxy_wide), (c.split_runs, c.proxy_split))
    ]
    text = (
        f"So the study's verdict carries to the graded recipe at {held} of "
        f"{count(len(check.checks), 'checked budget')} ({'; '.join(parts)}). The graded "
        f"medians differ from the study's by {min(lifts):+.4f} to {max(lifts):+.4f}: the "
        "study's accuracies are not the graded ones"
    )
    others = [str(c.budget) for c in check.checks if c.outcome != "holds"]
    text += (
        f", and its verdict does not carry at {join(others)} units."
        if others
        else ", but its verdicts are."
    )
    if check.unchecked:
        text += (
            f" At {join([str(b) for b in check.unchecked])} units the verdict was not checked "
            "at the graded recipe (left out to keep the chapter within its time), so it rests "
            "on the short recipe alone."
        )
    return text
