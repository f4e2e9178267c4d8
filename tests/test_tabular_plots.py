"""The tabular figures draw what they are given: rates by level, weights, losses, bars."""

import numpy as np
import pandas as pd
import pytest

from companion.tabular.plots import (
    plot_feature_bars,
    plot_loss_curves,
    plot_outcome_rates,
    plot_weight_matrix,
)


def test_outcome_rates_are_the_shares_in_the_given_order():
    frame = pd.DataFrame(
        {
            "age": ["old", "old", "young", "young", "young", "mid"],
            "sex": ["F", "M", "F", "M", "F", "M"],
            "death_yn": ["Yes", "Yes", "No", "No", "Yes", "No"],
        }
    )
    fig = plot_outcome_rates(frame, ("age", "sex"), levels={"age": ("young", "mid", "old", "x")})
    age, sex = fig.axes
    assert [t.get_text() for t in age.get_xticklabels()] == ["young", "mid", "old"]
    heights = [patch.get_height() for patch in age.patches]
    assert heights == pytest.approx([100 / 3, 0.0, 100.0])
    assert [patch.get_height() for patch in sex.patches] == pytest.approx([200 / 3, 100 / 3])
    assert age.get_ylabel() == "death_yn Yes (%)"


def test_weight_matrix_is_labelled_and_centred():
    weights = np.array([[0.5, -2.0, 1.0], [0.0, 1.0, -1.0]])
    fig = plot_weight_matrix(weights, ["a", "b", "c"], title="w")
    image = fig.axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0)  # symmetric, so 0 is the neutral colour
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="3 weight.*2 feature"):
        plot_weight_matrix(weights, ["a", "b"])


def test_loss_curves_put_training_and_validation_side_by_side():
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [3.0, 2.0, 1.0], "val_loss": [4, 3, 2]})
    fig = plot_loss_curves({"one": history, "two": history * 0.5})
    train, val = fig.axes[:2]
    assert [line.get_label() for line in train.lines] == ["one", "two"]
    assert list(val.lines[0].get_ydata()) == [4, 3, 2]
    assert list(train.lines[1].get_ydata()) == [1.5, 1.0, 0.5]


def test_feature_bars_group_one_bar_per_series_and_feature():
    values = {"a": np.array([1.0, -1.0]), "b": np.array([0.5, 2.0])}
    fig = plot_feature_bars(values, ["x", "y"], ylabel="log-odds")
    ax = fig.axes[0]
    assert len(ax.patches) == 4
    assert sorted(p.get_height() for p in ax.patches) == [-1.0, 0.5, 1.0, 2.0]
    assert ax.get_ylabel() == "log-odds"
