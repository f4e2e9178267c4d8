"""Keras callbacks that report training progress through `companion.run.progress`."""

from __future__ import annotations

import time

import keras

from companion.run import progress
from companion.run.progress import LOG, duration, handler, metrics_text


def epoch_progress(label: str = "") -> keras.callbacks.Callback | None:
    """A callback that reports each epoch, or None when nobody shows progress (no overhead)."""
    shown = handler()
    if shown is None:
        return None
    return LiveEpochProgress(label) if shown.live else EpochProgress(label)


class EpochProgress(keras.callbacks.Callback):
    """Logs one line per finished epoch (epoch k/N, metrics, time per epoch, time left)."""

    def __init__(self, label: str = "", *, min_seconds: float | None = None) -> None:
        super().__init__()
        self.label = f"{label}: " if label else ""
        self.min_seconds = progress.MIN_SECONDS if min_seconds is None else min_seconds

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._epochs = int(self.params.get("epochs") or 1)
        self._steps = self.params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def _long(self, done: int) -> bool:
        elapsed = time.perf_counter() - self._start
        return elapsed / max(done, 1e-9) * self._epochs >= self.min_seconds

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if not self._long(done):
            return
        per_epoch = (time.perf_counter() - self._start) / done
        left = per_epoch * (self._epochs - done)
        timing = f"{duration(per_epoch)}/epoch" + (f", {duration(left)} left" if left else "")
        LOG.info(f"{self.label}epoch {done}/{self._epochs}  {metrics_text(logs)}  ({timing})")


class LiveEpochProgress(EpochProgress):
    """EpochProgress that also redraws the running epoch's line (for terminals only)."""

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._epoch = epoch
        self._drawn = self._epoch_start

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if now - self._drawn < progress.REDRAW_SECONDS or now - self._start < self.min_seconds:
            return
        self._drawn = now
        step = batch + 1
        share = f"{step}/{self._steps}" if self._steps else f"step {step}"
        bar = ""
        if self._steps:
            filled = int(20 * step / self._steps)
            bar = "[" + "#" * filled + "." * (20 - filled) + "] "
        msg = (
            f"{self.label}epoch {self._epoch + 1}/{self._epochs} {bar}{share}  {metrics_text(logs)}"
        )
        LOG.info(msg, extra={"redraw": True})
