"""Reading a loss curve the way a user reads it: when it settles, when it leaves a plateau.

Long Playground runs (thousands of epochs, several seeds) are summarised by a few epochs
per curve; these functions define them once, so every report counts the same way.
"""

from __future__ import annotations

import numpy as np


def settled_epoch(
    losses, *, fraction: float = 0.01, atol: float = 1e-4, hold: float = 0.1
) -> int | None:
    """The first epoch from which a loss curve stays near its final value for good, or None.

    "Near" means within max(fraction × (largest value − final value), atol) of the final
    value: the run has done all but `fraction` of its total fall and never leaves that band
    again. The absolute floor keeps a flat curve from counting round-off as movement.

    A curve that enters its final band only near the end (e.g. at epoch 583 of 600) is
    still moving: a longer run would move its final value and so its band. It counts as
    settled only when it has stayed in the band for at least `hold` of the run (hold=0:
    always settled, at the epoch it entered the band).

    Args:
        losses: one value per epoch, epoch 0 (before training) first.
        fraction: the band's share of the curve's total fall.
        atol: the band's smallest half-width.
        hold: the least share of the run the curve must end with inside the band.

    Returns:
        The index (epoch) of the first value from which the curve stays in the band, or
        None when that epoch is later than (1 − hold) × epochs.
    """
    if not 0 <= hold < 1:
        raise ValueError(f"hold must be in [0, 1), got {hold}")
    values = np.asarray(losses, dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("settled_epoch needs a non-empty curve of finite values")
    final = values[-1]
    band = max(fraction * (values.max() - final), atol)
    outside = np.nonzero(np.abs(values - final) > band)[0]
    epoch = int(outside[-1] + 1) if outside.size else 0
    return epoch if epoch <= (1 - hold) * (values.size - 1) else None


def first_epoch_below(losses, level: float) -> int | None:
    """The first epoch whose loss is below `level` (what a user reads off the curve), or None."""
    values = np.asarray(losses, dtype=float)
    below = np.nonzero(values < level)[0]
    return int(below[0]) if below.size else None


def constant_guess_loss(y_train, y_test) -> float:
    """The test loss ½(ŷ − y)² of the best constant a net can learn: the training labels' mean.

    A net whose hidden units carry no information about the input (all dead, or all
    identical with a flat response) can do no better than this: it is the plateau.
    """
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    y_test = np.asarray(y_test, dtype=float).reshape(-1)
    if y_train.size == 0 or y_test.size == 0:
        raise ValueError("constant_guess_loss needs non-empty training and test labels")
    return float(0.5 * np.mean((y_test - y_train.mean()) ** 2))


def plateau_exit(losses, plateau: float, *, drop: float = 0.1) -> int | None:
    """The first epoch whose loss is below (1 − drop) × plateau: the net has left it; or None."""
    if not 0 < drop < 1:
        raise ValueError(f"drop must be in (0, 1), got {drop}")
    return first_epoch_below(losses, (1 - drop) * float(plateau))


def seed_spread(values) -> dict[str, float | None]:
    """Min, median and max over seeds, counting None (never reached) as beyond every number.

    A statistic that falls on a None is None (read: "not within the epochs run");
    `reached` counts the values that are not None and `seeds` all of them.
    """
    values = list(values)
    if not values:
        raise ValueError("seed_spread needs at least one value")
    numbers = [np.inf if v is None or not np.isfinite(v) else float(v) for v in values]
    stats = {"min": min(numbers), "median": float(np.median(numbers)), "max": max(numbers)}
    epochs = all(isinstance(v, (int, np.integer)) for v in values if v is not None)
    out: dict[str, float | None] = {
        k: None if np.isinf(v) else int(v) if epochs and float(v).is_integer() else v
        for k, v in stats.items()
    }
    out["reached"] = int(sum(v is not None and bool(np.isfinite(v)) for v in values))
    out["seeds"] = len(values)
    return out
