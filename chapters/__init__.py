"""Runnable chapters: `python -m chapters` lists them; `python -m chapters.<name>` runs one.

From Python or a notebook, `run("ch4_cnn", quick=True, only="4B,4C")` does the same and,
in a notebook, shows the report (its text and figures) below the cell.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from companion.errors import CompanionError
from companion.run.jupyter import in_notebook, show_report

# name -> one-line description; read by `python -m chapters` without importing TensorFlow
CHAPTERS = {
    "ch1_principles": "Principles: Playground demos, init, dying ReLU, OR/XOR by hand",
    "ch2_inside": "Inside a neural network: linear nets on COVID-19 case data",
    "ch3_depth_width": "Depth vs width on MNIST under hidden-unit budgets",
    "ch4_cnn": "CNNs on MNIST: padding, parameters, pooling, noise, tuning, dropout sweep",
}


def run(
    chapter: str,
    *,
    quick: bool = False,
    only: str | None = None,
    out: str | Path | None = None,
    **flags: Any,
) -> Path:
    """Run a chapter as its command line does; in a notebook, show its report inline.

    `run("ch4_cnn", quick=True, only="4B,4C")` is `python -m chapters.ch4_cnn --quick
    --only 4B,4C`. Any other flag goes by name: `epochs=3`, `mnist="mnist.npz"`,
    `resume=True`, `seed=1` (True adds a switch, False or None leaves a flag out).
    matplotlib's backend is left as it was.

    Args:
        chapter: a name from `CHAPTERS`, e.g. "ch4_cnn".
        quick: every problem, on small data with short training.
        only: comma-separated problem ids, e.g. "4B,4C".
        out: the run folder (default runs/<chapter>, as on the command line).
        **flags: the chapter's other flags.

    Returns:
        The run folder (report.md, summary.json, figures/, …).
    """
    if chapter not in CHAPTERS:
        raise CompanionError(f"unknown chapter {chapter!r}; choose among {', '.join(CHAPTERS)}")
    folder = Path(out) if out is not None else Path("runs") / chapter
    argv = ["--out", str(folder), *(["--quick"] if quick else []), *_flags(only=only, **flags)]
    main = importlib.import_module(f"chapters.{chapter}").main
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse exits on a bad flag after printing why
        code = stop.code
    if code:
        raise CompanionError(f"{chapter} stopped (exit code {code}): see the message above")
    if in_notebook():
        show_report(folder)
    return folder


def _flags(**flags: Any) -> list[str]:
    """Keyword arguments as command-line flags: epochs=3 -> ["--epochs", "3"]."""
    argv = []
    for name, value in flags.items():
        option = "--" + name.replace("_", "-")
        if value is True:
            argv.append(option)
        elif value is not None and value is not False:
            argv += [option, str(value)]
    return argv
