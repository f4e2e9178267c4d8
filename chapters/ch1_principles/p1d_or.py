"""Problem 1D: OR of two bits with the fewest hidden units, a ReLU net from explicit weights.

The set asks for a drawn network, not a trained one: `or_network` builds it in Keras from
its weights (`companion.playground.handbuilt.model_from_weights`) and checks its truth table.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from companion import pset
from companion.budget import count_hidden_units
from companion.playground.handbuilt import model_from_weights, truth_table
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section


@dataclass
class LogicNetwork:
    """A hand-built network and the truth table it computes."""

    model: Any
    table: pd.DataFrame
    hidden_units: int

    @property
    def correct(self) -> bool:
        """Whether every row of the truth table meets the set's rule."""
        return bool(self.table["ok"].all())


def table_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A truth table as plain rows for summary.json."""
    return [
        {
            k: (float(v) if k == "output" else int(v) if k != "ok" else bool(v))
            for k, v in row.items()
        }
        for row in table.to_dict(orient="records")
    ]


def or_network(*, weights=pset.OR_WEIGHTS, bias: float = pset.OR_BIAS) -> LogicNetwork:
    """Problem 1D: OR with the fewest units, one ReLU unit ReLU(2·x1 + 2·x2 − 1)."""
    model = model_from_weights([(list(weights), [bias])], name="or_net")
    return LogicNetwork(model, truth_table(model, operator.or_), count_hidden_units(model))


def text_1d(net: LogicNetwork) -> str:
    """Problem 1D's report section, its answer read off the built network."""
    units = net.hidden_units
    layers = "no hidden layer" if units == 0 else f"{units} hidden unit{'s' * (units != 1)}"
    verdict = (
        f"That is {units} hidden units, the fewest possible (one output unit is needed in "
        "any case)."
        if net.correct and units == 0
        else f"It uses {units} hidden units and does "
        + ("" if net.correct else "not ")
        + "compute OR to the set's rule."
    )
    return f"""
A net with {layers}: out = ReLU(2·x1 + 2·x2 − 1) computes OR to the set's specification
(output ≥ 1 where OR is 1, exactly 0 where it is 0) if every row below says so. Built in
Keras from these explicit weights (`model_from_weights([([2, 2], [-1])])`), it gives:

{markdown_table(net.table, floatfmt="{:g}")}
All four rows meet the rule: **{net.correct}**. Any ReLU(a·x1 + a·x2 + b) with b ≤ 0 and
a + b ≥ 1 works; the bias keeps (0, 0) at exactly 0 and each single 1 lifts the sum to 1.
{verdict}
"""


def run_1d(ctx: Context) -> Section:
    """Problem 1D: build OR by hand and check its truth table."""
    net = or_network()
    results = {
        "truth_table": table_rows(net.table),
        "correct": net.correct,
        "hidden_units": net.hidden_units,
    }
    headline = f"OR with {net.hidden_units} hidden units: truth table correct = {net.correct}"
    return Section(text_1d(net), results, headline)
