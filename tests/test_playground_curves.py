"""Reading loss curves: settle epochs, plateau exits and spreads over seeds."""

import numpy as np
import pytest

from companion.playground.curves import (
    constant_guess_loss,
    first_epoch_below,
    plateau_exit,
    seed_spread,
    settled_epoch,
)


def test_settled_epoch_finds_the_band_entry():
    curve = np.r_[np.linspace(1.0, 0.1, 11), np.full(20, 0.1)]
    assert settled_epoch(curve, hold=0.0) == 10
    bumpy = curve.copy()
    bumpy[25] = 0.2  # leaves the band late: settles only after it
    assert settled_epoch(bumpy, hold=0.0) == 26
    assert settled_epoch(np.full(5, 0.5) + 1e-7 * np.arange(5), hold=0.0) == 0  # flat: the floor
    with pytest.raises(ValueError, match="non-empty curve"):
        settled_epoch([])
    with pytest.raises(ValueError, match="finite"):
        settled_epoch([1.0, np.nan, 0.5])


def test_settled_epoch_calls_a_late_settle_not_settled():
    curve = np.r_[np.linspace(1.0, 0.1, 11), np.full(90, 0.1)]  # still from epoch 10 of 100
    assert settled_epoch(curve) == 10
    late = np.r_[np.linspace(1.0, 0.1, 96), np.full(5, 0.1)]  # reaches its value at epoch 95
    assert settled_epoch(late, hold=0.1) is None
    assert settled_epoch(late, hold=0.0) == 95
    with pytest.raises(ValueError, match=r"hold must be in \[0, 1\)"):
        settled_epoch(curve, hold=1.0)


def test_first_epoch_below_and_plateau_exit():
    curve = [0.5, 0.5, 0.46, 0.44, 0.04, 0.01]
    assert first_epoch_below(curve, 0.05) == 4
    assert first_epoch_below(curve, 0.001) is None
    plateau = constant_guess_loss([1, -1, 1, -1], [1, 1, -1, -1])  # mean 0: ½·1
    assert plateau == pytest.approx(0.5)
    assert plateau_exit(curve, plateau) == 3  # first below 0.45
    assert plateau_exit([0.5] * 4, plateau) is None
    assert constant_guess_loss([1, 1, 1, -1], [1, -1]) == pytest.approx(0.5 * (0.25 + 2.25) / 2)
    with pytest.raises(ValueError, match="drop must be in"):
        plateau_exit(curve, plateau, drop=0)
    with pytest.raises(ValueError, match="non-empty"):
        constant_guess_loss([], [1])


def test_seed_spread_counts_misses_as_beyond_every_number():
    assert seed_spread([30, 10, 20]) == {
        "min": 10,
        "median": 20,
        "max": 30,
        "reached": 3,
        "seeds": 3,
    }
    spread = seed_spread([30, None, float("nan")])
    assert spread["min"] == 30 and spread["median"] is None and spread["max"] is None
    assert spread["reached"] == 1
    with pytest.raises(ValueError, match="at least one"):
        seed_spread([])
