"""Run notebooks through a real Jupyter kernel (nbclient + ipykernel) for the tests."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def kernel_env() -> dict[str, str]:
    """The test's environment for the kernel, minus MPLBACKEND, plus this checkout on the path.

    The suite sets MPLBACKEND=Agg for itself; a kernel that inherited it would not use the
    notebook's inline backend, which is what these tests are about.
    """
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def execute(nb: nbformat.NotebookNode, cwd: Path, *, timeout: int = 600):
    """Execute every cell of `nb` in one fresh kernel started in `cwd`; return `nb`.

    Raises nbclient's CellExecutionError (naming the cell and its traceback) on any error.
    """
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute(env=kernel_env())
    return nb


def code_notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook of code cells."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


def _data(cell, mime: str) -> list[str]:
    return [o["data"][mime] for o in cell.get("outputs", []) if mime in o.get("data", {})]


def images(cell) -> list[str]:
    """The base64 PNGs among a cell's outputs, in order."""
    return _data(cell, "image/png")


def markdown(cell) -> list[str]:
    """The Markdown texts among a cell's outputs, in order."""
    return _data(cell, "text/markdown")


def text(cell) -> str:
    """Everything a cell printed (stdout and stderr)."""
    streams = [o for o in cell.get("outputs", []) if o["output_type"] == "stream"]
    return "".join(o["text"] for o in streams)


def exercises_start(nb) -> int:
    """The index of a chapter notebook's '## Exercises' cell (its last section)."""
    (start,) = [i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises")]
    return start
