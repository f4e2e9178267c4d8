"""The depth-vs-width study: each budget spent several ways under one short recipe, several
seeds each, plus a keras-tuner search per budget whose every draw fits the budget.

Every shape is the net `study_net` writes out, trained by the chapter's `train_recipe`
(`model.compile`, `model.fit`); the searches draw from companion's `mlp-budget` space."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch3_depth_width.p3b_p3d_budgets import train_recipe
from chapters.ch3_depth_width.proxy_check import ProxyCheck, check_proxy, proxy_check_text
from chapters.ch3_depth_width.recipe import Recipe, TrainedNet
from chapters.ch3_depth_width.settings import (
    CHECK_PROBLEMS,
    CHOSEN,
    QUICK_EPOCHS,
    QUICK_SIZES,
    QUICK_STUDY_TRAIN,
    STUDY_BATCH,
    STUDY_BUDGETS,
    STUDY_DEPTHS,
    STUDY_EPOCHS,
    STUDY_SEEDS,
    STUDY_TAPER,
    STUDY_TRAIN,
    TUNER_TRIALS,
)
from companion.budget import split_budget
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.search import SearchSettings, run_search
from companion.search.spaces import budget_mlp
from companion.seed import derive_seed
from companion.training import one_hot
from companion.words import count


def study_net(widths: tuple[int, ...], dropout: float = 0.1) -> keras.Sequential:
    """One shape of the study: per hidden width Dense, ReLU and Dropout; then the softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            *[
                layer
                for width in widths
                for layer in (layers.Dense(width), layers.ReLU(), layers.Dropout(dropout))
            ],
            layers.Dense(10),
            layers.Softmax(),
        ],
        name="study_" + "_".join(map(str, widths)),
    )


def study_shapes(
    budget: int, depths=STUDY_DEPTHS, taper: float = STUDY_TAPER
) -> list[tuple[int, ...]]:
    """The ways to spend a budget compared: even splits over each depth, plus one taper."""
    shapes = [tuple(split_budget(budget, d)) for d in depths]
    shapes.append(tuple(split_budget(budget, 3, ratio=taper)))
    return shapes


@dataclass
class StudyResult:
    """The study's table (one row per budget and shape) and the tuner's trials."""

    table: pd.DataFrame
    trials: pd.DataFrame
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    # The short recipe every shape shared, for the text.
    epochs: int = STUDY_EPOCHS
    train_images: int = STUDY_TRAIN
    batch_size: int = STUDY_BATCH
    dropout: float = 0.1
    quick: bool = False
    check: ProxyCheck | None = None  # the verdicts retrained at the graded recipes

    @property
    def seeds(self) -> int:
        """How many seeds each shape trained with."""
        return int(self.table["val_runs"].map(len).max()) if len(self.table) else 0


def depth_width_study(
    data,
    *,
    budgets: tuple[int, ...] = STUDY_BUDGETS,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int = STUDY_EPOCHS,
    train_size: int | None = STUDY_TRAIN,
    batch_size: int = STUDY_BATCH,
    dropout: float = 0.1,
    tuner_trials: int = TUNER_TRIALS,
    tuner_dir=None,
    tuner_seed: int = 0,
    resume: bool = False,
    shapes: dict[int, list[tuple[int, ...]]] | None = None,
    workers: int = 0,
    mnist=None,
) -> StudyResult:
    """The depth-vs-width study: each budget spent several ways, several seeds each.

    Scored on the validation split (this is model choice, not the final answer), with
    short training on the first `train_size` training images and no augmentation, so
    every shape gets the same recipe. Then, when `tuner_dir` is given, a random search
    per budget over depth, taper and dropout whose draws never exceed the budget.

    `seeds` seed the shapes' nets (one net per seed); `tuner_seed` the searches' draws.
    """
    if train_size:
        data = data.subset(train=train_size)
    rows, histories = [], {}
    for budget in budgets:
        for widths in (shapes or {}).get(budget) or study_shapes(budget):
            recipe = Recipe(
                widths, dropout=dropout, epochs=epochs, batch_size=batch_size, max_shift=0
            )
            build = partial(study_net, widths, dropout)
            nets = [train_recipe(data, recipe, seed=s, test=False, build=build) for s in seeds]
            histories[f"study_{budget}_{recipe.shape}"] = pd.concat(
                [net.history.assign(seed=net.seed) for net in nets], ignore_index=True
            )
            rows.append(study_row(budget, widths, nets))
    trials = pd.DataFrame()
    if tuner_dir is not None and tuner_trials > 0:
        trials = tune_budgets(
            data,
            budgets,
            epochs=epochs,
            trials=tuner_trials,
            directory=tuner_dir,
            resume=resume,
            seed=tuner_seed,
            batch_size=batch_size,
            workers=workers,
            mnist=mnist,
        )
    return StudyResult(
        pd.DataFrame(rows),
        trials,
        histories,
        epochs=epochs,
        train_images=len(data.x_train),
        batch_size=batch_size,
        dropout=dropout,
    )


def study_row(budget: int, widths: tuple[int, ...], nets: list[TrainedNet]) -> dict[str, Any]:
    """One row of the study's table: a shape, its parameters and its seeds' scores."""
    accs = [net.val_accuracy for net in nets]
    return {
        "budget": budget,
        "widths": "-".join(map(str, widths)),
        "depth": len(widths),
        "even": max(widths) - min(widths) <= 1,
        "params": nets[0].params,
        "val_runs": accs,
        "val_median": float(np.median(accs)),
        "val_min": float(np.min(accs)),
        "val_max": float(np.max(accs)),
        "epoch_seconds": float(np.median([net.epoch_seconds for net in nets])),
    }


def tune_budgets(
    data,
    budgets: tuple[int, ...],
    *,
    epochs: int,
    trials: int,
    directory,
    resume: bool = False,
    seed: int = 0,
    batch_size: int = STUDY_BATCH,
    workers: int = 0,
    mnist=None,
) -> pd.DataFrame:
    """A keras-tuner random search per budget over depth (1-4), taper and dropout.

    companion's `mlp-budget` space; `workers` > 0 runs each search with that many worker
    processes (they load the data themselves: `mnist` is the file `data` came from).
    """
    frames = []
    x, y = data.x_train, one_hot(data.y_train)
    loaded = (x, y, data.x_val, one_hot(data.y_val), data.description)
    for budget in budgets:
        settings = SearchSettings(
            space="mlp-budget",
            budget=budget,
            tuner="random",
            max_trials=trials,
            epochs=epochs,
            images=len(x),
            val_images=len(data.x_val),
            batch_size=batch_size,
            seed=derive_seed(seed, f"tuner-{budget}"),  # each budget its own draws
            mnist=None if mnist is None else str(mnist),
            sample=data.is_sample and mnist is None,
            flat=True,
        )
        search = run_search(
            settings,
            Path(directory) / f"budget_{budget}",
            workers=workers,
            resume=resume,
            overwrite=not resume,
            data=loaded,
            verbose=False,
        )
        frame = search.trials
        hypermodel = budget_mlp(settings, len(x))
        frame.insert(0, "budget", budget)
        frame["widths"] = ["-".join(map(str, hypermodel.widths(v))) for v in _values(frame)]
        frame["depth"] = frame["layers"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _values(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v))}
        for row in frame.to_dict("records")
    ]


def plot_study(table: pd.DataFrame, trials: pd.DataFrame | None = None, *, axes=None):
    """Validation accuracy against depth, one panel per budget, seed spread as bars."""
    budgets = list(dict.fromkeys(table["budget"]))
    if axes is None:
        fig, axes = plt.subplots(1, len(budgets), figsize=(4.3 * len(budgets), 3.8), squeeze=False)
        axes = axes[0]
    for ax, budget in zip(axes, budgets):
        part = table[table["budget"] == budget]
        for even, style, label in ((True, "o-", "even split"), (False, "s", "tapered split")):
            rows = part[part["even"] == even].sort_values("depth")
            if rows.empty:
                continue
            spread = [rows["val_median"] - rows["val_min"], rows["val_max"] - rows["val_median"]]
            ax.errorbar(
                rows["depth"] + (0 if even else 0.08),
                rows["val_median"],
                yerr=spread,
                fmt=style,
                capsize=3,
                label=label + " (median, min-max)",
            )
            for _, row in rows.iterrows():
                ax.annotate(
                    f"{row['widths']}\n{row['params'] / 1000:.0f}k params",
                    (row["depth"], row["val_median"]),
                    textcoords="offset points",
                    xytext=(4, -18 if even else 6),
                    fontsize=6,
                )
        if trials is not None and not trials.empty:
            tuned = trials[trials["budget"] == budget]
            ax.scatter(
                tuned["depth"] - 0.08,
                tuned["score"],
                marker="x",
                color="C3",
                label="tuner trials (1 seed)",
            )
        ax.set(xlabel="hidden layers", ylabel="validation accuracy", title=f"budget {budget} units")
        depths = set(part["depth"])
        if trials is not None and not trials.empty:
            depths |= set(trials.loc[trials["budget"] == budget, "depth"])
        ax.set_xticks(sorted(depths))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig = axes[0].figure
    fig.suptitle("Depth vs width: validation accuracy after the same short training")
    fig.tight_layout()
    return fig


def run_study(ctx: Context) -> Section:
    """The depth-vs-width study: every shape over seeds, a budget-bound search, the reading,
    and the study's verdicts checked at the graded recipes of 3B and 3C."""
    quick = ctx.quick  # the method end to end in seconds: 1 budget, 2 shapes, 2 seeds, 2 trials
    budgets = STUDY_BUDGETS[:1] if quick else STUDY_BUDGETS
    seeds = tuple(ctx.seed_for(f"seed-{i}") for i in range(2 if quick else STUDY_SEEDS))
    data = ctx.mnist(flatten=True, quick_sizes=QUICK_SIZES)
    result = depth_width_study(
        data,
        budgets=budgets,
        seeds=seeds,
        epochs=ctx.epochs(1 if quick else STUDY_EPOCHS),
        train_size=QUICK_STUDY_TRAIN if quick else STUDY_TRAIN,
        tuner_trials=TUNER_TRIALS,
        tuner_dir=ctx.folder.folder_for("tuner"),  # the study's: a rerun moves it aside
        tuner_seed=ctx.seed_for("tuner"),
        resume=ctx.args.resume,
        shapes={b: study_shapes(b, depths=(1, 2))[:2] for b in budgets} if quick else None,
        workers=ctx.args.workers,
        mnist=ctx.args.mnist,
    )
    result.quick = quick
    result.check = check_proxy(  # quick: one seed, one epoch (labelled in the text)
        data,
        result.table,
        study_verdicts(result.table),
        {b: (p, CHOSEN[p]) for b, p in CHECK_PROBLEMS.items()},
        seeds=seeds[:1] if quick else seeds,
        epochs=ctx.epochs(QUICK_EPOCHS if quick else None),
    )
    result.check.quick = quick
    for name, frame in result.histories.items():
        ctx.folder.save_table(frame, name)
    ctx.folder.save_table(result.table, "study_table")
    if not result.trials.empty:
        ctx.folder.save_table(result.trials, "study_tuner_trials")
    figure = ctx.folder.figure_md(plot_study(result.table, result.trials), *STUDY_FIGURE)
    results = {
        "study": result.table.to_dict("records"),
        "tuner": result.trials.to_dict("records"),
        "seeds": list(seeds),
        "verdicts": {str(b): v for b, v in study_verdicts(result.table).items()},
        "proxy_check": result.check.summary(),
    }
    return Section(text_study(result, {"study": figure}), results, study_headline(result))


STUDY_FIGURE = (
    "study_depth_width",
    "Validation accuracy against depth for each budget: median over seeds with the "
    "min-max spread; red crosses are the tuner's single-seed trials",
)


def study_headline(result: StudyResult) -> str:
    """The study's one line: the best shape per budget, and how the checked verdicts fared."""
    table = result.table
    best = table.loc[table.groupby("budget")["val_median"].idxmax()]
    line = "; ".join(
        f"{row['budget']}: best {row['widths']} ({row['val_median']:.4f})"
        for row in best.to_dict("records")
    )
    if result.check is not None and result.check.checks:
        line += "; at the graded recipe the verdict " + ", ".join(
            f"{c.outcome} at {c.budget}" for c in result.check.checks
        )
    return line


def study_verdicts(table: pd.DataFrame) -> dict[int, str]:
    """The study's verdict per budget: "deeper", "wider" or "tie" (`budget_finding`)."""
    return {
        int(budget): budget_finding(part)[0] for budget, part in table.groupby("budget", sort=False)
    }


def text_study(result: StudyResult, figures: Mapping[str, str] | None = None) -> str:
    """The study's table and what it says, in words."""
    t = result.table
    shown = pd.DataFrame(
        {
            "budget": t["budget"],
            "widths": t["widths"],
            "depth": t["depth"],
            "parameters": [f"{p:,}" for p in t["params"]],
            "validation accuracy per seed": [
                ", ".join(f"{a:.4f}" for a in runs) for runs in t["val_runs"]
            ],
            "median": [f"{a:.4f}" for a in t["val_median"]],
            "spread": [f"{a:.4f}" for a in t["val_max"] - t["val_min"]],
            "s/epoch": [f"{a:.2f}" for a in t["epoch_seconds"]],
        }
    )
    paragraphs = [
        "Each budget is spent in several ways with the same short recipe "
        f"({study_recipe_text(result)}), each shape trained with "
        f"{count(result.seeds, 'seed')} and scored on the **validation** split. Training "
        "is short on purpose, so that every shape gets the same small budget of work: the "
        "table ranks ways to spend units, while the fully trained nets of 3B-3D show what "
        "each budget reaches.",
        markdown_table(shown).strip(),
        "\n".join(study_findings(t)),
    ]
    if not result.trials.empty:
        paragraphs += tuner_text(result.trials, t)
    if result.quick:
        paragraphs.append(
            f"*Quick mode: {count(result.epochs, 'epoch')} on {result.train_images:,} "
            "images; the ranking is noise here.*"
        )
    if figures and "study" in figures:
        paragraphs.append(figures["study"].strip())
    if result.check is not None and result.check.checks:
        paragraphs.append(proxy_check_text(result.check))
    return "\n\n".join(paragraphs) + "\n"


def study_recipe_text(result: StudyResult) -> str:
    """The study's training recipe in words."""
    return (
        f"{count(result.epochs, 'epoch')} on the first {result.train_images:,} training "
        f"images, batch {result.batch_size}, Adam 2e-3 cosine-decayed, dropout "
        f"{result.dropout:g}, no augmentation"
    )


def study_findings(table: pd.DataFrame) -> list[str]:
    """Sentences that read the study's table, chosen by its numbers."""
    out, verdicts = [], {"deeper": [], "wider": [], "tie": []}
    for budget, part in table.groupby("budget", sort=False):
        kind, sentence = budget_finding(part)
        verdicts[kind].append(str(budget))
        out.append(f"- **{budget} units**: {sentence}")
    phrases = [
        f"depth pays at {', '.join(verdicts['deeper'])} units"
        if verdicts["deeper"]
        else "depth does not beat width at any budget here",
    ]
    if verdicts["wider"]:
        phrases.append(f"the single wide layer wins at {', '.join(verdicts['wider'])} units")
    if verdicts["tie"]:
        phrases.append(
            f"the best shape is within seed noise of the shallowest at "
            f"{', '.join(verdicts['tie'])} units"
        )
    out.append(f"- In short: {'; '.join(phrases)}. {parameter_text(table)}")
    return out


def budget_finding(part: pd.DataFrame) -> tuple[str, str]:
    """For one budget's rows: "deeper", "wider" or "tie", and the sentence that says so."""
    best = part.loc[part["val_median"].idxmax()]
    one = part.loc[part["depth"].idxmin()]  # one wide layer, when the study has it
    wide = (
        f"one layer of {one['widths']}" if one["depth"] == 1 else f"the shallowest, {one['widths']}"
    )
    noise = float((part["val_max"] - part["val_min"]).median())
    spread = f"the typical seed spread ({noise:.4f})"
    if best.name != one.name:
        gap = float(best["val_median"] - one["val_median"])
        if gap > noise:
            kind = "deeper"
            verdict = (
                f"splitting wins: {best['widths']} ({best['val_median']:.4f}) beats {wide} "
                f"({one['val_median']:.4f}) by {gap:.4f}, more than {spread}"
            )
        else:
            kind = "tie"
            verdict = (
                f"{wide} ({one['val_median']:.4f}) is as good as any split: the best, "
                f"{best['widths']} ({best['val_median']:.4f}), is within {spread} of it"
            )
    else:
        others = part.drop(index=best.name)
        runner = others.loc[others["val_median"].idxmax()]
        gap = float(best["val_median"] - runner["val_median"])
        kind = "wider" if gap > noise else "tie"
        verdict = (
            f"{wide} is best ({one['val_median']:.4f}); the best split, {runner['widths']} "
            f"({runner['val_median']:.4f}), is {'beyond' if gap > noise else 'within'} {spread} "
            "of it"
        )
    worst = part.loc[part["val_median"].idxmin()]
    weakest = f"The weakest shape is {worst['widths']} ({worst['val_median']:.4f}"
    if worst.name != one.name:
        weakest += (
            f", {int(worst['params']):,} parameters against {int(one['params']):,} for {wide})"
        )
    else:
        weakest += ", the shallowest)"
    return kind, f"{verdict}. {weakest}."


def parameter_text(table: pd.DataFrame, num_classes: int = 10) -> str:
    """How much splitting a budget changes the parameter count, read off the table."""
    part = table[table["budget"] == table["budget"].max()]
    one = part.loc[part["depth"].idxmin()]
    if one["depth"] != 1 or len(part) < 2:
        return ""
    small = part.loc[part["params"].idxmin()]
    units = int(one["budget"])
    per_unit = (int(one["params"]) - num_classes) / units - num_classes  # inputs + bias
    change = "shrinks" if small["params"] < one["params"] else "does not shrink"
    return (
        f"Splitting {change} the model: the first hidden layer costs {per_unit:.0f} parameters "
        f"per unit (one per input pixel, plus a bias), so at {units} units {small['widths']} has "
        f"{int(small['params']):,} parameters against {int(one['params']):,} for one layer, "
        "while the extra layers compose features."
    )


def tuner_text(trials: pd.DataFrame, table: pd.DataFrame | None = None) -> list[str]:
    """The tuner's trials as paragraphs, with its best draw per budget against the study's."""
    shown = pd.DataFrame(
        {
            "budget": trials["budget"],
            "trial": trials["trial_id"],
            "widths": trials["widths"],
            "dropout": [f"{d:g}" for d in trials["dropout"]],
            "validation accuracy": [f"{a:.4f}" for a in trials["score"]],
            "seconds": [f"{a:.0f}" for a in trials["seconds"]],
        }
    )
    out = [
        "A keras-tuner random search per budget over depth (1-4), taper (even or halving) and "
        "dropout (0, 0.1, 0.2); widths come from the budget, so no draw exceeds it "
        "(`BudgetHyperModel`). One seed per trial, same epochs:",
        markdown_table(shown).strip(),
    ]
    if table is not None and not table.empty:
        out.append(" ".join(tuner_vs_study(trials, table)))
    return out


def tuner_gaps(trials: pd.DataFrame, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per budget, the tuner's best draw against the study's best shape.

    Each record: the two shapes and scores, the gap (tuner minus study median), the
    typical seed spread, and the verdict: "above", "below" or "within noise" (the gap
    no larger than the spread).
    """
    out = []
    for budget, tried in trials.groupby("budget", sort=False):
        part = table[table["budget"] == budget]
        if part.empty:
            continue
        best = tried.loc[tried["score"].idxmax()]
        study = part.loc[part["val_median"].idxmax()]
        noise = float((part["val_max"] - part["val_min"]).median())
        gap = float(best["score"] - study["val_median"])
        verdict = "within noise" if abs(gap) <= noise else ("above" if gap > 0 else "below")
        out.append(
            {
                "budget": budget,
                "tuner": best["widths"],
                "tuner_score": float(best["score"]),
                "study": study["widths"],
                "study_median": float(study["val_median"]),
                "gap": gap,
                "noise": noise,
                "verdict": verdict,
            }
        )
    return out


def tuner_vs_study(trials: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """Per budget, whether the tuner's best draw beat the study's best shape."""
    out = []
    for g in tuner_gaps(trials, table):
        if g["verdict"] == "within noise":
            how = f"within the typical seed spread ({g['noise']:.4f}) of"
        else:
            how = f"{abs(g['gap']):.4f} {g['verdict']}"
        out.append(
            f"At {g['budget']} units the tuner's best draw, {g['tuner']} "
            f"({g['tuner_score']:.4f}, one seed), is {how} the study's best shape, "
            f"{g['study']} (median {g['study_median']:.4f})."
        )
    return out
