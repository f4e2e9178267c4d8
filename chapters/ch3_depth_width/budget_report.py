"""Problems 3B-3D's results and report: the chosen net's runs, the verdicts against the bars,
the figure, and the evidence for the choice (the candidates' table, measured or quoted)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from chapters.ch3_depth_width.candidates import Exploration, candidates_table, choice_text
from chapters.ch3_depth_width.recipe import Recipe, TrainedNet
from chapters.ch3_depth_width.settings import Budget
from companion import pset
from companion.budget import BUDGET_RULES, describe_widths
from companion.run.markdown import markdown_table
from companion.words import count

# How the report marks the candidates' table: quoted from chapters/data/, or measured.
QUOTED_MARK = "*quoted, not measured by this run*"
MEASURED_MARK = "measured by this run, `--explore`"


@dataclass
class BudgetResult:
    """A chosen net trained with several seeds, scored on the test set."""

    problem: str
    budget: Budget
    recipe: Recipe
    nets: list[TrainedNet] = field(default_factory=list)  # one per seed
    train_images: int = 0
    val_images: int = 0
    quick: bool = False
    exploration: Exploration | None = None

    @property
    def test_accuracies(self) -> list[float]:
        return [net.test_accuracy for net in self.nets]

    @property
    def median(self) -> float:
        return float(statistics.median(self.test_accuracies))

    @property
    def pass_rate(self) -> float:
        """The share of nets at or above the set's bar (the set passes it above one half)."""
        return float(np.mean([acc >= self.budget.set_bar for acc in self.test_accuracies]))

    def summary(self) -> dict[str, Any]:
        """The numbers summary.json keeps."""
        widths = list(self.recipe.widths)
        out = {
            "widths": widths,
            "hidden_units": sum(widths),
            "hidden_layers": len(widths),
            "params": self.nets[0].params,
            "seeds": [net.seed for net in self.nets],
            "runs": self.test_accuracies,
            "val_runs": [net.val_accuracy for net in self.nets],
            "test_accuracy": self.median,
            "pass_rate": self.pass_rate,
            "passes_set_rule": self.pass_rate > pset.MLP_PASS_SHARE,
            "set_bar": self.budget.set_bar,
            "our_bar": self.budget.our_bar,
            "meets_our_bar": self.median >= self.budget.our_bar,
            "epoch_seconds": float(np.median([net.epoch_seconds for net in self.nets])),
            "recipe": asdict(self.recipe),
        }
        if self.exploration is not None:
            e = self.exploration
            out["candidates"] = {
                "measured": e.measured,
                "source": e.source,
                "meta": e.meta,
                "rows": e.table.to_dict("records"),
            }
        return out


def plot_budget_runs(result: BudgetResult, *, axes=None):
    """Left: validation accuracy per epoch, one line per seed. Right: test accuracy per seed."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = axes
    for i, net in enumerate(result.nets, 1):
        label = f"run {i} (seed {net.seed})"
        left.plot(net.history["epoch"], net.history["val_accuracy"], marker=".", label=label)
    left.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy per epoch")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower right")
    b, accs = result.budget, result.test_accuracies
    xs = np.arange(1, len(accs) + 1)
    right.scatter(xs, accs, color="C0", zorder=3, label="test accuracy")
    right.axhline(result.median, color="C0", lw=1, label=f"median {result.median:.4f}")
    right.axhline(b.set_bar, color="C3", ls="--", lw=1, label=f"set's bar {b.set_bar:.3f}")
    right.axhline(b.our_bar, color="C2", ls=":", lw=1.5, label=f"our bar {b.our_bar:.3f}")
    right.set_xticks(xs, [f"run {i}" for i in xs])
    right.set_xlim(0.5, len(xs) + 0.5)
    right.set(ylabel="test accuracy", title="Test accuracy per run")
    right.set_ylim(min([*accs, b.set_bar]) - 0.002, max([*accs, b.our_bar]) + 0.002)
    right.grid(alpha=0.3)
    right.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig = left.figure
    fig.suptitle(f"{result.problem}: {describe_widths(list(result.recipe.widths))}")
    fig.tight_layout()
    return fig


def headline(result: BudgetResult) -> str:
    """The one line the command prints for 3B-3D."""
    accs = ", ".join(f"{a:.4f}" for a in result.test_accuracies)
    mark = "meets" if result.median >= result.budget.our_bar else "MISSES"
    return (
        f"{'+'.join(map(str, result.recipe.widths))}: test {accs}; median "
        f"{result.median:.4f} {mark} our bar {result.budget.our_bar}; "
        f"pass rate {result.pass_rate:.0%} at {result.budget.set_bar}"
    )


def rules_text(budget: Budget) -> str:
    """The set's rules for a budget, read off the budget and `companion.budget`'s checker."""
    n = budget.min_layers
    layers = f"at least {count(n, 'hidden layer')}"
    kinds = ", ".join(BUDGET_RULES.allowed[:-1]) + f" and {BUDGET_RULES.allowed[-1]}"
    return (
        f"Rules: at most {budget.max_units} hidden units in {layers}; only {kinds} layers "
        f"(activations: {', '.join(BUDGET_RULES.activations)}); categorical cross-entropy; inputs "
        "divided by 255. `check_budget` verified every model before training."
    )


def budget_text(result: BudgetResult, figures: Mapping[str, str] | None = None) -> str:
    """The report section for one of 3B-3D: the net, every run, the verdicts, the evidence."""
    b, r = result.budget, result.recipe
    table = pd.DataFrame(
        {
            "seed": [net.seed for net in result.nets],
            "validation accuracy": [f"{net.val_accuracy:.4f}" for net in result.nets],
            "test accuracy": [f"{a:.4f}" for a in result.test_accuracies],
            "reaches the set's bar": [
                "yes" if a >= b.set_bar else "no" for a in result.test_accuracies
            ],
        }
    )
    verdict_set = (
        f"It reaches the set's bar of {b.set_bar} in {result.pass_rate:.0%} of its runs, so "
        + (
            "it **passes** by the set's rule (more than half)."
            if result.pass_rate > pset.MLP_PASS_SHARE
            else "it **fails** the set's rule (more than half of the runs)."
        )
    )
    verdict_ours = f"The median test accuracy, {result.median:.4f}, " + (
        f"**meets** our bar of {b.our_bar}."
        if result.median >= b.our_bar
        else f"**misses** our bar of {b.our_bar} by {b.our_bar - result.median:.4f}."
    )
    paragraphs = [
        rules_text(b),
        f"The net: **{r.describe()}** ({sum(r.widths)} hidden units in "
        f"{count(len(r.widths), 'layer')}, {result.nets[0].params:,} parameters), trained "
        f"with {count(len(result.nets), 'seed')} on {result.train_images:,} images and "
        "scored once on the test set:",
        markdown_table(table).strip(),
        f"{verdict_set} {verdict_ours}",
    ]
    if result.quick:
        paragraphs.append(
            f"*Quick mode: {count(r.epochs, 'epoch')} on {result.train_images:,} training "
            "images, so these accuracies are far below what the full run reaches; they show "
            "the method, not the answer.*"
        )
    if figures and "runs" in figures:
        paragraphs.append(figures["runs"].strip())
    paragraphs += evidence_text(result)
    return "\n\n".join(paragraphs) + "\n"


text_3b = text_3c = text_3d = budget_text  # one text serves the three budgets


def evidence_text(result: BudgetResult) -> list[str]:
    """Why this net: the candidates' table, marked measured or quoted, and what it says."""
    e = result.exploration
    if e is None:
        return [
            f"**Why this net.** No exploration is stored for {result.problem} "
            f"(chapters/data/{result.problem}_candidates.csv is missing): rerun the "
            "candidates with `--explore`."
        ]
    m = e.meta
    how = (
        f"trained once each (seed {m.get('seed')}) on {m.get('data', 'unrecorded data')} and "
        "scored on the validation split only (the test set played no part)"
    )
    if e.measured:
        head = (
            f"**Why this net** ({MEASURED_MARK}): the candidates, {how}. "
            f"Their table is in `histories/{e.problem}_candidates.csv`, with its date, command "
            "and data in the `.json` beside it; copy both to `chapters/data/` to make it the "
            "table that runs without `--explore` quote."
        )
    else:
        date = m.get("date", "an unrecorded date")
        command = m.get("command", "an unrecorded command")
        head = (
            f"**Why this net** ({QUOTED_MARK}: `{e.source}`, explored on "
            f"{date} by `{command}`): the candidates, {how}. Rerun them with `--explore`."
        )
    paragraphs = [head, candidates_table(e.table).strip(), " ".join(choice_text(e.table))]
    if e.measured and result.quick:
        paragraphs.append(
            "*Quick mode: the candidates had the quick run's epochs and data, so this ranking "
            "says nothing about the full recipes.*"
        )
    return paragraphs + agreement_text(result)


def agreement(result: BudgetResult) -> str | None:
    """Where the quoted score of the chosen net lies against this run's validation seeds.

    "within", "above" or "below" their range; "incomparable" when this run's data differ
    from the exploration's; None when nothing is quoted for the chosen net.
    """
    e = result.exploration
    if e is None or e.measured or not e.table["chosen"].any():
        return None
    sizes = (e.meta.get("train_images"), e.meta.get("val_images"))
    if sizes != (result.train_images, result.val_images):
        return "incomparable"
    quoted = float(e.table.loc[e.table["chosen"].idxmax(), "val_accuracy"])
    vals = [net.val_accuracy for net in result.nets]
    return (
        "within"
        if min(vals) <= quoted <= max(vals)
        else ("above" if quoted > max(vals) else "below")
    )


def agreement_text(result: BudgetResult) -> list[str]:
    """This run's chosen net against the quoted score for it, when the data are alike."""
    where = agreement(result)
    if where is None:
        return []
    if where == "incomparable":
        return [
            f"This run's data ({result.train_images:,} training, {result.val_images:,} "
            "validation images) differ from the exploration's, so its validation scores "
            "are not comparable with the quoted ones."
        ]
    e = result.exploration
    quoted = float(e.table.loc[e.table["chosen"].idxmax(), "val_accuracy"])
    vals = [net.val_accuracy for net in result.nets]
    lo, hi = min(vals), max(vals)
    return [
        f"This run's {count(len(vals), 'seed')} of the chosen net reach {lo:.4f} to {hi:.4f} "
        f"on validation (a spread of {hi - lo:.4f}); the quoted {quoted:.4f} lies {where} "
        "that range. Differences between candidates smaller than such a spread are within "
        "seed noise."
    ]
