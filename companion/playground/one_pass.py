"""One pass of SGD through data in a fixed order, watched by the dead-ReLU monitor.

The dying-ReLU experiment (all the negatives first, then the positives) needs two probes
while the net sees each example once: the share of ReLU units dead on the whole probe set
(`DeadReluMonitor`) and the share of points the net calls positive. `probed_pass` feeds the
pass to `fast_fit` in chunks with one `PassMonitor` attached: the same weights as
`model.fit(x, y, batch_size=1, shuffle=False)` with `DeadReluMonitor(x, batches=...)`,
about 6x faster (measured 0.2 s against 1.2 s for 1000 steps of an 8-8 net on CPU).
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from companion.callbacks import DeadReluMonitor
from companion.playground.fastfit import fast_fit
from companion.playground.model import predict_points


def positive_share(model: keras.Model, x) -> float:
    """The share of points the model calls positive (output ≥ 0, or class 1 of two outputs)."""
    out = predict_points(model, x)
    positive = out.argmax(axis=-1) == 1 if out.shape[-1] > 1 else out[:, 0] >= 0
    return float(np.mean(positive))


class PassMonitor(DeadReluMonitor):
    """`DeadReluMonitor` over one pass fed in chunks: a row per chunk, by examples seen.

    Rows hold `seen`, `dead_fraction` (and the monitor's per-layer counts) and
    `positive_share` on the probe set; the first row (seen 0) is taken before the first chunk.
    """

    def __init__(self, x_probe):
        super().__init__(x_probe)
        self.seen = 0

    def measure(self) -> dict:
        self._step = self.seen  # one example per step: steps done = examples seen
        share = positive_share(self.model, self.x_probe)
        return {"seen": self.seen, **super().measure(), "positive_share": share}

    def on_train_begin(self, logs=None):
        if not self.rows:  # only the pass's first chunk starts the record
            super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        self.seen += int(self.params["steps"])
        self.record(epoch=None)


def probed_pass(model: keras.Model, x, y, *, probe_every: int) -> pd.DataFrame:
    """SGD one example a step through x in order, probed every `probe_every` examples.

    Args:
        model: a compiled model (e.g. `playground_model`); it trains in place.
        x, y: the examples, in the order the net sees them; x is also the probe set.
        probe_every: examples between probes (and before the first, and at the end).

    Returns:
        A DataFrame with `seen` (0 … len(x)), `dead_fraction` and `positive_share`.
    """
    if int(probe_every) < 1:
        raise ValueError(f"probe_every must be at least 1, got {probe_every}")
    monitor = PassMonitor(x)
    for start in range(0, len(x), int(probe_every)):
        part = slice(start, start + int(probe_every))
        fast_fit(model, x[part], y[part], epochs=1, batch_size=1, callbacks=[monitor])
    return monitor.to_frame()[["seen", "dead_fraction", "positive_share"]]
