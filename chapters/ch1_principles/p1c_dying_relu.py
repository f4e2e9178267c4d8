"""Problem 1C: dying ReLU units and data ordering, one pass of SGD with all negatives first.

The net is written out in `dying_net` (a Playground-style ReLU net, its compile) and trained
in `dying_relu`, one example a step, by `companion.playground.one_pass.probed_pass`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
import matplotlib.pyplot as plt
import pandas as pd
from keras import layers

from companion import pset
from companion.data.playground import ordered_dataset
from companion.playground.model import classification_accuracy, half_squared_error, reinitialize
from companion.playground.one_pass import probed_pass
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import derive_seed, set_seed

MEANS = ["dead_after_half", "dead_max", "dead_end", "positive_end", "accuracy"]
# The thresholds 1C's verdicts use (shares are means over outputs and seeds).
DEAD_MARGIN = 0.02  # ordered vs shuffled largest dead share closer than this: "about as many"
LAST_CLASS_MARGIN = 0.05  # fits the last class: < 5 % positive after the negatives, > 95 % at end
FEW_DEAD = 0.1  # the strict effect is small: ordered nets' largest dead share below this
MORE_DEAD = 0.05  # a large rate kills more: both orders above the low rate's ordered share by this
ORDER_MARGIN = 0.01  # at the large rate, shuffled counts as deadlier only by more than this


@dataclass
class DyingRelu:
    """Problem 1C: dead ReLU units and accuracy, ordered against shuffled data."""

    table: pd.DataFrame
    curves: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> DyingFindings:
        """The verdicts the report states, chosen by this result's table."""
        return dying_findings(self.table)


@dataclass(frozen=True)
class DyingFindings:
    """1C's verdicts, each chosen by the runs' means (the report's sentences read these)."""

    # Per rate: the ordered nets' largest dead share against the shuffled: "more", "fewer"
    # or "about as many".
    dead_compared: dict[float, str]
    # The ordered nets call almost nothing positive after the negatives, almost all at the end.
    fits_last_class: bool
    # At the lowest rate the ordered nets' largest dead share stays below FEW_DEAD.
    strict_effect_small: bool
    # The largest rate's dead share beats the lowest rate's ordered one, in both orders.
    large_rate_kills_more: bool
    # Where it does: the order with more dead units, "shuffled" or "negatives_first".
    large_rate_more_dead_with: str | None

    def summary(self) -> dict[str, Any]:
        """summary.json's form: rates as text keys."""
        return {
            **asdict(self),
            "dead_compared": {f"{r:g}": v for r, v in self.dead_compared.items()},
        }


def uniform() -> dict[str, keras.initializers.Initializer]:
    """The Playground's start for one Dense layer: weights U(−0.5, 0.5), biases 0.1."""
    limit = pset.PLAYGROUND_INIT_RANGE
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-limit, limit),
        "bias_initializer": keras.initializers.Constant(pset.PLAYGROUND_INIT_BIAS),
    }


def dying_net(
    output: str = "tanh",
    *,
    hidden: Sequence[int] = pset.DYING_HIDDEN,
    learning_rate: float = pset.PLAYGROUND_LEARNING_RATE,
) -> keras.Model:
    """1C's net: x1, x2 in, ReLU hidden layers, a tanh, linear or softmax output, plain SGD.

    tanh and linear outputs fit ±1 labels by ½(ŷ − y)²; softmax fits 0/1 labels by
    cross-entropy over two units. Every start is drawn anew by `reinitialize`.
    """
    if output not in pset.DYING_OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(pset.DYING_OUTPUTS)}, got {output!r}")
    model = keras.Sequential(
        [
            keras.Input(shape=(2,), name="points"),
            *[layers.Dense(units, activation="relu", **uniform()) for units in hidden],
            layers.Dense(2 if output == "softmax" else 1, activation=output, **uniform()),
        ],
        name=f"dying_{output}",
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy" if output == "softmax" else half_squared_error,
    )
    return model


def dying_relu(
    *,
    dataset: str = pset.PLAYGROUND_DATASET,
    n: int = pset.DYING_POINTS,
    seeds=(0, 1, 2, 3, 4),
    outputs=pset.DYING_OUTPUTS,
    learning_rates=pset.DYING_LEARNING_RATES,
    hidden=pset.DYING_HIDDEN,
    probe_every: int = 50,
    seed: int = 0,
) -> DyingRelu:
    """Problem 1C: one pass of SGD, batch 1, all negatives first vs shuffled, per seed.

    Each seed fixes one data set (n points, half −1, half +1) and one initial net, used for
    both orders, so the two differ only in the order of the examples. The output is tanh or
    linear with ½(ŷ − y)² on ±1 labels, or softmax with cross-entropy on 0/1 labels.
    """
    set_seed(seed)  # every draw below is seeded; this pins any backend op too
    rows, curves = [], []
    for output in outputs:
        labels = "01" if output == "softmax" else "pm1"
        for rate in learning_rates:
            model = dying_net(output, hidden=hidden, learning_rate=rate)
            for s in seeds:
                data_seed = derive_seed(seed, f"1C-data-{s}")
                for order in ("negatives_first", "shuffled"):
                    x, y = ordered_dataset(dataset, n, 0.0, data_seed, order=order, labels=labels)
                    reinitialize(model, derive_seed(seed, f"1C-init-{s}"))  # the pair's start
                    # probed_pass: fast_fit one example a step (fit's weights, ~6× faster), probed
                    curve = probed_pass(model, x, y, probe_every=probe_every)
                    where = {"output": output, "learning_rate": rate, "order": order, "seed": s}
                    curves.append(curve.assign(**where))
                    accuracy = classification_accuracy(model, x, y)
                    rows.append({**where, **pass_row(curve, n), "accuracy": accuracy})
    settings = {
        "dataset": dataset,
        "n": n,
        "hidden": list(hidden),
        "batch_size": pset.DYING_BATCH_SIZE,
    }
    curves = pd.concat(curves, ignore_index=True)[
        [*where, "seen", "dead_fraction", "positive_share"]
    ]
    return DyingRelu(pd.DataFrame(rows), curves, settings)


def pass_row(curve: pd.DataFrame, n: int) -> dict[str, float]:
    """One pass's dead and positive shares at the start, after half the examples, at the end."""
    by_seen = curve.set_index("seen")
    after_half = by_seen.index[by_seen.index >= n // 2].min()  # the first probe after the negatives
    start, half, end = (by_seen.loc[k] for k in (0, after_half, by_seen.index.max()))
    return {
        "dead_start": float(start["dead_fraction"]),
        "dead_after_half": float(half["dead_fraction"]),
        "dead_max": float(curve["dead_fraction"].max()),
        "dead_end": float(end["dead_fraction"]),
        "positive_after_half": float(half["positive_share"]),
        "positive_end": float(end["positive_share"]),
    }


def mean_table(table: pd.DataFrame) -> pd.DataFrame:
    """The runs' shares and accuracy, mean over seeds, per output, rate and order."""
    keys = ["output", "learning_rate", "order"]
    return table.groupby(keys, sort=False)[MEANS].mean().reset_index()


def dying_figure(result: DyingRelu):
    """Dead share over the pass (mean over seeds): a row per rate, a column per output."""
    curves = result.curves
    rates, outputs = list(curves["learning_rate"].unique()), list(curves["output"].unique())
    fig, axes = plt.subplots(
        len(rates), len(outputs), figsize=(3.3 * len(outputs), 2.8 * len(rates)), squeeze=False
    )
    for row, rate in zip(axes, rates):
        for ax, output in zip(row, outputs):
            part = curves[(curves["output"] == output) & (curves["learning_rate"] == rate)]
            for order, style in (("negatives_first", "-"), ("shuffled", "--")):
                mean = part[part["order"] == order].groupby("seen")["dead_fraction"].mean()
                ax.plot(mean.index, mean.values, style, label=order.replace("_", " "))
            ax.axvline(result.settings.get("n", 1000) / 2, color="grey", lw=0.6)
            ax.set(ylim=(-0.02, 1.02), title=f"{output} output, lr {rate:g}")
            ax.grid(alpha=0.3)
        row[0].set_ylabel("dead share (mean of seeds)")
    for ax in axes[-1]:
        ax.set_xlabel("examples seen")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def dying_findings(table: pd.DataFrame) -> DyingFindings:
    """1C's verdicts, each chosen by the runs' means over outputs and seeds."""
    dead_compared = {}
    for rate, part in table.groupby("learning_rate", sort=True):
        by = part.groupby("order")["dead_max"].mean()
        gap = by["negatives_first"] - by["shuffled"]
        dead_compared[float(rate)] = (
            "more" if gap > DEAD_MARGIN else ("fewer" if gap < -DEAD_MARGIN else "about as many")
        )
    ordered = table[table["order"] == "negatives_first"]
    half, end = ordered["positive_after_half"].mean(), ordered["positive_end"].mean()
    rates = sorted(table["learning_rate"].unique())
    low = table[(table["learning_rate"] == rates[0]) & (table["order"] == "negatives_first")]
    high = table[table["learning_rate"] == rates[-1]].groupby("order")["dead_max"].mean()
    kills_more = bool(len(rates) > 1 and high.min() > low["dead_max"].mean() + MORE_DEAD)
    return DyingFindings(
        dead_compared=dead_compared,
        fits_last_class=bool(half < LAST_CLASS_MARGIN and end > 1 - LAST_CLASS_MARGIN),
        strict_effect_small=bool(low["dead_max"].mean() < FEW_DEAD),
        large_rate_kills_more=kills_more,
        large_rate_more_dead_with=(
            None
            if not kills_more
            else "shuffled"
            if high["shuffled"] > high["negatives_first"] + ORDER_MARGIN
            else "negatives_first"
        ),
    )


def dying_summary(table: pd.DataFrame) -> str:
    """The 1C findings in words, chosen by `dying_findings` (nothing assumed)."""
    findings = dying_findings(table)
    sentences = []
    for rate, part in table.groupby("learning_rate", sort=True):
        columns = ["dead_after_half", "dead_max", "dead_end", "accuracy"]
        by = part.groupby("order")[columns].mean()
        o, s = by.loc["negatives_first"], by.loc["shuffled"]
        more = findings.dead_compared[float(rate)]
        sentences.append(
            f"At learning rate {rate:g}, all outputs and seeds together: after the 500 "
            f"negatives {o['dead_after_half']:.1%} of the units are dead on every input when "
            f"ordered, {s['dead_after_half']:.1%} at the same point when shuffled; at most "
            f"{o['dead_max']:.1%} against {s['dead_max']:.1%} during the pass ({more} dead "
            f"with the ordered data); accuracy at the end {o['accuracy']:.3f} ordered against "
            f"{s['accuracy']:.3f} shuffled."
        )
    ordered = table[table["order"] == "negatives_first"]
    half, end = ordered["positive_after_half"].mean(), ordered["positive_end"].mean()
    sentences.append(
        f"The ordered nets call {half:.1%} of all points positive after the 500 negatives "
        f"and {end:.1%} at the end (mean over runs)"
        + (
            ': they learn "everything is −1", then "everything is +1", and fail because they '
            "fit only the class seen last, not mainly because units died."
            if findings.fits_last_class
            else "."
        )
    )
    if findings.strict_effect_small:
        sentences.append(
            "So on these centred 2-D data the strict dying-ReLU effect is small at the "
            "Playground's rate. Our reading: the pressure to say −1 is soon absorbed by the "
            "output bias and by the saturating output (tanh) or the reached target (linear), "
            "and a push that switches a unit off on the outer ring rarely switches it off on "
            "the inner disc too, so units die on some inputs but not on all."
        )
    if findings.large_rate_kills_more:
        which = (
            "more so with shuffled data, whose alternating labels keep the gradients large"
            if findings.large_rate_more_dead_with == "shuffled"
            else "more so with the ordered data"
        )
        sentences.append(
            f"A large rate ({max(findings.dead_compared):g}) kills more units, whatever the "
            f"order (big steps throw a unit's s below 0 on every point); here {which}."
        )
    return " ".join(sentences)


def text_1c(result: DyingRelu, figures: dict[str, str] | None = None) -> str:
    """Problem 1C's report section: the setting, the tables, the reading from the numbers."""
    settings, seeds = result.settings, result.table["seed"].nunique()
    figure = (figures or {}).get("dead", "")
    return f"""
A fully connected ReLU net (2 inputs, hidden layers {settings["hidden"]}, Playground
start) sees {settings["n"]} circle points, 500 labelled −1 and 500 +1, once, by SGD
one example at a time: either all the negatives first or shuffled, with the same points and
the same start for both ({seeds} seeds). A unit is **dead** when it outputs 0 on every
one of the {settings["n"]} points. The output is tanh or linear (½(ŷ − y)² on ±1) or
softmax (cross-entropy on 0/1), the three the 2023 text allows.

Means over seeds:

{markdown_table(mean_table(result.table), floatfmt="{:.3g}")}
Per seed, every pass:

{markdown_table(result.table, floatfmt="{:.3g}")}
**The textbook answer.** During the negatives every step says "output −1". One way down is
to shrink whatever feeds the output positively: a unit with a positive outgoing weight gets
its bias and weights pushed down until its input s = Wx + b is ≤ 0 on every point. There
ReLU′ = 0 (taking the derivative at 0 as 0; with any other value at exactly 0 the unit
still gets no gradient once s < 0 everywhere), so no later gradient reaches its weights. A
first-layer unit dead on every input never comes back, even when the positives arrive (its
inputs are the data, which do not change); a deeper unit comes back only if the layers below
it change its inputs. The net has lost that capacity. Dying needs only a zero gradient over the whole input region, so it is
not ReLU's alone: a sigmoid or tanh unit saturated on every input nearly stops learning
in the same way.

**What we measured.** {dying_summary(result.table)}

{figure}
"""


def results_1c(result: DyingRelu) -> dict[str, Any]:
    """1C's summary.json entry."""
    return {
        "runs": result.table.to_dict(orient="records"),
        "mean": mean_table(result.table).to_dict(orient="records"),
        "settings": result.settings,
        "findings": result.findings.summary(),
    }


def headline_1c(result: DyingRelu) -> str:
    """1C's one line for the terminal: the Playground rate, ordered against shuffled."""
    t = result.table
    low = t[t["learning_rate"] == t["learning_rate"].min()]
    by = low.groupby("order")[["accuracy", "dead_after_half"]].mean()
    ordered, shuffled = by.loc["negatives_first"], by.loc["shuffled"]
    return (
        f"lr {t['learning_rate'].min():g}: accuracy ordered {ordered['accuracy']:.2f} vs "
        f"shuffled {shuffled['accuracy']:.2f}; dead after negatives "
        f"{ordered['dead_after_half']:.0%} vs {shuffled['dead_after_half']:.0%}"
    )


def run_1c(ctx: Context) -> Section:
    """Problem 1C: one pass per output, rate, seed and order; save the tables and the figure."""
    seeds = (0, 1) if ctx.quick else (0, 1, 2, 3, 4)
    probe_every = 100 if ctx.quick else 50
    result = dying_relu(seeds=seeds, probe_every=probe_every, seed=ctx.seed_for("passes"))
    ctx.folder.save_table(result.table, "1C_dying_relu")
    ctx.folder.save_table(result.curves, "1C_dead_fraction_curves")
    ctx.folder.note_data("1C", f"Playground circle, {result.settings['n']} points, 500 per class")
    figures = {
        "dead": ctx.folder.figure_md(
            dying_figure(result), "1C_dead", "1C: dead ReLU share during one pass (grey: half way)"
        )
    }
    return Section(text_1c(result, figures), results_1c(result), headline_1c(result))
