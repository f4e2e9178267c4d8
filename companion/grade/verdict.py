"""What the grader hands back: each rule's outcome, the measured figures, the bar and its source.

Plain data (no Keras): a `Verdict` prints as a short table and turns into a dict for JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from companion.run.markdown import markdown_table


@dataclass(frozen=True)
class Rule:
    """One rule's outcome: its name, what was measured, what it needs, and the fix if broken."""

    name: str
    passed: bool
    measured: str
    needs: str
    fix: str = ""


@dataclass(frozen=True)
class Bar:
    """The bar a score was held to, and where the figure comes from."""

    metric: str
    value: float
    source: str


@dataclass
class Verdict:
    """The grader's answer for one model and one problem."""

    problem: str
    rules: list[Rule]
    figures: dict[str, Any] = field(default_factory=dict)
    bar: Bar | None = None
    data: str = ""

    @property
    def passed(self) -> bool:
        """True when the model obeys every rule (the bar, where there is one, is a rule)."""
        return all(rule.passed for rule in self.rules)

    @property
    def broken(self) -> list[Rule]:
        """The rules the model breaks, in the order they were checked."""
        return [rule for rule in self.rules if not rule.passed]

    def rule(self, name: str) -> Rule:
        """The outcome of the rule called `name`."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(rule.name for rule in self.rules)
        raise KeyError(f"problem {self.problem} has no rule {name!r}; its rules: {known}")

    def to_dict(self) -> dict[str, Any]:
        """Everything in the verdict as JSON-ready values."""
        return {
            "problem": self.problem,
            "passed": self.passed,
            "broken": [rule.name for rule in self.broken],
            "rules": [
                {**asdict(rule), "fix": "" if rule.passed else rule.fix} for rule in self.rules
            ],
            "figures": {name: _finite(value) for name, value in self.figures.items()},
            "bar": None if self.bar is None else asdict(self.bar),
            "data": self.data,
        }

    def __str__(self) -> str:
        rows = [
            {
                "rule": rule.name,
                "result": "ok" if rule.passed else "BROKEN",
                "measured": rule.measured,
                "needs": rule.needs,
            }
            for rule in self.rules
        ]
        lines = [f"Problem {self.problem}: {'PASSED' if self.passed else 'FAILED'}", ""]
        lines.append(markdown_table(rows))
        lines += [f"- fix {rule.name}: {rule.fix}" for rule in self.broken]
        if self.bar is not None:
            lines.append(f"Bar: {self.bar.metric} >= {self.bar.value:g} ({self.bar.source}).")
        if self.data:
            lines.append(f"Data: {self.data}.")
        if self.figures:
            shown = ", ".join(f"{name} {_shown(value)}" for name, value in self.figures.items())
            lines.append(f"Figures: {shown}.")
        return "\n".join(lines)


def _finite(value: Any) -> Any:
    # JSON has no NaN (an AUC on labels of one class): null instead
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _shown(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
