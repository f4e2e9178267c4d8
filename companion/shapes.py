"""Output sizes and parameter counts of conv, pooling and dense layers, by formula."""

from __future__ import annotations

import math

import numpy as np


def _check_padding(padding: str) -> str:
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _counts(**counts: int) -> None:
    """Refuse counts below 1: a layer with no channels or units is a typo, not a model."""
    for name, value in counts.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> int:
    """Output length along one axis of a convolution (Keras' rule for 'valid'/'same')."""
    if min(size, kernel, stride, dilation) < 1:
        raise ValueError("size, kernel, stride and dilation must all be at least 1")
    span = dilation * (kernel - 1) + 1
    if _check_padding(padding) == "same":
        return math.ceil(size / stride)
    if span > size:
        raise ValueError(f"a kernel spanning {span} pixels does not fit in {size} without padding")
    return (size - span) // stride + 1


def pool_output_size(
    size: int, pool: int, stride: int | None = None, padding: str = "valid"
) -> int:
    """Output length along one axis of a pooling layer (stride defaults to the pool size)."""
    return conv_output_size(size, pool, pool if stride is None else stride, padding)


def conv2d_output_shape(
    input_shape: tuple[int, int, int],
    filters: int,
    kernel: int,
    stride: int = 1,
    padding: str = "valid",
) -> tuple[int, int, int]:
    """(height, width, channels) after a square Conv2D."""
    height, width, _ = input_shape
    return (
        conv_output_size(height, kernel, stride, padding),
        conv_output_size(width, kernel, stride, padding),
        filters,
    )


def conv2d_params(
    in_channels: int, filters: int, kernel: int | tuple[int, int], use_bias: bool = True
) -> int:
    """Weights and biases of a Conv2D: kh·kw·c_in·filters (+ filters)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    _counts(in_channels=in_channels, filters=filters, kernel_height=kh, kernel_width=kw)
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def dense_params(inputs: int, units: int, use_bias: bool = True) -> int:
    """Weights and biases of a Dense layer: inputs·units (+ units)."""
    _counts(inputs=inputs, units=units)
    return inputs * units + (units if use_bias else 0)


def batch_norm_params(channels: int) -> int:
    """Gamma, beta, moving mean and moving variance: 4 per channel (2 trainable)."""
    _counts(channels=channels)
    return 4 * channels


def patch_coverage(size: int, patch: int, padding: str = "valid") -> np.ndarray:
    """How many patch positions (stride 1) cover each pixel of a size×size image.

    With 'same' zero padding the patch centres visit every pixel, so the patches may hang
    over the border; with 'valid' they stay wholly inside the image.
    """
    if min(size, patch) < 1:
        raise ValueError(f"size and patch must be at least 1, got {size} and {patch}")
    if patch > size:
        raise ValueError(f"a {patch}×{patch} patch does not fit in a {size}×{size} image")
    if _check_padding(padding) == "valid":
        starts = np.arange(size - patch + 1)
    else:
        # Keras puts the extra padding row after the image when patch-1 is odd.
        before = (patch - 1) // 2
        starts = np.arange(size) - before
    line = np.zeros(size, dtype=int)
    for start in starts:
        line[max(start, 0) : min(start + patch, size)] += 1
    return np.outer(line, line)
