"""Problem 3A: the data's facts, read off the arrays, and a grid of digits per class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from chapters.ch3_depth_width.settings import QUICK_SIZES
from companion import pset
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section

SPLITS = ("train", "val", "test")


@dataclass
class DataFacts:
    """What problem 3A asks, read off the arrays."""

    height: int
    width: int
    pixel_levels: int
    pixel_min: int
    pixel_max: int
    zero_fraction: float
    counts: dict[str, int]
    per_class: dict[str, list[int]]
    flat_shape: list[int]
    one_hot_shape: list[int]
    full_counts: dict[str, int]  # the set's MNIST: training (train + val) and test images
    full_set: bool  # whether this run's data is all of it
    sample: bool  # whether it is the small sample shipped with companion


def data_facts(data) -> DataFacts:
    """Problem 3A: image size, what a pixel holds and its range, counts per split and class."""
    side = int(round(np.sqrt(data.x_train.shape[1])))
    raw = np.round(data.x_train * 255).astype(int)  # the loader divided the 0-255 bytes by 255
    labels = {s: getattr(data, f"y_{s}") for s in SPLITS}
    counts = {s: len(y) for s, y in labels.items()}
    examples = counts["train"] + counts["val"]
    full = {"train": pset.MNIST_TRAIN_IMAGES, "test": pset.MNIST_TEST_IMAGES}
    return DataFacts(
        height=side,
        width=data.x_train.shape[1] // side,
        pixel_levels=len(np.unique(raw)),
        pixel_min=int(raw.min()),
        pixel_max=int(raw.max()),
        zero_fraction=float((raw == 0).mean()),
        counts=counts,
        per_class={s: np.bincount(y, minlength=10).tolist() for s, y in labels.items()},
        flat_shape=[examples, data.x_train.shape[1]],
        one_hot_shape=[examples, 10],
        full_counts=full,
        full_set=examples == full["train"] and counts["test"] == full["test"],
        sample=bool(data.is_sample),
    )


def balance_text(counts: list[int]) -> str:
    """A sentence on how balanced the classes are, from their counts."""
    counts = np.asarray(counts)
    rare, common = int(counts.argmin()), int(counts.argmax())
    below = 1 - counts[rare] / counts.mean()
    above = counts[common] / counts.mean() - 1
    fair = (
        "so accuracy is a fair score" if max(below, above) < 0.25 else "so watch per-class scores"
    )
    return (
        f"In the training split the rarest class, {rare}, has {below:.0%} fewer images than "
        f"the mean and the commonest, {common}, {above:.0%} more: roughly balanced, {fair}."
    )


def plot_digits_per_class(data, *, per_class: int = 8, seed: int = 0):
    """A grid of training digits: one row per class, drawn at random with `seed`."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(10, per_class, figsize=(0.9 * per_class, 9.4))
    for digit in range(10):
        picks = rng.choice(np.flatnonzero(data.y_train == digit), per_class, replace=False)
        for ax, i in zip(axes[digit], picks):
            ax.imshow(data.x_train[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[digit][0].set_ylabel(str(digit), rotation=0, labelpad=10, fontsize=11)
    fig.suptitle("Training digits, one row per class (dark = ink)")
    fig.tight_layout()
    return fig


def class_table(facts: DataFacts) -> str:
    """Images per split and per class, as a Markdown table."""
    rows = [
        {"split": s, "images": f"{facts.counts[s]:,}"}
        | {str(d): f"{n:,}" for d, n in enumerate(facts.per_class[s])}
        for s in SPLITS
    ]
    return markdown_table(pd.DataFrame(rows))


def counts_text(facts: DataFacts) -> str:
    """The images per split, and, on part of MNIST, how many the full set has (a sentence)."""
    c, full = facts.counts, facts.full_counts
    counts = (
        f"{c['train'] + c['val']:,} training images (split here into {c['train']:,} for "
        f"training and the last {c['val']:,} for validation) and {c['test']:,} test images"
    )
    if facts.full_set:
        return f"{counts}."
    part = (
        "the small sample shipped with companion"
        if facts.sample
        else "the first images of each split (--quick)"
    )
    return (
        f"the full MNIST has {full['train']:,} training and {full['test']:,} "
        f"test images; this run uses {part}: {counts}."
    )


def text_3a(facts: DataFacts, figures: Mapping[str, str] | None = None) -> str:
    """Problem 3A's answer in words, with the per-class table (and the digits, if drawn)."""
    lines = [
        f"- **Image size**: each image is {facts.height} × {facts.width} pixels "
        f"({facts.height * facts.width} values once flattened).",
        f"- **A pixel** is a grey level stored as one byte: 0 is background, 255 full ink; "
        f"this data holds {facts.pixel_levels} distinct levels from {facts.pixel_min} to "
        f"{facts.pixel_max}, and {facts.zero_fraction:.0%} of all pixels are 0. The models "
        "see them divided by 255, in [0, 1].",
        f"- **Counts**: {counts_text(facts)} Flattened, the training inputs are "
        f"{tuple(facts.flat_shape)} and the one-hot labels {tuple(facts.one_hot_shape)}.",
        "",
        class_table(facts).strip(),
        "",
        balance_text(facts.per_class["train"]),
    ]
    if figures and "digits" in figures:
        lines += ["", figures["digits"].strip()]
    return "\n".join(lines) + "\n"


def run_3a(ctx: Context) -> Section:
    """Problem 3A: the image size, the pixels' meaning and range, the counts per class."""
    data = ctx.mnist(flatten=True, quick_sizes=QUICK_SIZES)
    facts = data_facts(data)
    figure = ctx.folder.figure_md(
        plot_digits_per_class(data, seed=ctx.seed_for("digits")),
        "3A_digits",
        "Eight random training digits of each class",
    )
    c = facts.counts
    headline = (
        f"{facts.height}x{facts.width} pixels 0-255; "
        f"{c['train']:,}/{c['val']:,}/{c['test']:,} train/val/test"
    )
    if not facts.full_set:
        full = facts.full_counts
        headline += f" (full MNIST: {full['train']:,} training, {full['test']:,} test)"
    return Section(text_3a(facts, {"digits": figure}), asdict(facts), headline)
