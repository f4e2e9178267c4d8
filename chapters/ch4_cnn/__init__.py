"""Chapter 4: convolutional networks on MNIST (CS 155 set 4, problem 4, parts A–F).

Run `python -m chapters.ch4_cnn` (full MNIST) or `--quick` (the shipped sample). One module
per problem, named by its number, each with a compute function (what the notebook calls), a
text function for its Markdown and `run_XX(ctx)` tying them to the run folder:
`p4a_padding`, `p4b_conv_count`, `p4c_pooling` (no training), `p4d_noise` (pooling against
missing pixels and shifts), `p4e_search` (grid, random and Bayesian search) and `p4f_cnn`
(4F: the CNN under the set's rules, written out layer by layer). The names below load their
module (and Keras) on first use, so `--help` stays fast.
"""

from __future__ import annotations

from companion import pset
from companion.run.lazy import lazy_exports, public_names
from companion.run.runner import Problem, run_chapter
from companion.search.cli import add_workers_flag

# 4F's settings under their chapter names (plain values from companion.pset: no Keras).
CNN = pset.CNN_ARCHITECTURE
SET_BAR, OUR_BAR = pset.CNN_SET_BAR, pset.CNN_OUR_BAR
SWEEP_RATES, SWEEP_TOLERANCE = pset.CNN_SWEEP_RATES, pset.CNN_SWEEP_TOLERANCE
MAX_SHIFT, L2_STRENGTH, REGULARIZERS = pset.CNN_MAX_SHIFT, pset.CNN_L2_STRENGTH, pset.REGULARIZERS
SEARCH_STRATEGIES = pset.SEARCH_STRATEGIES

_MODULES = {
    "p4a_padding": ["PaddingResult", "plot_padding", "run_4a", "text_4a", "zero_padding"],
    "p4b_conv_count": ["ConvCountResult", "conv_count", "run_4b", "text_4b"],
    "p4c_pooling": [
        "PoolingResult", "corner_inputs", "pooling", "pooling_headline", "run_4c", "text_4c",
    ],
    "p4d_noise": [
        "AugmentationResult", "NoiseResult", "augmentation_tables", "augmentation_verdict",
        "noise_headline", "noise_tables", "plot_pooling_noise", "pooling_and_noise",
        "pooling_answer", "robustness_verdict", "run_4d", "text_4d",
    ],
    "p4e_search": [
        "DROPOUT_RATES", "LEARNING_RATES", "SearchResult", "best_by_value",
        "hyperparameter_search", "plot_search", "plot_search_coverage", "run_4e",
        "search_headline", "search_hypermodel", "search_summary", "text_4e",
    ],
    "p4f_cnn": [
        "CnnResult", "RegularizerResult", "SubsetProbe", "chapter_cnn", "cnn_4f", "cnn_headline",
        "cnn_results", "compare_regularizers", "compile_cnn", "dropout_sweep", "final_cnn",
        "final_sweep_images",
        "final_over_seeds", "final_text", "parting_rate", "plot_regularizers", "plot_sweep",
        "rate_text", "regularizer_text", "run_4f", "staff_comparison", "staff_sweep",
        "subset_probe", "sweep_text", "text_4f",
    ],
}  # fmt: skip
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())

# Every lazily exported name, and what this package defines itself.
__all__ = public_names(
    _MODULES,
    "CNN",
    "L2_STRENGTH",
    "MAX_SHIFT",
    "OUR_BAR",
    "PROBLEMS",
    "REGULARIZERS",
    "SEARCH_STRATEGIES",
    "SET_BAR",
    "SWEEP_RATES",
    "SWEEP_TOLERANCE",
    "main",
)

PROBLEMS = [
    Problem("4A", "Zero padding", "chapters.ch4_cnn.p4a_padding:run_4a"),
    Problem(
        "4B",
        "Parameters and output shape of a 5×5 convolution",
        "chapters.ch4_cnn.p4b_conv_count:run_4b",
    ),
    Problem("4C", "Average and max pooling", "chapters.ch4_cnn.p4c_pooling:run_4c"),
    Problem("4D", "Pooling and noise", "chapters.ch4_cnn.p4d_noise:run_4d"),
    Problem(
        "4E",
        "Hyperparameter search: grid, random and Bayesian",
        "chapters.ch4_cnn.p4e_search:run_4e",
    ),
    Problem("4F", "A CNN for MNIST under the set's rules", "chapters.ch4_cnn.p4f_cnn:run_4f"),
]


def main(argv: list[str] | None = None) -> int:
    """Run chapter 4 and write its run folder."""
    return run_chapter(
        "ch4_cnn",
        "Chapter 4: convolutional neural networks",
        PROBLEMS,
        argv,
        uses_mnist=True,
        add_arguments=add_workers_flag,
        config={
            "cnn": CNN,
            "sweep_rates": list(SWEEP_RATES),
            "search_strategies": list(pset.SEARCH_STRATEGIES),
            "regularizers": list(REGULARIZERS),
            "l2": L2_STRENGTH,
        },
    )
