"""Problem 1E: XOR from explicit weights, and trained from random starts with 1 and 2 layers.

The trained nets are written out in `xor_net` (the model, its compile) and trained in
`train_logic_starts`; the hand-built one reuses 1D's `LogicNetwork`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import layers

from chapters.ch1_principles.p1d_or import LogicNetwork, table_rows
from companion import pset
from companion.budget import count_hidden_units
from companion.playground.fastfit import fast_fit
from companion.playground.handbuilt import binary_inputs, model_from_weights, truth_table
from companion.playground.model import half_squared_error, reinitialize
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.seed import derive_seed, set_seed

SHARE = "share of starts with all four right"


@dataclass
class XorNetworks:
    """Problem 1E: XOR by hand, and trained single- and two-layer nets."""

    handbuilt: LogicNetwork
    single_layer: pd.DataFrame
    two_layer: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def shares(self) -> pd.DataFrame:
        """Per two-layer net (hidden units, output): the share of starts with all four right."""
        return (
            self.two_layer.groupby(["hidden", "output"], sort=False)["all_four_right"]
            .mean()
            .reset_index()
            .rename(columns={"all_four_right": SHARE})
        )

    @property
    def fewest_layers(self) -> int | None:
        """The fewest Dense layers shown to compute XOR here (None: no net did).

        1 if a single-layer start got all four right, else the hand-built net's depth if it
        is correct.
        """
        if self.single_layer["all_four_right"].any():
            return 1
        return len(self.handbuilt.model.layers) if self.handbuilt.correct else None


def xor_handbuilt() -> LogicNetwork:
    """The two-layer ReLU net for XOR: h1 = x1 AND NOT x2, h2 = x2 AND NOT x1, out = OR."""
    model = model_from_weights(pset.XOR_WEIGHTS, name="xor_net")
    return LogicNetwork(model, truth_table(model, operator.xor), count_hidden_units(model))


def xor_net(
    hidden: tuple[int, ...], *, output: str = "relu", learning_rate: float = pset.XOR_LEARNING_RATE
) -> keras.Model:
    """A ReLU net for XOR: x1, x2 in, a ReLU layer per `hidden` width, one output unit, Adam."""
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            *[layers.Dense(units, activation="relu") for units in hidden],
            layers.Dense(1, activation=output),  # ReLU (the set's kind of net) or linear
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=half_squared_error)
    return model


def train_logic_starts(
    hidden: tuple[int, ...],
    *,
    output: str = "relu",
    starts: int,
    epochs: int,
    learning_rate: float,
    seed: int,
) -> pd.DataFrame:
    """Train `xor_net` on XOR from many random starts; one row per start."""
    x = binary_inputs(2)
    y = np.array([float(a != b) for a, b in x], dtype="float32")
    model = xor_net(hidden, output=output, learning_rate=learning_rate)
    rows = []
    for start in range(starts):
        reinitialize(model, derive_seed(seed, f"xor-{hidden}-{start}"))  # one traced loop
        # fast_fit: fit's own step, all epochs in one compiled call (fit's weights, >100× faster)
        history = fast_fit(model, x, y, epochs=epochs, batch_size=4)
        table = truth_table(model, operator.xor, threshold=0.5)
        rows.append(
            {
                "hidden": "-".join(map(str, hidden)) or "none",
                "output": output,
                "start": start,
                "right": int(table["ok"].sum()),
                "all_four_right": bool(table["ok"].all()),
                "final_loss": float(history["loss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def xor_networks(
    *,
    starts: int = pset.XOR_STARTS,
    epochs: int = pset.XOR_EPOCHS,
    hidden_sizes=pset.XOR_HIDDEN_SIZES,
    outputs=pset.XOR_OUTPUTS,
    learning_rate: float = pset.XOR_LEARNING_RATE,
    seed: int = 0,
) -> XorNetworks:
    """Problem 1E: XOR built by hand, and trained from random starts with 0 and 1 hidden layers.

    The single layer is one ReLU unit; the two-layer nets have a ReLU hidden layer of each
    size and a ReLU output (the set's kind of net) or a linear one.
    """
    set_seed(seed)  # every start below is seeded; this pins any backend op too
    common = {"starts": starts, "epochs": epochs, "learning_rate": learning_rate, "seed": seed}
    single = train_logic_starts((), **common)
    two = pd.concat(
        [train_logic_starts((h,), output=o, **common) for o in outputs for h in hidden_sizes],
        ignore_index=True,
    )
    settings = {"starts": starts, "epochs": epochs, "optimizer": f"Adam({learning_rate})"}
    return XorNetworks(xor_handbuilt(), single, two, settings)


def text_1e(result: XorNetworks) -> str:
    """Problem 1E's report section, its shares and counts read off the result."""
    starts, single = result.settings["starts"], result.single_layer
    shares = result.shares()
    fewest = result.fewest_layers
    answer = {
        None: "not shown by this run** (no net here computes XOR)",
        1: "1** (a single-layer start got all four right here, against the argument below)",
    }.get(fewest, f"{fewest}** (one hidden layer and the output)")
    return f"""
**Fewest layers: {answer}. A single layer of ReLU units computes
ReLU(w·x + b) per unit: it is 0 on one side of a line and grows on the other, so "output
≥ 1" and "output = 0" are separated by a straight line. XOR's two classes are not linearly
separable: (0, 1) and (1, 0) must be on one side and (0, 0) and (1, 1) on the other, but the
two pairs have the same midpoint (½, ½), which would have to lie on both sides. Trained to
show it ({starts} random starts, {result.settings["optimizer"]}, {result.settings["epochs"]}
full-batch epochs on the four points; "right" means output ≥ ½ exactly where XOR is 1), a
single ReLU unit gets at most **{int(single["right"].max())} of 4** right and all four in
**{single["all_four_right"].mean():.0%}** of starts.

Two layers suffice. The net h1 = ReLU(2x1 − 2x2 − 1) (x1 and not x2),
h2 = ReLU(−2x1 + 2x2 − 1) (x2 and not x1), out = ReLU(2h1 + 2h2 − 1) (the OR of 1D),
built in Keras from explicit weights:

{markdown_table(result.handbuilt.table, floatfmt="{:g}")}
It meets the set's rule on all four inputs: **{result.handbuilt.correct}**.

Trained from random starts (Keras' Glorot start, biases 0), the two-layer ReLU net gets all
four right in {relu_share_text(shares)}:

{markdown_table(shares, floatfmt="{:.2f}")}
Starts fail when the capacity is lost before training can use it: a hidden unit that is
off on all four inputs (dead, as in 1C) gets no gradient, and with a ReLU output a start
where the output unit is off on every input cannot move at all. Wider layers make a good
start likelier, and a linear output removes the second trap.
"""


def relu_share_text(shares: pd.DataFrame) -> str:
    """ "0% with 2 hidden units, 25% with 8 hidden units" for the ReLU-output nets."""
    relu = shares[shares["output"] == "relu"]
    return ", ".join(
        f"{share:.0%} with {hidden} hidden units"
        for hidden, share in zip(relu["hidden"], relu[SHARE])
    )


def results_1e(result: XorNetworks) -> dict[str, Any]:
    """1E's summary.json entry."""
    shares = result.shares()
    return {
        "handbuilt_truth_table": table_rows(result.handbuilt.table),
        "handbuilt_correct": result.handbuilt.correct,
        "single_layer_success_share": float(result.single_layer["all_four_right"].mean()),
        "single_layer_most_right": int(result.single_layer["right"].max()),
        "two_layer_success_share": {
            f"{hidden} hidden, {output} output": float(share)
            for hidden, output, share in zip(shares["hidden"], shares["output"], shares[SHARE])
        },
        "starts": result.settings["starts"],
        "fewest_layers": result.fewest_layers,
    }


def headline_1e(result: XorNetworks) -> str:
    """1E's one line for the terminal."""
    single = result.single_layer["all_four_right"].mean()
    return (
        f"hand-built XOR correct = {result.handbuilt.correct}; trained: single layer "
        f"{single:.0%}, two layers {relu_share_text(result.shares())}"
    )


def run_1e(ctx: Context) -> Section:
    """Problem 1E: XOR by hand, and trained from random starts; save the starts' table."""
    result = xor_networks(starts=4 if ctx.quick else 20, seed=ctx.seed_for("starts"))
    ctx.folder.save_table(pd.concat([result.single_layer, result.two_layer]), "1E_xor_starts")
    return Section(text_1e(result), results_1e(result), headline_1e(result))
