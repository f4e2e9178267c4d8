"""Decision boundaries in TensorFlow Playground's look, on a fixed square.

The output is shaded orange (−1) through light grey (0) to blue (+1) over [−6, 6]², the
same square at every epoch so snapshots compare; training points get a light edge, test
points a dark one. Every function draws on an `ax` it is given (or a new one, shown once
in Jupyter: `companion.figures`) and returns the figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np

PLAYGROUND_COLORS = ("#f59322", "#e8eaeb", "#0877bd")  # −1, 0, +1 as in its heatmap.ts
TRAIN_EDGE, TEST_EDGE = "#ffffff", "#333333"


def playground_cmap():
    """The Playground's diverging colour map: orange, light grey, blue."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("playground", PLAYGROUND_COLORS)


def grid_points(*, domain: float = 6.0, resolution: int = 100) -> np.ndarray:
    """The grid's points, (resolution², 2), row by row from y = −domain upwards."""
    axis = np.linspace(-domain, domain, int(resolution), dtype="float32")
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def _as_score(out: np.ndarray) -> np.ndarray:
    """One number per point in [−1, 1]: the output itself, or p(class 1) − p(class 0)."""
    out = np.asarray(out)
    return out[:, 0] if out.shape[-1] == 1 else out[:, 1] - out[:, 0]


def boundary_grid(model: keras.Model, *, domain: float = 6.0, resolution: int = 100) -> np.ndarray:
    """The model's output on the grid as a (resolution, resolution) array (row 0 at y = −domain).

    A one-unit output is kept as it is (tanh: −1 … +1); with two or more units the score
    is p(class 1) − p(class 0), so the same colours apply.
    """
    points = grid_points(domain=domain, resolution=resolution)
    out = keras.ops.convert_to_numpy(model(points, training=False))
    return _as_score(out).reshape(int(resolution), int(resolution))


def neuron_grids(
    model: keras.Model, *, domain: float = 6.0, resolution: int = 10
) -> list[np.ndarray]:
    """Every hidden Dense unit's output on a coarse grid: one (r, r, units) array per layer."""
    from companion.callbacks import dense_layers, layer_outputs

    hidden = dense_layers(model)
    points = grid_points(domain=domain, resolution=resolution)
    outputs = layer_outputs(model, points, hidden)
    r = int(resolution)
    return [outputs[layer.name].reshape(r, r, -1) for layer in hidden]


def _axes(ax=None, *, figsize=(4, 4)):
    from companion.figures import subplots

    if ax is None:
        fig, ax = subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _scatter(ax, x, y, edge: str) -> None:
    if x is None or y is None or len(x) == 0:
        return
    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    threshold = 0.5 if y.min() >= 0 else 0.0  # 0/1 labels or ±1 labels
    colours = np.where(y > threshold, PLAYGROUND_COLORS[2], PLAYGROUND_COLORS[0])
    ax.scatter(x[:, 0], x[:, 1], c=colours, s=14, edgecolors=edge, linewidths=0.8)


def plot_boundary(
    model_or_grid,
    x_train=None,
    y_train=None,
    *,
    x_test=None,
    y_test=None,
    ax=None,
    domain: float = 6.0,
    resolution: int = 100,
    discretize: bool = False,
    title: str = "",
):
    """The output shaded over the square with the points on top, as the Playground draws it.

    Args:
        model_or_grid: a Keras model taking points (n, 2), or a grid from `boundary_grid`.
        x_train, y_train: training points (light edge); labels ±1 or 0/1.
        x_test, y_test: test points (dark edge).
        ax: the axes to draw on (None: a new figure).
        domain: the half-width of the square.
        resolution: grid points per side when a model is given.
        discretize: colour only by the sign of the output (the Playground's switch).
        title: the panel's title.

    Returns:
        The figure.
    """
    fig, ax = _axes(ax)
    if isinstance(model_or_grid, keras.Model):
        grid = boundary_grid(model_or_grid, domain=domain, resolution=resolution)
    else:
        grid = np.asarray(model_or_grid, dtype=float)
        if grid.ndim != 2:
            raise ValueError(f"a boundary grid must be 2-D, got shape {grid.shape}")
    shown = np.sign(grid) if discretize else np.clip(grid, -1, 1)
    ax.imshow(
        shown,
        origin="lower",
        extent=(-domain, domain, -domain, domain),
        cmap=playground_cmap(),
        vmin=-1,
        vmax=1,
        alpha=0.85,
        interpolation="bilinear",
    )
    if np.nanmin(grid) < 0 < np.nanmax(grid):
        axis = np.linspace(-domain, domain, grid.shape[0])
        ax.contour(axis, axis, grid, levels=[0.0], colors="#555555", linewidths=0.8)
    _scatter(ax, x_train, y_train, TRAIN_EDGE)
    _scatter(ax, x_test, y_test, TEST_EDGE)
    ax.set(xlim=(-domain, domain), ylim=(-domain, domain), aspect="equal")
    ax.set_xticks([-domain, 0, domain])
    ax.set_yticks([-domain, 0, domain])
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_boundaries(
    grids: Mapping[str, np.ndarray],
    x_train=None,
    y_train=None,
    *,
    x_test=None,
    y_test=None,
    domain: float = 6.0,
    axes=None,
    discretize: bool = False,
):
    """Several boundary grids side by side (e.g. epochs of one run), titled by their keys."""
    from companion.figures import subplots

    if not grids:
        raise ValueError("no boundary grids to plot; take snapshots first")
    if axes is None:
        fig, axes = subplots(1, len(grids), figsize=(2.6 * len(grids), 2.8), squeeze=False)
    axes = np.asarray(axes).ravel()
    if len(axes) < len(grids):
        raise ValueError(f"{len(grids)} grids need as many axes, got {len(axes)}")
    for ax, (name, grid) in zip(axes, grids.items()):
        plot_boundary(
            grid,
            x_train,
            y_train,
            x_test=x_test,
            y_test=y_test,
            ax=ax,
            domain=domain,
            discretize=discretize,
            title=str(name),
        )
    return axes[0].figure


def plot_neurons(layers_grids, *, axes=None, domain: float = 6.0, title: str = ""):
    """Every hidden unit's output as a thumbnail, one column per layer (the Playground's nodes)."""
    from companion.figures import subplots

    if not layers_grids:
        raise ValueError("no hidden layers to draw")
    rows = max(g.shape[-1] for g in layers_grids)
    if axes is None:
        fig, axes = subplots(
            rows, len(layers_grids), figsize=(1.3 * len(layers_grids), 1.3 * rows), squeeze=False
        )
    axes = np.asarray(axes).reshape(rows, len(layers_grids))
    for column, grid in enumerate(layers_grids):
        scale = max(float(np.abs(grid).max()), 1e-12)  # ReLU and sigmoid units are not in ±1
        for row in range(rows):
            ax = axes[row, column]
            ax.set_xticks([])
            ax.set_yticks([])
            if row >= grid.shape[-1]:
                ax.axis("off")
                continue
            ax.imshow(
                grid[..., row] / scale,
                origin="lower",
                extent=(-domain, domain, -domain, domain),
                cmap=playground_cmap(),
                vmin=-1,
                vmax=1,
            )
            if row == 0:
                ax.set_title(f"layer {column + 1}", fontsize=8)
    fig = axes[0, 0].figure
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
