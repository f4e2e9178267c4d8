"""Pixel perturbations: random shifts in the input pipeline, and fixed ones for testing robustness.

`shifted_batches` augments training data in a tf.data pipeline, so models keep only their
layers; `shift`, `drop_pixels` and `perturbations` make perturbed copies of test images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

_CHUNK_IMAGES = 8192  # images shifted per op in shifted_batches (a multiple of the batch size)
# (down, right) pixel moves -> the words a report uses for them
_DIRECTIONS = {(1, 0): "down", (0, 1): "right", (1, 1): "diagonally"}


def shifted_batches(
    x,
    y,
    *,
    batch_size: int = 128,
    max_shift: int = 1,
    seed: int = 0,
    image_shape: tuple[int, int] = (28, 28),
):
    """Shuffled batches of images, each moved by up to `max_shift` pixels (a tf.data.Dataset).

    Every image in every epoch gets its own random shift in each direction, with zeros
    filling the edge it leaves. Augmentation happens in the input pipeline, not in the
    model, so the model still holds only the allowed layers. max_shift=0 gives plain
    shuffled batches.

    Args:
        x: flat images (n, height*width), or images (n, height, width[, channels]);
            the batches keep x's layout.
        y: targets (e.g. one-hot rows).
        batch_size: images per batch.
        max_shift: the largest shift in pixels, up/down and left/right.
        seed: seeds the shuffling and the shifts (with TensorFlow's global seed, as
            every TensorFlow op seed does: call `companion.seed.set_seed` first for the
            same batches whatever ran before).
        image_shape: (height, width) of one flat image (ignored for image-shaped x).
    """
    if not hasattr(x, "ndim") or not hasattr(y, "__len__") or len(x) != len(y):
        raise ValueError("shifted_batches needs arrays x and y with one row of y per image")
    if int(max_shift) < 0:
        raise ValueError(f"max_shift must be 0 or more, got {max_shift}")
    if x.ndim == 2:
        height, width = image_shape
        channels = 1
        if x.shape[1] != height * width:
            raise ValueError(
                f"x has rows of {x.shape[1]} values; image_shape {image_shape} needs "
                f"{height * width}"
            )
    elif x.ndim in (3, 4):
        height, width = x.shape[1:3]
        channels = x.shape[3] if x.ndim == 4 else 1
    else:
        raise ValueError(f"x must be (n, pixels) or (n, height, width[, channels]), got {x.shape}")
    s, size, n = int(max_shift), int(batch_size), len(x)
    layout = x.shape[1:]
    images, targets = tf.convert_to_tensor(x), tf.convert_to_tensor(y)

    def moved(batch, key):
        """Each image moved by its own random (dy, dx) in [-s, s], zeros filling the edge."""
        count = tf.shape(batch)[0]
        padded = tf.pad(
            tf.reshape(batch, (-1, height, width, channels)), [[0, 0], [s, s], [s, s], [0, 0]]
        )
        dy = tf.random.stateless_uniform((count,), key, 0, 2 * s + 1, dtype=tf.int32)
        dx = tf.random.stateless_uniform((count,), key + 1, 0, 2 * s + 1, dtype=tf.int32)
        # Gather each image's own window of rows, then of columns: one vectorised op each.
        rows = tf.gather(padded, dy[:, None] + tf.range(height), axis=1, batch_dims=1)
        return tf.gather(rows, dx[:, None] + tf.range(width), axis=2, batch_dims=1)

    # An epoch is shuffled once, then shifted a chunk at a time as training reaches it:
    # the shift's copies stay a chunk big, not an epoch (peak memory), and each chunk is
    # a few whole ops rather than a call per batch (speed).
    chunk = size * max(1, _CHUNK_IMAGES // size)

    def epoch(key):
        """One epoch: a new order, then batches of shifted chunks."""
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=key)

        def batches(start):
            part = order[start : start + chunk]
            xs, ys = tf.gather(images, part), tf.gather(targets, part)
            if s > 0:
                xs = tf.reshape(moved(xs, key + 2 + start), (-1, *layout))
            full = tf.shape(part)[0] // size * size
            whole = tf.data.Dataset.from_tensor_slices(
                (
                    tf.reshape(xs[:full], (-1, size, *layout)),
                    tf.reshape(ys[:full], (-1, size, *ys.shape[1:])),
                )
            )
            rest = tf.data.Dataset.from_tensors((xs[full:], ys[full:]))
            return whole.concatenate(rest.filter(lambda xb, _: tf.shape(xb)[0] > 0))

        return tf.data.Dataset.range(0, n, chunk).flat_map(batches)

    # Chunks, not a map per batch: a per-batch map ran beside training on the same two
    # cores and stalled its parallel kernels (a shifted epoch 1.15x the unshifted one;
    # `benchmarks/bench_cnn.py --shifted`). A new key every epoch: Dataset.random redraws
    # on each pass.
    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2).take(1)
    data = keys.flat_map(epoch)
    data = data.apply(tf.data.experimental.assert_cardinality(-(-n // size)))
    return data.prefetch(tf.data.AUTOTUNE)


def shift(x: np.ndarray, down: int = 0, right: int = 0) -> np.ndarray:
    """Images (n, height, width[, channels]) moved by whole pixels; the uncovered border is 0."""
    if x.ndim < 3:
        raise ValueError(f"shift needs images (n, height, width[, channels]), got shape {x.shape}")
    out = np.zeros_like(x)
    h, w = x.shape[1:3]
    if abs(down) >= h or abs(right) >= w:
        return out  # moved out of the frame entirely
    out[:, max(down, 0) : h + min(down, 0), max(right, 0) : w + min(right, 0)] = x[
        :, max(-down, 0) : h - max(down, 0), max(-right, 0) : w - max(right, 0)
    ]
    return out


def drop_pixels(x: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of `x` with each pixel set to 0 with probability `fraction` ("missing pixels")."""
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    return np.where(rng.random(x.shape) < fraction, 0.0, x).astype(x.dtype)


def shift_name(down: int, right: int) -> str:
    """How a report names a move, e.g. "shift 2 px right" (moves down and/or right only)."""
    size = max(down, right)
    direction = _DIRECTIONS.get((int(down > 0), int(right > 0)))
    if direction is None or min(down, right) < 0 or (down and right and down != right):
        raise ValueError(
            f"name moves down, right or diagonally by a positive amount, got ({down}, {right})"
        )
    return f"shift {size} px {direction}"


def perturbations(
    x: np.ndarray,
    *,
    seed: int,
    drops: Sequence[float] = (0.05, 0.10),
    shifts: Sequence[tuple[int, int]] = ((0, 1), (1, 0), (1, 1), (0, 2)),
) -> dict[str, np.ndarray]:
    """Named perturbed copies of images, "clean" first: missing pixels, then shifts.

    Args:
        x: images (n, height, width[, channels]).
        seed: seeds which pixels go missing.
        drops: fractions of pixels set to 0, one copy each ("drop 5% of pixels").
        shifts: (down, right) moves, one copy each ("shift 1 px right").
    """
    rng = np.random.default_rng(seed)
    out = {"clean": x}
    for fraction in drops:
        out[f"drop {fraction:.0%} of pixels"] = drop_pixels(x, fraction, rng)
    for down, right in shifts:
        out[shift_name(down, right)] = shift(x, down=down, right=right)
    return out
