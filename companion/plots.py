"""Plot helpers: each draws on an `ax` it is given (or a new one) and returns the figure.

A new figure comes from `companion.figures.subplots`: in Jupyter it shows once, whether the
call is a cell's last line or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import pandas as pd

from companion.figures import subplots


def _axes(ax=None, *, figsize=(5, 4)):
    if ax is None:
        fig, ax = subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def metric_pairs(columns: Sequence[str]) -> list[tuple[str, str | None]]:
    """Pair each metric with its `val_` twin, whatever the metrics are called."""
    skip = {"epoch", "seconds", "learning_rate", "lr"}
    names = [c for c in columns if c not in skip and not c.startswith("val_")]
    pairs = [(n, f"val_{n}" if f"val_{n}" in columns else None) for n in names]
    orphans = [c for c in columns if c.startswith("val_") and c[4:] not in names]
    return pairs + [(c, None) for c in orphans]


def plot_history(history, *, axes=None, title: str = ""):
    """One panel per metric, training beside validation, from a History/dict/DataFrame."""
    frame = history_frame(history)
    pairs = metric_pairs(list(frame.columns))
    if axes is None:
        fig, axes = subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    x = frame["epoch"] if "epoch" in frame else np.arange(1, len(frame) + 1)
    for ax, (name, val) in zip(axes, pairs):
        ax.plot(x, frame[name], marker=".", label=name)
        if val:
            ax.plot(x, frame[val], marker=".", label=val)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def history_frame(history) -> pd.DataFrame:
    """A DataFrame with an `epoch` column from a Keras History, a dict of lists or a frame."""
    if isinstance(history, pd.DataFrame):
        frame = history.copy()
    else:
        data = getattr(history, "history", history)
        frame = pd.DataFrame(dict(data))
    if "epoch" not in frame:
        frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame


def plot_heatmap(
    matrix,
    *,
    ax=None,
    annotate: bool = True,
    fmt: str = "{:g}",
    xlabels=None,
    ylabels=None,
    cmap: str = "viridis",
    title: str = "",
    colorbar: bool = True,
    vmin=None,
    vmax=None,
):
    """A matrix as coloured cells, optionally annotated with its values."""
    fig, ax = _axes(ax)
    values = np.asarray(matrix, dtype=float)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    if annotate:
        middle = np.nanmean(values) if np.isfinite(values).any() else 0
        for (i, j), v in np.ndenumerate(values):
            text = "–" if not np.isfinite(v) else fmt.format(v)
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v < middle else "black",
            )
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), [str(x) for x in xlabels], rotation=45, ha="right")
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), [str(y) for y in ylabels])
    if title:
        ax.set_title(title)
    if colorbar:
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return fig


def plot_lines(
    series: Mapping[str, tuple[Sequence, Sequence]],
    *,
    ax=None,
    xlabel="",
    ylabel="",
    title="",
    logx=False,
    logy=False,
    marker=".",
):
    """Several named (x, y) series on one axis."""
    fig, ax = _axes(ax)
    for name, (x, y) in series.items():
        ax.plot(x, y, marker=marker, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_images(images, labels=None, *, ncols: int = 10, axes=None, cmap="gray"):
    """A grid of images with optional titles."""
    images = np.asarray(images)
    nrows = int(np.ceil(len(images) / ncols))
    if axes is None:
        fig, axes = subplots(nrows, ncols, figsize=(1.2 * ncols, 1.3 * nrows), squeeze=False)
    axes = np.asarray(axes).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i].squeeze(), cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def fraction_text(matrix, limit: int = 64) -> list[list[str]]:
    """A matrix's entries as exact fractions (e.g. '1/2'), for reports."""
    return [
        [str(Fraction(float(v)).limit_denominator(limit)) for v in row]
        for row in np.asarray(matrix)
    ]
