"""Boundaries in the Playground's look: grids, unit thumbnails, panels, the animation."""

import keras
import numpy as np
import pytest

from companion.playground.boundary import (
    animate_boundaries,
    animation_html,
    boundary_grid,
    neuron_grids,
    plot_boundaries,
    plot_boundary,
    plot_neurons,
    save_gif,
    square_points,
)
from companion.playground.model import playground_model


def growing_disc(epochs):
    """Grids of a disc that sharpens over the epochs (a stand-in for a training run)."""
    r = np.hypot(*square_points(resolution=40).T).reshape(40, 40)
    return {e: np.tanh((3 - r) * (e + 1) / 10) for e in epochs}


@pytest.fixture(scope="module")
def panels():
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, (60, 2)).astype("float32")
    y = np.where(np.hypot(*x.T) < 3, 1.0, -1.0)
    grids = {"a": growing_disc(range(0, 21, 5)), "b": growing_disc([0, 10, 20])}
    return grids, {"a": (x, y), "b": (x, y, x[:10], y[:10])}


def test_one_frame_per_epoch_any_panel_has(panels):
    from companion.playground.boundary import _frame_grid

    grids, points = panels
    anim = animate_boundaries(grids, points, columns=1, title="demo")
    assert list(anim.new_saved_frame_seq()) == [0, 5, 10, 15, 20]
    assert np.array_equal(_frame_grid(grids["b"], 15), grids["b"][10])  # keeps its latest
    anim.to_jshtml()  # render once, so matplotlib does not warn about an unused animation


def test_gif_is_small_and_has_every_frame(panels, tmp_path):
    from PIL import Image

    path = save_gif(animate_boundaries(*panels), tmp_path / "out" / "anim.gif", fps=4)
    assert path.exists() and 2_000 < path.stat().st_size < 300_000
    with Image.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.info["duration"] == 250


def test_notebook_player(panels):
    pytest.importorskip("IPython")
    html = animation_html(animate_boundaries(*panels))
    assert "<script" in html.data and "anim" in html.data


def test_bad_input_says_the_fix(panels, tmp_path):
    with pytest.raises(ValueError, match="take snapshots first"):
        animate_boundaries({"a": {}})
    with pytest.raises(ValueError, match="fps must be positive"):
        animate_boundaries(panels[0], fps=0)
    with pytest.raises(ValueError, match=r"\(x_train, y_train\)"):
        animate_boundaries(panels[0], {"a": (1, 2, 3)})
    anim = animate_boundaries(panels[0])
    with pytest.raises(ValueError, match="writes .gif files"):
        save_gif(anim, tmp_path / "anim.mp4")
    assert save_gif(anim, tmp_path / "anim.gif").exists()  # the animation is still usable


def test_boundary_grid_orientation_and_plot():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="tanh")])
    model.set_weights([np.array([[1.0], [0.0]]), np.zeros(1)])  # output = tanh(x1)
    grid = boundary_grid(model, resolution=11)
    assert grid[:, 0].max() < -0.99 and grid[:, -1].min() > 0.99  # left orange, right blue
    np.testing.assert_allclose(grid[0], grid[-1])  # no change along x2
    fig = plot_boundary(model, np.array([[1.0, 1.0]]), np.array([1.0]), discretize=True)
    assert fig.axes[0].get_xlim() == (-6.0, 6.0)
    with pytest.raises(ValueError, match="2-D"):
        plot_boundary(np.zeros(5))
    thumbs = plot_neurons([np.zeros((10, 10, 4)), np.ones((10, 10, 2))])
    assert len(thumbs.axes) == 8


def test_a_two_unit_softmax_is_scored_as_p1_minus_p0():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([np.array([[-1.0, 1.0], [0.0, 0.0]]), np.zeros(2)])  # class 1 for x1 > 0
    grid = boundary_grid(model, resolution=11)
    assert grid[:, 0].max() < -0.99 and grid[:, -1].min() > 0.99
    assert np.all(np.abs(grid[:, 5]) < 1e-6)  # x1 = 0: both classes 1/2


def test_neuron_grids_one_array_per_hidden_layer_not_the_output():
    model = playground_model((3, 2), activation="relu", seed=0)
    grids = neuron_grids(model, resolution=7)
    assert [g.shape for g in grids] == [(7, 7, 3), (7, 7, 2)]
    assert min(g.min() for g in grids) >= 0.0  # ReLU units: never below 0
    first = model.layers[0]
    pre = square_points(resolution=7) @ first.kernel.numpy() + first.bias.numpy()
    expected = np.maximum(pre, 0)
    np.testing.assert_allclose(grids[0].reshape(49, 3), expected, atol=1e-5)


def test_plot_boundaries_needs_grids_and_enough_axes():
    grids = {"a": np.zeros((5, 5)), "b": np.ones((5, 5))}
    assert [ax.get_title() for ax in plot_boundaries(grids).axes] == ["a", "b"]
    with pytest.raises(ValueError, match="no boundary grids"):
        plot_boundaries({})
    one = plot_boundaries({"a": np.zeros((5, 5))}).axes
    with pytest.raises(ValueError, match="2 grids need as many axes, got 1"):
        plot_boundaries(grids, axes=one)
