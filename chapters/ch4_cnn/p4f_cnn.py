"""4F: the chapter's CNN under the set's rules: its dropout sweep, regularisers and final model.

The model first, written out layer by layer (`chapter_cnn`), with its compile (`compile_cnn`);
then the compute functions (what a notebook calls), each training that model; then the
figures, the report's text, the summary entry and `run_4f`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch4_cnn.regularizers import RegularizedModels
from companion import pset
from companion.augment import shifted_batches
from companion.models import CNN_RULES, check_model, check_rate, dropout_rate
from companion.plots import history_frame, plot_lines
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import derive_seed, set_seed
from companion.stats import Difference, paired_difference
from companion.sweep import DropoutSweep, choose_rate, score_rates
from companion.training import (
    accuracies,
    correct_predictions,
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
class RegularizerResult:
    """4F: each regularisation setting trained alike; `table` has name, val_accuracy, gap.

    `gap` is accuracy on the training images (inference mode) minus validation accuracy;
    `val_correct` holds each setting's per-image validation hits, for paired comparisons.
    """

    table: pd.DataFrame
    val_correct: dict[str, np.ndarray]
    rate: float
    l2: float
    train_images: int
    epochs: int

    def versus(self, name: str, other: str) -> Difference:
        """Validation accuracy of `name` minus `other`'s, image by image, with its interval."""
        return paired_difference(self.val_correct[name], self.val_correct[other])

    def best(self) -> tuple[str, str, Difference]:
        """(best, runner-up, best − runner-up on validation)."""
        ranked = self.table.sort_values("val_accuracy", ascending=False)["name"].tolist()
        best, second = ranked[:2]
        return best, second, self.versus(best, second)


def compare_regularizers(
    data,
    *,
    rate: float,
    names: Sequence[str] = REGULARIZERS,
    train_images: int = 5_120,
    epochs: int = 4,
    l2: float = L2_STRENGTH,
    seed: int = 0,
) -> RegularizerResult:
    """4F: none, batch norm, dropout, both, and L2, each trained alike and scored on validation.

    Training uses unshifted images, so the regulariser is the only difference between
    the runs; each setting starts from its own weights, seeded from `seed` and its name.
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
    rows, val_correct = [], {}
    for name in names:
        setting_seed = derive_seed(seed, name)
        set_seed(setting_seed)  # the fresh weights and the dropout masks
        model = models.model(name)
        batches = shifted_batches(
            x, one_hot(labels), batch_size=BATCH_SIZE, max_shift=0, seed=setting_seed
        )
        history = model.fit(
            batches, epochs=epochs, callbacks=fit_callbacks(name=name), shuffle=False, verbose=0
        )  # shuffle=False: the pipeline shuffles itself
        train_hits, val_hits = correct_predictions(model, (x, labels), (data.x_val, data.y_val))
        val_correct[name] = val_hits
        rows.append(
            {
                "name": name,
                "val_accuracy": float(val_hits.mean()),
                "train_accuracy": float(train_hits.mean()),
                "gap": float(train_hits.mean() - val_hits.mean()),
                "seconds": float(history_frame(history)["seconds"].sum()),
            }
        )
    return RegularizerResult(pd.DataFrame(rows), val_correct, rate, l2, len(x), epochs)


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


@dataclass
class CnnResult:
    """4F: the sweep, the regulariser comparison and the final model with its test score."""

    sweep: pd.DataFrame
    sweep_images: int
    rate: float
    regularizers: RegularizerResult
    model: Any = field(repr=False)
    history: pd.DataFrame
    test_accuracy: float
    epochs: int
    quick: bool

    @property
    def best_val_rate(self) -> float:
        return float(self.sweep.loc[self.sweep["val_accuracy"].idxmax(), "rate"])

    @property
    def best_test_rate(self) -> float:
        return float(self.sweep.loc[self.sweep["test_accuracy"].idxmax(), "rate"])

    def active_layers(self, kind: str) -> int:
        """Layers of a kind that act (a Dropout only when its rate is above 0)."""
        return sum(
            type(layer).__name__ == kind and (kind != "Dropout" or dropout_rate(layer) > 0)
            for layer in self.model.layers
        )


def plot_regularizers(r: RegularizerResult, *, axes=None):
    """Validation accuracy and training/validation gap of each regularisation setting."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    t = r.table.set_index("name")
    t["val_accuracy"].plot.barh(ax=axes[0], color="tab:blue")
    low = t["val_accuracy"].min()
    axes[0].set(title="validation accuracy", xlim=(max(0, low - 0.02), 1), ylabel="")
    t["gap"].plot.barh(ax=axes[1], color="tab:orange")
    axes[1].set(title="training − validation accuracy (gap)", ylabel="")
    axes[1].axvline(0, color="k", lw=0.8)
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(alpha=0.3, axis="x")
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_sweep(sweep: pd.DataFrame, *, ax=None):
    """Validation (and, shown only, test) accuracy after one epoch per dropout rate."""
    return plot_lines(
        {
            "validation": (sweep["rate"], sweep["val_accuracy"]),
            "test (shown, not used)": (sweep["rate"], sweep["test_accuracy"]),
        },
        ax=ax,
        xlabel="dropout rate (all Dropout layers)",
        ylabel="accuracy after 1 epoch",
        title="Dropout sweep",
    )


def regularizer_text(r: RegularizerResult) -> str:
    """Which regulariser worked best, from the comparison's numbers."""
    t = r.table.set_index("name")
    best, second, diff = r.best()
    n_val = len(r.val_correct[best])
    if diff.within_noise:
        margin = f"within noise on these {n_val:,} validation images"
    else:
        margin = "more than the noise of these validation images"
    smallest_gap = t["gap"].idxmin()
    lines = [
        f"**Which worked best:** {best} had the highest validation accuracy "
        f"({t.loc[best, 'val_accuracy']:.4f}); {second} came next "
        f"({t.loc[second, 'val_accuracy']:.4f}): a difference of {diff.describe()}, {margin}.",
        f"The smallest training/validation gap was {smallest_gap}'s "
        f"({t.loc[smallest_gap, 'gap']:+.2%}).",
    ]
    if "none" in t.index:
        verdicts = {n: r.versus(n, "none").verdict for n in t.index if n != "none"}
        groups = {
            "higher": "beat no regularisation beyond noise",
            "within noise": "{was} within noise of no regularisation",
            "lower": "scored BELOW no regularisation beyond noise",
        }
        said = []
        for verdict, words in groups.items():
            names = [n for n, v in verdicts.items() if v == verdict]
            if names:
                said.append(
                    f"{join(names)} {words.format(was='was' if len(names) == 1 else 'were')}"
                )
        none = t.loc["none", "val_accuracy"]
        lines.append(f"Against none ({none:.4f}): {'; '.join(said)}.")
    if best != "batch norm + dropout":
        lines.append(
            "The set's rules require batch norm and dropout, so the final model keeps both "
            f"although {best} scored higher in this comparison."
        )
    return " ".join(lines)


def text_4f(r: CnnResult, figures: Mapping[str, str] | None = None) -> str:
    """4F's report section: the sweep, the regulariser comparison, the final model."""
    figures = figures or {}
    sweep = r.sweep.set_index("rate")
    best_val = sweep.loc[r.best_val_rate, "val_accuracy"]
    if r.rate == r.best_val_rate:
        choice = f"The best one-epoch validation accuracy is at rate {r.rate:g}, our choice."
    elif r.best_val_rate == 0:
        within = sweep.loc[r.rate, "val_accuracy"] >= best_val - SWEEP_TOLERANCE
        rule = (
            f"the largest rate above 0 within {SWEEP_TOLERANCE:.1%} of it"
            if within
            else f"the best rate above 0 (none is within {SWEEP_TOLERANCE:.1%} of rate 0)"
        )
        choice = (
            f"The best one-epoch validation accuracy is at rate 0 ({best_val:.4f}), which drops "
            f"nothing and so breaks the set's rules; we take {rule}: **{r.rate:g}** "
            f"({sweep.loc[r.rate, 'val_accuracy']:.4f})."
        )
    else:
        choice = (
            f"The best one-epoch validation accuracy is at rate {r.best_val_rate:g} "
            f"({best_val:.4f}). One epoch favours weak regularisation (dropout slows early "
            f"training and pays off over longer training), so we take the largest rate within "
            f"{SWEEP_TOLERANCE:.1%} of the best: **{r.rate:g}** "
            f"({sweep.loc[r.rate, 'val_accuracy']:.4f})."
        )
    reg = r.regularizers
    reg_table = reg.table[["name", "val_accuracy", "train_accuracy", "gap", "seconds"]]
    summary: list[str] = []
    r.model.summary(print_fn=lambda line, *a, **k: summary.append(line))
    verdict = _verdict(r.test_accuracy, r.quick)
    curves = figures.get("curves", "")
    return f"""
The model obeys the set's rules (checked by `check_model(model, CNN_RULES)`): Sequential, only
Conv2D, MaxPooling2D, BatchNormalization, Dropout, Dense, ReLU, Softmax and Flatten layers,
**{r.model.count_params():,} parameters** (< 1,000,000), {r.active_layers("Dropout")} Dropout
layers with rate {r.rate:g} > 0 and {r.active_layers("BatchNormalization")} BatchNormalization
layers; categorical cross-entropy, batch size 32, Adam with a cosine-decayed learning rate. Sweep
and final model train on images shifted by up to {MAX_SHIFT} pixel each way, drawn afresh every
epoch in the input pipeline (`companion.augment.shifted_batches`), so the model keeps only the
allowed layers; the validation and test images are not shifted.

**Dropout sweep.** Every Dropout layer set to each of the ten rates 0.0 … 0.9, one epoch each
on {r.sweep_images:,} training images (a subset, to leave time for the comparison below),
scored on the validation split:

{figures.get("sweep", "")}
{markdown_table(r.sweep)}
We choose on the **validation** split, and never rate 0 (a Dropout of rate 0 drops nothing,
and the set's rules need dropout). {choice} The test column is shown only to make a point:
picking the rate by test accuracy (here {r.best_test_rate:g}) would tune the model to the test
set, which then no longer estimates accuracy on new data. A one-epoch score also need not
predict the ten-epoch one.

**Which regularisation works best?** The same CNN trained alike with none, batch norm only,
dropout only (rate {reg.rate:g}), batch norm + dropout, and an L2 weight penalty
({reg.l2:g}·Σw² on every kernel, no batch norm or dropout): {reg.train_images:,} unshifted
training images, {reg.epochs} epochs, scored on the validation split. The gap is accuracy on
those training images (inference mode) minus validation accuracy; one seed each.

{figures.get("regularizers", "")}
{markdown_table(reg_table)}
{regularizer_text(reg)}

**Final model.** Dropout {r.rate:g}, {r.epochs} epochs, batch size 32, all training images:

{curves}
Test accuracy, measured once: **{r.test_accuracy:.4f}**, which {verdict}. The model is saved as
`4F_cnn.keras`.

<details><summary>model.summary()</summary>

```
{chr(10).join(summary)}
```
</details>
"""


def cnn_results(r: CnnResult) -> dict:
    """4F's summary.json entry: the sweep, the regularisers, the final model's scores."""
    best, _, _ = r.regularizers.best()
    return {
        "params": r.model.count_params(),
        "test_accuracy": r.test_accuracy,
        "epochs": r.epochs,
        "batch_size": BATCH_SIZE,
        "dropout_rate": r.rate,
        "best_val_rate": r.best_val_rate,
        "dropout_sweep": r.sweep.to_dict(orient="records"),
        "sweep_images": r.sweep_images,
        "regularizers": r.regularizers.table[["name", "val_accuracy", "gap"]].to_dict("records"),
        "best_regularizer": best,
        "regularizer_images": r.regularizers.train_images,
        "regularizer_epochs": r.regularizers.epochs,
        "final_val_accuracy": float(r.history["val_accuracy"].iloc[-1]),  # the last epoch
        "seconds_per_epoch": float(r.history["seconds"].mean()),
        "meets_set_bar": r.test_accuracy >= SET_BAR,
        "meets_our_bar": r.test_accuracy >= OUR_BAR,
        "model_file": "4F_cnn.keras",
    }


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
    """One line: the chosen rate, the best regulariser and the test accuracy."""
    best, _, _ = r.regularizers.best()
    return (
        f"dropout {r.rate:g}, best regulariser {best}, "
        f"test accuracy {r.test_accuracy:.4f} ({_verdict(r.test_accuracy, r.quick)})"
    )


def run_4f(ctx: Context) -> Section:
    """4F: sweep the dropout rate, compare regularisers, train the final CNN, test it once."""
    data, quick = ctx.mnist(), ctx.quick
    sweep_images = min(1_024 if quick else 20_480, len(data.x_train))
    sweep = dropout_sweep(data, train_images=sweep_images, seed=ctx.seed_for("sweep"))
    rate = choose_rate(sweep, SWEEP_TOLERANCE)
    regularizers = compare_regularizers(
        data,
        rate=rate,
        train_images=1_024 if quick else 5_120,
        epochs=ctx.epochs(2 if quick else 4),
        seed=ctx.seed_for("regularizers"),
    )
    epochs, out = ctx.epochs(2 if quick else 10), ctx.folder  # the run folder owns its files
    model, history = final_cnn(data, rate=rate, out=out, epochs=epochs, seed=ctx.seed_for("final"))
    (test,) = accuracies(model, (data.x_test, data.y_test))  # the one use of the test split
    r = CnnResult(sweep, sweep_images, rate, regularizers, model, history, test, epochs, quick)
    ctx.folder.write_file("4F_cnn.keras", model.save)
    ctx.folder.save_table(sweep, "4F_dropout_sweep")
    ctx.folder.save_table(regularizers.table, "4F_regularizers")
    figures = {
        "sweep": ctx.folder.figure_md(
            plot_sweep(sweep), "4F_dropout_sweep", "Accuracy after one epoch per dropout rate"
        ),
        "regularizers": ctx.folder.figure_md(
            plot_regularizers(regularizers), "4F_regularizers", "Regularisers compared"
        ),
        "curves": "![training curves](figures/4F_cnn_curves.png)\n",
    }
    return Section(text_4f(r, figures), cnn_results(r), cnn_headline(r))
