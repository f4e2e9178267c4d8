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

# Where a padded border pixel stands against a central one: (least share, words), first met.
BORDER_WEIGHTS = [(0.9, "almost as much as"), (0.5, "at least half as much as")]
UNDER_HALF = "less than half as much as"


def weight_words(share: float) -> str:
    """How a border pixel's weight (its share of a central pixel's) reads in a sentence."""
    return next((words for least, words in BORDER_WEIGHTS if share >= least), UNDER_HALF)


@dataclass
class PaddingResult:
    """4A: how many patches see each pixel, unpadded and padded; sizes through a conv stack.

    The stack is `stack` 3×3 (`kernel`) convolutions applied to a `stack_input`-pixel square.
    """

    image: int
    patch: int
    coverage_valid: np.ndarray
    coverage_same: np.ndarray
    stack: pd.DataFrame
    stack_input: int = 28
    kernel: int = 3

    @property
    def positions(self) -> dict[str, int]:
        """Patch positions without padding ('valid') and with it ('same')."""
        return {"valid": (self.image - self.patch + 1) ** 2, "same": self.image**2}

    @property
    def real_share(self) -> float:
        """The share of real (not padded) pixels in the padded top-left corner patch."""
        return (self.patch - (self.patch - 1) // 2) ** 2 / self.patch**2

    def coverage(self, padding: str) -> np.ndarray:
        """The coverage map of one padding, 'valid' or 'same'."""
        return {"valid": self.coverage_valid, "same": self.coverage_same}[padding]

    def counts(self, padding: str) -> dict[str, int]:
        """Patches seeing the top-left corner, the middle of the top edge and the centre."""
        c, mid = self.coverage(padding), self.image // 2
        return {"corner": int(c[0, 0]), "edge": int(c[0, mid]), "centre": int(c[mid, mid])}

    def shares(self, padding: str) -> dict[str, float]:
        """The corner's and the edge's counts as shares of the centre's (1: weighed alike)."""
        n = self.counts(padding)
        return {place: n[place] / n["centre"] for place in ("corner", "edge")}

    @property
    def border_verdict(self) -> str:
        """How much a padded corner pixel weighs against a central one, in words."""
        return weight_words(self.shares("same")["corner"])

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
    return PaddingResult(
        image, patch, coverage["valid"], coverage["same"], pd.DataFrame(rows), stack_input, kernel
    )


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
    """4A's report section: the benefit and the drawback, each read off the coverage counts."""
    n, side = r.positions, r.image - r.patch + 1
    return f"""
Without padding a patch of {r.patch}×{r.patch} pixels fits in {side}×{side} = {n["valid"]}
positions; with zero padding ('same') there is one patch per pixel, {n["same"]} in all.

{(figures or {}).get("coverage", "")}
**Benefit.** {_benefit(r)}

{markdown_table(r.stack)}
**Drawback.** {_drawback(r)}
"""


def _patches(n: int) -> str:
    return f"{n} patch" + ("" if n == 1 else "es")


def _seen(counts: dict[str, int], note: str = "") -> str:
    return (
        f"the top-left corner is seen by {_patches(counts['corner'])}{note}, the middle of the "
        f"top edge by {counts['edge']} and the centre by {counts['centre']}"
    )


def _benefit(r: PaddingResult) -> str:
    valid, same = r.shares("valid"), r.shares("same")
    c, s, k = r.coverage_same, r.stack_input, r.kernel
    under = ": the border is under-represented" if valid["corner"] < 1 else ""
    fewest = "the fewest" if c[0, 0] == c.min() else f"the fewest is {c.min()}"
    if c[-1, -1] != c[0, 0]:  # Keras puts the odd padding row after the image
        fewest += f"; the bottom-right corner by {c[-1, -1]}, one more padding row there"
    kept = (
        "the output keeps the input's size" if r.shrink("same") == 0 else "the output still shrinks"
    )
    return (
        f"Without padding {_seen(r.counts('valid'))}: a corner pixel weighs "
        f"{valid['corner']:.1%} as much as a central one and an edge pixel {valid['edge']:.0%}"
        f"{under}. With zero padding {_seen(r.counts('same'), f' ({fewest})')}: "
        f"{same['corner']:.0%} and {same['edge']:.0%} of the centre's weight, "
        f"{same['corner'] / valid['corner']:.0f}× the corner's share without padding, and "
        f"{kept}. Through a stack of {k}×{k} convolutions a {s}×{s} input loses "
        f"{r.shrink('valid')} pixels per layer without padding and {r.shrink('same')} with it:"
    )


def _drawback(r: PaddingResult) -> str:
    n, valid, same = r.positions, r.shares("valid"), r.shares("same")
    padding = 1 - r.real_share
    mostly = "mostly" if padding > 0.5 else "partly"
    return (
        "The padded pixels are zeros, not data: under 'same' padding the top-left corner patch "
        f"holds only {r.real_share:.0%} real pixels ({padding:.0%} padding), so filters see an "
        "artificial dark border (an edge that is not in the image). Padding took the corner's "
        f"weight from {valid['corner']:.1%} to {same['corner']:.0%} of a central pixel's: a "
        f"corner pixel now weighs {r.border_verdict} a central one, with patches that are "
        f"{mostly} padding. Padding also costs computation: {n['same']} outputs instead of "
        f"{n['valid']} ({n['same'] / n['valid']:.1f}× the work for this layer)."
    )


def run_4a(ctx: Context) -> Section:
    """4A: count the patches over each pixel with and without zero padding."""
    r = zero_padding()
    valid, same = r.counts("valid"), r.counts("same")
    figure = ctx.folder.figure_md(
        plot_padding(r), "4A_patch_coverage", f"How many {r.patch}×{r.patch} patches see each pixel"
    )
    results = {
        "patches_valid": r.positions["valid"],
        "patches_same": r.positions["same"],
        "corner_coverage_valid": valid["corner"],
        "corner_coverage_same": same["corner"],
        "centre_coverage": valid["centre"],
        "stack_output_sizes": r.stack.to_dict(orient="records"),
        "coverage": {"valid": valid, "same": same},
        "share_of_centre": {"valid": r.shares("valid"), "same": r.shares("same")},
        "real_share": r.real_share,
        "border_verdict": r.border_verdict,
    }
    headline = (
        f"a corner pixel is in {_patches(valid['corner'])} unpadded, {same['corner']} padded; "
        f"a central one in {same['centre']}: padded, a corner weighs "
        f"{r.shares('same')['corner']:.0%} of a central pixel"
    )
    return Section(text_4a(r, {"coverage": figure}), results, headline)
