"""Problem 1B: the demos with sigmoid units next to the random-start ReLU net, trained long.

The net is 1A's (`p1a_init.playground_net`) with sigmoid hidden units, trained by 1A's
`train_demos` for the set's 4000 epochs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chapters.ch1_principles.demo_figures import (
    boundary_animation,
    boundary_figure,
    gif_md,
    gradient_figure,
    loss_figure,
)
from chapters.ch1_principles.demo_text import (
    by_seed_text,
    comparison_shown,
    comparison_verdicts,
    demo_rows,
    epoch_text,
    figure_block,
    per_seed_results,
    seed_table,
    seeds_text,
    spread_results,
    spread_table,
    spread_text,
    verdict,
    verdict_word,
)
from chapters.ch1_principles.demos import (
    PLATEAU_DROP,
    RELU_EXPECTED_BY,
    SETTLE_ATOL,
    SETTLE_FRACTION,
    SETTLE_HOLD,
    VISIBLE_LOSS,
    DemoFit,
    demo_seeds,
    milestone_table,
    save_fits,
)
from chapters.ch1_principles.p1a_init import train_demos
from companion import pset
from companion.playground.boundary import square_points
from companion.playground.model import predict_points
from companion.probes import dense_layers
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.words import count

EPOCHS_1B, QUICK_1B = pset.EPOCHS_1B, pset.QUICK_EPOCHS_1B
DEMOS_1B = pset.DEMOS_1B
# What the set's students saw (reference/problem-set.md, 1A and 1B):
SIGMOID_REPORTED = pset.SIGMOID_REPORTED
ZERO_SIGMOID_REPORTED = pset.ZERO_SIGMOID_REPORTED


@dataclass
class ActivationDemos:
    """Problem 1B: ReLU and sigmoid, random and zero starts, several seeds, trained long.

    `table` has one row per demo and seed (see `DemoFit.milestones`); `gradients` one
    row per random-start fit: the first hidden layer's gradient norm over the output
    layer's, at the start and the median over training; `symmetry` one row per seed of
    the zero-started sigmoid net: the largest difference between units' incoming weights
    (at the end and the most over training), and how much its output changes across its
    units' shared direction (`boundary_spread`, 0 for a straight boundary).
    """

    table: pd.DataFrame
    gradients: pd.DataFrame
    symmetry: pd.DataFrame
    epochs: int
    fits: list[DemoFit] = field(default_factory=list)


def boundary_spread(model) -> tuple[float, list[float]]:
    """How much a net with identical first-layer units changes across their shared direction.

    Identical units see only w·x (w: their shared incoming weights), so the output is
    constant along every line perpendicular to w and the boundary is straight. Returns the
    largest output change when each grid point moves one unit along such a line (0 for a
    straight boundary, more if the units differ), and w.
    """
    w = np.asarray(dense_layers(model, include_output=False)[0].kernel)[:, 0].astype(float)
    if not np.linalg.norm(w) > 0:
        return 0.0, w.tolist()
    normal = (np.array([-w[1], w[0]]) / np.linalg.norm(w)).astype("float32")
    points = square_points(resolution=60)
    change = predict_points(model, points + normal) - predict_points(model, points)
    return float(np.abs(change).max()), w.tolist()


def gradient_row(fit: DemoFit) -> dict[str, Any]:
    """First hidden layer's gradient norm over the output layer's: at the start, median."""
    norms = fit.gradient_norms
    ratio = norms["hidden_1"] / norms["output"]
    return {
        "demo": fit.demo,
        "seed": fit.seed,
        "first / output at start": float(ratio[norms["epoch"] == 0].item()),
        "first / output, median over training": float(ratio.median()),
    }


def symmetry_row(fit: DemoFit) -> dict[str, Any]:
    """The zero-started net's unit symmetry and how straight its boundary is."""
    spread, direction = boundary_spread(fit.model)
    by_epoch = fit.symmetry.set_index("epoch")["symmetry"]
    return {
        "seed": fit.seed,
        "symmetry_end": float(by_epoch[by_epoch.index.max()]),
        "symmetry_max": float(fit.symmetry["symmetry"].max()),
        "boundary_spread": spread,
        "direction": direction,
    }


def activation_demos(
    *, seeds=(0, 1, 2), epochs: int = EPOCHS_1B, demos=DEMOS_1B, seed: int = 0
) -> ActivationDemos:
    """Problem 1B: the sigmoid demos next to the random-start ReLU net, per seed.

    Args:
        seeds: seed indices; each draws the data and the random start from `seed` (the
            same start for ReLU and sigmoid, so the two compare seed by seed).
        epochs: epochs per fit (the set's 4000).
        demos: (activation, init) pairs; the zero-started ReLU net is left out by default
            (1A measures that it cannot move).
        seed: the base seed the data and starts are derived from (see `demos`).
    """
    fits = train_demos(demos, seeds=seeds, epochs=epochs, seed=seed, norms=True)
    gradients = pd.DataFrame([gradient_row(f) for f in fits if f.init == "playground"])
    symmetry = pd.DataFrame([symmetry_row(f) for f in fits if f.demo == "sigmoid/zeros"])
    return ActivationDemos(milestone_table(fits), gradients, symmetry, epochs, fits)


def _paired(table: pd.DataFrame, column: str, slow: str, fast: str) -> pd.DataFrame:
    """Per seed, `column` for two demos side by side (NaN: not reached)."""
    a = demo_rows(table, slow).set_index("seed")[column]
    b = demo_rows(table, fast).set_index("seed")[column]
    return pd.DataFrame({"slow": a, "fast": b}).dropna(how="all")


def speed_ratios(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Sigmoid's epoch over ReLU's, per seed where both got there: first below 0.05, settle."""
    ratios = {}
    for column in ("first_below_0_05", "settle_epoch"):
        both = _paired(table, column, "sigmoid/random", "relu/random").dropna()
        ratios[column] = both["slow"] / both["fast"].clip(lower=1)
    return ratios


def speed_text(table: pd.DataFrame, epochs: int) -> str:
    """Sigmoid against ReLU from the random start, seed by seed, in words chosen by the numbers."""
    pairs = _paired(table, "first_below_0_05", "sigmoid/random", "relu/random")
    seeds = len(pairs)
    ratios = speed_ratios(table)
    later = int((pairs["slow"].fillna(np.inf) > pairs["fast"].fillna(np.inf)).sum())
    earlier = int((pairs["slow"].fillna(np.inf) < pairs["fast"].fillna(np.inf)).sum())
    sentences = [
        f"From the same start and data, sigmoid's test loss falls below 0.05 later than "
        f"ReLU's in {seeds_text(later, seeds)}"
        + (f" and earlier in {seeds_text(earlier, seeds)}" if earlier else "")
        + "."
    ]
    if len(ratios["first_below_0_05"]):
        ratio = ratios["first_below_0_05"]
        sentences.append(
            f"Where both get there, sigmoid takes {spread_text(ratio, fmt='{:.1f}')}× "
            "(min / median / max) as many epochs."
        )
    missing = pairs[pairs["slow"].isna() & pairs["fast"].notna()]
    if len(missing):
        sentences.append(
            f"In {seeds_text(len(missing), seeds)} ReLU gets there (epoch "
            f"{', '.join(epoch_text(v, epochs) for v in missing['fast'])}) and sigmoid does "
            f"not within {epochs} epochs."
        )
    settle = _paired(table, "settle_epoch", "sigmoid/random", "relu/random")
    ratio = ratios["settle_epoch"]
    if len(ratio):
        sentences.append(
            f"Where both settled ({seeds_text(len(ratio), seeds)}), sigmoid settles at "
            f"{spread_text(ratio, fmt='{:.1f}')}× ReLU's epoch."
        )
    unsettled = settle[settle.isna().any(axis=1)]
    for name, column in (("sigmoid", "slow"), ("ReLU", "fast")):
        count = int(unsettled[column].isna().sum())
        if count:
            sentences.append(
                f"In {seeds_text(count, seeds)} {name} is not settled within {epochs} epochs "
                "(no speed ratio is taken from those)."
            )
    final = _paired(table, "final_test_loss", "sigmoid/random", "relu/random")
    higher = int((final["slow"] > final["fast"]).sum())
    sentences.append(
        f"Sigmoid ends at a higher test loss than ReLU in {seeds_text(higher, seeds)}"
        + ("." if higher else ": not worse at the end.")
    )
    return " ".join(sentences)


def gradient_text(gradients: pd.DataFrame) -> str:
    """Where the backprop reason shows in the measured gradient norms, or does not."""
    at_start = gradients.groupby("demo")["first / output at start"].median()
    sig, relu = at_start.get("sigmoid/random"), at_start.get("relu/random")
    if sig is None or relu is None:
        return ""
    measured = (
        f"At the start the first hidden layer's gradient norm is {sig:.3g} of the output "
        f"layer's with sigmoid against {relu:.3g} with ReLU (medians over seeds; the figure "
        "follows the norms per layer over training)"
    )
    if sig < relu:
        return measured + ": the sigmoid net's lower layers start almost still."
    return measured + ": here the sigmoid net's first layer is not the slower one to start."


def zero_sigmoid_text(table: pd.DataFrame, symmetry: pd.DataFrame, epochs: int) -> str:
    """The zero-started sigmoid fits: plateau exits, symmetry and boundary, as measured."""
    zeros, random = demo_rows(table, "sigmoid/zeros"), demo_rows(table, "sigmoid/random")
    seeds, left = len(zeros), int(zeros["left_plateau"].sum())
    if left:
        progress = (
            f"It leaves the plateau (its test loss falls {PLATEAU_DROP:.0%} below the "
            f"constant guess's) in {seeds_text(left, seeds)}: "
            f"{by_seed_text(zeros, 'plateau_exit', epochs)}."
        )
    else:
        progress = (
            f"In {seeds_text(seeds, seeds)} it is still on the plateau after {epochs} epochs "
            f"(never {PLATEAU_DROP:.0%} below the constant guess's loss)."
        )
    most = float(symmetry["symmetry_max"].max())
    exact = "exactly 0" if most == 0 else f"at most {most:.3g}"
    roundoff = (
        "Exactly 0, not round-off: on this backend the kernels compute identical units' sums "
        "in the same order, so nothing ever separates them."
        if most == 0
        else "Not exactly 0: the backend's kernels sum in different orders for different "
        "units, so round-off separates them slightly; the units are still identical in "
        "exact arithmetic."
    )
    spread = float(symmetry["boundary_spread"].max())
    straight = (
        "so the boundary is a straight line (or none)"
        if spread < 1e-3
        else "in exact arithmetic; here the units have drifted apart enough that the boundary bends"
    )
    worse = int(
        (
            zeros.set_index("seed")["final_test_loss"] > random.set_index("seed")["final_test_loss"]
        ).sum()
    )
    ends = (
        f"A straight line cannot separate a disc from a ring; at best it cuts off part of the "
        f"ring. The zero start ends at a higher test loss than the random start in "
        f"{seeds_text(worse, seeds)} ({spread_text(zeros['final_test_loss'], fmt='{:.3f}')} "
        f"against {spread_text(random['final_test_loss'], fmt='{:.4f}')}, min / median / max)."
    )
    return (
        f"{progress} It can never use its width: every unit of a layer gets the same "
        f"gradient, so the units stay identical. The symmetry measure (largest difference "
        f"between two units' incoming weights in a layer) is **{exact}** over every run. "
        f"{roundoff} A net of identical units is a 1-1-1 chain: its output depends on x only "
        f"through w·x (w: the units' shared incoming weights), {straight}. Measured: moving "
        f"every grid point one unit across w changes the output by at most {spread:.3g}. {ends}"
    )


def comparison_1b(table: pd.DataFrame, epochs: int) -> pd.DataFrame:
    """1B's measured milestones next to what the set's students saw, with a verdict each."""
    relu, sig = demo_rows(table, "relu/random"), demo_rows(table, "sigmoid/random")
    zeros = demo_rows(table, "sigmoid/zeros")
    seeds = len(sig)
    fast = int((relu["first_below_0_05"].fillna(np.inf) <= RELU_EXPECTED_BY).sum())
    pairs = _paired(table, "first_below_0_05", "sigmoid/random", "relu/random").fillna(np.inf)
    slower = int((pairs["slow"] > pairs["fast"]).sum())
    nearest = sigmoid_reported_text(sig, epochs)
    return pd.DataFrame(
        [
            {
                "demo": "relu, random start",
                "the set": "a couple of hundred epochs (1A; a 2023 student: about 200)",
                "this run": f"below 0.05 at epoch {spread_text(relu['first_below_0_05'], epochs)}",
                "agrees?": verdict(
                    fast, seeds, f"no seed below 0.05 within {RELU_EXPECTED_BY} epochs"
                ),
                "verdict": verdict_word(fast, seeds),
            },
            {
                "demo": "sigmoid, random start",
                "the set": "much slower than ReLU: the loss drops noticeably only after about "
                "500 (2017 and 2019 students) or 2000 epochs (a 2023 student)",
                "this run": f"drops noticeably ({PLATEAU_DROP:.0%} below the constant guess) at epoch "
                f"{spread_text(sig['plateau_exit'], epochs)}; below 0.05 at epoch "
                f"{spread_text(sig['first_below_0_05'], epochs)}; later than ReLU in "
                f"{seeds_text(slower, seeds)}",
                "agrees?": (
                    verdict(slower, seeds, "sigmoid is not slower in any seed") + "; " + nearest
                ),
                "verdict": verdict_word(slower, seeds),
            },
            {
                "demo": "sigmoid, zero start",
                "the set": f"a plateau, then learning after about {ZERO_SIGMOID_REPORTED}–3300 "
                "epochs (a 2017 student); a linear boundary, loss about 0.4 (a 2023 student)",
                "this run": "left the plateau at "
                f"{by_seed_text(zeros, 'plateau_exit', epochs)}; final "
                f"{spread_text(zeros['final_test_loss'], fmt='{:.3f}')}",
                "agrees?": zero_sigmoid_verdict(zeros, epochs),
                "verdict": zero_sigmoid_finding(zeros, epochs)[0],
            },
        ]
    )


def zero_sigmoid_finding(zeros: pd.DataFrame, epochs: int) -> tuple[str, str]:
    """Whether the zero-started sigmoid fits leave their plateau "late or never", as reported:
    the verdict ("yes", "no" or "cannot tell") and what it rests on."""
    exits, seeds = zeros["plateau_exit"].dropna(), len(zeros)
    late = ZERO_SIGMOID_REPORTED // 2
    early = int((exits < late).sum())
    if early:
        return "no", f"it leaves early (before epoch {late}) in {seeds_text(early, seeds)}"
    if len(exits) == seeds:
        return "yes", "late, in every seed"
    if len(exits):
        return "yes", (
            f"late in {seeds_text(len(exits), seeds)}; never within {epochs} in the others"
        )
    if epochs < ZERO_SIGMOID_REPORTED:
        return "cannot tell", (
            f"no exit within {epochs} epochs, shorter than the set's {ZERO_SIGMOID_REPORTED}"
        )
    return "yes", "never, in every seed"


def zero_sigmoid_verdict(zeros: pd.DataFrame, epochs: int) -> str:
    """The zero-started sigmoid's verdict in words ("yes: late, in every seed")."""
    word, detail = zero_sigmoid_finding(zeros, epochs)
    return f"{word}: {detail}"


def sigmoid_reported_place(sig: pd.DataFrame, epochs: int) -> int | str:
    """Where the median "drops noticeably" epoch falls against the reported 500 and 2000.

    The nearer reported epoch (on a log scale); "later" when the median seed does not drop
    in a run longer than both; "cannot place" when it does not drop in a shorter run.
    """
    median = sig["plateau_exit"].fillna(np.inf).median()
    if np.isinf(median):
        return "later" if epochs > max(SIGMOID_REPORTED) else "cannot place"
    return min(SIGMOID_REPORTED, key=lambda r: abs(np.log(max(median, 1) / r)))


def sigmoid_reported_text(sig: pd.DataFrame, epochs: int) -> str:
    """Which reported epoch (500 or 2000) the median "drops noticeably" epoch is nearer."""
    place = sigmoid_reported_place(sig, epochs)
    where = f"{' and '.join(map(str, SIGMOID_REPORTED))}"
    if place == "later":
        return f"later than {where}: the median seed does not drop within {epochs} epochs"
    if place == "cannot place":
        return f"cannot place against {where}: the median seed does not drop within {epochs}"
    median = sig["plateau_exit"].fillna(np.inf).median()  # a miss counts as latest
    return f"drops at median epoch {median:g}: nearer {SIGMOID_REPORTED[place]} {place}"


def text_1b(result: ActivationDemos, figures: Mapping[str, str] | None = None) -> str:
    """Problem 1B's report section, every comparison chosen by the result's numbers."""
    figures = figures or {}
    table, epochs = result.table, result.epochs
    seeds = int(table.groupby("demo").size().min())
    length = (
        f"{epochs} epochs (the set's number)"
        if epochs == EPOCHS_1B
        else f"**{epochs} epochs** (shortened from the set's {EPOCHS_1B}: this is not the set's run)"
    )
    relu_zero = demo_rows(table, "relu/zeros")
    relu_zero_text = (
        f"The zero-started ReLU net stays on its plateau in "
        f"{seeds_text(seeds - int(relu_zero['left_plateau'].sum()), len(relu_zero))} "
        "here too, as 1A's backprop argument says it must."
        if len(relu_zero)
        else "(The zero-started ReLU net is not rerun here: 1A measures that every gradient "
        "but its output bias's is exactly 0, so no number of epochs can move it.)"
    )
    return f"""
The two demos with sigmoid hidden units, next to the random-start ReLU net, {length}, {count(seeds, "seed")}
(each draws the data and the random start; ReLU and sigmoid share both, seed by seed).
**Settle rule**: a fit has settled at the first epoch from which its test loss stays within
max({SETTLE_FRACTION:.0%} of its total fall, {SETTLE_ATOL:g}) of its final value for good (the
total fall is the largest loss seen minus the final one; the floor keeps a flat curve from
counting round-off as movement); a fit still outside that band in its last {SETTLE_HOLD:.0%} of
epochs is **not settled within {epochs} epochs**.

{markdown_table(spread_table(table))}
Per seed:

{markdown_table(seed_table(table), floatfmt="{:.4f}")}
**Speed.** {speed_text(table, epochs)} The reason is in backprop:
δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(s^l) and σ′(s) = σ(s)(1 − σ(s)) ≤ ¼, so each sigmoid layer
the error passes through multiplies it by at most ¼ (times the small starting weights),
while ReLU passes it on at full strength wherever a unit is on. {gradient_text(result.gradients)}

**Zero start.** Unlike ReLU, sigmoid(0) = ½ ≠ 0: the hidden outputs x^(L−1) are ½, so the
output weights get a gradient at the first step, and from there the updates reach the
layers below (∂L/∂W^l carries W^(l+1), which is no longer 0), tiny at first because they
are products of weights that start at 0. {zero_sigmoid_text(table, result.symmetry, epochs)}
{relu_zero_text}

**Against what the set says a Playground user sees** (quoted from the problem set's notes,
`reference/problem-set.md` §1A–1B, students' write-ups; "a couple of hundred" read as at most
{RELU_EXPECTED_BY} epochs, "late" as after half the reported {ZERO_SIGMOID_REPORTED}):

{markdown_table(comparison_shown(comparison_1b(table, epochs)))}
{figure_block(figures, ("loss", "boundaries", "animation", "gradients"))}
"""


def results_1b(result: ActivationDemos) -> dict[str, Any]:
    """1B's summary.json entry."""
    s = result.symmetry
    return {
        "epochs": result.epochs,
        "seeds": sorted(int(k) for k in result.table["seed"].unique()),
        "per_seed": per_seed_results(result.table),
        "spread": spread_results(result.table),
        "zero_init_symmetry": float(s["symmetry_end"].max()) if len(s) else None,
        "zero_init_symmetry_max": float(s["symmetry_max"].max()) if len(s) else None,
        "zero_init_boundary_spread": float(s["boundary_spread"].max()) if len(s) else None,
        "gradient_ratios": result.gradients.to_dict(orient="records"),
        "settle_rule": (
            f"first epoch after which the test loss stays within max({SETTLE_FRACTION} x "
            f"(largest - final), {SETTLE_ATOL}) of its final value; null when that epoch is "
            f"in the last {SETTLE_HOLD:.0%} of the run (not settled)"
        ),
        "visible_loss": VISIBLE_LOSS,
        "sigmoid_speed_ratios": {
            column: [float(r) for r in ratio]
            for column, ratio in speed_ratios(result.table).items()
        },
        "verdicts": comparison_verdicts(comparison_1b(result.table, result.epochs)),
        "sigmoid_reported_place": sigmoid_reported_place(
            demo_rows(result.table, "sigmoid/random"), result.epochs
        ),
    }


def headline_1b(result: ActivationDemos) -> str:
    """1B's one line for the terminal: median first epochs below 0.05."""
    t, epochs = result.table, result.epochs

    def median(demo: str) -> str:
        value = demo_rows(t, demo)["first_below_0_05"].fillna(np.inf).median()
        return f"not within {epochs}" if np.isinf(value) else f"{value:g}"

    left = int(demo_rows(t, "sigmoid/zeros")["left_plateau"].sum())
    seeds = len(demo_rows(t, "sigmoid/zeros"))
    return (
        f"{count(seeds, 'seed')}, {epochs} epochs: median first epoch below 0.05 relu {median('relu/random')} "
        f"vs sigmoid {median('sigmoid/random')}; zero-init sigmoid left plateau in {left}/{seeds}"
    )


def figures_1b(ctx: Context, result: ActivationDemos) -> dict[str, str]:
    """1B's figures and GIF saved in the run folder, as Markdown by name."""
    sigmoid = [fit for fit in result.fits if fit.activation == "sigmoid"]
    random = [fit for fit in result.fits if fit.init == "playground"]
    first = sigmoid[0].seed
    figure = ctx.folder.figure_md
    return {
        "loss": figure(loss_figure(result.fits), "1B_loss", "1B: test loss, every seed"),
        "boundaries": figure(
            boundary_figure([fit for fit in sigmoid if fit.seed == first]),
            "1B_boundaries",
            f"1B: the sigmoid fits' output over time (seed {first})",
        ),
        "animation": gif_md(
            ctx,
            boundary_animation(sigmoid, title="1B"),
            "1B_boundaries",
            "1B: the sigmoid fits' boundaries over the epochs, every seed (animated GIF)",
        ),
        "gradients": figure(
            gradient_figure(random), "1B_gradients", "1B: gradient norm per layer, random starts"
        ),
    }


def run_1b(ctx: Context) -> Section:
    """Problem 1B: train the demos from one seed, save tables, figures and the GIF, write the section."""
    epochs = ctx.epochs(QUICK_1B if ctx.quick else EPOCHS_1B)
    result = activation_demos(seeds=demo_seeds(ctx), epochs=epochs, seed=ctx.seed_for("demos"))
    save_fits(ctx, result.fits)
    ctx.folder.save_table(result.table, "1B_milestones")
    figures = figures_1b(ctx, result)
    return Section(text_1b(result, figures), results_1b(result), headline_1b(result))
