"""4C: what average and max pooling make of a block of ones shifted by one pixel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from keras import layers

from companion.plots import fraction_text
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section


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
    stride: int | None = None  # None: the pool size, as the set's 2 × 2, stride 2

    @property
    def step(self) -> int:
        """The stride the windows moved by."""
        return self.pool if self.stride is None else self.stride

    @property
    def windows(self) -> int:
        """How many pooling windows each input gives (one output each)."""
        return int(next(iter(self.average.values())).size)

    @property
    def left_out(self) -> int:
        """Rows (and columns) at the input's far edge that no window reaches."""
        side = next(iter(self.inputs.values())).shape[0]
        out = next(iter(self.average.values())).shape[0]
        return side - ((out - 1) * self.step + self.pool)

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
    inputs = corner_inputs()
    batch = np.stack(list(inputs.values()))[..., None].astype("float32")
    avg = layers.AveragePooling2D(pool, strides=stride)(batch)
    mx = layers.MaxPooling2D(pool, strides=stride)(batch)
    avg, mx = np.asarray(avg)[..., 0], np.asarray(mx)[..., 0]
    names = list(inputs)
    return PoolingResult(inputs, dict(zip(names, avg)), dict(zip(names, mx)), pool, stride)


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


def windows_text(r: PoolingResult) -> str:
    """How the windows cover an input, e.g. "splits it into four windows", from the shapes."""
    n = r.windows
    count = f"{n} window{'s' * (n != 1)}"
    if r.step == r.pool:
        how = f"splits it into {count}"
    elif r.step < r.pool:
        how = f"slides {n} overlapping window{'s' * (n != 1)} over it"
    else:
        how = f"takes {count} from it, with gaps between them,"
    if r.left_out > 0:
        lines = f"row{'s' * (r.left_out != 1)} and column{'s' * (r.left_out != 1)}"
        how += f" and leaves its last {r.left_out} {lines} out"
    return how


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
        first_max = next(iter(r.maximum.values()))
        why = "each window holds at least one 1, so " if np.all(first_max == 1) else ""
        maximum = (
            f"Max pooling gives {matrix_text(first_max)} for every input: "
            f"{why}the output cannot tell the shifted inputs apart."
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
    first = next(iter(r.inputs.values()))
    side, block = first.shape[0], int(round(np.sqrt(first.sum())))  # a square block of ones
    held = "holds" if r.windows == 1 else "hold"
    return f"""
Each {side}×{side} input has a {block}×{block} block of ones in one corner. {r.pool}×{r.pool} pooling with
stride {r.step} {windows_text(r)}; on the first input ({next(iter(r.inputs))}) the
window{"s" * (r.windows != 1)} {held} {counts} ones. Computed with Keras' `AveragePooling2D` and
`MaxPooling2D`:

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
        "pool": r.pool,
        "stride": r.step,
        "windows": r.windows,
    }
    return Section(text_4c(r), results, pooling_headline(r))
