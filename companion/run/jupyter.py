"""Jupyter support: know when we run in a notebook, show a run's report and live images there.

Import-light: nothing heavier than the standard library is imported until a function needs
it (IPython only inside a kernel, never TensorFlow). Nothing here changes matplotlib's
backend: the notebook keeps the one it had.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

# A Markdown image on its own: ![caption](relative/path.png)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, JupyterLab, VS Code, Colab): images show inline."""
    if "IPython" not in sys.modules:  # a plain script never imported IPython: no notebook
        return False
    from IPython import get_ipython

    shell = get_ipython()
    # Colab's shell subclasses ipykernel's, so look through the class's ancestry.
    return shell is not None and any(
        cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__
    )


def report_parts(path: str | Path) -> list[tuple[str, Any]]:
    """A report.md split into ("markdown", text) and ("image", Path) parts, in order.

    Images are the report's own figures (a relative link to an existing file); any other
    link stays in the Markdown as written.
    """
    report = Path(path)
    if report.is_dir():
        report = report / "report.md"
    if not report.is_file():
        raise FileNotFoundError(
            f"no report at {report}; run the chapter first or pass its run folder"
        )
    text = report.read_text(encoding="utf-8")
    parts: list[tuple[str, Any]] = []
    start = 0
    for match in _IMAGE.finditer(text):
        target = report.parent / match.group(2)
        if "://" in match.group(2) or not target.is_file():
            continue
        if text[start : match.start()].strip():
            parts.append(("markdown", text[start : match.start()]))
        parts.append(("image", target))
        start = match.end()
    if text[start:].strip():
        parts.append(("markdown", text[start:]))
    return parts


def show_report(path: str | Path) -> None:
    """Show a run's report in the notebook: its Markdown, and each figure as a real image.

    Relative image links inside a Markdown output do not render reliably in notebooks, so
    the text goes out in Markdown chunks and every figure as an image output between them.

    Args:
        path: the run folder, or its report.md.
    """
    from IPython.display import Image, Markdown, display  # IPython: no dependency; a kernel has it

    for kind, value in report_parts(path):
        display(Markdown(value) if kind == "markdown" else Image(filename=str(value)))


def show_live(obj: Any, handle: Any = None) -> Any:
    """Show obj in the notebook, or replace what `handle` shows with it; return the handle.

    One output that updates in place (a live training curve), instead of one per call.
    """
    from IPython.display import display  # IPython: no dependency; a kernel has it

    if handle is None:
        return display(obj, display_id=True)
    handle.update(obj)
    return handle
