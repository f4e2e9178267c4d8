"""A run folder's report.md: the run's settings, then each finished problem's section.

The report is rebuilt from `sections/<id>.md` whenever a problem finishes, in the
chapter's order, so it always shows exactly the problems summary.json lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Settings that make one problem's results differ from another's; the report flags a mix.
PROVENANCE = ("seed", "quick")


def report_text(
    title: str,
    order: Sequence[str],
    config: Mapping[str, Any],
    summary: Mapping[str, Any],
    sections: Path,
) -> str:
    """report.md: the title, the settings, the listed problems' sections, what is missing."""
    lines = [f"# {title}\n"]
    for key, label in (("seed", "Seed"), ("quick", "Quick mode")):
        if key in config:
            lines.append(f"- {label}: `{config[key]}`")
    for name, description in config.get("data", {}).items():
        lines.append(f"- Data ({name}): {description}")
    mixed = kept_with_other_settings(order, config, summary)
    if mixed:
        lines.append(f"- Kept from earlier runs with other settings: {mixed}")
    lines.append("")
    listed = summary["problems"]
    for problem in [*order, *(p for p in listed if p not in order)]:
        section = sections / f"{problem}.md"
        if problem in listed and section.exists():
            lines.append(section.read_text(encoding="utf-8"))
    missing = [p for p in order if p not in listed]
    if missing:
        lines.append(f"*Not run in this folder yet: {', '.join(missing)}.*\n")
    return "\n".join(lines)


def kept_with_other_settings(
    order: Sequence[str], config: Mapping[str, Any], summary: Mapping[str, Any]
) -> str:
    """The kept problems made with another seed or quick setting than this run's, as text."""
    notes = []
    for problem in order:
        if problem not in summary["problems"]:
            continue
        made = summary["provenance"].get(problem, {})
        other = [
            f"{key} `{made[key]}`"
            for key in PROVENANCE
            if key in made and key in config and made[key] != config[key]
        ]
        if other:
            notes.append(f"{problem} ({', '.join(other)})")
    return "; ".join(notes)
