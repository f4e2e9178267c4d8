"""Keras callbacks that draw and measure training as it happens."""

from __future__ import annotations

import gc
import io
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from companion.playground.boundary import boundary_grid, neuron_grids, plot_boundaries
from companion.plots import metric_pairs, plot_history
from companion.probes import dead_units, gradient_norms, layer_symmetry
from companion.run.atomic import replace_atomically
from companion.run.jupyter import in_notebook, show_live


class EpochTimer(keras.callbacks.Callback):
    """Adds `seconds` (wall time of the epoch, validation included) to each epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class ReleaseEarlierTrainings(keras.callbacks.Callback):
    """Runs Python's full garbage collection as training begins, in at most 5% of the time.

    Why: a finished `fit` leaves reference cycles (model, optimizer, dataset pipeline)
    that hold its data tensors until Python's rare full collection; a chapter that trains
    dozens of nets on full MNIST grew by about 200 MB a net (chapter 3 peaked at 4.3 GB)
    and stays flat with this (about 1.3 GB). A full collection walks every object that
    TensorFlow keeps (about 0.2 s on 2 cores), so it is skipped when the process's last
    one ended less than `cost / share` seconds ago: a long training always collects, a
    burst of one-second ones (quick runs, tests) collects every few seconds.
    """

    share = 0.05  # the most of the time that collections may take
    clock = staticmethod(time.perf_counter)
    last_end, last_cost = -float("inf"), 0.0  # the process's last collection (class-wide)

    def on_train_begin(self, logs=None):
        cls, start = ReleaseEarlierTrainings, self.clock()  # one record per process
        if start - cls.last_end < cls.last_cost / cls.share:
            return
        gc.collect()
        end = self.clock()
        cls.last_end, cls.last_cost = end, end - start


class TrainingCurves(keras.callbacks.Callback):
    """Redraws every metric beside its `val_` pair at each epoch end.

    Metric names are read from the logs (nothing is hard-coded). In a script the figure
    goes to `path` (a PNG); in Jupyter it is also shown inline, as one image per `fit`
    that updates in place.

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
        self._shown = None  # the notebook's display handle for this fit's figure

    def on_train_begin(self, logs=None):
        self.rows, self._shown = [], None

    def on_epoch_end(self, epoch, logs=None):
        # Copy the logs: Keras reuses the dict, so keeping a reference keeps only the last.
        self.rows.append({"epoch": epoch + 1, **dict(logs or {})})
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every == 0 or last:
            self.draw()

    def draw(self) -> None:
        """Draw the curves so far to the PNG (and inline in Jupyter)."""
        if not self.rows:
            return
        notebook = in_notebook()
        if not (self.path or notebook):
            return
        frame = pd.DataFrame(self.rows)
        # A figure outside pyplot: nothing stays open for a notebook to draw a second time.
        panels = len(metric_pairs(list(frame.columns)))
        fig = Figure(figsize=(4.2 * panels, 3.4))
        plot_history(frame, axes=fig.subplots(1, panels, squeeze=False)[0], title=self.title)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Through a temporary file: a kill mid-drawing leaves the last whole PNG.
            replace_atomically(
                self.path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
            )
        if notebook:
            from IPython.display import Image  # no dependency of companion: notebooks have it

            png = io.BytesIO()
            fig.savefig(png, format="png", dpi=80, bbox_inches="tight")
            self._shown = show_live(Image(data=png.getvalue()), self._shown)


# ---------------------------------------------------------------------------------------
# Callbacks that record a probe (`companion.probes`) during training. They work with
# `model.fit` and with `companion.playground.fastfit.fast_fit` (which calls them every few epochs).


class _Recorder(keras.callbacks.Callback):
    """Records a measurement before training and every `every` epochs (epochs done)."""

    def __init__(self, *, every: int = 1):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.every = int(every)
        self.rows: list[dict] = []

    def measure(self) -> dict:
        raise NotImplementedError

    def record(self, **where) -> None:
        self.rows.append({**where, **self.measure()})

    def on_train_begin(self, logs=None):
        self.rows = []
        self.record(epoch=0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params.get("epochs"):
            self.record(epoch=epoch + 1)

    def to_frame(self) -> pd.DataFrame:
        """The records as a DataFrame, one row per measurement."""
        return pd.DataFrame(self.rows)


class DeadReluMonitor(_Recorder):
    """The share of ReLU units dead (0 on every probe input) through training.

    Args:
        x_probe: the probe inputs (e.g. the training set).
        every: record every this many epochs (and before training).
        batches: with `model.fit`, also record every this many batches (fast_fit does
            not call batch hooks).
        include_output: count a ReLU output layer as well.

    Rows hold `epoch`, `step` (batches done in the run), `dead_fraction` and a
    `dead_<layer>` count per ReLU layer.
    """

    def __init__(
        self, x_probe, *, every: int = 1, batches: int | None = None, include_output=False
    ):
        super().__init__(every=every)
        self.x_probe = np.asarray(x_probe, dtype="float32")
        self.batches, self.include_output = batches, include_output
        self._step = 0

    def measure(self) -> dict:
        dead = dead_units(self.model, self.x_probe, include_output=self.include_output)
        every_unit = np.concatenate(list(dead.values()))
        counts = {f"dead_{name}": int(d.sum()) for name, d in dead.items()}
        return {"step": self._step, "dead_fraction": float(every_unit.mean()), **counts}

    def on_train_begin(self, logs=None):
        self._step = 0
        super().on_train_begin(logs)

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.batches and self._step % self.batches == 0:
            self.record(epoch=None)

    def on_epoch_end(self, epoch, logs=None):
        if not self.batches:
            steps = self.params.get("steps") or 0
            self._step = (epoch + 1) * steps  # fast_fit skips batch hooks; count by epoch
        super().on_epoch_end(epoch, logs)


class SymmetryMonitor(_Recorder):
    """The largest difference between units' incoming weights in each hidden layer.

    Rows hold `epoch`, `symmetry` (the largest over layers) and `symmetry_<layer>`.
    It stays exactly 0 when units start identical and training cannot tell them apart.
    """

    def measure(self) -> dict:
        spread = layer_symmetry(self.model)
        rows = {f"symmetry_{name}": value for name, value in spread.items()}
        return {"symmetry": max(spread.values(), default=0.0), **rows}


class GradientNorms(_Recorder):
    """Per-layer norms of the loss gradient on (x, y), through training.

    Shows vanishing gradients: layers far from the output get small norms. Rows hold
    `epoch` and one column per layer.
    """

    def __init__(self, x, y, *, every: int = 1):
        super().__init__(every=every)
        self.x, self.y = np.asarray(x, "float32"), np.asarray(y, "float32")

    def measure(self) -> dict:
        return gradient_norms(self.model, self.x, self.y)


class DecisionBoundary(keras.callbacks.Callback):
    """The model's output on a fixed grid over [−domain, domain]² at chosen epochs.

    Args:
        at_epochs: epochs done at which to take a snapshot (0 = before training).
        domain: the half-width of the square (the Playground's 6).
        resolution: grid points per side (the Playground's 100).
        neurons: also keep every hidden unit's output on a coarse grid (thumbnails).
        neuron_resolution: grid points per side for the thumbnails (the Playground's 10).

    After training, `grids` maps epoch -> (resolution, resolution) array and `neurons`
    maps epoch -> one (r, r, units) array per hidden layer; `plot` draws them.
    """

    def __init__(
        self,
        at_epochs=(0, 10, 50, 100),
        *,
        domain: float = 6.0,
        resolution: int = 100,
        neurons: bool = False,
        neuron_resolution: int = 10,
    ):
        super().__init__()
        self.at_epochs = sorted({int(e) for e in at_epochs})
        self.domain, self.resolution = float(domain), int(resolution)
        self.neurons_wanted, self.neuron_resolution = neurons, int(neuron_resolution)
        self.grids: dict[int, np.ndarray] = {}
        self.neurons: dict[int, list[np.ndarray]] = {}

    def snapshot(self, epoch: int) -> None:
        """Store the output grid (and thumbnails) for this many epochs done."""
        self.grids[epoch] = boundary_grid(
            self.model, domain=self.domain, resolution=self.resolution
        )
        if self.neurons_wanted:
            self.neurons[epoch] = neuron_grids(
                self.model, domain=self.domain, resolution=self.neuron_resolution
            )

    def on_train_begin(self, logs=None):
        self.grids, self.neurons = {}, {}
        if 0 in self.at_epochs:
            self.snapshot(0)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.at_epochs:
            self.snapshot(epoch + 1)

    def plot(self, x_train=None, y_train=None, x_test=None, y_test=None, *, axes=None):
        """The snapshots side by side in the Playground's look; returns the figure."""
        grids = {f"epoch {e}": g for e, g in self.grids.items()}
        return plot_boundaries(
            grids, x_train, y_train, x_test=x_test, y_test=y_test, domain=self.domain, axes=axes
        )
