"""Plot helpers: metric pairing, history frames, exact fractions, drawing on a given ax."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from companion.plots import (
    fraction_text,
    history_frame,
    metric_pairs,
    plot_heatmap,
    plot_history,
    plot_images,
    plot_lines,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- metric_pairs ----------------------------------------------------------------------


def test_metric_pairs_standard_keras_names():
    columns = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "seconds"]
    assert metric_pairs(columns) == [("accuracy", "val_accuracy"), ("loss", "val_loss")]


def test_metric_pairs_any_names_and_orphans():
    columns = ["loss", "f1_macro", "val_f1_macro", "auc", "val_loss", "val_extra", "lr"]
    assert metric_pairs(columns) == [
        ("loss", "val_loss"),
        ("f1_macro", "val_f1_macro"),
        ("auc", None),  # trained without validation
        ("val_extra", None),  # validation without a training twin
    ]


def test_metric_pairs_skips_bookkeeping_columns():
    assert metric_pairs(["epoch", "seconds", "learning_rate", "lr"]) == []
    # Old Keras' "acc" is just another name.
    assert metric_pairs(["acc", "val_acc"]) == [("acc", "val_acc")]


# --- history_frame ---------------------------------------------------------------------


def test_history_frame_from_a_dict_adds_epochs_from_one():
    frame = history_frame({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]})
    assert list(frame.columns) == ["epoch", "loss", "val_loss"]
    assert frame["epoch"].tolist() == [1, 2, 3]
    assert frame["val_loss"].tolist() == [1.0, 0.7, 0.6]


def test_history_frame_from_a_keras_history_like_object():
    history = SimpleNamespace(history={"loss": [2.0, 1.0]}, epoch=[0, 1])
    frame = history_frame(history)
    assert frame.to_dict("list") == {"epoch": [1, 2], "loss": [2.0, 1.0]}


def test_history_frame_keeps_an_existing_epoch_column_and_copies():
    original = pd.DataFrame({"epoch": [5, 6], "loss": [0.3, 0.2]})
    frame = history_frame(original)
    assert frame["epoch"].tolist() == [5, 6]
    frame.loc[0, "loss"] = 99.0
    assert original.loc[0, "loss"] == 0.3  # the caller's frame is untouched
    without_epoch = pd.DataFrame({"loss": [0.3]})
    history_frame(without_epoch)
    assert list(without_epoch.columns) == ["loss"]


# --- fraction_text ----------------------------------------------------------------------


def test_fraction_text_exact_fractions():
    assert fraction_text([[1.0, 0.5], [0.5, 0.25]]) == [["1", "1/2"], ["1/2", "1/4"]]
    assert fraction_text(np.array([[0.0, 0.75, 1 / 9]])) == [["0", "3/4", "1/9"]]


def test_fraction_text_recovers_float32_rounding():
    # Average pooling in float32 gives 0.33333334, not 1/3; the text must still say 1/3.
    values = np.array([[1 / 3, 2 / 3], [5 / 9, 1 / 4]], dtype=np.float32)
    assert fraction_text(values) == [["1/3", "2/3"], ["5/9", "1/4"]]


def test_fraction_text_from_keras_pooling():
    """Problem 4C's top-left case: a 3x3 block of ones, 2x2 average pooling with stride 2."""
    import keras

    image = np.zeros((1, 4, 4, 1), "float32")
    image[0, :3, :3, 0] = 1.0
    pooled = keras.layers.AveragePooling2D(2)(image)
    matrix = keras.ops.convert_to_numpy(pooled)[0, :, :, 0]
    assert fraction_text(matrix) == [["1", "1/2"], ["1/2", "1/4"]]


# --- drawing on the ax it is given ----------------------------------------------------


def test_plot_history_one_panel_per_pair_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    frame = pd.DataFrame(
        {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "mae": [3.0, 2.0], "seconds": [1.0, 1.0]}
    )
    assert plot_history(frame, axes=axes, title="run") is fig
    assert [ax.get_title() for ax in axes] == ["loss", "mae"]
    assert [line.get_label() for line in axes[0].get_lines()] == ["loss", "val_loss"]
    assert axes[1].get_lines()[0].get_ydata().tolist() == [3.0, 2.0]
    assert fig.get_suptitle() == "run"


def test_plot_heatmap_annotates_values_on_given_ax():
    fig, ax = plt.subplots()
    out = plot_heatmap(
        [[1, 64], [8, np.nan]], ax=ax, xlabels=["a", "b"], ylabels=["c", "d"], colorbar=False
    )
    assert out is fig
    assert sorted(t.get_text() for t in ax.texts) == ["1", "64", "8", "–"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]


def test_plot_lines_and_images_return_their_figures():
    fig, ax = plt.subplots()
    assert plot_lines({"grid": ([1, 2], [0.5, 0.9])}, ax=ax, logx=True) is fig
    assert ax.get_xscale() == "log" and ax.get_lines()[0].get_label() == "grid"
    images = np.zeros((3, 28, 28, 1))
    fig = plot_images(images, labels=[7, 2, 1], ncols=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["7", "2", "1", ""] and len(fig.axes) == 4
