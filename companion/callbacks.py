"""Keras callbacks that draw and measure training as it happens."""

from __future__ import annotations

import time
import weakref
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from companion.jupyter import in_notebook


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
        from matplotlib.figure import Figure

        from companion.plots import metric_pairs, plot_history

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
            fig.savefig(self.path, dpi=100, bbox_inches="tight")
        if notebook:
            import io

            from IPython.display import Image

            from companion.jupyter import show_live

            png = io.BytesIO()
            fig.savefig(png, format="png", dpi=80, bbox_inches="tight")
            self._shown = show_live(Image(data=png.getvalue()), self._shown)


# ---------------------------------------------------------------------------------------
# Measurements of a network's state, and callbacks that record them during training.
# The functions work on any built Keras model; the callbacks work with `model.fit` and
# with `companion.playground.fast_fit` (which calls them every few epochs).


def _is_relu(layer) -> bool:
    if isinstance(layer, keras.layers.ReLU):
        return True
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "") == "relu"


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: keras.Model, key, build):
    """A per-model cache of compiled probe functions (tracing once, not per call)."""
    cache = _COMPILED.setdefault(model, {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def layer_outputs(model: keras.Model, x, layers: list) -> dict[str, np.ndarray]:
    """The outputs of some of a model's layers on inputs x, by layer name."""
    x = np.asarray(x, dtype="float32")
    names = tuple(layer.name for layer in layers)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        probe = _compiled(
            model,
            ("outputs", names),
            lambda: tf.function(_forward_to(model, layers), reduce_retracing=True),
        )
        return {name: out.numpy() for name, out in zip(names, probe(tf.constant(x)))}
    return {n: keras.ops.convert_to_numpy(o) for n, o in zip(names, _forward_to(model, layers)(x))}


def _forward_to(model: keras.Model, layers: list):
    """A function from inputs to the outputs of the given layers."""
    if isinstance(model, keras.Sequential):
        wanted = {id(layer) for layer in layers}

        def walk(x):  # walking the stack avoids building a second model
            found, h = [], x
            for layer in model.layers:
                h = layer(h, training=False)
                if id(layer) in wanted:
                    found.append(h)
            return found

        return walk
    probe = keras.Model(model.inputs, [layer.output for layer in layers])

    def call(x):
        outputs = probe(x, training=False)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    return call


def relu_layers(model: keras.Model, *, include_output: bool = False) -> list:
    """The layers whose units are ReLUs (the output layer only if asked)."""
    found = [layer for layer in model.layers if _is_relu(layer)]
    if not include_output and found and found[-1] is model.layers[-1]:
        found = found[:-1]
    return found


def dead_units(model: keras.Model, x, *, include_output: bool = False) -> dict[str, np.ndarray]:
    """Per ReLU layer, which units output exactly 0 on every input of the probe set x."""
    chosen = relu_layers(model, include_output=include_output)
    if not chosen:
        raise ValueError(f"model {model.name!r} has no hidden ReLU units to check")
    outputs = layer_outputs(model, x, chosen)
    return {name: np.all(out.reshape(len(out), -1) <= 0, axis=0) for name, out in outputs.items()}


def dead_fraction(model: keras.Model, x, *, include_output: bool = False) -> float:
    """The share of ReLU units that output 0 on every input of the probe set x."""
    dead = np.concatenate(list(dead_units(model, x, include_output=include_output).values()))
    return float(dead.mean())


def dense_layers(model: keras.Model, *, include_output: bool = False) -> list:
    """The model's Dense layers (without the last one unless asked)."""
    found = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return found if include_output else found[:-1]


def layer_symmetry(model: keras.Model) -> dict[str, float]:
    """Per hidden Dense layer, the largest difference between two units' incoming weights.

    Each unit's incoming weights are its kernel column and its bias. 0 means every unit
    of the layer computes the same function; layers of one unit are skipped.
    """
    spread = {}
    for layer in dense_layers(model):
        if layer.units < 2:
            continue
        weights = keras.ops.convert_to_numpy(layer.kernel)
        if layer.use_bias:
            weights = np.vstack([weights, keras.ops.convert_to_numpy(layer.bias)[None, :]])
        spread[layer.name] = float((weights.max(axis=1) - weights.min(axis=1)).max())
    return spread


def symmetry(model: keras.Model) -> float:
    """The largest `layer_symmetry` over the hidden layers (0.0: no layer has 2 units)."""
    return max(layer_symmetry(model).values(), default=0.0)


def gradient_table(model: keras.Model, x, y) -> pd.DataFrame:
    """The gradient of the compiled loss on (x, y) at once, one row per weight.

    Columns: layer, weight (kernel or bias), max_abs (largest |gradient|), norm (L2).
    Needs the TensorFlow backend.
    """
    import tensorflow as tf

    if getattr(model, "loss", None) is None:
        raise ValueError("compile the model with a loss before asking for its gradients")

    def build():
        @tf.function(reduce_retracing=True)
        def gradients(x, y):
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            return tape.gradient(loss, model.trainable_variables)

        return gradients

    x, y = tf.constant(np.asarray(x, "float32")), tf.constant(np.asarray(y, "float32"))
    variables = model.trainable_variables
    grads = _compiled(model, "gradients", build)(x, y)
    rows = []
    for variable, grad in zip(variables, grads):
        g = np.zeros(variable.shape) if grad is None else grad.numpy()
        layer, _, weight = variable.path.rpartition("/")
        rows.append(
            {
                "layer": layer.rpartition("/")[2] or layer,
                "weight": weight,
                "max_abs": float(np.abs(g).max()),
                "norm": float(np.sqrt((g.astype("float64") ** 2).sum())),
            }
        )
    return pd.DataFrame(rows)


def gradient_norms(model: keras.Model, x, y) -> dict[str, float]:
    """Per layer, the L2 norm of the loss gradient over its kernel and bias together."""
    table = gradient_table(model, x, y)
    squared = (table["norm"] ** 2).groupby(table["layer"], sort=False).sum()
    return {layer: float(np.sqrt(value)) for layer, value in squared.items()}


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
        from companion.boundary import boundary_grid, neuron_grids

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
        from companion.boundary import plot_boundaries

        grids = {f"epoch {e}": g for e, g in self.grids.items()}
        return plot_boundaries(
            grids, x_train, y_train, x_test=x_test, y_test=y_test, domain=self.domain, axes=axes
        )
