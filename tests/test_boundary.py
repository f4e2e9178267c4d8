"""The boundary animation: frames, a small GIF, the notebook player, and bad input."""

import numpy as np
import pytest

from companion.boundary import animate_boundaries, animation_html, grid_points, save_gif


def growing_disc(epochs):
    """Grids of a disc that sharpens over the epochs (a stand-in for a training run)."""
    r = np.hypot(*grid_points(resolution=40).T).reshape(40, 40)
    return {e: np.tanh((3 - r) * (e + 1) / 10) for e in epochs}


@pytest.fixture(scope="module")
def panels():
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, (60, 2)).astype("float32")
    y = np.where(np.hypot(*x.T) < 3, 1.0, -1.0)
    grids = {"a": growing_disc(range(0, 21, 5)), "b": growing_disc([0, 10, 20])}
    return grids, {"a": (x, y), "b": (x, y, x[:10], y[:10])}


def test_one_frame_per_epoch_any_panel_has(panels):
    from companion.boundary import _frame_grid

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
