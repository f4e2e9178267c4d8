"""4A: what zero padding does to the patches a conv layer sees, and to its output's size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from companion.plots import plot_heatmap
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section
from companion.shapes import conv_output_size, patch_coverage


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
