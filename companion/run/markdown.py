"""Markdown for reports; the run folder itself lives in `companion.run.folder`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


# Kept by hand, not DataFrame.to_markdown: that needs tabulate (a new dependency) and formats
# floats per column its own way; here every float gets `floatfmt` and a NaN shows as "–".
def markdown_table(frame: Any, *, floatfmt: str = "{:.4g}") -> str:
    """A pandas DataFrame (or list of dicts) as a markdown table, without extra packages."""
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "–" if not math.isfinite(value) else floatfmt.format(value)
        return str(value)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"
