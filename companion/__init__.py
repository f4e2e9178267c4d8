"""companion: a Keras 3 teaching library for Caltech CS 155, problem set 4.

`from companion import cnn, train, load_mnist` gives the pieces the chapters use. Names
are imported on first use, so `import companion` itself is fast (no TensorFlow yet).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "set_seed": "companion.seed",
    "derive_seed": "companion.seed",
    "CompanionError": "companion.errors",
    "DataError": "companion.errors",
    "RuleError": "companion.errors",
    "load_mnist": "companion.data.mnist",
    "read_mnist": "companion.data.mnist",
    "MnistData": "companion.data.mnist",
    "cnn": "companion.models",
    "set_dropout": "companion.models",
    "check_rate": "companion.models",
    "ModelRules": "companion.models",
    "CNN_RULES": "companion.models",
    "check_model": "companion.models",
    "DropoutSweep": "companion.sweep",
    "VariableDropout": "companion.sweep",
    "train": "companion.training",
    "one_hot": "companion.training",
    "TrainingCurves": "companion.callbacks",
    "EpochTimer": "companion.callbacks",
    "plot_history": "companion.plots",
    "plot_heatmap": "companion.plots",
    "plot_lines": "companion.plots",
    "plot_images": "companion.plots",
    "conv_output_size": "companion.shapes",
    "conv2d_output_shape": "companion.shapes",
    "conv2d_params": "companion.shapes",
    "pool_output_size": "companion.shapes",
    "dense_params": "companion.shapes",
    "patch_coverage": "companion.shapes",
    "make_tuner": "companion.tuning",
    "grid_size": "companion.tuning",
    "trials_dataframe": "companion.tuning",
    "plot_grid_heatmap": "companion.tuning",
    "RunFolder": "companion.report",
    "library_versions": "companion.env",
    "backend_report": "companion.env",
    "count_hidden_units": "companion.mlp",
    "check_budget": "companion.mlp",
    "hidden_widths": "companion.mlp",
    "describe_widths": "companion.mlp",
    "mlp": "companion.mlp",
    "split_budget": "companion.mlp",
    "shifted_batches": "companion.augment",
    "BudgetHyperModel": "companion.mlp",
    "playground_dataset": "companion.data.playground",
    "ordered_dataset": "companion.data.playground",
    "PlaygroundData": "companion.data.playground",
    "feature_columns": "companion.data.playground",
    "playground_model": "companion.playground",
    "fast_fit": "companion.playground",
    "half_squared_error": "companion.playground",
    "settle_epoch": "companion.playground",
    "model_from_weights": "companion.handbuilt",
    "truth_table": "companion.handbuilt",
    "DecisionBoundary": "companion.callbacks",
    "DeadReluMonitor": "companion.callbacks",
    "SymmetryMonitor": "companion.callbacks",
    "GradientNorms": "companion.callbacks",
    "dead_fraction": "companion.callbacks",
    "dead_units": "companion.callbacks",
    "symmetry": "companion.callbacks",
    "gradient_norms": "companion.callbacks",
    "plot_boundary": "companion.boundary",
    "plot_boundaries": "companion.boundary",
    "plot_neurons": "companion.boundary",
    "SampleFallbackWarning": "companion.data.mnist",
    "batch_norm_params": "companion.shapes",
    "metric_pairs": "companion.plots",
    "history_frame": "companion.plots",
    "fraction_text": "companion.plots",
    "best_so_far": "companion.tuning",
    "markdown_table": "companion.report",
    "load_covid_csv": "companion.data.covid",
    "synthetic_covid": "companion.data.covid",
    "write_covid_csv": "companion.data.covid",
    "covid_description": "companion.data.covid",
    "prepare_covid": "companion.tabular",
    "TabularData": "companion.tabular",
    "roc_auc": "companion.tabular",
    "balanced_accuracy": "companion.tabular",
    "binary_scores": "companion.tabular",
    "standardise": "companion.tabular",
    "undersample": "companion.tabular",
    "class_weights": "companion.tabular",
    "split_frame": "companion.tabular",
    "linear_net": "companion.linear",
    "collapse_linear": "companion.linear",
    "multiply_out": "companion.linear",
    "log_odds_weights": "companion.linear",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'companion' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
