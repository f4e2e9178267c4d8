"""4F: the chapter's CNN under the set's rules: its dropout sweep, regularisers and final model.

The model first, written out layer by layer (`chapter_cnn`), with its compile (`compile_cnn`);
then the compute functions (what a notebook calls), each training that model, and `cnn_4f`,
which runs them all as the chapter does: the sweep on the whole training split beside the
staff's 2023 figures (with one rate also on the old subset, to measure what parts the two),
the regularisers and the final model over seeds. Then the figures, the report's text, the
summary entry and `run_4f`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch4_cnn.regularizers import RegularizedModels, RegularizerResult
from companion import pset
from companion.augment import shifted_batches
from companion.models import CNN_RULES, check_model, check_rate, dropout_rate
from companion.plots import history_frame, plot_lines
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import derive_seed, set_seed
from companion.stats import Difference, Spread, proportion_difference, spread
from companion.sweep import DropoutSweep, choose_rate, score_rates
from companion.training import (
    accuracies,
    cosine_adam,
    fit_callbacks,
    one_hot,
    steps_per_run,
)
from companion.words import join

# The set's facts and our settings for 4F (companion.pset), under the chapter's names.
SET_BAR, OUR_BAR = pset.CNN_SET_BAR, pset.CNN_OUR_BAR
BATCH_SIZE, EPOCHS = pset.CNN_BATCH_SIZE, pset.CNN_EPOCHS
SWEEP_RATES, SWEEP_EPOCHS = pset.CNN_SWEEP_RATES, pset.CNN_SWEEP_EPOCHS
SWEEP_TOLERANCE, MAX_SHIFT = pset.CNN_SWEEP_TOLERANCE, pset.CNN_MAX_SHIFT
REGULARIZERS, L2_STRENGTH = pset.REGULARIZERS, pset.CNN_L2_STRENGTH
STAFF_SWEEP, STAFF_SOURCE = pset.CNN_STAFF_SWEEP_2023, pset.CNN_STAFF_SWEEP_SOURCE
STAFF_MARGIN, SEEDS = pset.CNN_STAFF_MARGIN, pset.CNN_SEEDS
SUBSET_IMAGES, SUBSET_PROBE_RATE = pset.CNN_SUBSET_IMAGES, pset.CNN_SUBSET_PROBE_RATE
RATE_SOURCES = ("chosen by the sweep", "set by you")


def chapter_cnn(
    rate: float, *, batch_norm: bool = True, l2: float = 0.0, check: bool = True
) -> keras.Sequential:
    """4F's CNN: two conv blocks and one hidden dense layer, every Dropout layer at `rate`.

    The model 4F trains has batch norm and no weight penalty; the regulariser comparison
    turns batch norm off (`batch_norm=False`) or a penalty `l2 · Σw²` on every kernel on.
    With `check` (the default) it must obey the set's 4F rules, so `rate` must be above 0
    and batch norm on; a sweep builds rate-0 references with check=False.
    """
    check_rate(rate)
    penalty = keras.regularizers.L2(l2) if l2 > 0 else None  # None: no penalty
    if batch_norm:
        # Each block: Conv2D → MaxPooling2D → BatchNormalization → ReLU → Dropout. Pooling
        # first: batch norm and ReLU see a quarter of the values (a quarter less time per
        # step on a CPU, the same accuracy). A conv followed by batch norm needs no bias
        # (batch norm's beta does its job); momentum 0.9 (Keras' default is 0.99) lets the
        # moving statistics used at inference settle within short runs such as the sweep's.
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_regularizer=penalty),
                layers.MaxPooling2D(2),
                layers.BatchNormalization(momentum=0.9),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Conv2D(32, 3, padding="same", use_bias=False, kernel_regularizer=penalty),
                layers.MaxPooling2D(2),
                layers.BatchNormalization(momentum=0.9),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Flatten(),
                layers.Dense(128, kernel_regularizer=penalty),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Dense(10, kernel_regularizer=penalty),
                layers.Softmax(),  # separate ReLU/Softmax layers: the set's allowed layers
            ],
            name="cnn_4f",
        )
    else:
        # The same CNN without batch norm (the comparison's none, dropout and L2 settings):
        # its convolutions keep their biases.
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(16, 3, padding="same", kernel_regularizer=penalty),
                layers.MaxPooling2D(2),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Conv2D(32, 3, padding="same", kernel_regularizer=penalty),
                layers.MaxPooling2D(2),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Flatten(),
                layers.Dense(128, kernel_regularizer=penalty),
                layers.ReLU(),
                layers.Dropout(rate),
                layers.Dense(10, kernel_regularizer=penalty),
                layers.Softmax(),
            ],
            name="cnn_4f",
        )
    if check:
        check_model(model, CNN_RULES)  # raises RuleError naming the first rule it breaks
    return model


def compile_cnn(model, steps: int, *, peak: float = 2e-3, steps_per_execution: int = 16) -> None:
    """The chapter's compile: Adam cosine-decayed over `steps`, categorical cross-entropy.

    The rate falls from `peak` to 2% of it at the last step (`steps_per_run`);
    `steps_per_execution` runs several batches per compiled call: the same updates with
    fewer Python round trips (see benchmarks/bench_cnn.py).
    """
    model.compile(
        optimizer=cosine_adam(peak, steps, alpha=0.02),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def dropout_sweep(
    data,
    *,
    rates: Sequence[float] = SWEEP_RATES,
    epochs: int = SWEEP_EPOCHS,
    train_images: int | None = None,
    max_shift: int = MAX_SHIFT,
    seed: int = 0,
) -> pd.DataFrame:
    """4F: every Dropout layer at each rate, trained briefly, scored on validation (and test).

    Each rate starts from its own fresh, seeded weights of `chapter_cnn(rate)`.
    """
    n = train_images or len(data.x_train)
    x, y = data.x_train[:n], one_hot(data.y_train[:n])
    steps = steps_per_run(n, BATCH_SIZE, epochs)
    # One traced chapter_cnn serves all rates (fresh weights, rate set in place): ~2 s saved each.
    sweep = DropoutSweep(partial(chapter_cnn, check=False), lambda m: compile_cnn(m, steps))

    def batches(rate_seed: int):
        return shifted_batches(x, y, batch_size=BATCH_SIZE, max_shift=max_shift, seed=rate_seed)

    splits = {"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test)}
    return score_rates(sweep, rates, batches, splits, epochs=epochs, seed=seed)


@dataclass
class SubsetProbe:
    """One dropout rate trained one epoch on a subset and on the whole split, from one start.

    The two runs share their starting weights (the sweep's seed for that rate) and differ
    only in the training images, so the difference measures what the subset does.
    """

    rate: float
    subset_images: int
    full_images: int
    subset_val: float
    subset_test: float
    full_val: float
    full_test: float
    val_images: int
    staff: float | None  # the staff's 2023 test accuracy at this rate, if they list one

    @property
    def gain(self) -> Difference:
        """Validation accuracy of the whole split minus the subset's, with its interval."""
        return proportion_difference(self.full_val, self.subset_val, self.val_images)

    @property
    def drop_cause(self) -> str:
        """What makes our drop at this rate: 'the subset', 'the subset and the CNN' or 'the CNN'.

        'the CNN' (with its training) when the whole split is not better beyond noise;
        'the subset' when the whole split is, and it reaches the staff's figure within
        STAFF_MARGIN; otherwise both.
        """
        if self.gain.verdict != "higher":
            return "the CNN"
        if self.staff is None or self.full_test >= self.staff - STAFF_MARGIN:
            return "the subset"
        return "the subset and the CNN"


def subset_probe(
    data, sweep: pd.DataFrame, *, rate: float, subset_images: int, sweep_images: int, seed: int
) -> SubsetProbe:
    """4F: `rate` trained one epoch on the first `subset_images`, beside the sweep's own row.

    `sweep_images` and `seed` must be the sweep's: the probe then starts from the same
    weights as that row, and differs from it only in its fewer training images.
    """
    (row,) = dropout_sweep(data, rates=(rate,), train_images=subset_images, seed=seed).to_dict(
        "records"
    )
    full = sweep.set_index("rate").loc[rate]
    return SubsetProbe(
        rate=rate,
        subset_images=subset_images,
        full_images=sweep_images,
        subset_val=row["val_accuracy"],
        subset_test=row["test_accuracy"],
        full_val=float(full["val_accuracy"]),
        full_test=float(full["test_accuracy"]),
        val_images=len(data.x_val),
        staff=staff_sweep().get(rate),
    )


def staff_sweep() -> dict[float, float]:
    """The 2023 staff sample's one-epoch test accuracy by rate (their rates: 0.0 … 0.9)."""
    return dict(zip(SWEEP_RATES, STAFF_SWEEP, strict=True))


def staff_comparison(sweep: pd.DataFrame) -> pd.DataFrame:
    """Our sweep's test column beside the staff's, rate by rate, with ours − staff."""
    staff = staff_sweep()
    table = sweep[["rate", "val_accuracy", "test_accuracy"]].copy()
    table["staff 2023 test"] = [staff.get(float(rate), np.nan) for rate in table["rate"]]
    table["ours − staff"] = table["test_accuracy"] - table["staff 2023 test"]
    return table


def parting_rate(sweep: pd.DataFrame, margin: float = STAFF_MARGIN) -> float | None:
    """The first rate where our test accuracy and the staff's differ by more than `margin`."""
    table = staff_comparison(sweep)
    apart = table[table["ours − staff"].abs() > margin]
    return None if apart.empty else float(apart["rate"].iloc[0])


def compare_regularizers(
    data,
    *,
    rate: float,
    names: Sequence[str] = REGULARIZERS,
    train_images: int = 5_120,
    epochs: int = 4,
    l2: float = L2_STRENGTH,
    seed: int = 0,
    seeds: int = 1,
) -> RegularizerResult:
    """4F: none, batch norm, dropout, both, and L2, each trained alike `seeds` times.

    Training uses unshifted images, so the regulariser is the only difference between
    the runs; each (setting, seed) starts from its own weights, seeded from `seed`, the
    setting's name and the seed's index (the first index: `seed` and the name alone).
    """
    x, labels = data.x_train[:train_images], data.y_train[:train_images]
    steps = steps_per_run(len(x), BATCH_SIZE, epochs)
    # Each setting is chapter_cnn with its switches; those alike but for rate share a trace.
    models = RegularizedModels(
        rate=rate,
        l2=l2,
        compile_model=lambda m: compile_cnn(m, steps),
        build=partial(chapter_cnn, check=False),
    )
    rows = []
    for index in range(seeds):
        for name in names:
            setting_seed = derive_seed(seed, name if index == 0 else f"{name}-{index}")
            set_seed(setting_seed)  # the fresh weights and the dropout masks
            model = models.model(name)
            batches = shifted_batches(
                x, one_hot(labels), batch_size=BATCH_SIZE, max_shift=0, seed=setting_seed
            )
            history = model.fit(
                batches, epochs=epochs, callbacks=fit_callbacks(name=name), shuffle=False, verbose=0
            )  # shuffle=False: the pipeline shuffles itself
            train, val = accuracies(model, (x, labels), (data.x_val, data.y_val))
            rows.append(
                {
                    "name": name,
                    "seed": setting_seed,
                    "val_accuracy": val,
                    "train_accuracy": train,
                    "gap": train - val,
                    "seconds": float(history_frame(history)["seconds"].sum()),
                }
            )
    return RegularizerResult(pd.DataFrame(rows), rate, l2, len(x), epochs)


def final_cnn(
    data,
    *,
    rate: float,
    out,
    epochs: int = EPOCHS,
    max_shift: int = MAX_SHIFT,
    seed: int = 0,
) -> tuple[keras.Sequential, pd.DataFrame]:
    """4F: the chosen rate trained for the set's 10 epochs; returns (model, history).

    `seed` alone sets the starting weights, the dropout masks and the shifts: the model
    does not depend on what ran before it.
    """
    set_seed(seed)
    model = chapter_cnn(rate)  # checked: raises RuleError unless it obeys the set's rules
    compile_cnn(model, steps_per_run(len(data.x_train), BATCH_SIZE, epochs))
    # Batches of 32 images, shuffled and shifted afresh every epoch.
    batches = shifted_batches(
        data.x_train, one_hot(data.y_train), batch_size=BATCH_SIZE, max_shift=max_shift, seed=seed
    )
    history = model.fit(
        batches,
        epochs=epochs,
        validation_data=(data.x_val, one_hot(data.y_val)),
        callbacks=fit_callbacks(out, "4F_cnn"),  # the curves and the history CSV, per epoch
        shuffle=False,  # the pipeline shuffles (and shifts) afresh each epoch itself
        verbose=0,
    )
    return model, history_frame(history)


def final_over_seeds(
    data, *, rate: float, out, epochs: int = EPOCHS, seeds: Sequence[int]
) -> tuple[keras.Sequential, pd.DataFrame, list[float]]:
    """4F: the final CNN once per seed; (the first seed's model and history, every test score).

    Only the first seed's run writes the curves to `out` and is kept (the saved model);
    each run's test accuracy is its one use of the test split.
    """
    if not seeds:
        raise ValueError("final_over_seeds needs at least one seed")
    kept, scores = None, []
    for index, seed in enumerate(seeds):
        model, history = final_cnn(
            data, rate=rate, out=out if index == 0 else None, epochs=epochs, seed=seed
        )
        (test,) = accuracies(model, (data.x_test, data.y_test))
        scores.append(test)
        if index == 0:
            kept = (model, history)
    model, history = kept
    return model, history, scores


@dataclass
class CnnResult:
    """4F: the sweep, the regulariser comparison and the final model over seeds.

    `test_accuracy` is the saved model's (the first final seed's); `seed_tests` holds every
    final seed's test accuracy, the saved model's first (empty: the saved model's alone).
    `rate_source` says whether the rate was "chosen by the sweep" or "set by you"; None
    infers it from whether `rate` is the sweep's choice (`choose_rate`).
    """

    sweep: pd.DataFrame
    sweep_images: int
    rate: float
    regularizers: RegularizerResult
    model: Any = field(repr=False)
    history: pd.DataFrame
    test_accuracy: float
    epochs: int
    quick: bool
    seed_tests: Sequence[float] = ()
    final_seeds: Sequence[int] = ()
    rate_source: str | None = None
    probe: SubsetProbe | None = None
    train_images: int | None = None  # the training split's size (None: not recorded)

    def __post_init__(self):
        self.seed_tests = list(self.seed_tests) or [self.test_accuracy]
        if self.rate_source is None:
            chosen = self.rate == self.sweep_choice
            self.rate_source = "chosen by the sweep" if chosen else "set by you"
        if self.rate_source not in RATE_SOURCES:
            raise ValueError(f"rate_source must be one of {RATE_SOURCES}, got {self.rate_source!r}")

    @property
    def sweep_choice(self) -> float:
        """The rate the sweep's rule takes (`choose_rate` on validation)."""
        return choose_rate(self.sweep, SWEEP_TOLERANCE)

    @property
    def best_val_rate(self) -> float:
        return float(self.sweep.loc[self.sweep["val_accuracy"].idxmax(), "rate"])

    @property
    def best_test_rate(self) -> float:
        return float(self.sweep.loc[self.sweep["test_accuracy"].idxmax(), "rate"])

    @property
    def test_spread(self) -> Spread:
        """The final model's test accuracy over seeds."""
        return spread(self.seed_tests)

    @property
    def seeds_below_bar(self) -> list[int]:
        """Which final seeds (1, 2, …) miss the set's bar."""
        return [i for i, acc in enumerate(self.seed_tests, 1) if acc < SET_BAR]

    @property
    def every_seed_holds(self) -> bool:
        """True when every final seed's test accuracy reaches the set's bar."""
        return not self.seeds_below_bar

    def active_layers(self, kind: str) -> int:
        """Layers of a kind that act (a Dropout only when its rate is above 0)."""
        return sum(
            type(layer).__name__ == kind and (kind != "Dropout" or dropout_rate(layer) > 0)
            for layer in self.model.layers
        )


def cnn_4f(
    data,
    *,
    seed_for: Callable[[str], int],
    quick: bool = False,
    rate: float | None = None,
    out=None,
    epochs: int | None = None,
    regularizer_epochs: int | None = None,
) -> CnnResult:
    """4F whole: the sweep (with the subset probe), the regularisers and the final model.

    `seed_for(part)` gives each part's seed (a run's `ctx.seed_for`). A full run sweeps on
    the whole training split and trains CNN_SEEDS seeds of the comparison and the final
    model; `quick` sweeps on at most 1,024 images and trains one seed of each. `rate`
    overrides the sweep's choice (the result says the rate was set by you).
    """
    n = len(data.x_train)
    sweep_images = min(1_024, n) if quick else n
    sweep = dropout_sweep(data, train_images=sweep_images, seed=seed_for("sweep"))
    probe = subset_probe(
        data,
        sweep,
        rate=SUBSET_PROBE_RATE,
        subset_images=min(SUBSET_IMAGES, sweep_images // 2),
        sweep_images=sweep_images,
        seed=seed_for("sweep"),
    )
    source = "chosen by the sweep" if rate is None else "set by you"
    rate = choose_rate(sweep, SWEEP_TOLERANCE) if rate is None else check_rate(rate)
    seeds = 1 if quick else SEEDS
    regularizers = compare_regularizers(
        data,
        rate=rate,
        train_images=min(1_024 if quick else 5_120, n),
        epochs=regularizer_epochs or (2 if quick else 4),
        seed=seed_for("regularizers"),
        seeds=seeds,
    )
    epochs = epochs or (2 if quick else EPOCHS)
    final_seeds = [seed_for("final" if i == 0 else f"final-{i}") for i in range(seeds)]
    model, history, tests = final_over_seeds(
        data, rate=rate, out=out, epochs=epochs, seeds=final_seeds
    )
    return CnnResult(
        sweep,
        sweep_images,
        rate,
        regularizers,
        model,
        history,
        tests[0],
        epochs,
        quick,
        seed_tests=tests,
        final_seeds=final_seeds,
        rate_source=source,
        probe=probe,
        train_images=n,
    )


def plot_regularizers(r: RegularizerResult, *, axes=None):
    """Each setting's validation accuracy over seeds (median, min–max) and its median gap."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    t = r.summary().set_index("name")
    errors = [t["median val accuracy"] - t["worst seed"], t["best seed"] - t["median val accuracy"]]
    axes[0].barh(t.index, t["median val accuracy"], xerr=errors, color="tab:blue", capsize=3)
    low = t["worst seed"].min()
    axes[0].set(
        title=f"validation accuracy (median, min–max over {r.seeds} seeds)",
        xlim=(max(0, low - 0.02), 1),
    )
    axes[1].barh(t.index, t["median gap"], color="tab:orange")
    axes[1].set(title="training − validation accuracy (median gap)")
    axes[1].axvline(0, color="k", lw=0.8)
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(alpha=0.3, axis="x")
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_sweep(sweep: pd.DataFrame, *, ax=None):
    """Validation and test accuracy after one epoch per rate, beside the staff's 2023 test."""
    staff = staff_sweep()
    return plot_lines(
        {
            "validation": (sweep["rate"], sweep["val_accuracy"]),
            "test (shown, not used)": (sweep["rate"], sweep["test_accuracy"]),
            "staff 2023 test (a different CNN)": (list(staff), list(staff.values())),
        },
        ax=ax,
        xlabel="dropout rate (all Dropout layers)",
        ylabel="accuracy after 1 epoch",
        title="Dropout sweep",
    )


def regularizer_text(r: RegularizerResult) -> str:
    """Which regulariser worked best over seeds: a winner only beyond the seeds' noise."""
    spreads = r.spreads()
    best, second = r.ranking()
    b, s = spreads[best], spreads[second]
    if r.verdict == "separated":
        lines = [
            f"**Which worked best:** {best}: its worst seed ({b.min:.4f}) beats the best seed "
            f"of the runner-up, {second} ({s.max:.4f}), so over these {r.seeds} seeds the "
            f"ranking holds (median {b.median:.4f} against {s.median:.4f})."
        ]
    elif r.verdict == "within noise":
        close = r.within_noise_of_best()
        lines = [
            f"**Which worked best:** no setting is ahead beyond noise. {best} has the highest median "
            f"({b.median:.4f}, seeds {b.min:.4f} to {b.max:.4f}), but its range overlaps "
            f"{join(close)}'s (runner-up {second}: {s.median:.4f}, seeds {s.min:.4f} to "
            f"{s.max:.4f}): over these {r.seeds} seeds they are within noise of each other."
        ]
    else:
        lines = [
            f"**Which worked best:** {best} scored highest ({b.median:.4f}; {second} next, "
            f"{s.median:.4f}), on one seed: one seed has no spread, so this ranking is "
            "untested (a full run trains several seeds)."
        ]
    gaps = r.summary().set_index("name")["median gap"]
    smallest = gaps.idxmin()
    lines.append(
        f"The smallest median training/validation gap was {smallest}'s ({gaps[smallest]:+.2%})."
    )
    if "none" in spreads and r.seeds >= 2:
        verdicts = r.versus("none")
        groups = {
            "higher": "beat no regularisation on every seed",
            "within noise": "{was} within noise of no regularisation",
            "lower": "scored BELOW no regularisation on every seed",
        }
        said = []
        for verdict, words in groups.items():
            names = [n for n, v in verdicts.items() if v == verdict]
            if names:
                was = "was" if len(names) == 1 else "were"
                said.append(f"{join(names)} {words.format(was=was)}")
        none = spreads["none"]
        lines.append(f"Against none ({none.min:.4f} to {none.max:.4f}): {'; '.join(said)}.")
    if best != "batch norm + dropout":
        lines.append(
            "The set's rules require batch norm and dropout, so the final model keeps both "
            f"although {best} had the higher median here."
        )
    return " ".join(lines)


def sweep_text(r: CnnResult) -> str:
    """The sweep's reading: the staff's figures beside ours, where they part, and why."""
    part = parting_rate(r.sweep)
    staff = staff_sweep()
    if part is None:
        parted = f"Our test column stays within {STAFF_MARGIN:.0%} of the staff's at every rate."
    else:
        ours = float(r.sweep.set_index("rate").loc[part, "test_accuracy"])
        side = "below" if ours < staff[part] else "above"
        parted = (
            f"The curves part at p = {part:g}: ours {ours:.4f}, {side} the staff's "
            f"{staff[part]:.4f} by more than {STAFF_MARGIN:.0%}."
        )
    return f"{parted} {probe_text(r.probe) if r.probe else ''}".strip()


def probe_text(p: SubsetProbe) -> str:
    """What the subset does to the drop at the probe's rate, measured."""
    old = " (the subset earlier releases swept on)" if p.subset_images == SUBSET_IMAGES else ""
    measured = (
        f"To see what makes our drop, rate {p.rate:g} also trained one epoch on the first "
        f"{p.subset_images:,} training images{old}, from the "
        f"same starting weights: validation {p.subset_val:.4f} (test {p.subset_test:.4f}) "
        f"against {p.full_val:.4f} (test {p.full_test:.4f}) on the sweep's {p.full_images:,}, a "
        f"difference of {p.gain.describe()}."
    )
    staff = f"the staff's {p.staff:.4f}" if p.staff is not None else "the staff's figure"
    causes = {
        "the subset": f"So the subset made the drop: on the whole split our CNN reaches "
        f"{staff} within {STAFF_MARGIN:.0%} at this rate.",
        "the subset and the CNN": f"So the subset made part of the drop; the rest, to {staff}, "
        "lies with the two CNNs and their training, which this run does not separate.",
        "the CNN": f"So the subset does not make the drop: the whole split does no better "
        f"beyond noise; the gap to {staff} lies with the two CNNs and their training (our CNN "
        "at this rate), which this run does not separate.",
    }
    return f"{measured} {causes[p.drop_cause]}"


def final_text(r: CnnResult) -> str:
    """The final model over seeds: median, range, the set's bar for every seed, the saved one."""
    s = r.test_spread
    if len(r.seed_tests) == 1:
        seeds = "One seed (a full run trains several)."
    else:
        if r.every_seed_holds:
            holds = f"every seed holds the set's {SET_BAR}"
        else:
            holds = f"seed {join(map(str, r.seeds_below_bar))} MISSES the set's {SET_BAR}"
        seeds = (
            f"Over {s.n} seeds the test accuracy has median **{s.median:.4f}** (min {s.min:.4f}, "
            f"max {s.max:.4f}): {holds}."
        )
    return (
        f"{seeds} The saved model is the first seed's (the graded answer), test accuracy "
        f"measured once: **{r.test_accuracy:.4f}**, which {_verdict(r.test_accuracy, r.quick)}."
    )


def rate_text(r: CnnResult) -> str:
    """How the rate was picked: the sweep's rule on validation, or set by you."""
    if r.rate_source == "set by you":
        return (
            f"The rate **{r.rate:g}** was set by you, not chosen by the sweep (its rule would "
            f"take {r.sweep_choice:g})."
        )
    sweep = r.sweep.set_index("rate")
    best_val = sweep.loc[r.best_val_rate, "val_accuracy"]
    if r.rate == r.best_val_rate:
        return f"The best one-epoch validation accuracy is at rate {r.rate:g}, our choice."
    if r.best_val_rate == 0:
        within = sweep.loc[r.rate, "val_accuracy"] >= best_val - SWEEP_TOLERANCE
        rule = (
            f"the largest rate above 0 within {SWEEP_TOLERANCE:.1%} of it"
            if within
            else f"the best rate above 0 (none is within {SWEEP_TOLERANCE:.1%} of rate 0)"
        )
        return (
            f"The best one-epoch validation accuracy is at rate 0 ({best_val:.4f}), which drops "
            f"nothing and so breaks the set's rules; we take {rule}: **{r.rate:g}** "
            f"({sweep.loc[r.rate, 'val_accuracy']:.4f}), chosen by the sweep."
        )
    return (
        f"The best one-epoch validation accuracy is at rate {r.best_val_rate:g} "
        f"({best_val:.4f}). One epoch favours weak regularisation (dropout slows early "
        f"training and pays off over longer training), so we take the largest rate within "
        f"{SWEEP_TOLERANCE:.1%} of the best: **{r.rate:g}** "
        f"({sweep.loc[r.rate, 'val_accuracy']:.4f}), chosen by the sweep."
    )


def text_4f(r: CnnResult, figures: Mapping[str, str] | None = None) -> str:
    """4F's report section: the sweep, the regulariser comparison, the final model."""
    figures = figures or {}
    reg = r.regularizers
    reg_table = reg.summary()
    summary: list[str] = []
    r.model.summary(print_fn=lambda line, *a, **k: summary.append(line))
    quick = " (--quick: the shipped sample, short runs, one seed)" if r.quick else ""
    if r.train_images is None:
        split = f"{r.sweep_images:,} training images"
    elif r.sweep_images == r.train_images:
        split = f"the whole training split ({r.train_images:,} images; validation held out)"
    else:
        split = f"a subset: {r.sweep_images:,} of the {r.train_images:,} training images"
    curves = figures.get("curves", "")
    return f"""
The model obeys the set's rules (checked by `check_model(model, CNN_RULES)`): Sequential, only
Conv2D, MaxPooling2D, BatchNormalization, Dropout, Dense, ReLU, Softmax and Flatten layers,
**{r.model.count_params():,} parameters** (< 1,000,000), {r.active_layers("Dropout")} Dropout
layers with rate {r.rate:g} > 0 and {r.active_layers("BatchNormalization")} BatchNormalization
layers; categorical cross-entropy, batch size 32, Adam with a cosine-decayed learning rate. Sweep
and final model train on images shifted by up to {MAX_SHIFT} pixel each way, drawn afresh every
epoch in the input pipeline (`companion.augment.shifted_batches`), so the model keeps only the
allowed layers; the validation and test images are not shifted.{quick}

**Dropout sweep.** Every Dropout layer set to each of the ten rates 0.0 … 0.9, one epoch each
(batch 32) on {split}, scored on the validation split. Beside our test column: the staff's 2023 sample sweep (test accuracy after
one epoch, from {STAFF_SOURCE}; their rates most plausibly 0.0 … 0.9). Their CNN is not
ours, so the columns compare two recipes, not one model:

{figures.get("sweep", "")}
{markdown_table(staff_comparison(r.sweep))}
{sweep_text(r)}

We choose on the **validation** split, and never rate 0 (a Dropout of rate 0 drops nothing,
and the set's rules need dropout). {rate_text(r)} The test column is shown only to make a
point: picking the rate by test accuracy (here {r.best_test_rate:g}) would tune the model to
the test set, which then no longer estimates accuracy on new data. A one-epoch score also need
not predict the ten-epoch one.

**Which regularisation works best?** The same CNN trained alike with none, batch norm only,
dropout only (rate {reg.rate:g}), batch norm + dropout, and an L2 weight penalty
({reg.l2:g}·Σw² on every kernel, no batch norm or dropout): {reg.train_images:,} unshifted
training images, {reg.epochs} epochs (shorter than the final model's, to leave time for
{_seeds(reg.seeds)} of each), scored on the validation split. The gap is accuracy on those
training images (inference mode) minus validation accuracy. A setting is named best only when
its worst seed beats the runner-up's best seed.

{figures.get("regularizers", "")}
{markdown_table(reg_table)}
{regularizer_text(reg)}

**Final model.** Dropout {r.rate:g} ({r.rate_source}), {r.epochs} epochs, batch size 32, all
training images, {_seeds(len(r.seed_tests))}:

{curves}
{markdown_table(final_table(r))}
{final_text(r)} The model is saved as
`4F_cnn.keras`.

<details><summary>model.summary()</summary>

```
{chr(10).join(summary)}
```
</details>
"""


def final_table(r: CnnResult) -> pd.DataFrame:
    """One row per final seed: its number, seed and test accuracy; the saved one marked."""
    seeds = list(r.final_seeds) or [None] * len(r.seed_tests)
    return pd.DataFrame(
        {
            "final seed": [f"{i}{' (saved)' if i == 1 else ''}" for i in range(1, len(seeds) + 1)],
            "seed": ["–" if s is None else str(s) for s in seeds],
            "test accuracy": r.seed_tests,
            f"≥ {SET_BAR}": ["yes" if acc >= SET_BAR else "NO" for acc in r.seed_tests],
        }
    )


def cnn_results(r: CnnResult) -> dict:
    """4F's summary.json entry: the sweep, the regularisers, the final model's scores."""
    reg, s = r.regularizers, r.test_spread
    best, _ = reg.ranking()
    summary = reg.summary()
    probe = r.probe
    return {
        "params": r.model.count_params(),
        "test_accuracy": r.test_accuracy,  # the saved model's: the first final seed's
        "epochs": r.epochs,
        "batch_size": BATCH_SIZE,
        "dropout_rate": r.rate,
        "rate_source": r.rate_source,
        "sweep_choice": r.sweep_choice,
        "best_val_rate": r.best_val_rate,
        "dropout_sweep": r.sweep.to_dict(orient="records"),
        "sweep_images": r.sweep_images,
        "staff_sweep_2023": list(STAFF_SWEEP),
        "staff_sweep_source": STAFF_SOURCE,
        "sweep_parting_rate": parting_rate(r.sweep),
        "subset_probe": None
        if probe is None
        else {
            "rate": probe.rate,
            "subset_images": probe.subset_images,
            "subset_val_accuracy": probe.subset_val,
            "subset_test_accuracy": probe.subset_test,
            "full_images": probe.full_images,
            "full_val_accuracy": probe.full_val,
            "full_test_accuracy": probe.full_test,
            "gain": probe.gain.mean,
            "gain_low": probe.gain.low,
            "gain_high": probe.gain.high,
            "drop_cause": probe.drop_cause,
        },
        "regularizers": [
            {
                "name": row["name"],
                "val_accuracy": row["median val accuracy"],  # the median over seeds
                "gap": row["median gap"],
                "val_min": row["worst seed"],
                "val_max": row["best seed"],
            }
            for row in summary.to_dict("records")
        ],
        "regularizer_runs": reg.table.to_dict("records"),
        "best_regularizer": best,  # the highest median; a winner only if `regularizer_winner`
        "regularizer_verdict": reg.verdict,
        "regularizer_winner": reg.winner,
        "regularizers_within_noise_of_best": reg.within_noise_of_best(),
        "regularizer_seeds": reg.seeds,
        "regularizer_images": reg.train_images,
        "regularizer_epochs": reg.epochs,
        "final_val_accuracy": float(r.history["val_accuracy"].iloc[-1]),  # the last epoch
        "seconds_per_epoch": float(r.history["seconds"].mean()),
        "meets_set_bar": r.test_accuracy >= SET_BAR,
        "meets_our_bar": r.test_accuracy >= OUR_BAR,
        "model_file": "4F_cnn.keras",
        "saved_model": "the first final seed's",
        "final_seeds": list(r.final_seeds),
        "test_accuracy_per_seed": list(r.seed_tests),
        "test_accuracy_median": s.median,
        "test_accuracy_min": s.min,
        "test_accuracy_max": s.max,
        "every_seed_meets_set_bar": r.every_seed_holds,
    }


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _verdict(accuracy: float, quick: bool) -> str:
    if quick:
        return (
            "is a --quick figure (the shipped sample, short training): the bars are for full runs"
        )
    if accuracy >= OUR_BAR:
        return f"meets the set's bar ({SET_BAR}) and ours ({OUR_BAR})"
    if accuracy >= SET_BAR:
        return f"meets the set's bar ({SET_BAR}) but MISSES ours ({OUR_BAR})"
    return f"MISSES the set's bar ({SET_BAR})"


def cnn_headline(r: CnnResult) -> str:
    """One line: the rate, the regulariser verdict and the test accuracy over seeds."""
    reg = r.regularizers
    top = reg.ranking()[0]
    if reg.verdict == "untested":
        best = f"top regulariser {top} (one seed, untested)"
    elif reg.winner:
        best = f"best regulariser {reg.winner}"
    else:
        best = f"regularisers within noise (top median: {top})"
    s = r.test_spread
    seeds = f", {s.n} seeds {s.min:.4f}–{s.max:.4f}" if s.n > 1 else ""
    return (
        f"dropout {r.rate:g}, {best}, "
        f"test accuracy {r.test_accuracy:.4f}{seeds} ({_verdict(r.test_accuracy, r.quick)})"
    )


def run_4f(ctx: Context) -> Section:
    """4F: sweep the dropout rate, compare regularisers, train the final CNN over seeds."""
    data = ctx.mnist()
    epochs = ctx.epochs(2 if ctx.quick else EPOCHS)
    r = cnn_4f(
        data,
        seed_for=ctx.seed_for,
        quick=ctx.quick,
        out=ctx.folder,  # the run folder owns its files
        epochs=epochs,
        regularizer_epochs=ctx.epochs(2 if ctx.quick else 4),
    )
    ctx.folder.write_file("4F_cnn.keras", r.model.save)
    ctx.folder.save_table(staff_comparison(r.sweep), "4F_dropout_sweep")
    ctx.folder.save_table(r.regularizers.table, "4F_regularizers")
    ctx.folder.save_table(final_table(r), "4F_final_seeds")
    figures = {
        "sweep": ctx.folder.figure_md(
            plot_sweep(r.sweep), "4F_dropout_sweep", "Accuracy after one epoch per dropout rate"
        ),
        "regularizers": ctx.folder.figure_md(
            plot_regularizers(r.regularizers), "4F_regularizers", "Regularisers compared"
        ),
        "curves": "![training curves](figures/4F_cnn_curves.png)\n",
    }
    return Section(text_4f(r, figures), cnn_results(r), cnn_headline(r))
