"""Chapter 3: depth vs width, fully connected nets on MNIST under hidden-unit budgets.

3A reads the data's facts off the arrays. 3B, 3C and 3D train the chosen net for each
budget (at most 100 units; 200 units in 2+ layers; 1000 units in 3+ layers) with several
seeds and report every run, the median and the pass rate. The study then asks how a
budget is best spent, one wide layer or several narrow ones, with several seeds per
shape and a keras-tuner search whose every draw fits the budget.

Architectures, dropout and epochs were chosen on the validation split; the test set is
used only for the final figures of 3B-3D. The candidates they were chosen from are
retrained by `--explore` (one seed each, validation only); without it, the report quotes
the table an earlier full-MNIST exploration stored in chapters/data/, with its date,
command and data.

    python -m chapters.ch3_depth_width --quick
    python -m chapters.ch3_depth_width --mnist mnist.npz
    python -m chapters.ch3_depth_width --mnist mnist.npz --explore --only 3B,3C,3D
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from companion.runner import Context, Problem, Section, run_chapter
from companion.search.cli import add_workers_flag

CHAPTER = "ch3_depth_width"
TITLE = "Chapter 3: Depth vs width on MNIST under hidden-unit budgets"
QUICK_SIZES = {"train": 6_667, "val": 1_333, "test": 2_000}  # the shipped sample's split


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Budget:
    """A problem's rules and bars: the set's bar, and ours (a median over seeds)."""

    max_units: int
    min_layers: int
    set_bar: float
    our_bar: float


BUDGETS = {
    "3B": Budget(100, 1, 0.975, 0.980),
    "3C": Budget(200, 2, 0.980, 0.984),
    "3D": Budget(1000, 3, 0.983, 0.987),
}


@dataclass(frozen=True)
class Recipe:
    """How one MLP is built and trained.

    Adam with the learning rate cosine-decayed to 0 over the run; categorical
    cross-entropy; inputs already divided by 255. `max_shift` moves each training image
    by up to that many pixels every epoch (augmentation in the input pipeline; 0: none).
    """

    widths: tuple[int, ...]
    dropout: float = 0.1
    input_dropout: float = 0.0
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 2e-3
    max_shift: int = 1

    def describe(self) -> str:
        """One line for reports."""
        shift = f"shifts up to {self.max_shift} px" if self.max_shift else "no augmentation"
        return (
            f"{'-'.join(map(str, self.widths))}, dropout {self.dropout:g}"
            + (f", input dropout {self.input_dropout:g}" if self.input_dropout else "")
            + f", {plural(self.epochs, 'epoch')}, batch {self.batch_size}, "
            f"Adam {self.learning_rate:g} "
            f"cosine-decayed, {shift}"
        )


def plural(n: int, noun: str) -> str:
    """'1 epoch', '20 epochs'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


CHOSEN = {
    "3B": Recipe((100,), dropout=0.1, epochs=20, batch_size=256, max_shift=1),
    "3C": Recipe((150, 50), dropout=0.1, epochs=20, batch_size=128, max_shift=1),
    "3D": Recipe((334, 333, 333), dropout=0.2, epochs=20, batch_size=256, max_shift=2),
}
# The candidates CHOSEN was picked from: at least two shapes per budget, plus training
# variants of the winner. `--explore` retrains them (one seed each, their own epochs,
# validation split only); the default run quotes the table a full-MNIST exploration
# stored in chapters/data/. The rule: CHOSEN is the candidate with the highest validation
# accuracy. One run each cannot rank candidates closer than CHOICE_TOLERANCE; the report
# names such close calls.
CANDIDATES = {
    "3B": (
        CHOSEN["3B"],
        Recipe((100,), dropout=0.1, epochs=20, batch_size=128, max_shift=0),
        Recipe((100,), dropout=0.0, epochs=20, batch_size=256, max_shift=2),
        Recipe((50, 50), dropout=0.1, epochs=20, batch_size=256, max_shift=1),
    ),
    "3C": (
        CHOSEN["3C"],
        Recipe((150, 50), dropout=0.1, epochs=20, batch_size=256, max_shift=1),
        Recipe((100, 100), dropout=0.1, epochs=20, batch_size=128, max_shift=1),
        Recipe((100, 50, 50), dropout=0.1, epochs=20, batch_size=128, max_shift=1),
    ),
    "3D": (
        Recipe((500, 300, 200), dropout=0.2, epochs=20, batch_size=256, max_shift=2),
        Recipe(
            (500, 300, 200), dropout=0.2, epochs=20, batch_size=128, learning_rate=1e-3, max_shift=2
        ),
        CHOSEN["3D"],
        Recipe((400, 300, 200, 100), dropout=0.2, epochs=20, batch_size=256, max_shift=2),
    ),
}
CHOICE_TOLERANCE = 0.0015
EXPLORED = Path(__file__).with_name("data")  # the stored exploration: <problem>_candidates.csv
SEEDS = 3
QUICK_EPOCHS = 1

STUDY_BUDGETS = (100, 200, 1000)
STUDY_DEPTHS = (1, 2, 4)  # even splits, e.g. 1x200, 2x100, 4x50
STUDY_TAPER = 0.5  # plus one uneven split per budget: 3 layers, each half the one before
# The study trains 36 nets plus the tuner's, so each is short: 2 epochs on the first
# 20,000 training images (0.8 full-MNIST epochs of work). It ranks the shapes under one
# small, equal training budget; the fully trained nets of 3B-3D score higher.
STUDY_EPOCHS, STUDY_SEEDS, STUDY_TRAIN, STUDY_BATCH = 2, 3, 20_000, 128
TUNER_TRIALS = 2
QUICK_STUDY_TRAIN = 2_000


# ----------------------------------------------------------------------------- data


def mnist(ctx: Context):
    """Flat MNIST for this run (loaded once): --mnist, else the usual search; --quick: small."""

    def load():
        from companion.data.mnist import load_mnist

        path = ctx.args.mnist
        data = load_mnist(path, flatten=True, sample=ctx.quick and path is None)
        note = ""
        if ctx.quick and not data.is_sample:
            data = trimmed(data, QUICK_SIZES)
            note = " (--quick: the first " + ", ".join(f"{v:,} {k}" for k, v in QUICK_SIZES.items())
            note += ")"
        ctx.folder.note_data("mnist", data.description + note)
        return data

    return ctx.cached("mnist", load)


def trimmed(data, sizes: dict[str, int]):
    """The same data with each split cut to at most `sizes[split]` images."""
    from dataclasses import replace

    cut = {}
    for split, n in sizes.items():
        cut[f"x_{split}"] = getattr(data, f"x_{split}")[:n]
        cut[f"y_{split}"] = getattr(data, f"y_{split}")[:n]
    return replace(data, **cut)


# ----------------------------------------------------------------------------- 3A


@dataclass
class DataFacts:
    """What problem 3A asks, read off the arrays."""

    height: int
    width: int
    pixel_levels: int
    pixel_min: int
    pixel_max: int
    zero_fraction: float
    counts: dict[str, int]
    per_class: dict[str, list[int]]
    flat_shape: list[int]
    one_hot_shape: list[int]


def data_facts(data) -> DataFacts:
    """Problem 3A: image size, what a pixel holds and its range, counts per split and class."""
    side = int(round(np.sqrt(data.x_train.shape[1])))
    raw = np.round(data.x_train * 255).astype(int)  # the loader divided the 0-255 bytes by 255
    counts = {s: len(getattr(data, f"y_{s}")) for s in ("train", "val", "test")}
    per_class = {
        s: np.bincount(getattr(data, f"y_{s}"), minlength=10).tolist()
        for s in ("train", "val", "test")
    }
    return DataFacts(
        height=side,
        width=data.x_train.shape[1] // side,
        pixel_levels=len(np.unique(raw)),
        pixel_min=int(raw.min()),
        pixel_max=int(raw.max()),
        zero_fraction=float((raw == 0).mean()),
        counts=counts,
        per_class=per_class,
        flat_shape=[counts["train"] + counts["val"], data.x_train.shape[1]],
        one_hot_shape=[counts["train"] + counts["val"], 10],
    )


def balance_text(counts: list[int]) -> str:
    """A sentence on how balanced the classes are, from their counts."""
    counts = np.asarray(counts)
    rare, common = int(counts.argmin()), int(counts.argmax())
    below = 1 - counts[rare] / counts.mean()
    above = counts[common] / counts.mean() - 1
    fair = (
        "so accuracy is a fair score" if max(below, above) < 0.25 else "so watch per-class scores"
    )
    return (
        f"In the training split the rarest class, {rare}, has {below:.0%} fewer images than "
        f"the mean and the commonest, {common}, {above:.0%} more: roughly balanced, {fair}."
    )


def plot_digits_per_class(data, *, per_class: int = 8, seed: int = 0):
    """A grid of training digits: one row per class."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(10, per_class, figsize=(0.9 * per_class, 9.4))
    for digit in range(10):
        picks = rng.choice(np.flatnonzero(data.y_train == digit), per_class, replace=False)
        for ax, i in zip(axes[digit], picks):
            ax.imshow(data.x_train[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[digit][0].set_ylabel(str(digit), rotation=0, labelpad=10, fontsize=11)
    fig.suptitle("Training digits, one row per class (dark = ink)")
    fig.tight_layout()
    return fig


def run_3a(ctx: Context) -> Section:
    data = mnist(ctx)
    facts = data_facts(data)
    c = facts.counts
    rows = [
        f"| {split} | {c[split]:,} | " + " | ".join(f"{n:,}" for n in facts.per_class[split]) + " |"
        for split in ("train", "val", "test")
    ]
    figure = ctx.folder.figure_md(
        plot_digits_per_class(data, seed=ctx.seed),
        "3A_digits",
        "Eight random training digits of each class",
    )
    markdown = "\n".join(
        [
            f"- **Image size**: each image is {facts.height} × {facts.width} pixels "
            f"({facts.height * facts.width} values once flattened).",
            f"- **A pixel** is a grey level stored as one byte: 0 is background, 255 full ink; "
            f"this data holds {facts.pixel_levels} distinct levels from {facts.pixel_min} to "
            f"{facts.pixel_max}, and {facts.zero_fraction:.0%} of all pixels are 0. The models "
            "see them divided by 255, in [0, 1].",
            f"- **Counts**: {c['train'] + c['val']:,} training images (split here into "
            f"{c['train']:,} for training and the last {c['val']:,} for validation) and "
            f"{c['test']:,} test images. Flattened, the training inputs are "
            f"{tuple(facts.flat_shape)} and the one-hot labels {tuple(facts.one_hot_shape)}.",
            "",
            "| split | images | " + " | ".join(str(d) for d in range(10)) + " |",
            "|---|---|" + "---|" * 10,
            *rows,
            "",
            balance_text(facts.per_class["train"]),
            "",
            figure,
        ]
    )
    headline = (
        f"{facts.height}x{facts.width} pixels 0-255; "
        f"{c['train']:,}/{c['val']:,}/{c['test']:,} train/val/test"
    )
    return Section(markdown, asdict(facts), headline)


# ----------------------------------------------------------------------------- training


@dataclass
class Run:
    """One trained net: its history and its final validation and test accuracy."""

    seed: int
    history: pd.DataFrame
    val_accuracy: float
    test_accuracy: float | None
    params: int
    epoch_seconds: float


def train_recipe(
    data,
    recipe: Recipe,
    *,
    seed: int,
    budget: Budget | None = None,
    epochs: int | None = None,
    test: bool = True,
) -> Run:
    """Build the recipe's MLP, check it against the budget, train it, score it.

    Args:
        data: flat MNIST (`load_mnist(..., flatten=True)`).
        recipe: the net and its training settings.
        seed: seeds the weights, the shuffling, the shifts and the dropout masks.
        budget: the rules to check the model against before training (None: no check).
        epochs: overrides the recipe's epochs.
        test: also score the test set (False while choosing).
    """
    import keras

    from companion.augment import shifted_batches
    from companion.budget import check_budget, mlp
    from companion.seed import set_seed
    from companion.training import one_hot, train

    set_seed(seed)
    model = mlp(recipe.widths, dropout=recipe.dropout, input_dropout=recipe.input_dropout)
    if budget is not None:
        check_budget(model, budget.max_units, budget.min_layers)
    epochs = int(epochs or recipe.epochs)
    batches = shifted_batches(
        data.x_train,
        one_hot(data.y_train),
        batch_size=recipe.batch_size,
        max_shift=recipe.max_shift,
        seed=seed,
    )
    steps = epochs * int(np.ceil(len(data.x_train) / recipe.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    history = train(
        model,
        batches,
        None,
        epochs=epochs,
        batch_size=None,
        validation_data=(data.x_val, one_hot(data.y_val)),
        optimizer=keras.optimizers.Adam(schedule),
        shuffle=False,  # the batches are shuffled (and shifted) by the pipeline
        steps_per_execution=8,  # fewer Python round trips per epoch; same maths
    )
    test_accuracy = None
    if test:
        test_accuracy = float(
            model.evaluate(data.x_test, one_hot(data.y_test), batch_size=2048, verbose=0)[1]
        )
    return Run(
        seed=seed,
        history=history,
        val_accuracy=float(history["val_accuracy"].iloc[-1]),
        test_accuracy=test_accuracy,
        params=model.count_params(),
        epoch_seconds=float(history["seconds"].median()),
    )


# ----------------------------------------------------------------------------- 3B-3D


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


@dataclass
class BudgetResult:
    """A chosen net trained with several seeds, scored on the test set."""

    problem: str
    budget: Budget
    recipe: Recipe
    runs: list[Run] = field(default_factory=list)
    train_images: int = 0
    val_images: int = 0
    quick: bool = False
    exploration: Exploration | None = None

    @property
    def test_runs(self) -> list[float]:
        return [r.test_accuracy for r in self.runs]

    @property
    def median(self) -> float:
        return float(statistics.median(self.test_runs))

    @property
    def pass_rate(self) -> float:
        """The share of runs at or above the set's bar (the set passes it above one half)."""
        return float(np.mean([acc >= self.budget.set_bar for acc in self.test_runs]))

    def summary(self) -> dict[str, Any]:
        """The numbers summary.json keeps."""
        widths = list(self.recipe.widths)
        out = {
            "widths": widths,
            "hidden_units": sum(widths),
            "hidden_layers": len(widths),
            "params": self.runs[0].params,
            "seeds": [r.seed for r in self.runs],
            "runs": self.test_runs,
            "val_runs": [r.val_accuracy for r in self.runs],
            "test_accuracy": self.median,
            "pass_rate": self.pass_rate,
            "passes_set_rule": self.pass_rate > 0.5,
            "set_bar": self.budget.set_bar,
            "our_bar": self.budget.our_bar,
            "meets_our_bar": self.median >= self.budget.our_bar,
            "epoch_seconds": float(np.median([r.epoch_seconds for r in self.runs])),
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


def budget_model(
    data,
    problem: str,
    *,
    recipe: Recipe | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int | None = None,
) -> BudgetResult:
    """Problems 3B-3D: train the chosen net of `problem` once per seed; score each on test."""
    budget, recipe = BUDGETS[problem], recipe or CHOSEN[problem]
    if epochs:
        recipe = replace(recipe, epochs=int(epochs))
    result = BudgetResult(problem, budget, recipe, [], len(data.x_train), len(data.x_val))
    for seed in seeds:
        result.runs.append(train_recipe(data, recipe, seed=seed, budget=budget))
    return result


def explore_candidates(
    data,
    problem: str,
    *,
    seed: int = 0,
    epochs: int | None = None,
    candidates: tuple[Recipe, ...] | None = None,
) -> pd.DataFrame:
    """Train each candidate recipe of `problem` once and score it on the validation split.

    Every candidate gets the same seed, so they differ by recipe only; each is checked
    against the budget; the test set plays no part. `epochs` overrides every candidate's.
    """
    rows = []
    for recipe in candidates or CANDIDATES[problem]:
        if epochs:
            recipe = replace(recipe, epochs=int(epochs))
        run = train_recipe(data, recipe, seed=seed, budget=BUDGETS[problem], test=False)
        rows.append(candidate_row(problem, recipe, run))
    return pd.DataFrame(rows)


def candidate_row(problem: str, recipe: Recipe, run: Run) -> dict[str, Any]:
    """One row of a candidates table: the recipe's settings and its run's scores."""
    settings = asdict(recipe)
    settings["widths"] = "-".join(map(str, recipe.widths))
    return {
        "problem": problem,
        **settings,
        "hidden_units": sum(recipe.widths),
        "params": run.params,
        "seed": run.seed,
        "val_accuracy": run.val_accuracy,
        "epoch_seconds": run.epoch_seconds,
    }


def recipe_of(row: Mapping[str, Any]) -> Recipe:
    """The recipe a candidates-table row describes."""
    return Recipe(
        tuple(int(w) for w in str(row["widths"]).split("-")),
        dropout=float(row["dropout"]),
        input_dropout=float(row["input_dropout"]),
        epochs=int(row["epochs"]),
        batch_size=int(row["batch_size"]),
        learning_rate=float(row["learning_rate"]),
        max_shift=int(row["max_shift"]),
    )


def mark_chosen(table: pd.DataFrame, recipe: Recipe) -> pd.DataFrame:
    """The table with a "chosen" column: True on the row that is `recipe`."""
    return table.assign(chosen=[recipe_of(row) == recipe for row in table.to_dict("records")])


def save_exploration(exploration: Exploration, folder: Path) -> Path:
    """Write <problem>_candidates.csv and, beside it, .json with its date, command, data."""
    from companion.report import write_json

    target = Path(folder) / f"{exploration.problem}_candidates.csv"
    exploration.table.drop(columns="chosen", errors="ignore").to_csv(target, index=False)
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


def explore(ctx: Context, data, problem: str, epochs: int | None) -> Exploration:
    """`--explore`: train `problem`'s candidates in this run and save their table."""
    import os
    import platform
    import time
    from datetime import datetime

    from companion.env import library_versions
    from companion.seed import derive_seed

    seed = derive_seed(ctx.seed, f"{problem}-explore")
    start = time.perf_counter()
    table = explore_candidates(data, problem, seed=seed, epochs=epochs)
    meta = {
        "problem": problem,
        "date": datetime.now().isoformat(timespec="minutes"),
        "command": explore_command(ctx.args, problem),
        "data": data.description.replace(data.source, Path(data.source).name),  # no local path
        "train_images": len(data.x_train),
        "val_images": len(data.x_val),
        "seed": seed,
        "runs_per_candidate": 1,
        "seconds": round(time.perf_counter() - start, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "versions": library_versions(),
    }
    chosen = replace(CHOSEN[problem], epochs=int(epochs)) if epochs else CHOSEN[problem]
    exploration = Exploration(problem, mark_chosen(table, chosen), True, meta, "this run")
    save_exploration(exploration, ctx.folder.histories)
    return exploration


def plot_budget_runs(result: BudgetResult, *, axes=None):
    """Left: validation accuracy per epoch, one line per run. Right: test accuracy per run."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from companion.budget import describe_widths

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = axes
    for i, run in enumerate(result.runs, 1):
        label = f"run {i} (seed {run.seed})"
        left.plot(run.history["epoch"], run.history["val_accuracy"], marker=".", label=label)
    left.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy per epoch")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower right")
    b = result.budget
    xs = np.arange(1, len(result.runs) + 1)
    right.scatter(xs, result.test_runs, color="C0", zorder=3, label="test accuracy")
    right.axhline(result.median, color="C0", lw=1, label=f"median {result.median:.4f}")
    right.axhline(b.set_bar, color="C3", ls="--", lw=1, label=f"set's bar {b.set_bar:.3f}")
    right.axhline(b.our_bar, color="C2", ls=":", lw=1.5, label=f"our bar {b.our_bar:.3f}")
    right.set_xticks(xs, [f"run {i}" for i in xs])
    right.set_xlim(0.5, len(xs) + 0.5)
    right.set(ylabel="test accuracy", title="Test accuracy per run")
    lo = min([*result.test_runs, b.set_bar]) - 0.002
    hi = max([*result.test_runs, b.our_bar]) + 0.002
    right.set_ylim(lo, hi)
    right.grid(alpha=0.3)
    right.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig = left.figure
    fig.suptitle(f"{result.problem}: {describe_widths(list(result.recipe.widths))}")
    fig.tight_layout()
    return fig


def run_budget(ctx: Context, problem: str) -> Section:
    """One of 3B-3D: (with --explore) its candidates, then the chosen net over seeds."""
    from companion.seed import derive_seed

    data = mnist(ctx)
    epochs = ctx.args.epochs or (QUICK_EPOCHS if ctx.quick else None)
    if getattr(ctx.args, "explore", False):
        exploration = explore(ctx, data, problem, epochs)
    else:
        exploration = stored_exploration(problem)
    seeds = tuple(derive_seed(ctx.seed, f"{problem}-{i}") for i in range(SEEDS))
    result = budget_model(data, problem, seeds=seeds, epochs=epochs)
    result.quick, result.exploration = ctx.quick, exploration
    for r in result.runs:
        ctx.folder.save_table(r.history, f"{problem}_seed{r.seed}")
    figures = {
        "runs": ctx.folder.figure_md(
            plot_budget_runs(result),
            f"{problem}_runs",
            f"{problem}: every run's validation curve and test accuracy, with the bars",
        )
    }
    return Section(budget_text(result, figures), result.summary(), headline(result))


def run_3b(ctx: Context) -> Section:
    """Problem 3B: the best net of at most 100 hidden units."""
    return run_budget(ctx, "3B")


def run_3c(ctx: Context) -> Section:
    """Problem 3C: the best net of at most 200 hidden units in at least 2 layers."""
    return run_budget(ctx, "3C")


def run_3d(ctx: Context) -> Section:
    """Problem 3D: the best net of at most 1000 hidden units in at least 3 layers."""
    return run_budget(ctx, "3D")


def headline(result: BudgetResult) -> str:
    """The one line the command prints for 3B-3D."""
    runs = ", ".join(f"{a:.4f}" for a in result.test_runs)
    mark = "meets" if result.median >= result.budget.our_bar else "MISSES"
    return (
        f"{'+'.join(map(str, result.recipe.widths))}: test {runs}; median "
        f"{result.median:.4f} {mark} our bar {result.budget.our_bar}; "
        f"pass rate {result.pass_rate:.0%} at {result.budget.set_bar}"
    )


def budget_title(budget: Budget) -> str:
    """A problem's title from its budget: 'At most 200 hidden units in at least 2 layers'."""
    layers = f" in at least {budget.min_layers} layers" if budget.min_layers > 1 else ""
    return f"At most {budget.max_units} hidden units{layers}"


def rules_text(budget: Budget) -> str:
    """The set's rules for a budget, read off the budget and `companion.mlp`'s checker."""
    from companion.budget import BUDGET_RULES

    n = budget.min_layers
    layers = f"at least {n} hidden layer" + ("s" if n != 1 else "")
    kinds = ", ".join(BUDGET_RULES.allowed[:-1]) + f" and {BUDGET_RULES.allowed[-1]}"
    return (
        f"Rules: at most {budget.max_units} hidden units in {layers}; only {kinds} layers "
        f"(activations: {', '.join(BUDGET_RULES.activations)}); categorical cross-entropy; inputs "
        "divided by 255. `check_budget` verified every model before training."
    )


def budget_text(result: BudgetResult, figures: Mapping[str, str] | None = None) -> str:
    """The report section for one of 3B-3D: the net, every run, the verdicts, the evidence."""
    from companion.report import markdown_table

    b, r = result.budget, result.recipe
    runs = pd.DataFrame(
        {
            "seed": [run.seed for run in result.runs],
            "validation accuracy": [f"{run.val_accuracy:.4f}" for run in result.runs],
            "test accuracy": [f"{run.test_accuracy:.4f}" for run in result.runs],
            "reaches the set's bar": [
                "yes" if run.test_accuracy >= b.set_bar else "no" for run in result.runs
            ],
        }
    )
    verdict_set = (
        f"It reaches the set's bar of {b.set_bar} in {result.pass_rate:.0%} of its runs, so "
        + (
            "it **passes** by the set's rule (more than half)."
            if result.pass_rate > 0.5
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
        f"{plural(len(r.widths), 'layer')}, {result.runs[0].params:,} parameters), trained "
        f"with {plural(len(result.runs), 'seed')} on {result.train_images:,} images and "
        "scored once on the test set:",
        markdown_table(runs).strip(),
        f"{verdict_set} {verdict_ours}",
    ]
    if result.quick:
        paragraphs.append(
            f"*Quick mode: {plural(r.epochs, 'epoch')} on {result.train_images:,} training "
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
            f"**Why this net** (measured by this run, `--explore`): the candidates, {how}. "
            f"Their table is in `histories/{e.problem}_candidates.csv`, with its date, command "
            "and data in the `.json` beside it; copy both to `chapters/data/` to make it the "
            "table that runs without `--explore` quote."
        )
    else:
        head = (
            f"**Why this net** (*quoted, not measured by this run*: `{e.source}`, explored on "
            f"{m.get('date', 'an unrecorded date')} by `{m.get('command', 'an unrecorded command')}`"
            f"): the candidates, {how}. Rerun them with `--explore`."
        )
    paragraphs = [head, candidates_table(e.table).strip(), " ".join(choice_text(e.table))]
    if e.measured and result.quick:
        paragraphs.append(
            "*Quick mode: the candidates had the quick run's epochs and data, so this ranking "
            "says nothing about the full recipes.*"
        )
    return paragraphs + agreement_text(result)


def candidates_table(table: pd.DataFrame) -> str:
    """The candidates as a Markdown table, best first, the chosen one marked."""
    from companion.report import markdown_table

    rows = table.sort_values("val_accuracy", ascending=False).to_dict("records")
    shown = pd.DataFrame(
        {
            "candidate": [recipe_of(row).describe() for row in rows],
            "parameters": [f"{int(row['params']):,}" for row in rows],
            "validation accuracy": [f"{row['val_accuracy']:.4f}" for row in rows],
            "s/epoch": [f"{row['epoch_seconds']:.1f}" for row in rows],
            "chosen": ["**chosen**" if row.get("chosen") else "" for row in rows],
        }
    )
    return markdown_table(shown)


def choice_text(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> list[str]:
    """Sentences on whether the candidates' scores support the chosen recipe, and on shape.

    The choice rule is the highest validation accuracy; gaps within `tolerance` are named
    as too close for one run each to rank.
    """
    ranked = table.sort_values("val_accuracy", ascending=False)
    best, chosen = ranked.iloc[0], ranked[ranked["chosen"]]
    if chosen.empty:
        verdict = (
            "The chapter's recipe is not among these candidates, so they do not test it: "
            "rerun `--explore`."
        )
        return [verdict, shape_text(table, tolerance)]
    c = chosen.iloc[0]
    gap = float(best["val_accuracy"] - c["val_accuracy"])
    if c.name == best.name:
        verdict = (
            f"The chosen recipe scored highest ({c['val_accuracy']:.4f}), as the choice rule asks"
        )
        if len(ranked) > 1 and c["val_accuracy"] - ranked.iloc[1]["val_accuracy"] <= tolerance:
            runner = ranked.iloc[1]
            verdict += (
                f"; the runner-up, {recipe_of(runner).describe()} "
                f"({runner['val_accuracy']:.4f}), is within {tolerance} of it, too close for "
                "one run each to rank"
            )
        verdict += "."
    elif gap <= tolerance:
        verdict = (
            f"The chosen recipe ({c['val_accuracy']:.4f}) is within {tolerance} of the best, "
            f"{recipe_of(best).describe()} ({best['val_accuracy']:.4f}): one run each cannot "
            "separate them, but the choice rule (highest validation accuracy) would pick the "
            "best."
        )
    else:
        verdict = (
            f"**These scores do not support the choice**: {recipe_of(best).describe()} "
            f"scored {best['val_accuracy']:.4f}, {gap:.4f} above the chosen recipe "
            f"({c['val_accuracy']:.4f}), more than one run each can blur ({tolerance})."
        )
    return [verdict, shape_text(table, tolerance)]


def shape_text(table: pd.DataFrame, tolerance: float = CHOICE_TOLERANCE) -> str:
    """A sentence ranking the candidates' shapes, each by its best recipe."""
    shapes = table.groupby("widths", sort=False)["val_accuracy"].max().sort_values(ascending=False)
    if len(shapes) < 2:
        return f"Only one shape was tried ({shapes.index[0]})."
    listed = ", ".join(f"{w}: {a:.4f}" for w, a in shapes.items())
    (top, first), (second, runner) = list(shapes.items())[:2]
    if first - runner <= tolerance:
        ranking = (
            f"{top} and {second} are within {tolerance} of each other, too close for one "
            "run each to rank"
        )
    else:
        ranking = f"{top} scores highest, {first - runner:.4f} above {second}"
    return f"By shape (each shape's best recipe): {listed}; {ranking}."


def agreement_text(result: BudgetResult) -> list[str]:
    """This run's chosen net against the quoted score for it, when the data are alike."""
    e = result.exploration
    if e is None or e.measured or not e.table["chosen"].any():
        return []
    sizes = (e.meta.get("train_images"), e.meta.get("val_images"))
    if sizes != (result.train_images, result.val_images):
        return [
            f"This run's data ({result.train_images:,} training, {result.val_images:,} "
            "validation images) differ from the exploration's, so its validation scores "
            "are not comparable with the quoted ones."
        ]
    quoted = float(e.table.loc[e.table["chosen"], "val_accuracy"].iloc[0])
    vals = [run.val_accuracy for run in result.runs]
    lo, hi = min(vals), max(vals)
    where = "within" if lo <= quoted <= hi else ("above" if quoted > hi else "below")
    return [
        f"This run's {plural(len(vals), 'seed')} of the chosen net reach {lo:.4f} to {hi:.4f} "
        f"on validation (a spread of {hi - lo:.4f}); the quoted {quoted:.4f} lies {where} "
        "that range. Differences between candidates smaller than such a spread are within "
        "seed noise."
    ]


# ----------------------------------------------------------------------------- the study


def study_shapes(
    budget: int, depths=STUDY_DEPTHS, taper: float = STUDY_TAPER
) -> list[tuple[int, ...]]:
    """The ways to spend a budget compared: even splits over each depth, plus one taper."""
    from companion.budget import split_budget

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
    tuner_budgets: tuple[int, ...] | None = None,
    tuner_dir=None,
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
    """
    if train_size:
        data = trimmed(data, {"train": train_size})
    rows, histories = [], {}
    for budget in budgets:
        for widths in (shapes or {}).get(budget) or study_shapes(budget):
            recipe = Recipe(
                widths, dropout=dropout, epochs=epochs, batch_size=batch_size, max_shift=0
            )
            runs = [train_recipe(data, recipe, seed=s, test=False) for s in seeds]
            name = f"study_{budget}_{'-'.join(map(str, widths))}"
            histories[name] = pd.concat(
                [r.history.assign(seed=r.seed) for r in runs], ignore_index=True
            )
            rows.append(study_row(budget, widths, runs))
    trials = pd.DataFrame()
    if tuner_dir is not None and tuner_trials > 0:
        trials = tune_budgets(
            data,
            budgets if tuner_budgets is None else tuner_budgets,
            epochs=epochs,
            trials=tuner_trials,
            directory=tuner_dir,
            resume=resume,
            seed=seeds[0],
            batch_size=batch_size,
            workers=workers,
            mnist=mnist,
        )
    return StudyResult(
        pd.DataFrame(rows), trials, histories, epochs, len(data.x_train), batch_size, dropout
    )


def study_row(budget: int, widths: tuple[int, ...], runs: list[Run]) -> dict[str, Any]:
    """One row of the study's table: a shape, its parameters and its seeds' scores."""
    accs = [r.val_accuracy for r in runs]
    return {
        "budget": budget,
        "widths": "-".join(map(str, widths)),
        "depth": len(widths),
        "even": max(widths) - min(widths) <= 1,
        "params": runs[0].params,
        "val_runs": accs,
        "val_median": float(np.median(accs)),
        "val_min": float(np.min(accs)),
        "val_max": float(np.max(accs)),
        "epoch_seconds": float(np.median([r.epoch_seconds for r in runs])),
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
    from pathlib import Path

    from companion.search import SearchSettings, run_search
    from companion.search.spaces import budget_mlp
    from companion.seed import derive_seed
    from companion.training import one_hot

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
        run = run_search(
            settings,
            Path(directory) / f"budget_{budget}",
            workers=workers,
            resume=resume,
            overwrite=not resume,
            data=loaded,
            verbose=False,
        )
        frame = run.trials
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
    import matplotlib.pyplot as plt

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
    """The depth-vs-width study: train every shape over seeds, search, report."""
    from companion.seed import derive_seed

    data = mnist(ctx)
    n_seeds, budgets, shapes, size = STUDY_SEEDS, STUDY_BUDGETS, None, STUDY_TRAIN
    tuned = budgets
    if ctx.quick:  # the method end to end in seconds: 1 budget, 2 shapes, 2 seeds, 2 trials
        n_seeds, budgets, size = 2, STUDY_BUDGETS[:1], QUICK_STUDY_TRAIN
        shapes = {b: study_shapes(b, depths=(1, 2))[:2] for b in budgets}
        tuned = budgets
    seeds = tuple(derive_seed(ctx.seed, f"study-{i}") for i in range(n_seeds))
    result = depth_width_study(
        data,
        budgets=budgets,
        seeds=seeds,
        epochs=ctx.args.epochs or (1 if ctx.quick else STUDY_EPOCHS),
        train_size=size,
        tuner_trials=2 if ctx.quick else TUNER_TRIALS,
        tuner_budgets=tuned,
        tuner_dir=ctx.folder.path / "tuner",
        resume=ctx.args.resume,
        shapes=shapes,
        workers=ctx.args.workers,
        mnist=ctx.args.mnist,
    )
    result.quick = ctx.quick
    for name, frame in result.histories.items():
        ctx.folder.save_table(frame, name)
    ctx.folder.save_table(result.table, "study_table")
    if not result.trials.empty:
        ctx.folder.save_table(result.trials, "study_tuner_trials")
    figures = {
        "study": ctx.folder.figure_md(plot_study(result.table, result.trials), *STUDY_FIGURE)
    }
    results = {
        "study": result.table.to_dict("records"),
        "tuner": result.trials.to_dict("records"),
        "seeds": list(seeds),
    }
    return Section(text_study(result, figures), results, study_headline(result.table))


STUDY_FIGURE = (
    "study_depth_width",
    "Validation accuracy against depth for each budget: median over seeds with the "
    "min-max spread; red crosses are the tuner's single-seed trials",
)


def study_headline(table: pd.DataFrame) -> str:
    """The study's one line: the best shape per budget."""
    best = table.loc[table.groupby("budget")["val_median"].idxmax()]
    return "; ".join(
        f"{row['budget']}: best {row['widths']} ({row['val_median']:.4f})"
        for row in best.to_dict("records")
    )


def text_study(result: StudyResult, figures: Mapping[str, str] | None = None) -> str:
    """The study's table and what it says, in words."""
    from companion.report import markdown_table

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
    seeds = len(t["val_runs"].iloc[0])
    paragraphs = [
        "Each budget is spent in several ways with the same short recipe "
        f"({study_recipe_text(result)}), each shape trained with {plural(seeds, 'seed')} and "
        "scored on the **validation** split. Training is short on purpose, so that every "
        "shape gets the same small budget of work: the table ranks ways to spend units, while "
        "the fully trained nets of 3B-3D show what each budget reaches.",
        markdown_table(shown).strip(),
        "\n".join(study_findings(t)),
    ]
    if not result.trials.empty:
        paragraphs += tuner_text(result.trials, t)
    if result.quick:
        paragraphs.append(
            f"*Quick mode: {plural(result.epochs, 'epoch')} on {result.train_images:,} "
            "images; the ranking is noise here.*"
        )
    if figures and "study" in figures:
        paragraphs.append(figures["study"].strip())
    return "\n\n".join(paragraphs) + "\n"


def study_recipe_text(result: StudyResult) -> str:
    """The study's training recipe in words."""
    return (
        f"{plural(result.epochs, 'epoch')} on the first {result.train_images:,} training "
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
        runner = part.drop(index=best.name).sort_values("val_median").iloc[-1]
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
    ones = part[part["depth"] == 1]
    if ones.empty or len(part) < 2:
        return ""
    one = ones.iloc[0]
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
    from companion.report import markdown_table

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


def tuner_vs_study(trials: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """Per budget, whether the tuner's best draw beat the study's best shape."""
    out = []
    for budget, tried in trials.groupby("budget", sort=False):
        part = table[table["budget"] == budget]
        if part.empty:
            continue
        best = tried.loc[tried["score"].idxmax()]
        study = part.loc[part["val_median"].idxmax()]
        noise = float((part["val_max"] - part["val_min"]).median())
        gap = float(best["score"] - study["val_median"])
        if abs(gap) <= noise:
            how = f"within the typical seed spread ({noise:.4f}) of"
        else:
            how = f"{abs(gap):.4f} {'above' if gap > 0 else 'below'}"
        out.append(
            f"At {budget} units the tuner's best draw, {best['widths']} ({best['score']:.4f}, "
            f"one seed), is {how} the study's best shape, {study['widths']} (median "
            f"{study['val_median']:.4f})."
        )
    return out


# ----------------------------------------------------------------------------- chapter

PROBLEMS = [
    Problem("3A", "The data", run_3a),
    Problem("3B", budget_title(BUDGETS["3B"]), run_3b),
    Problem("3C", budget_title(BUDGETS["3C"]), run_3c),
    Problem("3D", budget_title(BUDGETS["3D"]), run_3d),
    Problem("study", "Depth vs width: how to spend a budget", run_study),
]


def main(argv=None) -> int:
    """Run chapter 3 and write its run folder."""
    return run_chapter(
        CHAPTER,
        TITLE,
        PROBLEMS,
        argv,
        description=__doc__.splitlines()[0],
        uses_mnist=True,
        add_arguments=add_arguments,
        config={"chosen": {k: asdict(v) for k, v in CHOSEN.items()}},
    )


def add_arguments(parser) -> None:
    """Chapter 3's own flags: --workers (for the study's searches) and --explore."""
    add_workers_flag(parser)
    parser.add_argument(
        "--explore",
        action="store_true",
        help="3B-3D: also retrain the candidate recipes (one seed each) and report their "
        "measured table instead of the stored one; writes histories/<id>_candidates.csv/.json",
    )


if __name__ == "__main__":
    from companion.runner import use_headless_backend

    use_headless_backend()  # the command line draws to files; a notebook keeps its backend
    sys.exit(main())
