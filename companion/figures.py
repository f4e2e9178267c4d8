"""The figures companion's plot functions make: shown once in a notebook, saved anywhere.

Under Jupyter's inline backend a pyplot figure is drawn when its cell ends, and drawn a
second time when it is also the cell's value (a plot function's result on the last line).
`subplots` makes figures that draw once either way: shown as a cell's value, the figure
leaves pyplot's list of open figures, so the end-of-cell drawing skips it. Assigned
(`fig = plot_history(h)`), it is drawn by the end of the cell as usual, as pandas' and
seaborn's plots are. Nothing here changes the matplotlib backend.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure as _MatplotlibFigure


class Figure(_MatplotlibFigure):
    """A matplotlib Figure that Jupyter shows once, whether or not it is a cell's value."""

    def _ipython_display_(self) -> None:
        # IPython is no dependency of companion: only a notebook, which has it, calls this.
        from IPython import get_ipython
        from IPython.display import publish_display_data

        shell = get_ipython()
        if shell is None:
            return
        if _waiting_for_inline_flush(self):
            plt.close(self)  # drawn now; the flush at the end of the cell would draw it again
        data, metadata = _rich_output(self, shell.display_formatter)
        publish_display_data(data, metadata=metadata)


def _waiting_for_inline_flush(fig: Figure) -> bool:
    """True when the inline backend will draw `fig` at the end of the cell."""
    if "inline" not in str(matplotlib.get_backend()):
        return False  # other backends (widgets, windows) own their figures: leave them be
    return any(manager.canvas.figure is fig for manager in Gcf.get_all_fig_managers())


def _rich_output(fig: Figure, formatter) -> tuple[dict[str, Any], dict[str, Any]]:
    """What IPython would show for a plain Figure (PNG, text, …), with the notebook's settings."""
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for mime, format_ in formatter.formatters.items():
        if mime not in formatter.active_types:
            continue
        out = format_(fig)
        if isinstance(out, tuple):
            out, meta = out
            metadata[mime] = meta
        if out is not None:
            data[mime] = out
    return data, metadata


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """`plt.subplots` making a `Figure` of this module (shown once in Jupyter)."""
    return plt.subplots(nrows, ncols, FigureClass=Figure, **kwargs)
