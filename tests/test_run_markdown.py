"""Markdown tables (companion.run.markdown): header, separator, one line per row, number formats."""

import numpy as np
import pandas as pd

from companion.run.markdown import markdown_table


def table_rows(text: str) -> list[list[str]]:
    """The cells of each line of a Markdown table."""
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()]


def test_markdown_table_has_a_header_a_separator_and_one_line_per_row():
    frame = pd.DataFrame({"model": ["a", "b"], "accuracy": [0.98765, np.nan], "epochs": [3, 4]})
    text = markdown_table(frame)
    lines = text.splitlines()
    assert len(lines) == 2 + len(frame) and text.endswith("\n")
    rows = table_rows(text)
    assert rows[0] == ["model", "accuracy", "epochs"]
    assert rows[1] == ["---"] * 3  # without it Markdown shows no table at all
    assert all(len(row) == 3 for row in rows)
    assert rows[2] == ["a", "0.9877", "3"] and rows[3] == ["b", "–", "4"]  # NaN: a dash


def test_markdown_table_takes_records_and_a_float_format():
    text = markdown_table([{"p": 0.5, "n": 1}, {"p": 0.25, "n": 2}], floatfmt="{:.1%}")
    assert table_rows(text)[2:] == [["50.0%", "1"], ["25.0%", "2"]]
