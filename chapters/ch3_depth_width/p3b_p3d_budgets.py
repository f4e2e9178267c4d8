"""Problems 3B, 3C and 3D: each budget's net written out in Keras, trained with several seeds.

The three nets share one way of training (`train_recipe`): check the set's rules, compile
with Adam cosine-decayed to 0 and categorical cross-entropy, `fit` on shuffled batches of
randomly shifted images, then score the validation and test splits. `--explore` retrains
the candidates each net was chosen from, validation only.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import keras
import pandas as pd
from keras import layers

from chapters.ch3_depth_width.budget_report import (
    BudgetResult,
    budget_text,
    headline,
    plot_budget_runs,
)
from chapters.ch3_depth_width.candidates import (
    Exploration,
    candidate_row,
    explore_command,
    mark_chosen,
    save_exploration,
    stored_exploration,
)
from chapters.ch3_depth_width.recipe import Recipe, TrainedNet, UnitBudget
from chapters.ch3_depth_width.settings import (
    BUDGETS,
    CANDIDATES,
    CHOSEN,
    QUICK_EPOCHS,
    QUICK_SIZES,
    SEEDS,
)
from companion import pset
from companion.augment import shifted_batches
from companion.budget import check_budget, hidden_widths, mlp
from companion.models import dropout_rate
from companion.plots import history_frame
from companion.run.env import library_versions
from companion.run.runner import Context, Section
from companion.seed import set_seed
from companion.training import accuracies, cosine_adam, fit_callbacks, one_hot, steps_per_run


def model_3b(dropout: float = CHOSEN["3B"].dropout) -> keras.Sequential:
    """3B's net: one hidden layer of 100 ReLU units (the whole budget), then a softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),  # a flattened 28 x 28 image, divided by 255
            layers.Dense(100),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(10),  # the output layer: one unit per digit, not counted
            layers.Softmax(),
        ],
        name="net_3b",
    )


def model_3c(dropout: float = CHOSEN["3C"].dropout) -> keras.Sequential:
    """3C's net: 150 + 50 = 200 hidden units in 2 layers, tapering towards the output."""
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(150),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(50),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(10),
            layers.Softmax(),
        ],
        name="net_3c",
    )


def model_3d(dropout: float = CHOSEN["3D"].dropout) -> keras.Sequential:
    """3D's net: 334 + 333 + 333 = 1000 hidden units in 3 even layers."""
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(334),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(333),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(333),
            layers.ReLU(),
            layers.Dropout(dropout),
            layers.Dense(10),
            layers.Softmax(),
        ],
        name="net_3d",
    )


MODELS = {"3B": model_3b, "3C": model_3c, "3D": model_3d}


def builder(recipe: Recipe, problem: str | None = None) -> Callable[[], keras.Model]:
    """What builds `recipe`'s net: `problem`'s written-out net when the recipe has its shape.

    Any other shape (a candidate, an edited recipe) comes from `companion.budget.mlp`,
    the same layers for any widths (tests/test_ch3.py compares the two layer by layer).
    """
    if problem in MODELS and recipe.widths == CHOSEN[problem].widths and not recipe.input_dropout:
        return partial(MODELS[problem], recipe.dropout)
    return partial(mlp, recipe.widths, dropout=recipe.dropout, input_dropout=recipe.input_dropout)


def train_recipe(
    data,
    recipe: Recipe,
    *,
    seed: int,
    budget: UnitBudget | None = None,
    epochs: int | None = None,
    test: bool = True,
    build: Callable[[], keras.Model] | None = None,
) -> TrainedNet:
    """Build the recipe's net, check it against the budget, compile, fit, score.

    Args:
        data: flat MNIST-like splits (`x_train`, `y_train`, `x_val`, ... as in `MnistData`).
        recipe: the net and its training settings.
        seed: seeds the weights, the shuffling, the shifts and the dropout masks; the
            result does not depend on what drew random numbers before.
        budget: the rules to check the model against before training (None: no check).
        epochs: overrides the recipe's epochs.
        test: also score the test set (False while choosing, so it plays no part).
        build: makes the model (default: `builder(recipe)`).
    """
    set_seed(seed)  # before the model: its initial weights and dropout seeds come from it
    model = (build or builder(recipe))()
    if budget is not None:
        check_budget(model, budget.max_units, budget.min_layers)
    epochs = int(epochs or recipe.epochs)
    steps = steps_per_run(len(data.x_train), recipe.batch_size, epochs)
    model.compile(
        optimizer=cosine_adam(recipe.learning_rate, steps),  # Adam, its rate falling to 0
        loss=pset.MLP_LOSS,
        metrics=["accuracy"],
        steps_per_execution=8,  # fewer Python round trips per epoch; same maths
    )
    history = model.fit(
        shifted_batches(  # shuffled every epoch, each image moved by up to max_shift pixels
            data.x_train,
            one_hot(data.y_train),
            batch_size=recipe.batch_size,
            max_shift=recipe.max_shift,
            seed=seed,
        ),
        epochs=epochs,
        shuffle=False,  # the batches above come shuffled; fit cannot reshuffle a pipeline
        validation_data=(data.x_val, one_hot(data.y_val)),
        callbacks=fit_callbacks(name=f"{recipe.shape} seed {seed}"),
        verbose=0,
    )
    return scored(model, history_frame(history), data, seed=seed, test=test)


def scored(model: keras.Model, history, data, *, seed: int, test: bool = True) -> TrainedNet:
    """A trained model's record: its history, validation (and test) accuracy, its size."""
    splits = [(data.x_val, data.y_val)] + ([(data.x_test, data.y_test)] if test else [])
    scores = accuracies(model, *splits)
    return TrainedNet(
        seed=seed,
        history=history,
        val_accuracy=scores[0],
        test_accuracy=scores[1] if test else None,
        params=model.count_params(),
        epoch_seconds=float(history["seconds"].median()),
    )


def budget_model(
    data,
    problem: str,
    *,
    recipe: Recipe | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int | None = None,
    trained: tuple[keras.Model, Any] | None = None,
) -> BudgetResult:
    """Problems 3B-3D: train the chosen net of `problem` once per seed; score each on test.

    `trained` is a (model, history) already trained with the recipe (a notebook's cells):
    it is the first seed's run, the other seeds train fresh copies of that model, and the
    result's recipe takes the model's hidden widths and dropout rate.
    """
    budget, recipe = BUDGETS[problem], recipe or CHOSEN[problem]
    if epochs:
        recipe = replace(recipe, epochs=int(epochs))
    build, nets = builder(recipe, problem), []
    if trained is not None:
        model, history = trained
        check_budget(model, budget.max_units, budget.min_layers)
        recipe = recipe_of(model, recipe)
        build = partial(keras.models.clone_model, model)  # same layers, fresh weights
        nets.append(scored(model, history_frame(history), data, seed=seeds[0]))
        seeds = seeds[1:]
    nets += [train_recipe(data, recipe, seed=s, budget=budget, build=build) for s in seeds]
    return BudgetResult(problem, budget, recipe, nets, len(data.x_train), len(data.x_val))


def recipe_of(model: keras.Model, recipe: Recipe) -> Recipe:
    """`recipe` with the hidden widths and the (largest) dropout rate of `model`."""
    rates = [dropout_rate(layer) for layer in model.layers if isinstance(layer, layers.Dropout)]
    return replace(
        recipe,
        widths=tuple(hidden_widths(model)),
        dropout=max(rates, default=0.0),
        input_dropout=0.0,
    )


def explore_candidates(
    data,
    problem: str,
    *,
    seed: int = 0,
    epochs: int | None = None,
    candidates: tuple[Recipe, ...] | None = None,
) -> pd.DataFrame:
    """Train each candidate recipe of `problem` once and score it on the validation split.

    Every candidate gets the same seed, so they differ by recipe only; each is checked
    against the budget; the test set plays no part. `epochs` overrides every candidate's.
    """
    rows = []
    for recipe in candidates or CANDIDATES[problem]:
        if epochs:
            recipe = replace(recipe, epochs=int(epochs))
        net = train_recipe(data, recipe, seed=seed, budget=BUDGETS[problem], test=False)
        rows.append(candidate_row(problem, recipe, net))
    return pd.DataFrame(rows)


def explore(
    data, problem: str, *, seed: int, epochs: int | None = None, command: str = ""
) -> Exploration:
    """`--explore`: train `problem`'s candidates and record when, how and on what data."""
    start = time.perf_counter()
    table = explore_candidates(data, problem, seed=seed, epochs=epochs)
    meta = {
        "problem": problem,
        "date": datetime.now().isoformat(timespec="minutes"),
        "command": command,
        "data": data.description.replace(data.source, Path(data.source).name),  # no local path
        "train_images": len(data.x_train),
        "val_images": len(data.x_val),
        "seed": seed,
        "runs_per_candidate": 1,
        "seconds": round(time.perf_counter() - start, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "versions": library_versions(),
    }
    chosen = replace(CHOSEN[problem], epochs=int(epochs)) if epochs else CHOSEN[problem]
    return Exploration(problem, mark_chosen(table, chosen), True, meta, "this run")


def run_budget(ctx: Context, problem: str) -> Section:
    """One of 3B-3D: (with --explore) its candidates, then the chosen net over seeds."""
    data = ctx.mnist(flatten=True, quick_sizes=QUICK_SIZES)
    epochs = ctx.epochs(QUICK_EPOCHS if ctx.quick else None)
    if ctx.args.explore:
        exploration = explore(
            data,
            problem,
            seed=ctx.seed_for("explore"),
            epochs=epochs,
            command=explore_command(ctx.args, problem),
        )
        for suffix in (".csv", ".json"):  # the files save_exploration writes: 3B's (or 3D's)
            ctx.folder.path_for(f"histories/{problem}_candidates{suffix}")
        save_exploration(exploration, ctx.folder.histories)
    else:
        exploration = stored_exploration(problem)
    seeds = tuple(ctx.seed_for(f"seed-{i}") for i in range(SEEDS))
    result = budget_model(data, problem, seeds=seeds, epochs=epochs)
    result.quick, result.exploration = ctx.quick, exploration
    for net in result.nets:
        ctx.folder.save_table(net.history, f"{problem}_seed{net.seed}")
    figure = ctx.folder.figure_md(
        plot_budget_runs(result),
        f"{problem}_runs",
        f"{problem}: every run's validation curve and test accuracy, with the bars",
    )
    return Section(budget_text(result, {"runs": figure}), result.summary(), headline(result))


def run_3b(ctx: Context) -> Section:
    """Problem 3B: the best net of at most 100 hidden units."""
    return run_budget(ctx, "3B")


def run_3c(ctx: Context) -> Section:
    """Problem 3C: the best net of at most 200 hidden units in at least 2 layers."""
    return run_budget(ctx, "3C")


def run_3d(ctx: Context) -> Section:
    """Problem 3D: the best net of at most 1000 hidden units in at least 3 layers."""
    return run_budget(ctx, "3D")
