"""The candidates 3B-3D's recipes were chosen from: their table, measured (`--explore`, which
`p3b_p3d_budgets` trains) or quoted from the stored full-MNIST exploration, and the sentences
that say whether they back the choice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chapters.ch3_depth_width.recipe import Recipe, TrainedNet
from chapters.ch3_depth_width.settings import CHOICE_TOLERANCE, CHOSEN, EXPLORED
from companion.run.atomic import replace_atomically, write_json
from companion.run.markdown import markdown_table


@dataclass
class Exploration:
    """The candidates' validation scores for one problem, and where they come from.

    `measured`: this run trained them (`--explore`); otherwise they are quoted from a
    stored exploration, and `meta` says when, by which command and on which data.
    """

    problem: str
    table: pd.DataFrame  # one row per candidate; "chosen" marks the chapter's recipe
    measured: bool
    meta: dict[str, Any]
    source: str  # "this run", or the stored file


def candidate_row(problem: str, recipe: Recipe, net: TrainedNet) -> dict[str, Any]:
    """One row of a candidates table: the recipe's settings and its net's scores."""
    return {
        "problem": problem,
        **recipe.row(),
        "hidden_units": sum(recipe.widths),
        "params": net.params,
        "seed": net.seed,
        "val_accuracy": net.val_accuracy,
        "epoch_seconds": net.epoch_seconds,
    }


def mark_chosen(table: pd.DataFrame, recipe: Recipe) -> pd.DataFrame:
    """The table with a "chosen" column: True on the row that is `recipe`."""
    rows = table.to_dict("records")
    return table.assign(chosen=[Recipe.from_row(row) == recipe for row in rows])


def explore_command(args, problem: str) -> str:
    """The command that reruns `problem`'s exploration with this run's settings."""
    parts = ["python -m chapters.ch3_depth_width"]
    if getattr(args, "mnist", None):
        parts.append("--mnist $MNIST")
    if args.quick:
        parts.append("--quick")
    if args.seed:
        parts.append(f"--seed {args.seed}")
    if args.epochs:
        parts.append(f"--epochs {args.epochs}")
    return " ".join([*parts, "--explore", f"--only {problem}"])


def save_exploration(exploration: Exploration, folder: Path) -> Path:
    """Write <problem>_candidates.csv and, beside it, .json with its date, command, data."""
    target = Path(folder) / f"{exploration.problem}_candidates.csv"
    table = exploration.table.drop(columns="chosen", errors="ignore")
    replace_atomically(target, lambda tmp: table.to_csv(tmp, index=False))  # whole or not at all
    write_json(target.with_suffix(".json"), exploration.meta)
    return target


def stored_exploration(problem: str, folder: Path = EXPLORED) -> Exploration | None:
    """The exploration stored for `problem` (None if there is none), marked as quoted."""
    target = Path(folder) / f"{problem}_candidates.csv"
    if not target.exists():
        return None
    meta_file = target.with_suffix(".json")
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    table = mark_chosen(pd.read_csv(target), CHOSEN[problem])
    source = f"chapters/data/{target.name}" if Path(folder) == EXPLORED else str(target)
    return Exploration(problem, table, False, meta, source)


def candidates_table(table: pd.DataFrame) -> str:
    """The candidates as a Markdown table, best first, the chosen one marked."""
    rows = table.sort_values("val_accuracy", ascending=False).to_dict("records")
    shown = pd.DataFrame(
        {
            "candidate": [Recipe.from_row(row).describe() for row in rows],
            "parameters": [f"{int(row['params']):,}" for row in rows],
            "validation accuracy": [f"{row['val_accuracy']:.4f}" for row in rows],
            "s/epoch": [f"{row['epoch_seconds']:.1f}" for row in rows],
            "chosen": ["**chosen**" if row.get("chosen") else "" for row in rows],
        }
    )
    return markdown_table(shown)


def choice_verdict(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> str:
    """Whether the candidates' scores back the chosen recipe, by the choice rule.

    "best": the chosen recipe scored highest, more than `tolerance` above the runner-up;
    "best, close": highest, with the runner-up within `tolerance`; "close": within
    `tolerance` below the best; "beaten": more than `tolerance` below it; "missing": the
    chosen recipe is not among the candidates.
    """
    if not table["chosen"].any():
        return "missing"
    score = table["val_accuracy"]
    best, chosen = table.loc[score.idxmax()], table.loc[table["chosen"].idxmax()]
    if chosen.name == best.name:
        others = score.drop(index=best.name)
        close = not others.empty and best["val_accuracy"] - others.max() <= tolerance
        return "best, close" if close else "best"
    return "close" if best["val_accuracy"] - chosen["val_accuracy"] <= tolerance else "beaten"


def choice_text(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> list[str]:
    """Sentences on whether the candidates' scores support the chosen recipe, and on shape.

    The choice rule is the highest validation accuracy; gaps within `tolerance` are named
    as too close for one run each to rank (`choice_verdict` chooses the sentence).
    """
    verdict = choice_verdict(table, tolerance)
    if verdict == "missing":
        sentence = (
            "The chapter's recipe is not among these candidates, so they do not test it: "
            "rerun `--explore`."
        )
        return [sentence, shape_text(table, tolerance)]
    best = table.loc[table["val_accuracy"].idxmax()]
    chosen = table.loc[table["chosen"].idxmax()]
    gap = float(best["val_accuracy"] - chosen["val_accuracy"])
    if verdict.startswith("best"):
        sentence = (
            f"The chosen recipe scored highest ({chosen['val_accuracy']:.4f}), as the choice "
            "rule asks"
        )
        if verdict == "best, close":
            others = table.drop(index=best.name)
            runner = others.loc[others["val_accuracy"].idxmax()]
            sentence += (
                f"; the runner-up, {Recipe.from_row(runner).describe()} "
                f"({runner['val_accuracy']:.4f}), is within {tolerance} of it, too close for "
                "one run each to rank"
            )
        sentence += "."
    elif verdict == "close":
        sentence = (
            f"The chosen recipe ({chosen['val_accuracy']:.4f}) is within {tolerance} of the "
            f"best, {Recipe.from_row(best).describe()} ({best['val_accuracy']:.4f}): one run "
            "each cannot separate them, but the choice rule (highest validation accuracy) "
            "would pick the best."
        )
    else:
        sentence = (
            f"**These scores do not support the choice**: {Recipe.from_row(best).describe()} "
            f"scored {best['val_accuracy']:.4f}, {gap:.4f} above the chosen recipe "
            f"({chosen['val_accuracy']:.4f}), more than one run each can blur ({tolerance})."
        )
    return [sentence, shape_text(table, tolerance)]


def shape_scores(table: pd.DataFrame) -> pd.Series:
    """Each shape's best validation accuracy over its recipes, best first."""
    return table.groupby("widths", sort=False)["val_accuracy"].max().sort_values(ascending=False)


def shape_verdict(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> str:
    """ "one shape", "too close" (the top two within `tolerance`) or "ranked"."""
    shapes = shape_scores(table)
    if len(shapes) < 2:
        return "one shape"
    return "too close" if shapes.iloc[0] - shapes.iloc[1] <= tolerance else "ranked"


def shape_text(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> str:
    """A sentence ranking the candidates' shapes, each by its best recipe."""
    shapes = shape_scores(table)
    if shape_verdict(table, tolerance) == "one shape":
        return f"Only one shape was tried ({', '.join(map(str, shapes.index))})."
    listed = ", ".join(f"{w}: {a:.4f}" for w, a in shapes.items())
    (top, first), (second, runner) = list(shapes.items())[:2]
    if shape_verdict(table, tolerance) == "too close":
        ranking = (
            f"{top} and {second} are within {tolerance} of each other, too close for one "
            "run each to rank"
        )
    else:
        ranking = f"{top} scores highest, {first - runner:.4f} above {second}"
    return f"By shape (each shape's best recipe): {listed}; {ranking}."
