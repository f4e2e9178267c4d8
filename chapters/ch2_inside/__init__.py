"""Chapter 2: inside a neural network: linear nets on COVID-19 case data (problem 2, 2023).

2A reports the versions and devices; 2B prepares the CDC case data with pandas; 2C trains
a net with one linear hidden layer of 5 and draws its weights; 2D shows, by numbers, that
a second linear layer adds nothing, and what a ReLU changes.

The CDC file cannot be downloaded here: pass it with `--csv PATH`. Without it the
chapter uses synthetic cases in the same layout, and says so in every section and figure;
so does a `--csv` file marked synthetic (a leading `# SYNTHETIC ...` line, as the shipped
`companion/data/covid_fixture.csv` has).

One module per problem: `p2a_versions`, `p2b_cases`, `p2c_linear_net` (2C's net written
out, and the training helper 2D shares) and `p2d_collapse` (2D's two nets written out).
Each holds a compute function (what the notebook calls), `text_XX(result, figures)` for
its Markdown and `run_XX(ctx)` tying them to the run folder. Each net is seeded by
`ctx.seed_for(its name)`; the cases and their split belong to 2B and the one-layer net
to 2C, so a later problem reuses them with their owner's seed. This package names its
problems without importing them (they load Keras), so `--help` is fast.

    python -m chapters.ch2_inside --quick
    python -m chapters.ch2_inside --csv COVID-19_Case_Surveillance_Public_Use_Data_Subset.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from companion.pset import COVID_UNDERSAMPLE_RATIO
from companion.run.lazy import lazy_exports, public_names
from companion.run.runner import Problem, positive_float, positive_int, run_chapter

CHAPTER = "ch2_inside"
TITLE = "Chapter 2: Inside a neural network (linear nets on COVID-19 case data)"
SYNTHETIC_ROWS = 400_000  # about 260,000 with death_yn Yes/No, like the set's 259,715
QUICK_ROWS = 20_000

_MODULES = {
    "p2a_versions": ["Environment", "environment", "run_2a", "text_2a"],
    "p2b_cases": ["covid_cases", "data_line", "run_2b", "tabular_data", "tag", "text_2b"],
    "p2c_linear_net": [
        "EPOCHS",
        "NetResult",
        "one_linear_layer",
        "run_2c",
        "score_net",
        "scores_table",
        "text_2c",
        "train_linear_net",
    ],
    "p2d_collapse": [
        "Collapse",
        "collapse_demo",
        "run_2d",
        "text_2d",
        "two_linear_layers",
        "two_relu_layers",
    ],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())

# Every lazily exported name, and what this package defines itself.
__all__ = public_names(
    _MODULES,
    "CHAPTER",
    "PROBLEMS",
    "QUICK_ROWS",
    "SYNTHETIC_ROWS",
    "TITLE",
    "add_arguments",
    "main",
)

PROBLEMS = [
    Problem("2A", "Installation: versions and devices", "chapters.ch2_inside.p2a_versions:run_2a"),
    Problem("2B", "The data: preprocessing with pandas", "chapters.ch2_inside.p2b_cases:run_2b"),
    Problem("2C", "A linear neural network", "chapters.ch2_inside.p2c_linear_net:run_2c"),
    Problem("2D", "A two-layer linear neural network", "chapters.ch2_inside.p2d_collapse:run_2d"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This chapter's own flags: the data file and the preprocessing options."""
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="the CDC COVID-19 case surveillance CSV (default: synthetic cases, labelled so)",
    )
    parser.add_argument(
        "--rows",
        type=positive_int,
        default=None,
        help=f"synthetic cases to make (default {SYNTHETIC_ROWS:,}; {QUICK_ROWS:,} with --quick)",
    )
    parser.add_argument("--dates", choices=("drop", "numeric"), default="drop")
    parser.add_argument("--encoding", choices=("factorize", "onehot"), default="factorize")
    parser.add_argument(
        "--balance", choices=("undersample", "weights", "none"), default="undersample"
    )
    parser.add_argument(
        "--ratio",
        type=positive_float,
        default=COVID_UNDERSAMPLE_RATIO,
        help=f"survivors kept per death when undersampling (default {COVID_UNDERSAMPLE_RATIO:g}, "
        "as the staff did)",
    )


def main(argv=None) -> int:
    """Run chapter 2 from the command line; return the exit code."""
    return run_chapter(
        CHAPTER,
        TITLE,
        PROBLEMS,
        argv,
        description=__doc__.splitlines()[0],
        add_arguments=add_arguments,
    )
