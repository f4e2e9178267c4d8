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


def unit_weights(net: LogicNetwork) -> tuple[list[float], float]:
    """The weights and bias of a one-unit net (no hidden layer), read off its Keras layer."""
    kernel, bias = net.model.layers[-1].get_weights()
    return [float(w) for w in kernel.ravel()], float(bias.ravel()[0])


def signed(value: float) -> str:
    """A term's sign and size, e.g. "− 1" or "+ 0.5"."""
    return f"{'−' if value < 0 else '+'} {abs(value):g}"


def relu_formula(weights: list[float], bias: float) -> str:
    """The unit as a formula, e.g. "ReLU(2·x1 + 2·x2 − 1)"."""
    terms = [f"{weights[0]:g}·x1"] + [f"{signed(w)}·x{i + 2}" for i, w in enumerate(weights[1:])]
    return f"ReLU({' '.join(terms)} {signed(bias)})"


def broken_rows(table: pd.DataFrame) -> list[str]:
    """The truth-table rows that break the set's rule, in words."""
    inputs = [c for c in table.columns if c.startswith("x")]
    return [
        f"({', '.join(str(int(row[c])) for c in inputs)}) gives {row['output']:g} where OR is "
        f"{int(row['target'])}"
        for _, row in table.iterrows()
        if not row["ok"]
    ]


def rule_text(weights: list[float], bias: float) -> str:
    """Why one ReLU unit does or does not meet the OR rule, from its weights."""
    singles = [w + bias for w in weights]
    names = " and ".join(f"{'ac'[i]} + b" for i in range(len(weights)))
    values = ", ".join(f"{'ac'[i]} + b = {v:g}" for i, v in enumerate(singles))
    return (
        "One unit ReLU(a·x1 + c·x2 + b) meets the rule exactly when b ≤ 0 (so (0, 0) gives "
        f"exactly 0) and {names} are at least 1 (so each single 1 reaches 1; both together "
        f"then give more). These weights give b = {bias:g}, {values}."
    )


def text_1d(net: LogicNetwork) -> str:
    """Problem 1D's report section, its answer read off the built network."""
    units = net.hidden_units
    layers = "no hidden layer" if units == 0 else f"{units} hidden unit{'s' * (units != 1)}"
    weights, bias = unit_weights(net) if units == 0 else ([], 0.0)
    formula = f": out = {relu_formula(weights, bias)}" if units == 0 else ""
    call = (
        f" (`model_from_weights([([{', '.join(f'{w:g}' for w in weights)}], [{bias:g}])])`)"
        if units == 0
        else ""
    )
    broken = broken_rows(net.table)
    verdict = (
        f"That is {units} hidden units, the fewest possible (one output unit is needed in "
        "any case)."
        if net.correct and units == 0
        else f"It uses {units} hidden units and does "
        + ("" if net.correct else "not ")
        + "compute OR to the set's rule."
    )
    return f"""
A net with {layers}{formula} computes OR to the set's specification (output ≥ 1 where OR
is 1, exactly 0 where it is 0) if every row below says so. Built in Keras from these
explicit weights{call}, it gives:

{markdown_table(net.table, floatfmt="{:g}")}
All four rows meet the rule: **{net.correct}**.{" The rows that break it: " + "; ".join(broken) + "." if broken else ""}
{rule_text(weights, bias) if units == 0 else ""}
{verdict}
"""


def run_1d(ctx: Context) -> Section:
    """Problem 1D: build OR by hand and check its truth table."""
    net = or_network()
    results = {
        "truth_table": table_rows(net.table),
        "correct": net.correct,
        "hidden_units": net.hidden_units,
        "weights": unit_weights(net)[0],
        "bias": unit_weights(net)[1],
    }
    headline = f"OR with {net.hidden_units} hidden units: truth table correct = {net.correct}"
    return Section(text_1d(net), results, headline)
