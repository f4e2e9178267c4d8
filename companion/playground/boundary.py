"""Decision boundaries in TensorFlow Playground's look, on a fixed square.

The output is shaded orange (−1) through light grey (0) to blue (+1) over [−6, 6]², the
same square at every epoch so snapshots compare; training points get a light edge, test
points a dark one. Every function draws on an `ax` it is given (or a new one, shown once
in Jupyter: `companion.figures`) and returns the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from PIL import Image

from companion.figures import subplots
from companion.probes import dense_layers, layer_outputs

PLAYGROUND_COLORS = ("#f59322", "#e8eaeb", "#0877bd")  # −1, 0, +1 as in its heatmap.ts
TRAIN_EDGE, TEST_EDGE = "#ffffff", "#333333"


def playground_cmap():
    """The Playground's diverging colour map: orange, light grey, blue."""
    return LinearSegmentedColormap.from_list("playground", PLAYGROUND_COLORS)


def square_points(*, domain: float = 6.0, resolution: int = 100) -> np.ndarray:
    """The square [−domain, domain]² as (resolution², 2) points, row by row from y = −domain."""
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
    points = square_points(domain=domain, resolution=resolution)
    out = keras.ops.convert_to_numpy(model(points, training=False))
    return _as_score(out).reshape(int(resolution), int(resolution))


def neuron_grids(
    model: keras.Model, *, domain: float = 6.0, resolution: int = 10
) -> list[np.ndarray]:
    """Every hidden Dense unit's output on a coarse grid: one (r, r, units) array per layer."""
    hidden = dense_layers(model, include_output=False)
    points = square_points(domain=domain, resolution=resolution)
    outputs = layer_outputs(model, points, hidden)
    r = int(resolution)
    return [outputs[layer.name].reshape(r, r, -1) for layer in hidden]


def _axes(ax=None, *, figsize=(4, 4)):
    if ax is None:
        fig, ax = subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _scatter(ax, x, y, edge: str) -> None:
    if x is None or y is None or len(x) == 0:
        return
    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    threshold = 0.5 if y.min() >= 0 else 0.0  # 0/1 labels or ±1 labels
    # One colour per call: matplotlib then stamps one marker (several times faster to draw,
    # which matters for the animation's frames).
    for positive, colour in ((False, PLAYGROUND_COLORS[0]), (True, PLAYGROUND_COLORS[2])):
        part = x[(y > threshold) == positive]
        if len(part):
            ax.scatter(part[:, 0], part[:, 1], c=colour, s=14, edgecolors=edge, linewidths=0.8)


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


# ----------------------------------------------------------------------------- animation


def _points_of(data) -> tuple:
    """(x_train, y_train, x_test, y_test) from a PlaygroundData-like object or a tuple."""
    if data is None:
        return (None, None, None, None)
    if hasattr(data, "x_train"):
        return (data.x_train, data.y_train, data.x_test, data.y_test)
    data = tuple(data)
    if len(data) not in (2, 4):
        raise ValueError(
            f"points must be (x_train, y_train) or (x_train, y_train, x_test, y_test), "
            f"got {len(data)} arrays"
        )
    return data + (None, None) if len(data) == 2 else data


def _frame_grid(grids: Mapping[int, np.ndarray], epoch: int) -> np.ndarray:
    """The panel's latest snapshot at or before this epoch (its first before any)."""
    taken = [e for e in sorted(grids) if e <= epoch]
    return np.asarray(grids[taken[-1] if taken else min(grids)], dtype=float)


def animate_boundaries(
    panels: Mapping[str, Mapping[int, np.ndarray]],
    points: Mapping[str, object] | None = None,
    *,
    columns: int | None = None,
    domain: float = 6.0,
    fps: float = 6.0,
    panel_size: float = 1.9,
    dpi: int = 64,
    title: str = "",
):
    """The boundary snapshots as an animation over the epochs, as the Playground shows them live.

    Each panel is one run: its grids (epoch -> output grid, e.g. `DecisionBoundary.grids`)
    are shown in turn, one frame per epoch any panel has a snapshot for (a panel without
    one at that epoch keeps its latest). The figure is not a pyplot figure, so a notebook
    never shows it as a stray still image; show the animation inline with
    `animation_html(anim)` (that is `IPython.display.HTML(anim.to_jshtml())`), or write
    it with `save_gif(anim, path)`.

    Args:
        panels: panel title -> {epoch: grid}; every panel needs at least one grid.
        points: panel title -> its data (a PlaygroundData, or (x_train, y_train[, x_test,
            y_test])) drawn on top; None or a missing title: no points.
        columns: panels per row (default: all in one row).
        domain: the half-width of the square.
        fps: frames per second when played.
        panel_size: inches per panel (with `dpi`, this sets the GIF's size).
        dpi: dots per inch of the frames.
        title: a title above the panels; the frame's epoch is added to it.

    Returns:
        A matplotlib FuncAnimation.
    """
    if not panels or any(not grids for grids in panels.values()):
        raise ValueError("every panel needs at least one boundary grid; take snapshots first")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    names = list(panels)
    columns = max(1, min(int(columns or len(names)), len(names)))
    rows = -(-len(names) // columns)
    epochs = sorted({int(e) for grids in panels.values() for e in grids})
    fig = Figure(figsize=(panel_size * columns, panel_size * rows + 0.35), dpi=dpi)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(names) :]:
        ax.axis("off")
    images = []
    for ax, name in zip(axes, names):
        x_train, y_train, x_test, y_test = _points_of((points or {}).get(name))
        plot_boundary(
            _frame_grid(panels[name], epochs[0]),
            x_train,
            y_train,
            x_test=x_test,
            y_test=y_test,
            ax=ax,
            domain=domain,
            title=name,
        )
        for collection in list(ax.collections):
            if isinstance(collection, ContourSet):
                collection.remove()  # the zero line would cost more than the rest of a frame
        ax.set(xticks=[], yticks=[])
        ax.set_title(name, fontsize=7)  # small panels: the default size overlaps
        images.append(ax.images[0])
    heading = fig.suptitle("", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))

    def draw(epoch: int):
        for image, name in zip(images, names):
            image.set_data(np.clip(_frame_grid(panels[name], epoch), -1, 1))
        heading.set_text(f"{title}  epoch {epoch}".strip())
        return images

    return FuncAnimation(fig, draw, frames=epochs, interval=1000 / fps, blit=False, repeat=True)


def _shared_palette_frames(frames: list, colors: int = 64) -> list:
    """RGB frames as palette frames sharing one palette, without dithering.

    Pillow's default (a palette per frame) makes a 40-frame, 6-panel boundary
    animation about 1.7 MB; with one palette and no dithering an unchanged pixel keeps
    its index, so Pillow's `optimize` stores only the changed pixels (about 0.15 MB).
    """
    width, height = frames[0].size
    sample = Image.new("RGB", (width, 3 * height))
    for i, frame in enumerate((frames[0], frames[len(frames) // 2], frames[-1])):
        sample.paste(frame.convert("RGB"), (0, i * height))
    palette = sample.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return [f.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


class _CompactPillowWriter(PillowWriter):
    """PillowWriter with one shared palette: small GIFs (see `_shared_palette_frames`)."""

    def finish(self):
        images = _shared_palette_frames(self._frames)
        images[0].save(
            self.outfile,
            save_all=True,
            append_images=images[1:],
            duration=int(1000 / self.fps),
            loop=0,
            optimize=True,  # unchanged pixels become transparent: small files
            disposal=1,  # draw each frame over the last
        )


def save_gif(anim, path, *, fps: float | None = None) -> Path:
    """Write an animation as a small GIF with matplotlib's PillowWriter; return the path.

    Pillow comes with matplotlib. `fps` None keeps the animation's own pace.
    """
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"save_gif writes .gif files, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fps = fps or 1000 / anim._interval  # the animation's own pace
    anim.save(path, writer=_CompactPillowWriter(fps=fps))
    return path


def animation_html(anim):
    """The animation as an inline JavaScript player for a notebook cell (IPython's HTML)."""
    # IPython is no dependency of companion (notebooks bring it): imported on use
    from IPython.display import HTML

    return HTML(anim.to_jshtml())
