"""Random pixel shifts in the input pipeline, for flat and image-shaped MNIST."""

import numpy as np
import pytest
from scipy.stats import chisquare

from companion.augment import drop_pixels, perturbations, shift, shift_name, shifted_batches
from companion.seed import set_seed


def blob_images(n: int = 6) -> np.ndarray:
    """28x28 images, each a distinct small blob well inside the border."""
    x = np.zeros((n, 28, 28), dtype="float32")
    for i in range(n):
        x[i, 8 + i : 11 + i, 10 : 12 + i] = 1.0 + i
    return x


@pytest.mark.parametrize("layout", [(784,), (28, 28), (28, 28, 1)])
def test_shifted_batches_move_each_image_by_at_most_max_shift(layout):
    images = blob_images()
    x = images.reshape(len(images), *layout)
    batches = shifted_batches(x, np.arange(6), batch_size=4, max_shift=2, seed=3)
    moves = []
    for _ in range(3):  # three epochs of one pipeline: every image gets fresh shifts
        for xb, yb in batches:
            assert xb.shape[1:] == layout  # batches keep the layout they were given
            for image, label in zip(xb.numpy(), yb.numpy()):
                found = [
                    (dy, dx)
                    for dy in range(-2, 3)
                    for dx in range(-2, 3)
                    if np.array_equal(
                        np.roll(images[label], (dy, dx), axis=(0, 1)), image.reshape(28, 28)
                    )
                ]
                assert len(found) == 1  # a pure shift of its own image, labels kept aligned
                moves.append(found[0])
    # 18 draws of 25 moves give about 12 distinct ones; the same keys every epoch would
    # give each batch position one move, 6 at most
    assert len(set(moves)) > 8


def test_shifted_batches_draw_every_move_about_equally_often_in_full_batches():
    # One lit pixel per image, at the centre: where it lands is the image's move.
    set_seed(0)  # the pipeline's draws follow TensorFlow's global seed: fix it here
    n, size = 900, 7
    x = np.zeros((n, 28, 28), dtype="float32")
    x[:, 14, 14] = 1.0
    batches = list(shifted_batches(x, np.arange(n), batch_size=size, max_shift=1, seed=5))
    assert [len(yb) for _, yb in batches] == [size] * (n // size) + [n % size]
    counts = np.zeros((3, 3), dtype=int)
    labels = []
    for xb, yb in batches:
        images = xb.numpy()
        assert np.all(images.sum(axis=(1, 2)) == 1.0)  # a move of 1 keeps the pixel inside
        rows, cols = np.nonzero(images)[1:]
        np.add.at(counts, (rows - 13, cols - 13), 1)  # (-1..1) + 1 as an index
        labels.extend(yb.numpy())
    assert sorted(labels) == list(range(n))  # each image once per epoch
    # 900 draws over 9 moves, 100 each if uniform: a chi-square test, not a band per cell
    # (the largest of 9 counts lands 3.5 standard deviations out about once in 25 seeds)
    assert chisquare(counts.ravel()).pvalue > 0.001, counts


def test_shifted_batches_are_reproducible_from_the_seed():
    x = blob_images()[..., None]

    def first_epoch(seed):
        return [xb.numpy() for xb, _ in shifted_batches(x, np.arange(6), batch_size=3, seed=seed)]

    for a, b in zip(first_epoch(7), first_epoch(7)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first_epoch(7), first_epoch(8)))


def test_shifted_batches_without_shift_only_shuffle():
    x = blob_images().reshape(6, 784)
    batches = list(shifted_batches(x, np.arange(6), batch_size=6, max_shift=0, seed=0))
    xb, yb = batches[0]
    np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])


def test_shifted_batches_errors():
    x = blob_images().reshape(6, 784)
    with pytest.raises(ValueError, match=r"max_shift.*-1"):
        shifted_batches(x, np.arange(6), max_shift=-1)
    with pytest.raises(ValueError, match="784.*image_shape"):
        shifted_batches(x, np.arange(6), image_shape=(32, 32))
    with pytest.raises(ValueError, match=r"x must be \(n, pixels\)"):
        shifted_batches(np.zeros((2, 3, 4, 5, 6)), np.arange(2))


# --- fixed perturbations of test images -------------------------------------------------


def test_shift_moves_pixels_and_fills_the_border_with_zeros():
    x = blob_images()[..., None]
    moved = shift(x, down=1, right=2)
    np.testing.assert_array_equal(moved[:, 1:, 2:], x[:, :-1, :-2])
    assert not moved[:, :1].any() and not moved[:, :, :2].any()
    np.testing.assert_array_equal(shift(shift(x, right=1), right=-1), x)  # blobs stay inside
    assert not shift(x, down=28).any()  # moved out of the frame
    with pytest.raises(ValueError, match="shift needs images"):
        shift(np.zeros((2, 784)), right=1)


def test_drop_pixels_zeroes_about_that_fraction():
    x = np.ones((50, 28, 28), dtype="float32")
    dropped = drop_pixels(x, 0.1, np.random.default_rng(0))
    assert dropped.dtype == x.dtype
    assert np.mean(dropped == 0) == pytest.approx(0.1, abs=0.005)
    assert np.all((dropped == 0) | (dropped == 1))
    with pytest.raises(ValueError, match=r"fraction.*1\.5"):
        drop_pixels(x, 1.5, np.random.default_rng(0))


def test_perturbations_are_named_and_seeded():
    x = blob_images()[..., None]
    first = perturbations(x, seed=4)
    assert list(first) == [
        "clean",
        "drop 5% of pixels",
        "drop 10% of pixels",
        "shift 1 px right",
        "shift 1 px down",
        "shift 1 px diagonally",
        "shift 2 px right",
    ]
    np.testing.assert_array_equal(first["shift 2 px right"], shift(x, right=2))
    np.testing.assert_array_equal(
        first["drop 10% of pixels"], perturbations(x, seed=4)["drop 10% of pixels"]
    )
    other = perturbations(x, seed=5)["drop 10% of pixels"]
    assert not np.array_equal(first["drop 10% of pixels"], other)
    assert list(perturbations(x, seed=0, drops=(), shifts=((3, 0),))) == [
        "clean",
        "shift 3 px down",
    ]
    with pytest.raises(ValueError, match=r"got \(1, 2\)"):
        shift_name(1, 2)


def test_the_pipeline_knows_its_batch_count_so_fit_ends_each_epoch_cleanly():
    x = np.zeros((1000, 28, 28, 1), "float32")
    y = np.zeros((1000, 10), "float32")
    for most in (0, 1):
        data = shifted_batches(x, y, batch_size=32, max_shift=most, seed=0)
        assert int(data.cardinality()) == 32  # 31 full batches and one of 8
        assert sum(1 for _ in data) == 32


def test_each_pass_draws_a_new_order_and_new_shifts():
    x = blob_images()[..., None]
    data = shifted_batches(x, np.arange(6), batch_size=6, max_shift=2, seed=1)
    first, second = (next(iter(data)) for _ in range(2))
    # A pass is an epoch in model.fit: the same order and shifts every epoch would not augment.
    assert not np.array_equal(first[0].numpy(), second[0].numpy())
    assert sorted(first[1].numpy()) == sorted(second[1].numpy()) == list(range(6))
