"""A search's trials as a table: the running best, worker ids, the grid heatmap."""

import math

import numpy as np
import pandas as pd
import pytest

from companion.search.trials import best_so_far, plot_grid_heatmap, worker_number


def test_best_so_far_runs_the_best_score_and_the_elapsed_seconds():
    frame = pd.DataFrame({"score": [0.5, np.nan, 0.7, 0.6], "seconds": [2.0, 1.0, np.nan, 3.0]})
    best = best_so_far(frame)
    assert best["trial"].tolist() == [1, 2, 3, 4]
    assert best["elapsed"].tolist() == [2.0, 3.0, 3.0, 6.0]  # an untimed trial adds nothing
    assert best["best_score"].tolist() == [0.5, 0.5, 0.7, 0.7]  # a failed trial keeps the best
    lowest = best_so_far(frame, direction="min")["best_score"].tolist()
    assert lowest == [0.5, 0.5, 0.5, 0.5]
    first_failed = best_so_far(pd.DataFrame({"score": [np.nan, 0.4], "seconds": [1.0, 1.0]}))
    assert (
        math.isnan(first_failed["best_score"].iloc[0]) and first_failed["best_score"].iloc[1] == 0.4
    )


def test_worker_number_reads_keras_tuner_ids():
    assert worker_number("tuner3") == 3.0
    assert math.isnan(worker_number("chief")) and math.isnan(worker_number("tunerX"))


def test_grid_heatmap_leaves_untried_cells_blank():
    frame = pd.DataFrame({"units": [2, 2, 8], "dropout": [0.0, 0.5, 0.0], "score": [0.6, 0.7, 0.9]})
    fig = plot_grid_heatmap(frame, "units", "dropout")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("units", "dropout")
    shown = ax.images[0].get_array()
    assert shown.shape == (2, 2)
    assert np.ma.is_masked(shown[1, 1]) or np.isnan(shown[1, 1])  # 8 units, dropout 0.5
    assert float(shown[0, 1]) == pytest.approx(0.9)
    with pytest.raises(KeyError):
        plot_grid_heatmap(frame, "units", "missing")
