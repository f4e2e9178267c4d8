"""`train`: compile, fit with the standard callbacks, return the history as a DataFrame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from companion.callbacks import EpochTimer, ReleaseEarlierTrainings, TrainingCurves
from companion.plots import history_frame
from companion.run.atomic import replace_atomically
from companion.run.folder import RunFolder
from companion.run.progress_callbacks import epoch_progress


def one_hot(labels, num_classes: int = 10) -> np.ndarray:
    """Integer labels as float32 one-hot rows."""
    labels = np.asarray(labels)
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"one_hot needs integer class labels, got {labels.dtype} values")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}, got values from {labels.min()} to "
            f"{labels.max()}; pass num_classes={int(labels.max()) + 1} or fix the labels"
        )
    return keras.utils.to_categorical(labels, num_classes).astype("float32")


def steps_per_run(examples: int, batch_size: int, epochs: int) -> int:
    """Gradient steps in a run: batches per epoch (the last one may be short) times epochs."""
    if min(examples, batch_size, epochs) < 1:
        raise ValueError(
            f"examples, batch_size and epochs must be at least 1, got {examples}, "
            f"{batch_size} and {epochs}"
        )
    return int(epochs) * -(-int(examples) // int(batch_size))


def cosine_adam(peak: float, steps: int, *, alpha: float = 0.0) -> keras.optimizers.Adam:
    """Adam whose learning rate falls from `peak` to `alpha * peak` along a cosine.

    `steps` is the whole run's gradient steps (`steps_per_run`), so the rate reaches its
    floor at the last batch: the schedule chapters 3 and 4 train with.
    """
    if peak <= 0:
        raise ValueError(f"the peak learning rate must be above 0, got {peak}")
    schedule = keras.optimizers.schedules.CosineDecay(
        float(peak), decay_steps=max(int(steps), 1), alpha=alpha
    )
    return keras.optimizers.Adam(schedule)


class _HistoryCsv(keras.callbacks.Callback):
    """Rewrites `path` after every epoch with the rows `train` returns (so far)."""

    def __init__(self, path: Path):
        super().__init__()
        self.path, self.rows = path, []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append(dict(logs or {}))
        frame = history_frame(pd.DataFrame(self.rows))
        # An interrupted run keeps a whole file, never half of one.
        replace_atomically(self.path, lambda tmp: frame.to_csv(tmp, index=False))


class _BestModel(keras.callbacks.Callback):
    """Saves the model to `path` whenever `monitor` reaches a new low.

    Not Keras' ModelCheckpoint: it saves in place, and a kill mid-save would leave half a
    `.keras` file where the last best one was.
    """

    def __init__(self, path: Path, monitor: str):
        super().__init__()
        self.path, self.monitor, self.best = path, monitor, float("inf")
        # Keras' rule for mode="auto": accuracies are maximised, everything else minimised.
        self.sign = -1.0 if "acc" in monitor or monitor.startswith("fmeasure") else 1.0

    def on_train_begin(self, logs=None):
        self.best = float("inf")

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and self.sign * float(value) < self.best:
            self.best = self.sign * float(value)
            replace_atomically(self.path, self.model.save)


def _file_maker(out: str | Path | RunFolder) -> tuple[Callable[[str], Path], Callable]:
    """(path_for, folder_for) under `out`: a run folder records each as the running problem's."""
    if isinstance(out, RunFolder):
        return out.path_for, out.folder_for
    root = Path(out)

    def path_for(name: str) -> Path:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        return root / name

    def folder_for(name: str) -> Path:
        (root / name).mkdir(parents=True, exist_ok=True)
        return root / name

    return path_for, folder_for


def _is_pipeline(x, y) -> bool:
    """Whether `x` batches itself (a tf.data.Dataset, a generator, a PyDataset)."""
    return y is None and not isinstance(x, np.ndarray | list | tuple | dict)


def fit_callbacks(
    out: str | Path | RunFolder | None = None,
    name: str = "model",
    *,
    monitor: str = "val_loss",
    curves: bool = True,
    checkpoint: bool = False,
    tensorboard: bool = False,
) -> list[keras.callbacks.Callback]:
    """The callbacks a chapter passes to `model.fit`: timing, progress and, with `out`, files.

    Always an `EpochTimer` (a `seconds` column for `history_frame`), a full garbage
    collection as training begins (earlier fits' cycles hold their data) and the progress line
    (when someone shows progress, as the chapters do). With `out`: `histories/<name>.csv`
    rewritten whole after every epoch, and as asked `figures/<name>_curves.png` (live in a
    notebook), a best-epoch checkpoint `<name>.keras` by `monitor`, `tensorboard/<name>`.
    `out` is a folder, or a chapter's run folder (`ctx.folder`), which records those files
    as the running problem's. Every file is replaced whole (TensorBoard's logs: appended).
    Read the `History` that `fit` returns with `companion.plots.history_frame`.
    """
    standard: list[keras.callbacks.Callback] = [EpochTimer(), ReleaseEarlierTrainings()]
    progress = epoch_progress(name)  # None unless someone shows progress (the chapters do)
    if progress is not None:
        standard.append(progress)
    if out is None:
        return standard
    path_for, folder_for = _file_maker(out)
    standard.append(_HistoryCsv(path_for(f"histories/{name}.csv")))
    if curves:
        standard.append(TrainingCurves(path_for(f"figures/{name}_curves.png"), title=name))
    if checkpoint:
        standard.append(_BestModel(path_for(f"{name}.keras"), monitor))
    if tensorboard:
        standard.append(keras.callbacks.TensorBoard(str(folder_for(f"tensorboard/{name}"))))
    return standard


def train(
    model: keras.Model,
    x,
    y=None,
    *,
    epochs: int,
    batch_size: int = 32,
    validation_data=None,
    optimizer: str | keras.optimizers.Optimizer | None = "adam",
    loss: str | keras.losses.Loss | None = "categorical_crossentropy",
    metrics: Sequence = ("accuracy",),
    out: str | Path | RunFolder | None = None,
    name: str = "model",
    curves: bool = True,
    checkpoint: bool = False,
    tensorboard: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    steps_per_execution: int = 1,
    shuffle: bool = True,
    class_weight: dict[int, float] | None = None,
    verbose: int = 0,
) -> pd.DataFrame:
    """Compile (unless `optimizer` is None) and fit; return one row per epoch.

    Args:
        model: the Keras model.
        x, y: training inputs and targets as arrays; or `x` alone as a pipeline that
            batches and shuffles itself (a tf.data.Dataset or a generator of batches),
            in which case `batch_size` and `shuffle` are left to it.
        epochs: number of epochs (at least 1).
        batch_size: examples per gradient step (arrays only).
        validation_data: (x_val, y_val) scored after each epoch.
        optimizer, loss, metrics: passed to `compile`; optimizer=None keeps the model's
            existing compilation.
        out: a folder (or a chapter's run folder) for `histories/<name>.csv`,
            `figures/<name>_curves.png`, a best-epoch checkpoint `<name>.keras` and
            `tensorboard/<name>` (None: write nothing).
        name: the file stem for what is written.
        curves, checkpoint, tensorboard: which of those files to write.
        callbacks: more callbacks, run after the standard ones.
        steps_per_execution: batches per compiled call (fewer Python round trips).
        shuffle, class_weight, verbose: passed to `fit` (class_weight: {class: weight}).

    Returns:
        A DataFrame with `epoch`, every metric in the logs and `seconds` per epoch.
    """
    if int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if _is_pipeline(x, y):
        batch_size, shuffle = None, False  # the pipeline batches and shuffles itself
    elif y is None:
        raise ValueError("train needs targets `y` with array inputs (or a pipeline as `x`)")
    if optimizer is not None:
        model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=list(metrics),
            steps_per_execution=steps_per_execution,
        )
    standard = fit_callbacks(
        out,
        name,
        monitor="val_loss" if validation_data is not None else "loss",
        curves=curves,
        checkpoint=checkpoint,
        tensorboard=tensorboard,
    )
    history = model.fit(
        x,
        y,
        epochs=int(epochs),
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=[*standard, *callbacks],
        shuffle=shuffle,
        class_weight=class_weight,
        verbose=verbose,
    )
    return history_frame(history)


def accuracies(model: keras.Model, *splits, batch_size: int = 512) -> list[float]:
    """The model's accuracy on each (x, labels) split, all scored in one `predict` call."""
    return [
        float(right.mean()) for right in correct_predictions(model, *splits, batch_size=batch_size)
    ]


def correct_predictions(model: keras.Model, *splits, batch_size: int = 512) -> list[np.ndarray]:
    """For each (x, labels) split, which items the model classifies right (boolean arrays).

    All splits go through a single `predict` call: one traced function, not one per split.
    The per-item arrays let a report pair two models image by image
    (`companion.stats.paired_difference`); their mean is the accuracy.

    Args:
        model: a classifier whose output's argmax is the predicted class.
        *splits: (x, labels) pairs, labels as integers.
        batch_size: images per predict batch.
    """
    if not splits:
        raise ValueError("give at least one (x, labels) split")
    for x, labels in splits:
        if len(x) != len(labels):
            raise ValueError(f"a split has {len(x)} inputs but {len(labels)} labels")
    inputs = np.concatenate([np.asarray(x) for x, _ in splits])
    predicted = np.argmax(model.predict(inputs, batch_size=batch_size, verbose=0), axis=1)
    out, start = [], 0
    for _, labels in splits:
        out.append(predicted[start : start + len(labels)] == np.asarray(labels))
        start += len(labels)
    return out
