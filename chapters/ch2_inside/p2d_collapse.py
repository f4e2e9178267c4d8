"""Problem 2D: a second linear layer adds no function (shown by numbers); a ReLU does.

`two_linear_layers` and `two_relu_layers` are 2D's nets, written out layer by layer and
trained like 2C's. The two-layer linear net is multiplied out into one layer and their
predictions compared; the ReLU net, multiplied out as if its ReLUs were not there, shows
how far from linear the kink takes it. Every comparison in the text is chosen by the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import layers

from chapters.ch2_inside.p2b_cases import data_line, tag
from chapters.ch2_inside.p2c_linear_net import NetResult, one_layer_net, scores_table, trained_net
from companion.errors import RuleError
from companion.pset import LINEAR_CLASSES, LINEAR_HIDDEN_WIDTH
from companion.run.runner import Context, Section
from companion.tabular.linear import collapse_linear, linear_net
from companion.tabular.plots import plot_feature_bars, plot_loss_curves

MATCH_GAP = 0.05  # linear nets' training losses this close (relative) count as matching
# The two linear nets can express the same functions, so their validation gap is training
# noise; the floor keeps two nets that happen to agree closely from making any change "real".
NOISE_FLOOR = 0.002


def two_linear_layers(
    input_dim: int, *, width: int = LINEAR_HIDDEN_WIDTH, name: str = "two_linear_layers"
) -> keras.Sequential:
    """Problem 2D's net: two linear hidden layers of 5 (no activation), a 2-way softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(input_dim,)),
            layers.Dense(width, name="hidden_1"),  # no activation
            layers.Dense(width, name="hidden_2"),  # no activation: (x W1 + b1) W2 + b2
            layers.Dense(LINEAR_CLASSES, name="output"),
            layers.Softmax(name="softmax"),
        ],
        name=name,
    )


def two_relu_layers(
    input_dim: int, *, width: int = LINEAR_HIDDEN_WIDTH, name: str = "two_relu_layers"
) -> keras.Sequential:
    """2D's comparison: the same net with a ReLU after each hidden layer."""
    return keras.Sequential(
        [
            keras.Input(shape=(input_dim,)),
            layers.Dense(width, name="hidden_1"),
            layers.ReLU(name="relu_1"),  # max(0, .): the kink a linear net lacks
            layers.Dense(width, name="hidden_2"),
            layers.ReLU(name="relu_2"),
            layers.Dense(LINEAR_CLASSES, name="output"),
            layers.Softmax(name="softmax"),
        ],
        name=name,
    )


@dataclass
class Collapse:
    """Problem 2D's numbers: the one-layer net, a deep linear net, and a ReLU net."""

    one_layer: NetResult
    two_layer: NetResult
    relu: NetResult
    collapsed_max_abs_diff: float
    relu_collapse_max_abs_diff: float
    refusal: str

    @property
    def training_loss_gap(self) -> float:
        """The two linear nets' final training losses apart, relative to the larger."""
        a, b = self.one_layer.final_loss, self.two_layer.final_loss
        return abs(a - b) / max(a, b)

    @property
    def losses_match(self) -> bool:
        """Whether the two linear nets' training losses end within MATCH_GAP of each other."""
        return self.training_loss_gap <= MATCH_GAP

    @property
    def linear_noise(self) -> float:
        """The linear nets' validation-loss gap (floor NOISE_FLOOR): training noise, not capacity."""
        gap = abs(self.one_layer.final_val_loss - self.two_layer.final_val_loss)
        return max(gap, NOISE_FLOOR)

    @property
    def relu_change(self) -> float:
        """How far the ReLU net's validation loss is below the better linear net's."""
        best = min(self.one_layer.final_val_loss, self.two_layer.final_val_loss)
        return best - self.relu.final_val_loss

    @property
    def relu_finding(self) -> str:
        """ "better", "worse" or "within noise": the ReLU net against the linear ones."""
        if self.relu_change > 2 * self.linear_noise:
            return "better"
        if self.relu_change < -2 * self.linear_noise:
            return "worse"
        return "within noise"

    @property
    def nets(self) -> dict[str, NetResult]:
        """The three nets under the names the report and figures use."""
        return {
            "one linear layer (5)": self.one_layer,
            "two linear layers (5, 5)": self.two_layer,
            "ReLU (5, 5)": self.relu,
        }

    def summary(self) -> dict[str, Any]:
        """The numbers summary.json keeps: the two-layer net's, then the others'."""
        two = self.two_layer
        log_odds = two.log_odds().round(5)
        return {
            **two.summary(),
            "collapse_max_abs_diff": self.collapsed_max_abs_diff,
            "one_layer_final_loss": self.one_layer.final_loss,
            "one_layer_final_val_loss": self.one_layer.final_val_loss,
            "relu": self.relu.summary(),
            "relu_collapse_max_abs_diff": self.relu_collapse_max_abs_diff,
            "log_odds_weights": dict(zip(two.data.feature_names, log_odds)),
            "synthetic": bool(two.data.source.get("synthetic")),
            "training_loss_gap": self.training_loss_gap,
            "losses_match": self.losses_match,
            "relu_val_loss_change": self.relu_change,
            "linear_val_loss_noise": self.linear_noise,
            "relu_finding": self.relu_finding,
        }


def collapse_demo(one: NetResult, two: NetResult, relu: NetResult, x=None) -> Collapse:
    """Problem 2D: collapse the two-layer linear net to one layer and compare predictions.

    The same multiplication applied to the ReLU net's Dense layers (ignoring the ReLUs)
    shows how far from linear the ReLU makes it. `x`: the rows to compare on (default:
    the test split).
    """
    x = two.data.x_test if x is None else x
    diff = _max_diff(two.model, collapse_linear(two.model), x)
    try:
        collapse_linear(relu.model)
        refusal = ""
    except RuleError as error:
        refusal = str(error)
    # The ReLU net's weights in the same net without its ReLUs, then multiplied out.
    without = linear_net(relu.data.input_dim, hidden=relu.settings["hidden"], name="no_relu")
    without.set_weights(relu.model.get_weights())  # ReLU layers hold no weights
    relu_diff = _max_diff(relu.model, collapse_linear(without, name="relu_dropped"), x)
    return Collapse(one, two, relu, diff, relu_diff, refusal)


def _max_diff(model_a, model_b, x) -> float:
    a = model_a.predict(x, batch_size=4096, verbose=0)
    b = model_b.predict(x, batch_size=4096, verbose=0)
    return float(np.max(np.abs(a - b)))


def text_2d(demo: Collapse, figures: dict[str, str] | None = None) -> str:
    """Problem 2D's Markdown: the three nets' scores, the collapse by numbers, the ReLU."""
    figures = figures or {}
    return (
        data_line(demo.two_layer.data.source)
        + scores_table(demo.nets)
        + "\n\n"
        + _collapse_text(demo)
        + "\n\n"
        + figures.get("losses", "")
        + "\n"
        + figures.get("log_odds", "")
    )


def run_2d(ctx: Context) -> Section:
    """Problem 2D: a second linear layer adds no function; a ReLU does."""
    one = one_layer_net(ctx)
    # Compiled and fit as 2C's net is (`train_linear_net`: Adam, cross-entropy, model.fit).
    two = trained_net(ctx, two_linear_layers, seed=ctx.seed_for("two_linear"))
    relu = trained_net(ctx, two_relu_layers, seed=ctx.seed_for("two_relu"))
    for key, net in (("two_linear_layers", two), ("two_relu_layers", relu)):
        ctx.folder.save_table(net.history, f"2D_{key}")
    demo = collapse_demo(one, two, relu)
    suffix = tag(two.data.source)
    log_odds = {"one linear layer": one.log_odds(), "two linear layers": two.log_odds()}
    figures = {
        "losses": ctx.folder.figure_md(
            plot_loss_curves(
                {name: net.history for name, net in demo.nets.items()},
                title=f"One vs two linear hidden layers, and a ReLU net{suffix}",
            ),
            "2D_losses",
            f"Training and validation loss of the three nets{suffix}",
        ),
        "log_odds": ctx.folder.figure_md(
            plot_feature_bars(
                log_odds,
                two.data.feature_names,
                ylabel="log-odds per s.d.",
                title=f"The nets multiplied out into one linear map{suffix}",
            ),
            "2D_log_odds",
            f"Both linear nets multiplied out: weight on the log-odds of death per input{suffix}",
        ),
    }
    return Section(text_2d(demo, figures), demo.summary(), _headline(demo))


def _headline(demo: Collapse) -> str:
    one, two = demo.one_layer, demo.two_layer
    return (
        f"val loss 1 layer {one.final_val_loss:.4f} vs 2 layers {two.final_val_loss:.4f}; "
        f"collapse diff {demo.collapsed_max_abs_diff:.1e}; ReLU diff "
        f"{demo.relu_collapse_max_abs_diff:.2f}"
        + (" (synthetic)" if two.data.source.get("synthetic") else "")
    )


def _collapse_text(demo: Collapse) -> str:
    two = demo.two_layer
    return "\n\n".join(
        [
            _match_text(demo),
            f"**By numbers.** Multiplying the two hidden layers out gives one "
            f"{two.data.input_dim} x 5 layer; loaded into a one-layer net with the "
            f"same output layer, its predictions on the {len(two.data.y_test):,} test rows "
            f"differ from the two-layer net's by at most {demo.collapsed_max_abs_diff:.1e}: "
            "float32 rounding, so the same function. Multiplying on through the output layer "
            "shows that both nets are a logistic regression in disguise (the bar chart: one "
            "weight per input; where the bars differ, the two nets stopped at different points "
            "of training, not at different kinds of function).",
            _relu_text(demo),
        ]
    )


def _match_text(demo: Collapse) -> str:
    one, two = demo.one_layer, demo.two_layer
    a, b, gap = one.final_loss, two.final_loss, demo.training_loss_gap
    algebra = (
        "A layer without activation computes x W + b, and two of them compute "
        "(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2): one matrix and one bias. So the "
        "second layer adds parameters but no functions the first could not express."
    )
    if demo.losses_match:
        verdict = (
            f"**Why the losses match.** The one- and two-layer linear nets end with training "
            f"losses {a:.4f} and {b:.4f}, {gap:.1%} apart (validation {one.final_val_loss:.4f} "
            f"and {two.final_val_loss:.4f})."
        )
    else:
        verdict = (
            f"**The losses should match, and here they do not yet.** The one- and two-layer "
            f"linear nets end with training losses {a:.4f} and {b:.4f}, {gap:.1%} apart "
            f"(validation {one.final_val_loss:.4f} and {two.final_val_loss:.4f}): training "
            "stopped before one of them had converged (see the curves; `--epochs` runs "
            "longer). The gap is not one of capacity."
        )
    return f"{verdict} {algebra}"


def _relu_text(demo: Collapse) -> str:
    relu = demo.relu
    refusal = f" `collapse_linear` refuses it: *{demo.refusal}*." if demo.refusal else ""
    noise, change = demo.linear_noise, demo.relu_change
    if demo.relu_finding == "better":
        outcome = (
            f"{change:.4f} below the better linear net's, more than twice the "
            f"{noise:.4f} by which the two linear nets differ: it uses combinations of "
            "inputs (such as the unordered factorized codes) that a linear net cannot."
        )
    elif demo.relu_finding == "worse":
        outcome = (
            f"{-change:.4f} above the better linear net's: the extra freedom did not pay "
            "off in this many epochs."
        )
    else:
        outcome = (
            f"within the {noise:.4f} by which the two linear nets differ from each other: "
            "the outcome is close to linear in these inputs, so there is little for the "
            "extra freedom to find. The ReLU changes what the net can express, not what "
            "this data rewards."
        )
    return (
        f"**With a ReLU** after each hidden layer the identity breaks.{refusal} Multiplying "
        "its Dense layers out anyway, as if the ReLUs were not there, moves its predicted "
        f"probabilities by up to {demo.relu_collapse_max_abs_diff:.2f}: a ReLU zeroes "
        "negative parts, and that kink is what lets depth add functions. Trained the same "
        f"way it ends at training loss {relu.final_loss:.4f} and validation loss "
        f"{relu.final_val_loss:.4f}, {outcome}"
    )
