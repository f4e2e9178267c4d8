"""Keras callbacks that draw and measure training as it happens."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pandas as pd


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where figures are shown inline)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class EpochTimer(keras.callbacks.Callback):
    """Adds `seconds` (wall time of the epoch, validation included) to each epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class TrainingCurves(keras.callbacks.Callback):
    """Redraws every metric beside its `val_` pair at each epoch end.

    Metric names are read from the logs (nothing is hard-coded). In a script the figure
    goes to `path` (a PNG); in Jupyter it is also shown inline.

    Args:
        path: the PNG to write (None: only show inline).
        every: redraw every this many epochs (the last epoch is always drawn).
        title: the figure's title.
    """

    def __init__(self, path: str | Path | None = None, *, every: int = 1, title: str = ""):
        super().__init__()
        self.path = Path(path) if path else None
        self.every, self.title = max(1, int(every)), title
        self.rows: list[dict[str, float]] = []

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        # Copy the logs: Keras reuses the dict, so keeping a reference keeps only the last.
        self.rows.append({"epoch": epoch + 1, **dict(logs or {})})
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every == 0 or last:
            self.draw()

    def draw(self) -> None:
        """Draw the curves so far to the PNG (and inline in Jupyter)."""
        import matplotlib.pyplot as plt

        from companion.plots import plot_history

        if not self.rows:
            return
        fig = plot_history(pd.DataFrame(self.rows), title=self.title)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(self.path, dpi=100, bbox_inches="tight")
        if in_notebook():
            from IPython.display import clear_output, display

            clear_output(wait=True)
            display(fig)
        plt.close(fig)
