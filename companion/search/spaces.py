"""The Keras side of a search: the library's spaces, a user's hypermodel checked, the tuner
(`companion.search.settings` names these spaces by address and stays free of Keras)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from pkgutil import resolve_name

import keras
import keras_tuner as kt

from companion.errors import CompanionError
from companion.models import cnn
from companion.search.budget_hypermodel import BudgetHyperModel
from companion.search.settings import CNN_4E, SearchSettings, get_space, load_function
from companion.search.tuning import make_tuner


def learning_rate_dropout_cnn(hp):
    """The set's example space: learning rate × dropout rate on chapter 4E's small CNN."""
    return resolve_name(CNN_4E)(hp)


def wider_cnn(hp):
    """A wider CNN space: filters, dense width, dropout and learning rate (72 points)."""
    first = hp.Choice("filters", (16, 32))  # the second block has twice as many
    units = hp.Choice("dense_units", (64, 128, 256))
    rate = hp.Choice("dropout", (0.1, 0.2, 0.3, 0.4))
    learning_rate = hp.Choice("learning_rate", (3e-4, 1e-3, 3e-3))
    model = cnn(
        filters=(first, 2 * first),
        dense_units=(units,),
        pool_first=True,
        conv_dropout=rate,
        dropout=rate,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=16,
    )
    return model


def budget_mlp(settings: SearchSettings, train_images: int) -> BudgetHyperModel:
    """Chapter 3's space: MLPs within `settings.budget` hidden units (depth, taper, dropout)."""
    steps = settings.epochs * math.ceil(train_images / settings.batch_size)
    return BudgetHyperModel(
        settings.budget,
        1,
        4,
        ratios=(1.0, 0.5),
        dropouts=(0.0, 0.1, 0.2),
        learning_rates=(2e-3,),
        decay_steps=steps,  # cosine decay to 0 over the trial, as chapter 3 trains
    )


def hypermodel_for(settings: SearchSettings, train_images: int):
    """The hypermodel (or `build(hp)`) a search's settings name, checked to build a model."""
    if settings.hypermodel:
        hypermodel = load_function(settings.hypermodel)
        check_builds(hypermodel, settings.hypermodel)
        return hypermodel
    space = get_space(str(settings.space))
    function = resolve_name(space.hypermodel)
    return function(settings, train_images) if space.configured else function


def tuner_for(
    settings: SearchSettings,
    project_dir: Path,
    train_images: int,
    *,
    resume: bool = False,
    tuner_id: str | None = None,
):
    """The keras-tuner tuner for a search's settings, in `project_dir`."""
    kwargs = {"tuner_id": tuner_id} if tuner_id else {}
    if settings.tuner == "hyperband":
        kwargs["max_epochs"] = settings.epochs
    return make_tuner(
        settings.tuner,
        hypermodel_for(settings, train_images),
        directory=project_dir.parent,
        project=project_dir.name,
        seed=settings.seed,
        objective=settings.objective,
        max_trials=settings.max_trials,
        resume=resume,
        max_grid=settings.max_grid,
        **kwargs,
    )


def check_builds(hypermodel: Callable, label: str) -> None:
    """Build once with default values; raise a one-line error unless a compiled model results."""
    try:
        model = hypermodel(kt.HyperParameters())
    except Exception as error:  # noqa: BLE001 - any failure is the user's build
        raise CompanionError(
            f"--hypermodel {label} failed to build a model ({type(error).__name__}: {error})"
        ) from None
    loss = getattr(model, "loss", None)
    if not isinstance(model, keras.Model):
        problem = f"returned {type(model).__name__}, not a keras.Model: build(hp) must return"
        problem += " the compiled model"
    elif not getattr(model, "compiled", False):
        problem = "returned an uncompiled model: call model.compile(...) inside build(hp)"
    elif "sparse" in str(getattr(loss, "name", loss)).lower():
        problem = "compiles with a sparse loss, but the search gives one-hot labels: use "
        problem += "loss='categorical_crossentropy'"
    else:
        problem = ""
    keras.backend.clear_session()
    if problem:
        raise CompanionError(f"--hypermodel {label} {problem}")
