"""The demos' figures: boundary snapshots, the animation, loss and gradient curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt

from chapters.ch1_principles.demos import VISIBLE_LOSS, DemoFit, demo_label, snapshot_epochs
from companion.playground.boundary import animate_boundaries, plot_boundaries, save_gif
from companion.run.runner import Context
from companion.words import count


def boundary_figure(fits: Sequence[DemoFit]):
    """One row of boundary snapshots (the epochs of `snapshot_epochs`) per fit."""
    marks = snapshot_epochs(len(fits[0].history) - 1)
    fig, axes = plt.subplots(
        len(fits), len(marks), figsize=(2.4 * len(marks), 2.7 * len(fits)), squeeze=False
    )
    for row, fit in zip(axes, fits):
        _plot_grids(fit, {epoch: fit.grids[epoch] for epoch in marks}, row)
    fig.tight_layout()
    return fig


def final_boundary_figure(fits: Sequence[DemoFit]):
    """The last boundary of every fit: a row per demo, a column per seed."""
    demos = list(dict.fromkeys(fit.demo for fit in fits))
    seeds = sorted({fit.seed for fit in fits})
    fig, axes = plt.subplots(
        len(demos), len(seeds), figsize=(2.4 * len(seeds), 2.6 * len(demos)), squeeze=False
    )
    for fit in fits:
        last = max(fit.grids)
        _plot_grids(
            fit, {last: fit.grids[last]}, [axes[demos.index(fit.demo), seeds.index(fit.seed)]]
        )
    fig.tight_layout()
    return fig


def _plot_grids(fit: DemoFit, grids: Mapping[int, object], axes) -> None:
    """One fit's boundaries at some epochs, its training and test points on top."""

    titled = {f"{fit.label}, seed {fit.seed}\nepoch {epoch}": grid for epoch, grid in grids.items()}
    d = fit.data
    plot_boundaries(titled, d.x_train, d.y_train, x_test=d.x_test, y_test=d.y_test, axes=axes)


def boundary_animation(fits: Sequence[DemoFit], *, title: str = ""):
    """The fits' boundaries over the epochs, a panel per fit (a row per demo, a column per seed).

    In a notebook: `companion.playground.boundary.animation_html(boundary_animation(result.fits))`.
    """

    one_activation = len({fit.activation for fit in fits}) == 1

    def name(fit: DemoFit) -> str:  # small panels: the activation goes in the title
        label = fit.label.split(", ", 1)[1] if one_activation else fit.label
        return f"{label}, seed {fit.seed}"

    panels = {name(fit): fit.grids for fit in fits}
    # Training points only, as the set's Playground links show them (showTestData=false).
    points = {name(fit): (fit.data.x_train, fit.data.y_train) for fit in fits}
    if one_activation:
        title = f"{title} {fits[0].activation}".strip()
    seeds = len({fit.seed for fit in fits})
    return animate_boundaries(panels, points, columns=seeds, title=title)


def loss_figure(fits: Sequence[DemoFit], *, train: bool = False):
    """Test loss per epoch of every fit, seeds overlaid (a colour per demo), log scale."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    colours = {}
    for fit in fits:
        colour = colours.setdefault(fit.demo, f"C{len(colours)}")
        h = fit.history
        first = sum(r.demo == fit.demo for r in fits[: fits.index(fit)]) == 0
        ax.plot(
            h["epoch"],
            h["val_loss"],
            color=colour,
            lw=1.2,
            alpha=0.8,
            label=f"{fit.label}: test" if first else None,
        )
        if train:
            ax.plot(
                h["epoch"],
                h["loss"],
                color=colour,
                lw=0.8,
                ls=":",
                alpha=0.8,
                label=f"{fit.label}: train" if first else None,
            )
    ax.axhline(VISIBLE_LOSS, color="grey", lw=0.8, ls="--", label=f"loss {VISIBLE_LOSS:g}")
    seeds = len({fit.seed for fit in fits})
    ax.set(
        yscale="log",
        xlabel="epoch",
        ylabel="loss ½(ŷ − y)²",
        title=f"one line per seed ({count(seeds, 'seed')})",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def gif_md(ctx: Context, anim, name: str, caption: str) -> str:
    """Save an animation as figures/<name>.gif and return the Markdown that shows it."""
    path = ctx.folder.write_file(f"figures/{name}.gif", lambda tmp: save_gif(anim, tmp))
    return f"![{caption}]({path})\n\n*{caption}*\n"


def gradient_figure(fits: Sequence[DemoFit]):
    """Per-layer gradient norms over training, a panel per demo, seeds overlaid."""
    demos = list(dict.fromkeys(fit.demo for fit in fits))
    fig, axes = plt.subplots(1, len(demos), figsize=(4.2 * len(demos), 3.4), squeeze=False)
    for ax, demo in zip(axes[0], demos):
        for fit in (r for r in fits if r.demo == demo):
            frame = fit.gradient_norms
            for i, column in enumerate(frame.columns.drop("epoch")):
                values = frame[column].where(frame[column] > 0)  # log scale: exact zeros left out
                label = column if fit.seed == 0 else None
                ax.plot(frame["epoch"], values, color=f"C{i}", alpha=0.7, lw=1, label=label)
        ax.set(yscale="log", xlabel="epoch", ylabel="‖∂L/∂W‖ (whole training set)")
        ax.set_title(f"{demo_label(demo)} (a line per seed)", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
