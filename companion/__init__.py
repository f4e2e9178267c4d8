"""companion: a Keras 3 teaching library for Caltech CS 155, problem set 4.

`from companion import cnn, train, load_mnist` gives the pieces a student or instructor uses;
everything else stays importable from its module (`from companion.probes import dead_units`).
Names load on first use, so `import companion` itself is fast and imports no TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

__version__ = "0.2.0"

# TensorFlow is Keras' backend here but no unconditional dependency (an extra brings it), so
# a missing one is said at import, in one line, before any name needs it. find_spec only
# looks the package up: `import companion` still loads no TensorFlow.
if importlib.util.find_spec("tensorflow") is None:
    raise ImportError(
        "companion needs TensorFlow as its Keras backend and finds none: install "
        "'companion[cpu]' (CPU build) or 'companion[gpu]' (full build), or any tensorflow"
    )

# public name -> the module that defines it, grouped as in the README
_EXPORTS = {
    # Reproducibility and errors: one seeding helper; every user error is a CompanionError.
    "set_seed": "companion.seed",
    "seed_for": "companion.seed",
    "CompanionError": "companion.errors",
    # Data: MNIST (full, local file or shipped sample), Playground 2-D sets, COVID-19 case data.
    "load_mnist": "companion.data.mnist",
    "MnistData": "companion.data.mnist",
    "playground_dataset": "companion.data.playground",
    "load_covid_csv": "companion.data.covid",
    "synthetic_covid": "companion.data.covid",
    "prepare_covid": "companion.tabular.prepare",
    # Models: builders and the set's rules they must obey.
    "cnn": "companion.models",
    "mlp": "companion.budget",
    "linear_net": "companion.tabular.linear",
    "playground_model": "companion.playground.model",
    "model_from_weights": "companion.playground.handbuilt",
    "ModelRules": "companion.models",
    "CNN_RULES": "companion.models",
    "check_model": "companion.models",
    "check_budget": "companion.budget",
    "check": "companion.grade",  # the grader: a model of your own against a problem's rules
    "count_hidden_units": "companion.budget",
    # Training: fit with the standard callbacks, fast Playground loops, augmentation, sweeps.
    "train": "companion.training",
    "one_hot": "companion.training",
    "fast_fit": "companion.playground.fastfit",
    "shifted_batches": "companion.augment",
    "DropoutSweep": "companion.sweep",
    "TrainingCurves": "companion.callbacks",
    "DecisionBoundary": "companion.callbacks",
    "DeadReluMonitor": "companion.callbacks",
    # Plots: each draws on an `ax` it is given (or a new figure) and returns the figure.
    "plot_history": "companion.plots",
    "plot_lines": "companion.plots",
    "plot_heatmap": "companion.plots",
    "plot_images": "companion.plots",
    "plot_boundary": "companion.playground.boundary",
    "plot_boundaries": "companion.playground.boundary",
    # Tuning: keras-tuner with the usual mistakes caught, and its results as a table.
    "make_tuner": "companion.search.tuning",
    "grid_size": "companion.search.tuning",
    "trials_dataframe": "companion.search.trials",
    "BudgetHyperModel": "companion.search.budget_hypermodel",
    # Arithmetic: output shapes and parameter counts, by hand.
    "conv_output_size": "companion.shapes",
    "pool_output_size": "companion.shapes",
    "conv2d_params": "companion.shapes",
    "dense_params": "companion.shapes",
    "batch_norm_params": "companion.shapes",
    # Reports: a run folder written problem by problem, and Markdown tables.
    "RunFolder": "companion.run.folder",
    "markdown_table": "companion.run.markdown",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:  # what IDEs and type checkers read; at run time names load lazily below
    from companion.augment import shifted_batches
    from companion.budget import check_budget, count_hidden_units, mlp
    from companion.callbacks import DeadReluMonitor, DecisionBoundary, TrainingCurves
    from companion.data.covid import load_covid_csv, synthetic_covid
    from companion.data.mnist import MnistData, load_mnist
    from companion.data.playground import playground_dataset
    from companion.errors import CompanionError
    from companion.grade import check
    from companion.models import CNN_RULES, ModelRules, check_model, cnn
    from companion.playground.boundary import plot_boundaries, plot_boundary
    from companion.playground.fastfit import fast_fit
    from companion.playground.handbuilt import model_from_weights
    from companion.playground.model import playground_model
    from companion.plots import plot_heatmap, plot_history, plot_images, plot_lines
    from companion.run.folder import RunFolder
    from companion.run.markdown import markdown_table
    from companion.search.budget_hypermodel import BudgetHyperModel
    from companion.search.trials import trials_dataframe
    from companion.search.tuning import grid_size, make_tuner
    from companion.seed import seed_for, set_seed
    from companion.shapes import (
        batch_norm_params,
        conv2d_params,
        conv_output_size,
        dense_params,
        pool_output_size,
    )
    from companion.sweep import DropoutSweep
    from companion.tabular.linear import linear_net
    from companion.tabular.prepare import prepare_covid
    from companion.training import one_hot, train


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(
        f"module 'companion' has no attribute {name!r}; internals are imported from their "
        "module (e.g. `from companion.probes import dead_units`)"
    )


def __dir__():
    return sorted(set(globals()) | set(__all__))
