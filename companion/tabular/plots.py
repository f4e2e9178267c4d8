"""Figures for tabular data and the small nets trained on it: rates, weights, losses.

Each function draws on the axes it is given (or new ones from `companion.figures`, shown
once in Jupyter) and returns the figure; inputs are labelled by their feature names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from companion.figures import subplots
from companion.plots import plot_heatmap, plot_lines


def _new_axes(ncols: int = 1, **kwargs):
    return subplots(1, ncols, **kwargs)[1]


def plot_outcome_rates(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    outcome: str = "death_yn",
    positive: str = "Yes",
    levels: Mapping[str, Sequence[str]] | None = None,
    axes=None,
    ylabel: str | None = None,
    title: str = "",
):
    """One bar panel per column: the share (%) of rows whose `outcome` is `positive`, by level.

    `levels[column]` orders the bars (levels absent from the frame are skipped);
    other columns keep pandas' sorted order.
    """
    if axes is None:
        ratios = [max(1.0, len(frame[c].unique()) / 4) for c in columns]
        axes = _new_axes(len(columns), figsize=(10, 3.4), gridspec_kw={"width_ratios": ratios})
    axes = np.atleast_1d(axes)
    for ax, column in zip(axes, columns):
        rates = (frame[outcome] == positive).groupby(frame[column]).mean() * 100
        if levels and column in levels:
            rates = rates.reindex([v for v in levels[column] if v in rates.index])
        ax.bar(range(len(rates)), rates.to_numpy(), color="#c0504d")
        ax.set_xticks(range(len(rates)), [str(i) for i in rates.index], rotation=40, ha="right")
        ax.set_ylabel(ylabel or f"{outcome} {positive} (%)")
        ax.set_title(f"by {column}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig = axes[0].figure
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_weight_matrix(weights, feature_names: Sequence[str], *, ax=None, title: str = ""):
    """A units x inputs weight matrix as a heatmap, centred on 0, labelled by feature."""
    weights = np.asarray(weights, dtype=float)
    if weights.shape[1] != len(feature_names):
        raise ValueError(
            f"{weights.shape[1]} weight columns but {len(feature_names)} feature names; "
            "pass the matrix as units x inputs"
        )
    if ax is None:
        ax = _new_axes(figsize=(max(6.0, 0.85 * len(feature_names) + 2), 3.6))
    limit = float(np.abs(weights).max()) or 1.0
    return plot_heatmap(
        weights,
        ax=ax,
        fmt="{:.2f}",
        xlabels=feature_names,
        ylabels=[f"unit {i + 1}" for i in range(weights.shape[0])],
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        title=title,
    )


def plot_loss_curves(histories: Mapping[str, pd.DataFrame], *, axes=None, title: str = ""):
    """Training and validation loss per epoch of several nets, on two axes side by side."""
    if axes is None:
        axes = _new_axes(2, figsize=(10, 3.6))
    for ax, column, label in zip(axes, ("loss", "val_loss"), ("training", "validation")):
        series = {name: (h["epoch"], h[column]) for name, h in histories.items()}
        plot_lines(series, ax=ax, xlabel="epoch", ylabel="cross-entropy", title=f"{label} loss")
    fig = axes[0].figure
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_bars(
    values: Mapping[str, np.ndarray],
    feature_names: Sequence[str],
    *,
    ax=None,
    ylabel: str = "",
    title: str = "",
):
    """Grouped bars: one value per feature for each named series (e.g. each net's weights)."""
    if ax is None:
        ax = _new_axes(figsize=(max(6.0, 0.8 * len(feature_names) + 2), 3.6))
    width = 0.8 / len(values)
    positions = np.arange(len(feature_names))
    for i, (name, series) in enumerate(values.items()):
        ax.bar(positions + (i - (len(values) - 1) / 2) * width, series, width, label=name)
    ax.set_xticks(positions, list(feature_names), rotation=40, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(ylabel=ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure
