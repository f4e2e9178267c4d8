"""Augmentation in the input pipeline: random pixel shifts, so models keep only their layers."""

from __future__ import annotations


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
        seed: seeds the shuffling and the shifts.
        image_shape: (height, width) of one flat image (ignored for image-shaped x).
    """
    import tensorflow as tf

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
    s = int(max_shift)
    layout = (-1, *x.shape[1:])

    def shift(batch, key):
        xb, yb = batch
        n = tf.shape(xb)[0]
        images = tf.reshape(xb, (-1, height, width, channels))
        padded = tf.pad(images, [[0, 0], [s, s], [s, s], [0, 0]])
        # Stateless draws keyed per batch: the same seed gives the same shifts however
        # many threads run the map.
        dy = tf.random.stateless_uniform((n,), key, 0, 2 * s + 1, dtype=tf.int32)
        dx = tf.random.stateless_uniform((n,), key + 1, 0, 2 * s + 1, dtype=tf.int32)
        # Gather each image's own window of rows, then of columns: one vectorised op each.
        rows = dy[:, None] + tf.range(height)
        cols = dx[:, None] + tf.range(width)
        moved = tf.gather(padded, rows, axis=1, batch_dims=1)
        moved = tf.gather(moved, cols, axis=2, batch_dims=1)
        return tf.reshape(moved, layout), yb

    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed)
    data = data.batch(int(batch_size))
    if s > 0:
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        data = tf.data.Dataset.zip((data, keys)).map(shift, num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)
