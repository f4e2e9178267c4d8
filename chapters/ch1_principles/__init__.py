"""Chapter 1: deep-learning principles, TensorFlow Playground's demos in Keras (problem 1).

1A trains the set's two Playground demos (circle data, a 4-2 ReLU net) from the
Playground's random start and from all zeros, for several seeds, and checks with a gradient
tape that from zeros every gradient but the output bias's is exactly 0. 1B repeats both
with sigmoid and ReLU for 4000 epochs: when each test loss first drops below 0.05 and
settles, whether a zero-started net leaves its plateau, whether its units stay identical,
and the gradient norms per layer, each set against what the set's students saw. Both
write their boundaries as an animated GIF. 1C trains a ReLU net one example at a time with all the
negatives first and counts dead units. 1D and 1E build OR and XOR from explicit weights,
and train XOR from random starts.

    python -m chapters.ch1_principles --quick
    python -m chapters.ch1_principles --only 1B --demo-seeds 5

One module per problem, named by its number: `p1a_init` (1A: the Playground net written
out, `playground_net`, and its training), `p1b_activations` (1B), `p1c_dying_relu` (1C:
`dying_net`), `p1d_or` (1D), `p1e_xor` (1E: `xor_net`); `demos` (a trained demo and its
monitors), `demo_text` and `demo_figures` (reading and drawing them) serve 1A and 1B. Each
problem's stochastic parts take their seed from `ctx.seed_for(...)`, so a problem gives the
same numbers alone or after others. The problem modules import Keras at their top; this
package loads them only when a name is used or a problem runs, so `--help` stays fast.
"""

from __future__ import annotations

import argparse

from companion.pset import DEMO_SEEDS as SEEDS
from companion.pset import QUICK_DEMO_SEEDS as QUICK_SEEDS
from companion.run.lazy import lazy_exports, public_names
from companion.run.runner import Problem, positive_int, run_chapter

_MODULES = {
    "demos": ["DEMO", "EPOCHS_1A", "DemoFit", "circle"],
    "demo_text": ["epoch_text", "seed_table", "spread_table"],
    "demo_figures": [
        "boundary_animation",
        "boundary_figure",
        "final_boundary_figure",
        "gradient_figure",
        "loss_figure",
    ],
    "p1a_init": [
        "InitDemos",
        "init_demos",
        "playground_demo",
        "playground_net",
        "results_1a",
        "run_1a",
        "text_1a",
        "train_demos",
    ],
    "p1b_activations": [
        "DEMOS_1B",
        "EPOCHS_1B",
        "QUICK_1B",
        "ActivationDemos",
        "activation_demos",
        "comparison_1b",
        "results_1b",
        "run_1b",
        "sigmoid_reported_place",
        "sigmoid_reported_text",
        "speed_ratios",
        "text_1b",
    ],
    "p1c_dying_relu": [
        "DyingFindings",
        "DyingRelu",
        "dying_figure",
        "dying_findings",
        "dying_net",
        "dying_relu",
        "dying_summary",
        "run_1c",
        "text_1c",
    ],
    "p1d_or": ["LogicNetwork", "or_network", "run_1d", "text_1d"],
    "p1e_xor": ["XorNetworks", "run_1e", "text_1e", "xor_handbuilt", "xor_net", "xor_networks"],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())

CHAPTER = "ch1_principles"
TITLE = "Chapter 1: Deep-learning principles (TensorFlow Playground demos in Keras)"

_HERE = "chapters.ch1_principles"
PROBLEMS = [
    Problem(
        "1A",
        "Backpropagation and initialisation: ReLU from random and zero starts",
        f"{_HERE}.p1a_init:run_1a",
    ),
    Problem(
        "1B",
        "Backpropagation and initialisation: sigmoid against ReLU, trained long",
        f"{_HERE}.p1b_activations:run_1b",
    ),
    Problem("1C", "Dying ReLU and data ordering", f"{_HERE}.p1c_dying_relu:run_1c"),
    Problem("1D", "Approximating functions: OR", f"{_HERE}.p1d_or:run_1d"),
    Problem("1E", "Approximating functions: XOR", f"{_HERE}.p1e_xor:run_1e"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Chapter 1's own flag: how many seeds the 1A/1B demos run."""
    parser.add_argument(
        "--demo-seeds",
        type=positive_int,
        default=None,
        help=f"seeds per 1A/1B demo, each a new data draw and start "
        f"(default {SEEDS}; {QUICK_SEEDS} with --quick)",
    )


def main(argv=None) -> int:
    """Run chapter 1 from the command line."""
    return run_chapter(
        CHAPTER,
        TITLE,
        PROBLEMS,
        argv,
        description=__doc__.splitlines()[0],
        add_arguments=add_arguments,
    )


# Every lazily exported name, and what this package defines itself.
__all__ = public_names(_MODULES, "PROBLEMS", "QUICK_SEEDS", "SEEDS", "main")
