"""Chapter 4: convolutional networks on MNIST (CS 155 set 4, problem 4, parts A–F).

Run `python -m chapters.ch4_cnn` (full MNIST) or `--quick` (the shipped sample). One module
per problem group, each with per problem a compute function (what the notebook calls), a
text function for its Markdown and `run_XX(ctx)` tying them to the run folder:
`layers` (4A–4C: padding, a conv layer's size, pooling), `noise` (4D: pooling against
missing pixels and shifts), `search` (4E: grid, random and Bayesian search) and `cnn`
(4F: the CNN under the set's rules). Keras and TensorFlow load only when a problem
trains, so `--help` stays fast.
"""

from __future__ import annotations

from chapters.ch4_cnn.p4f_cnn import (
    CNN,
    L2_STRENGTH,
    MAX_SHIFT,
    OUR_BAR,
    SET_BAR,
    SWEEP_RATES,
    SWEEP_TOLERANCE,
    CnnResult,
    RegularizerResult,
    chapter_cnn,
    cnn_results,
    compare_regularizers,
    compile_cnn,
    dropout_sweep,
    final_cnn,
    plot_regularizers,
    plot_sweep,
    regularizer_text,
    run_4f,
    text_4f,
)
from chapters.ch4_cnn.p4a_padding import (
    ConvCountResult,
    PaddingResult,
    PoolingResult,
    conv_count,
    corner_inputs,
    plot_padding,
    pooling,
    pooling_headline,
    run_4a,
    run_4b,
    run_4c,
    text_4a,
    text_4b,
    text_4c,
    zero_padding,
)
from chapters.ch4_cnn.p4d_noise import (
    NoiseResult,
    noise_headline,
    noise_tables,
    plot_pooling_noise,
    pooling_and_noise,
    robustness_verdict,
    run_4d,
    text_4d,
)
from chapters.ch4_cnn.p4e_search import (
    DROPOUT_RATES,
    LEARNING_RATES,
    SEARCH_STRATEGIES,
    SearchResult,
    best_by_value,
    hyperparameter_search,
    plot_search,
    plot_search_coverage,
    run_4e,
    search_headline,
    search_hypermodel,
    search_summary,
    text_4e,
)
from companion.regularizers import REGULARIZERS
from companion.runner import Problem, run_chapter
from companion.search.cli import add_workers_flag

__all__ = [
    "CNN", "DROPOUT_RATES", "L2_STRENGTH", "LEARNING_RATES", "MAX_SHIFT", "OUR_BAR",
    "PROBLEMS", "REGULARIZERS", "SEARCH_STRATEGIES", "SET_BAR", "SWEEP_RATES",
    "SWEEP_TOLERANCE", "CnnResult", "ConvCountResult", "NoiseResult", "PaddingResult",
    "PoolingResult", "RegularizerResult", "SearchResult", "best_by_value", "chapter_cnn",
    "cnn_results", "compare_regularizers", "compile_cnn", "conv_count", "corner_inputs",
    "dropout_sweep", "final_cnn", "hyperparameter_search", "main", "noise_headline",
    "noise_tables", "plot_padding", "plot_pooling_noise", "plot_regularizers", "plot_search",
    "plot_search_coverage", "plot_sweep", "pooling", "pooling_and_noise", "pooling_headline",
    "regularizer_text", "robustness_verdict", "search_headline", "search_hypermodel",
    "search_summary", "text_4a", "text_4b", "text_4c", "text_4d", "text_4e", "text_4f",
    "zero_padding",
]  # fmt: skip

PROBLEMS = [
    Problem("4A", "Zero padding", run_4a),
    Problem("4B", "Parameters and output shape of a 5×5 convolution", run_4b),
    Problem("4C", "Average and max pooling", run_4c),
    Problem("4D", "Pooling and noise", run_4d),
    Problem("4E", "Hyperparameter search: grid, random and Bayesian", run_4e),
    Problem("4F", "A CNN for MNIST under the set's rules", run_4f),
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
            "search_strategies": list(SEARCH_STRATEGIES),
            "regularizers": list(REGULARIZERS),
            "l2": L2_STRENGTH,
        },
    )
