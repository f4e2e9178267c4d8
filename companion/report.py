"""Markdown for reports; the run folder itself lives in `companion.runfolder`.

`RunFolder` (`companion.runfolder`) and `write_json`, `read_json`, `to_jsonable`
(`companion.atomicfiles`) are re-exported here, so `from companion.report import
RunFolder` keeps working.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from companion.atomicfiles import read_json, to_jsonable, write_json
from companion.runfolder import RunFolder

__all__ = ["RunFolder", "markdown_table", "read_json", "to_jsonable", "write_json"]


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
