"""4B: a 5×5 conv layer's parameters and output shape, worked out and checked with Keras."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import keras
from keras import layers

from companion.run.runner import Context, Section
from companion.shapes import conv2d_output_shape, conv2d_params


@dataclass
class ConvCountResult:
    """4B: a conv layer's parameters and output shape, by formula and as Keras builds it."""

    params: int
    output_shape: tuple[int, int, int]
    keras_params: int
    keras_output_shape: tuple[int, int, int]

    @property
    def agree(self) -> bool:
        """Formula and Keras give the same count and shape."""
        same_shape = self.output_shape == self.keras_output_shape
        return self.params == self.keras_params and same_shape


def conv_count(
    *,
    input_shape=(32, 32, 3),
    filters: int = 8,
    kernel: int = 5,
    stride: int = 1,
    padding: str = "valid",
) -> ConvCountResult:
    """4B: parameters and output shape of a conv layer, by formula and by Keras."""
    model = keras.Sequential(
        [keras.Input(input_shape), layers.Conv2D(filters, kernel, strides=stride, padding=padding)]
    )
    return ConvCountResult(
        params=conv2d_params(input_shape[-1], filters, kernel),
        output_shape=conv2d_output_shape(input_shape, filters, kernel, stride, padding),
        keras_params=model.count_params(),
        keras_output_shape=tuple(model.output_shape[1:]),
    )


def text_4b(r: ConvCountResult, figures: Mapping[str, str] | None = None) -> str:
    """4B's report section: the count and shape worked out, then checked against Keras."""
    shape = "×".join(map(str, r.output_shape))
    return f"""
A 5×5 filter over 3 input channels has 5·5·3 = 75 weights and one bias; 8 filters give
8·(75 + 1) = **{r.params} parameters**. With stride 1 and no padding each spatial axis shrinks
from 32 to 32 − 5 + 1 = 28, and there is one output channel per filter: **{shape}**.

Keras agrees: `Conv2D(8, 5)` on a 32×32×3 input has {r.keras_params} parameters and output
shape {r.keras_output_shape} ({"same as the formula" if r.agree else "DIFFERENT from the formula"}).
"""


def run_4b(ctx: Context) -> Section:
    """4B: count a 5×5 conv layer's parameters and output shape, and check them with Keras."""
    r = conv_count()
    results = {
        "params": r.params,
        "output_shape": list(r.output_shape),
        "keras_params": r.keras_params,
        "keras_output_shape": list(r.keras_output_shape),
        "formula_matches_keras": r.agree,
    }
    shape = "×".join(map(str, r.output_shape))
    return Section(text_4b(r), results, f"{r.params} parameters, output {shape}")
