"""The run folder: report.md, summary.json, config.json, figures/ and histories/.

Each problem's section and results are written the moment the problem finishes, so an
interrupted run keeps everything it finished and `--resume` can skip it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from companion.errors import CompanionError


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays, paths and dataclass-like values into plain JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; null says "no value"
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, so a crash mid-write never leaves a broken file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """Read a JSON file, or None if it does not exist."""
    return json.loads(path.read_text()) if path.exists() else None


class RunFolder:
    """A chapter's output folder, written problem by problem.

    Args:
        path: the folder (created if needed).
        chapter: the chapter's module name, e.g. "ch4_cnn".
        title: the report's title.
        order: the problem ids in report order.
        resume: keep what an earlier run of this folder finished.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        chapter: str,
        title: str,
        order: Iterable[str],
        resume: bool = False,
    ) -> None:
        self.path = Path(path)
        self.chapter, self.title, self.order = chapter, title, list(order)
        self.figures = self.path / "figures"
        self.histories = self.path / "histories"
        self.sections = self.path / "sections"
        for folder in (self.path, self.figures, self.histories, self.sections):
            folder.mkdir(parents=True, exist_ok=True)
        old = read_json(self.path / "summary.json") if resume else None
        if old is not None and old.get("chapter") != chapter:
            # Resuming into another chapter's folder would mix its answers into this report.
            raise CompanionError(
                f"{self.path} holds a run of {old.get('chapter')!r}, not {chapter!r}; "
                "choose another --out or drop --resume"
            )
        if not resume:
            for stale in self.sections.glob("*.md"):
                stale.unlink()  # a fresh run must not show an older run's answers
        self.summary: dict[str, Any] = old or {
            "chapter": chapter,
            "title": title,
            "problems": {},
        }
        # On resume, keep the earlier run's record of the data its finished problems used.
        self.config: dict[str, Any] = (read_json(self.path / "config.json") or {}) if resume else {}

    @property
    def completed(self) -> set[str]:
        """Problem ids whose results are already written."""
        return set(self.summary["problems"])

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Record every setting of the run (merged into config.json)."""
        self.config.update(config)
        write_json(self.path / "config.json", self.config)
        for key in ("seed", "quick", "data"):
            if key in self.config:
                self.summary[key] = self.config[key]
        write_json(self.path / "summary.json", self.summary)
        self._write_report()

    def note_data(self, name: str, description: str) -> None:
        """Say which data a problem used; it goes to config.json and the report."""
        data = dict(self.config.get("data", {}))
        data[name] = description
        self.write_config({"data": data})

    def save_figure(self, fig: Any, name: str, *, dpi: int = 110) -> str:
        """Save a matplotlib figure as figures/<name>.png, close it, return its path."""
        import matplotlib.pyplot as plt

        target = self.figures / f"{name}.png"
        fig.savefig(target, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        return target.relative_to(self.path).as_posix()

    def figure_md(self, fig: Any, name: str, caption: str) -> str:
        """Save a figure and return the markdown that embeds it."""
        return f"![{caption}]({self.save_figure(fig, name)})\n\n*{caption}*\n"

    def save_history(self, frame: Any, name: str) -> str:
        """Save a pandas DataFrame as histories/<name>.csv and return its path."""
        target = self.histories / f"{name}.csv"
        frame.to_csv(target, index=False)
        return target.relative_to(self.path).as_posix()

    def record(self, problem: str, title: str, markdown: str, results: Mapping) -> None:
        """Write one finished problem: its report section and its summary entry."""
        body = f"## {problem}. {title}\n\n{markdown.strip()}\n"
        (self.sections / f"{problem}.md").write_text(body)
        self.summary["problems"][problem] = to_jsonable(dict(results))
        write_json(self.path / "summary.json", self.summary)
        self._write_report()

    def _write_report(self) -> None:
        lines = [f"# {self.title}\n"]
        for key, label in (("seed", "Seed"), ("quick", "Quick mode")):
            if key in self.config:
                lines.append(f"- {label}: `{self.config[key]}`")
        for name, description in self.config.get("data", {}).items():
            lines.append(f"- Data ({name}): {description}")
        lines.append("")
        for problem in self.order:
            section = self.sections / f"{problem}.md"
            if section.exists():
                lines.append(section.read_text())
        missing = [p for p in self.order if not (self.sections / f"{p}.md").exists()]
        if missing:
            lines.append(f"*Not run in this folder yet: {', '.join(missing)}.*\n")
        tmp = self.path / "report.md.tmp"
        tmp.write_text("\n".join(lines))
        os.replace(tmp, self.path / "report.md")


def markdown_table(frame: Any, *, floatfmt: str = "{:.4g}") -> str:
    """A pandas DataFrame (or list of dicts) as a markdown table, without extra packages."""
    import pandas as pd

    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "–" if not math.isfinite(value) else floatfmt.format(value)
        return str(value)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"
