"""4A–4C: what zero padding, a conv layer and pooling do to their input (no training)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from companion.plots import fraction_text, plot_heatmap
from companion.report import markdown_table
from companion.runner import Context, Section
from companion.shapes import (
    conv2d_output_shape,
    conv2d_params,
    conv_output_size,
    patch_coverage,
)

# ---------------------------------------------------------------- 4A zero padding


@dataclass
class PaddingResult:
    """4A: how many patches see each pixel, unpadded and padded; sizes through a conv stack."""

    image: int
    patch: int
    coverage_valid: np.ndarray
    coverage_same: np.ndarray
    stack: pd.DataFrame

    @property
    def positions(self) -> dict[str, int]:
        """Patch positions without padding ('valid') and with it ('same')."""
        return {"valid": (self.image - self.patch + 1) ** 2, "same": self.image**2}

    @property
    def real_share(self) -> float:
        """The share of real (not padded) pixels in the padded corner patch."""
        return (self.patch - (self.patch - 1) // 2) ** 2 / self.patch**2

    def shrink(self, padding: str) -> int:
        """Pixels one more conv layer takes off the output's side, read from the stack."""
        by_depth = self.stack.set_index("layers")[padding]
        return int(by_depth.loc[1] - by_depth.loc[2])


def zero_padding(
    *, image: int = 20, patch: int = 8, stack_input: int = 28, stack_depth: int = 6, kernel: int = 3
) -> PaddingResult:
    """4A: patches covering each pixel with and without zero padding; sizes through a stack."""
    rows, valid, same = [], stack_input, stack_input
    for depth in range(1, stack_depth + 1):
        valid = conv_output_size(valid, kernel, padding="valid")
        same = conv_output_size(same, kernel, padding="same")
        rows.append({"layers": depth, "valid": valid, "same": same})
    coverage = {p: patch_coverage(image, patch, p) for p in ("valid", "same")}
    return PaddingResult(image, patch, coverage["valid"], coverage["same"], pd.DataFrame(rows))


def plot_padding(r: PaddingResult, *, axes=None):
    """The two coverage maps side by side, on one colour scale."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 5))
    maps = {"no padding ('valid')": r.coverage_valid, "zero padding ('same')": r.coverage_same}
    for ax, (name, coverage) in zip(axes, maps.items()):
        vmax = r.coverage_same.max()
        plot_heatmap(coverage, ax=ax, fmt="{:.0f}", vmin=0, vmax=vmax, title=name)
    axes[0].figure.suptitle(
        f"Patches ({r.patch}×{r.patch}, stride 1) covering each pixel of a {r.image}×{r.image} image"
    )
    return axes[0].figure


def text_4a(r: PaddingResult, figures: Mapping[str, str] | None = None) -> str:
    """4A's report section: the benefit and the drawback, read off the coverage maps."""
    v, s, n = r.coverage_valid, r.coverage_same, r.positions
    mid, side = r.image // 2, r.image - r.patch + 1
    return f"""
Without padding an {r.patch}×{r.patch} patch fits in {side}×{side} = {n["valid"]}
positions; with zero padding ('same') there is one patch per pixel, {n["same"]} in all.

{(figures or {}).get("coverage", "")}
**Benefit.** Without padding a corner pixel is seen by {v[0, 0]} patch and the middle of an edge by
{v[0, mid]}, while a central pixel is seen by {v[mid, mid]}: the border is under-represented, and
the output shrinks. With zero padding the corner is seen by {s[0, 0]} patches (the fewest, {s.min()},
against {v.min()} without padding) and the output keeps the input's size. Through a stack of 3×3
convolutions a 28×28 input loses {r.shrink("valid")} pixels per layer without padding and
{r.shrink("same")} with it:

{markdown_table(r.stack)}
**Drawback.** The padded pixels are zeros, not data: under 'same' padding the corner patch holds
only {r.real_share:.0%} real pixels, so filters see an artificial dark border (an edge that is not
in the image), and border pixels now weigh almost as much as central ones although their patches
are mostly padding. Padding also costs computation: {n["same"]} outputs instead of {n["valid"]}
({n["same"] / n["valid"]:.1f}× the work for this layer).
"""


def run_4a(ctx: Context) -> Section:
    """4A: count the patches over each pixel with and without zero padding."""
    r = zero_padding()
    v, s, mid = r.coverage_valid, r.coverage_same, r.image // 2
    figure = ctx.folder.figure_md(
        plot_padding(r), "4A_patch_coverage", "How many 8×8 patches see each pixel"
    )
    results = {
        "patches_valid": r.positions["valid"],
        "patches_same": r.positions["same"],
        "corner_coverage_valid": v[0, 0],
        "corner_coverage_same": s[0, 0],
        "centre_coverage": v[mid, mid],
        "stack_output_sizes": r.stack.to_dict(orient="records"),
    }
    headline = f"a corner pixel is in {v[0, 0]} patch unpadded, {s[0, 0]} padded"
    return Section(text_4a(r, {"coverage": figure}), results, headline)


# ---------------------------------------------------------------- 4B conv parameters


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
    import keras

    layer = keras.layers.Conv2D(filters, kernel, strides=stride, padding=padding)
    model = keras.Sequential([keras.Input(input_shape), layer])
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


# ---------------------------------------------------------------- 4C pooling


def corner_inputs() -> dict[str, np.ndarray]:
    """The set's four 4×4 inputs: a 3×3 block of ones in each corner in turn."""
    blocks = {
        "top-left": (0, 0),
        "top-right": (0, 1),
        "bottom-right": (1, 1),
        "bottom-left": (1, 0),
    }
    out = {}
    for name, (row, col) in blocks.items():
        m = np.zeros((4, 4))
        m[row : row + 3, col : col + 3] = 1
        out[name] = m
    return out


@dataclass
class PoolingResult:
    """4C: each corner input and what average and max pooling make of it."""

    inputs: dict[str, np.ndarray]
    average: dict[str, np.ndarray]
    maximum: dict[str, np.ndarray]
    pool: int = 2

    @property
    def window_counts(self) -> list[int]:
        """Ones in each pooling window of the first input, most first."""
        first = next(iter(self.average.values()))
        return sorted(np.rint(first * self.pool**2).astype(int).ravel().tolist(), reverse=True)

    @staticmethod
    def distinct(outputs: dict[str, np.ndarray]) -> int:
        """How many different outputs the inputs give."""
        return len({np.round(m, 6).tobytes() for m in outputs.values()})

    @property
    def average_rotates(self) -> bool:
        """Every average-pooled output is a rotation of the first one."""
        first = next(iter(self.average.values()))
        return all(
            any(np.allclose(m, np.rot90(first, k)) for k in range(4)) for m in self.average.values()
        )


def pooling(*, pool: int = 2, stride: int = 2) -> PoolingResult:
    """4C: the four corner inputs through Keras' average and max pooling layers."""
    import keras

    inputs = corner_inputs()
    batch = np.stack(list(inputs.values()))[..., None].astype("float32")
    avg = keras.layers.AveragePooling2D(pool, strides=stride)(batch)
    mx = keras.layers.MaxPooling2D(pool, strides=stride)(batch)
    avg, mx = np.asarray(avg)[..., 0], np.asarray(mx)[..., 0]
    names = list(inputs)
    return PoolingResult(inputs, dict(zip(names, avg)), dict(zip(names, mx)), pool)


def matrix_text(m: np.ndarray) -> str:
    """A small matrix with exact fractions, e.g. [[1, 1/2], [1/2, 1/4]]."""
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in fraction_text(m)) + "]"


def _outputs_text(outputs: dict[str, np.ndarray]) -> str:
    first = matrix_text(next(iter(outputs.values())))
    if PoolingResult.distinct(outputs) == 1:
        return "all ones" if np.all(next(iter(outputs.values())) == 1) else f"always {first}"
    return f"{PoolingResult.distinct(outputs)} different outputs"


def pooling_headline(r: PoolingResult) -> str:
    """One line from the computed outputs."""
    first = matrix_text(next(iter(r.average.values())))
    rotations = r.average_rotates and r.distinct(r.average) > 1
    average = f"{first} and rotations" if rotations else _outputs_text(r.average)
    return f"average: {average}; max: {_outputs_text(r.maximum)}"


def text_4c(r: PoolingResult, figures: Mapping[str, str] | None = None) -> str:
    """4C's report section, every statement read off the pooled outputs."""
    n = len(r.inputs)
    table = pd.DataFrame(
        {
            "block": list(r.inputs),
            "input": [f"`{matrix_text(m)}`" for m in r.inputs.values()],
            "average pooling": [f"`{matrix_text(m)}`" for m in r.average.values()],
            "max pooling": [f"`{matrix_text(m)}`" for m in r.maximum.values()],
        }
    )
    n_avg, n_max = r.distinct(r.average), r.distinct(r.maximum)
    first_avg = matrix_text(next(iter(r.average.values())))
    if n_avg == n:
        rotations = " and its rotations" if r.average_rotates else ""
        average = (
            f"Average pooling gives {first_avg}{rotations}: {n} different outputs for {n} "
            "inputs, so it keeps track of where the block is."
        )
    else:
        average = f"Average pooling gives only {n_avg} different outputs for {n} inputs."
    if n_max == 1:
        maximum = (
            f"Max pooling gives {matrix_text(next(iter(r.maximum.values())))} for every input: "
            "each window holds at least one 1, so the output cannot tell the shifted inputs apart."
        )
    else:
        maximum = f"Max pooling gives {n_max} different outputs for {n} inputs."
    if n_max == 1 and n_avg > 1:
        verdict = "Max pooling is invariant to this one-pixel shift; average pooling is not."
    elif n_max == 1:
        verdict = "Both poolings are invariant to this shift."
    elif n_avg == 1:
        verdict = "Average pooling is invariant to this shift; max pooling is not."
    else:
        verdict = "Neither pooling is invariant to this shift."
    counts = ", ".join(map(str, r.window_counts))
    return f"""
Each input has a 3×3 block of ones in one corner. {r.pool}×{r.pool} pooling with stride
{r.pool} splits it into four windows, which hold {counts} ones. Computed with Keras'
`AveragePooling2D` and `MaxPooling2D`:

{markdown_table(table)}
{average}
{maximum}
{verdict}
"""


def run_4c(ctx: Context) -> Section:
    """4C: pool the four corner inputs and report what each pooling keeps."""
    r = pooling()
    results = {
        "average": [m.tolist() for m in r.average.values()],
        "max": [m.tolist() for m in r.maximum.values()],
        "order": list(r.inputs),
        "distinct_average": r.distinct(r.average),
        "distinct_max": r.distinct(r.maximum),
    }
    return Section(text_4c(r), results, pooling_headline(r))
