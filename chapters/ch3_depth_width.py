"""Chapter 3: depth vs width, fully connected nets on MNIST under hidden-unit budgets.

3A reads the data's facts off the arrays. 3B, 3C and 3D train the chosen net for each
budget (at most 100 units; 200 units in 2+ layers; 1000 units in 3+ layers) with several
seeds and report every run, the median and the pass rate. The study then asks how a
budget is best spent, one wide layer or several narrow ones, with several seeds per
shape and a keras-tuner search whose every draw fits the budget.

Architectures, dropout and epochs were chosen on the validation split; the test set is
used only for the final figures of 3B-3D.

    python -m chapters.ch3_depth_width --quick
    python -m chapters.ch3_depth_width --mnist mnist.npz
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from companion.runner import Context, Problem, Section, run_chapter

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
            + f", {self.epochs} epochs, batch {self.batch_size}, Adam {self.learning_rate:g} "
            f"cosine-decayed, {shift}"
        )


CHOSEN = {
    "3B": Recipe((100,), dropout=0.1, epochs=20, batch_size=256, max_shift=1),
    "3C": Recipe((150, 50), dropout=0.1, epochs=20, batch_size=128, max_shift=1),
    "3D": Recipe((500, 300, 200), dropout=0.2, epochs=20, batch_size=256, max_shift=2),
}
# How CHOSEN was picked: candidates trained once (seed 0) on full MNIST, 50,000 train /
# 10,000 validation images, Adam cosine-decayed; their final validation accuracy. The
# cheaper of two candidates within 0.0015 of each other was kept, for the time budget.
CANDIDATES = {
    "3B": [
        ("100, dropout 0.1, batch 128, no shifts", 0.9807),
        ("100, dropout 0.2, input dropout 0.2, batch 128, no shifts", 0.9789),
        ("100, dropout 0, batch 128, shifts of 2 px", 0.9813),
        ("100, dropout 0.1, batch 128, shifts of 1 px", 0.9825),
        ("100, dropout 0.1, batch 256, shifts of 1 px (chosen: 35% faster)", 0.9822),
    ],
    "3C": [
        ("100-100, batch 128, shifts of 2 px", 0.9822),
        ("100-100, batch 128, shifts of 1 px", 0.9855),
        ("128-72, batch 128, shifts of 1 px", 0.9863),
        ("150-50, batch 256, shifts of 1 px", 0.9849),
        ("150-50, batch 128, shifts of 1 px (chosen)", 0.9875),
    ],
    "3D": [
        ("500-300-200, batch 128, Adam 1e-3, 15 epochs", 0.9871),
        ("500-300-200, batch 128, Adam 1e-3, 20 epochs", 0.9890),
        ("500-300-200, batch 256, Adam 2e-3, 15 epochs", 0.9869),
        ("500-300-200, batch 256, Adam 2e-3, 20 epochs (chosen: 25% faster)", 0.9876),
    ],
}
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
        ctx.run.note_data("mnist", data.description + note)
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
    figure = ctx.run.figure_md(
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
class BudgetResult:
    """A chosen net trained with several seeds, scored on the test set."""

    problem: str
    budget: Budget
    recipe: Recipe
    runs: list[Run] = field(default_factory=list)

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
        return {
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


def budget_model(
    data,
    problem: str,
    *,
    recipe: Recipe | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int | None = None,
) -> BudgetResult:
    """Problems 3B-3D: train the chosen net of `problem` once per seed; score each on test."""
    from dataclasses import replace

    budget, recipe = BUDGETS[problem], recipe or CHOSEN[problem]
    if epochs:
        recipe = replace(recipe, epochs=int(epochs))
    result = BudgetResult(problem, budget, recipe)
    for seed in seeds:
        result.runs.append(train_recipe(data, recipe, seed=seed, budget=budget))
    return result


def plot_budget_runs(result: BudgetResult, *, axes=None):
    """Left: validation accuracy per epoch, one line per run. Right: test accuracy per run."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

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
    from companion.budget import describe_widths

    fig.suptitle(f"{result.problem}: {describe_widths(list(result.recipe.widths))}")
    fig.tight_layout()
    return fig


def make_budget_runner(problem: str):
    """The run_<id> function for one of 3B-3D."""

    def run(ctx: Context) -> Section:
        from companion.seed import derive_seed

        seeds = tuple(derive_seed(ctx.seed, f"{problem}-{i}") for i in range(SEEDS))
        epochs = ctx.args.epochs or (QUICK_EPOCHS if ctx.quick else None)
        result = budget_model(mnist(ctx), problem, seeds=seeds, epochs=epochs)
        for r in result.runs:
            ctx.run.save_history(r.history, f"{problem}_seed{r.seed}")
        figure = ctx.run.figure_md(
            plot_budget_runs(result),
            f"{problem}_runs",
            f"{problem}: every run's validation curve and test accuracy, with the bars",
        )
        return Section(budget_text(result, ctx) + "\n" + figure, result.summary(), headline(result))

    return run


def candidates_table(problem: str) -> list[str]:
    """The validation scores that picked a problem's net, as table lines."""
    rows = [f"| {name} | {acc:.4f} |" for name, acc in CANDIDATES.get(problem, [])]
    return ["| candidate | validation accuracy |", "|---|---|", *rows]


def headline(result: BudgetResult) -> str:
    """The one line the command prints for 3B-3D."""
    runs = ", ".join(f"{a:.4f}" for a in result.test_runs)
    mark = "meets" if result.median >= result.budget.our_bar else "MISSES"
    return (
        f"{'+'.join(map(str, result.recipe.widths))}: test {runs}; median "
        f"{result.median:.4f} {mark} our bar {result.budget.our_bar}; "
        f"pass rate {result.pass_rate:.0%} at {result.budget.set_bar}"
    )


def budget_text(result: BudgetResult, ctx: Context) -> str:
    """The report section for one of 3B-3D: the net, every run, the verdicts in words."""
    b, r = result.budget, result.recipe
    layers = "at least one hidden layer" if b.min_layers == 1 else f"at least {b.min_layers}"
    rows = [
        f"| {run.seed} | {run.val_accuracy:.4f} | {run.test_accuracy:.4f} | "
        f"{'yes' if run.test_accuracy >= b.set_bar else 'no'} |"
        for run in result.runs
    ]
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
    quick = (
        "\n\n*Quick mode: a few epochs on a small sample, so these accuracies are far below "
        "what the full run reaches; they show the method, not the answer.*"
        if ctx.quick
        else ""
    )
    return "\n".join(
        [
            f"Rules: at most {b.max_units} hidden units, {layers}; only Dense, ReLU, Softmax, "
            "Dropout and Flatten layers; categorical cross-entropy; inputs divided by 255. "
            "`check_budget` verified the model before training.",
            "",
            f"The net: **{r.describe()}** "
            f"({sum(r.widths)} hidden units in {len(r.widths)} layer(s), "
            f"{result.runs[0].params:,} parameters). It was chosen on the validation split "
            "among these candidates (one seed each, full MNIST, 20 epochs unless said; "
            "the test set played no part):",
            "",
            *candidates_table(result.problem),
            "",
            "Each chosen net was then trained with "
            f"{len(result.runs)} seeds and scored once on the test set:",
            "",
            "| seed | validation accuracy | test accuracy | reaches the set's bar |",
            "|---|---|---|---|",
            *rows,
            "",
            f"{verdict_set} {verdict_ours}{quick}",
            "",
        ]
    )


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
        )
    return StudyResult(pd.DataFrame(rows), trials, histories)


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
) -> pd.DataFrame:
    """A keras-tuner random search per budget over depth (1-4), taper and dropout."""
    from companion.budget import BudgetHyperModel
    from companion.seed import derive_seed
    from companion.training import one_hot
    from companion.tuning import make_tuner, trials_dataframe

    frames = []
    steps = epochs * int(np.ceil(len(data.x_train) / batch_size))
    for budget in budgets:
        hypermodel = BudgetHyperModel(
            budget,
            1,
            4,
            ratios=(1.0, 0.5),
            dropouts=(0.0, 0.1, 0.2),
            learning_rates=(2e-3,),
            decay_steps=steps,
        )
        tuner = make_tuner(
            "random",
            hypermodel,
            directory=directory,
            project=f"budget_{budget}",
            seed=derive_seed(seed, f"tuner-{budget}"),  # each budget its own draws
            max_trials=trials,
            overwrite=not resume,
            resume=resume,
        )
        tuner.search(
            data.x_train,
            one_hot(data.y_train),
            validation_data=(data.x_val, one_hot(data.y_val)),
            epochs=epochs,
            batch_size=batch_size,
            verbose=0,
        )
        frame = trials_dataframe(tuner)
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
        tuner_dir=ctx.run.path / "tuner",
        resume=ctx.args.resume,
        shapes=shapes,
    )
    for name, frame in result.histories.items():
        ctx.run.save_history(frame, name)
    ctx.run.save_history(result.table, "study_table")
    if not result.trials.empty:
        ctx.run.save_history(result.trials, "study_tuner_trials")
    figure = ctx.run.figure_md(
        plot_study(result.table, result.trials),
        "study_depth_width",
        "Validation accuracy against depth for each budget: median over seeds with the "
        "min-max spread; red crosses are the tuner's single-seed trials",
    )
    markdown = study_text(result, ctx) + "\n" + figure
    best = result.table.loc[result.table.groupby("budget")["val_median"].idxmax()]
    head = "; ".join(f"{r.budget}: best {r.widths} ({r.val_median:.4f})" for r in best.itertuples())
    results = {
        "study": result.table.to_dict("records"),
        "tuner": result.trials.to_dict("records"),
        "seeds": list(seeds),
    }
    return Section(markdown, results, head)


def study_text(result: StudyResult, ctx: Context) -> str:
    """The study's table and what it says, in words."""
    t = result.table
    lines = [
        "Each budget is spent in several ways with the same short recipe "
        f"({study_recipe_text(ctx)}), each shape trained with "
        f"{len(t['val_runs'].iloc[0])} seeds and scored on the **validation** split. "
        "Training is short on purpose, so that every shape gets the same small budget of "
        "work: the table ranks ways to spend units, while the fully trained nets of 3B-3D "
        "show what each budget reaches.",
        "",
        "| budget | widths | depth | parameters | validation accuracy per seed | median | "
        "spread | s/epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in t.itertuples():
        runs = ", ".join(f"{a:.4f}" for a in r.val_runs)
        lines.append(
            f"| {r.budget} | {r.widths} | {r.depth} | {r.params:,} | {runs} | "
            f"{r.val_median:.4f} | {r.val_max - r.val_min:.4f} | {r.epoch_seconds:.2f} |"
        )
    lines += ["", *study_findings(t)]
    if not result.trials.empty:
        lines += ["", *tuner_text(result.trials)]
    if ctx.quick:
        lines += ["", "*Quick mode: one epoch on a small sample; the ranking is noise here.*"]
    return "\n".join(lines) + "\n"


def study_recipe_text(ctx: Context) -> str:
    """The study's training recipe in words."""
    epochs = ctx.args.epochs or (1 if ctx.quick else STUDY_EPOCHS)
    size = min(QUICK_STUDY_TRAIN if ctx.quick else STUDY_TRAIN, len(mnist(ctx).x_train))
    return (
        f"{epochs} epoch(s) on the first {size:,} training images, batch {STUDY_BATCH}, "
        "Adam 2e-3 cosine-decayed, dropout 0.1, no augmentation"
    )


def study_findings(table: pd.DataFrame) -> list[str]:
    """Sentences that read the study's table (computed, so they follow the numbers)."""
    out, deeper_wins = [], []
    for budget, part in table.groupby("budget", sort=False):
        best = part.loc[part["val_median"].idxmax()]
        one = part[part["depth"] == 1].iloc[0]
        noise = float((part["val_max"] - part["val_min"]).median())
        gap = float(best["val_median"] - one["val_median"])
        if best["depth"] > 1 and gap > noise:
            deeper_wins.append(budget)
            verdict = (
                f"splitting wins: {best['widths']} beats one layer of {one['widths']} by "
                f"{gap:.4f}, more than the typical seed spread ({noise:.4f})"
            )
        elif best["depth"] > 1:
            verdict = (
                f"one layer of {one['widths']} ({one['val_median']:.4f}) is as good as any "
                f"split: the best, {best['widths']} ({best['val_median']:.4f}), is within "
                f"the typical seed spread ({noise:.4f}) of it"
            )
        else:
            runner = part.drop(index=best.name).sort_values("val_median").iloc[-1]
            close = best["val_median"] - runner["val_median"] <= noise
            verdict = (
                f"one layer of {one['widths']} is best ({one['val_median']:.4f}); the best "
                f"split, {runner['widths']} ({runner['val_median']:.4f}), is "
                + ("within" if close else "beyond")
                + f" the typical seed spread ({noise:.4f}) of it"
            )
        worst = part.loc[part["val_median"].idxmin()]
        weakest = f"The weakest shape is {worst['widths']} ({worst['val_median']:.4f}"
        if worst["depth"] > 1:
            weakest += (
                f", {int(worst['params']):,} parameters against {int(one['params']):,} "
                "for one layer)"
            )
        else:
            weakest += ", the single wide layer)"
        out.append(f"- **{budget} units**: {verdict}. {weakest}.")
    others = [b for b in table["budget"].unique() if b not in deeper_wins]
    out.append(
        "- In short: "
        + (
            f"depth pays at {', '.join(map(str, deeper_wins))} units"
            if deeper_wins
            else "depth does not beat width at any budget here"
        )
        + (f"; width is as good or better at {', '.join(map(str, others))} units" if others else "")
        + ". The first hidden layer holds 785 parameters per unit, so splitting a budget "
        "shrinks the model a lot (see the parameter column) while it adds layers that "
        "compose features."
    )
    return out


def tuner_text(trials: pd.DataFrame) -> list[str]:
    """The tuner's trials, best per budget."""
    lines = [
        "A keras-tuner random search per budget over depth (1-4), taper (even or halving) and "
        "dropout (0, 0.1, 0.2); widths come from the budget, so no draw exceeds it "
        "(`BudgetHyperModel`). One seed per trial, same epochs:",
        "",
        "| budget | trial | widths | dropout | validation accuracy | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for r in trials.itertuples():
        lines.append(
            f"| {r.budget} | {r.trial_id} | {r.widths} | {r.dropout:g} | {r.score:.4f} | "
            f"{r.seconds:.0f} |"
        )
    return lines


# ----------------------------------------------------------------------------- chapter

PROBLEMS = [
    Problem("3A", "The data", run_3a),
    Problem("3B", "At most 100 hidden units", make_budget_runner("3B")),
    Problem("3C", "At most 200 hidden units in at least 2 layers", make_budget_runner("3C")),
    Problem("3D", "At most 1000 hidden units in at least 3 layers", make_budget_runner("3D")),
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
        config={"chosen": {k: asdict(v) for k, v in CHOSEN.items()}},
    )


if __name__ == "__main__":
    from companion.runner import use_headless_backend

    use_headless_backend()  # the command line draws to files; a notebook keeps its backend
    sys.exit(main())
