"""The search spaces by name, a user's `build(hp)` by "module:function", and their data.

Importing this module loads no Keras: the CLI checks names and flags before any process
pays for TensorFlow. So each space names its hypermodel by address ("module:function"),
imported when a search builds it: `companion.search.builders` (Keras), or chapter 4E's
`build(hp)` for `cnn-4e`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from companion.data.mnist import load_mnist
from companion.errors import CompanionError
from companion.pset import SEARCH_DROPOUT_RATES, SEARCH_LEARNING_RATES
from companion.search.settings import SearchSettings

# The problem set's example grid (4E), learning rate × dropout rate (30 points), by its
# earlier names here.
SET_LEARNING_RATES, SET_DROPOUT_RATES = SEARCH_LEARNING_RATES, SEARCH_DROPOUT_RATES
# 4E's hypermodel is written out in its chapter; companion never imports chapters
# statically, so the space names it by address, imported when used (same wheel).
CNN_4E = "chapters.ch4_cnn.p4e_search:build"
BUILDERS = "companion.search.builders"


def learning_rate_dropout_cnn(hp):
    """The set's example space: learning rate × dropout rate on chapter 4E's small CNN."""
    return load_address(CNN_4E)(hp)


@dataclass(frozen=True)
class Space:
    """A named space: its hypermodel's address, its data layout and its usual tuner.

    `hypermodel` is "module:function" of a `build(hp)`, or with `configured` of a function
    (settings, train_images) -> the hypermodel.
    """

    name: str
    description: str
    hypermodel: str
    configured: bool = False
    flat: bool = False
    tuner: str = "grid"
    max_trials: int | None = None
    batch_size: int = 32

    def make(self, settings: SearchSettings, train_images: int):
        """The space's hypermodel for a search's settings (imports its module: Keras)."""
        function = load_address(self.hypermodel)
        return function(settings, train_images) if self.configured else function


SPACES = {
    "cnn-4e": Space(
        "cnn-4e",
        "the set's 4E grid: learning rate × dropout on a small CNN (30 points)",
        CNN_4E,
    ),
    "cnn": Space(
        "cnn",
        "filters × dense width × dropout × learning rate on a CNN (72 points)",
        f"{BUILDERS}:wider_cnn",
        tuner="random",
        max_trials=10,
    ),
    "mlp-budget": Space(
        "mlp-budget",
        "MLPs within --budget hidden units: depth 1-4, taper, dropout (chapter 3)",
        f"{BUILDERS}:budget_mlp",
        configured=True,
        flat=True,
        tuner="random",
        max_trials=10,
        batch_size=128,
    ),
}

# Names that lived here before the builders moved out; resolved when first used.
_MOVED = {"wider_cnn", "budget_mlp", "hypermodel_for", "tuner_for", "check_builds"}


def __getattr__(name: str):
    if name in _MOVED:
        return load_address(f"{BUILDERS}:{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_space(name: str) -> Space:
    """The named space, or a one-line error listing the names."""
    if name not in SPACES:
        raise CompanionError(
            f"unknown space {name!r}: choose one of {', '.join(SPACES)} "
            "or give your own with --hypermodel module:function"
        )
    return SPACES[name]


def _split(spec: str) -> tuple[str, str]:
    module_name, _, attribute = spec.rpartition(":")
    if not module_name or not attribute:
        raise CompanionError(
            f"--hypermodel must be MODULE:FUNCTION (e.g. mymodels:build), got {spec!r}"
        )
    return module_name, attribute


def _cannot_import(spec: str, module_name: str, why: str) -> CompanionError:
    return CompanionError(
        f"--hypermodel {spec}: cannot import {module_name!r} ({why}); run from the folder "
        "that holds it or give a path/to/file.py:function"
    )


def find_module(spec: str) -> None:
    """Check that the module of "module:function" exists, without importing it.

    The module most likely imports Keras, so the command checks this much before it
    starts workers and imports the module only once they load TensorFlow beside it.
    """
    module_name, _ = _split(spec)
    if module_name.endswith(".py"):
        found = Path(module_name).is_file()
    else:
        _add_cwd()
        try:
            found = importlib.util.find_spec(module_name) is not None
        except (ImportError, ValueError):  # a parent package that is missing or broken
            found = False
    if not found:
        raise _cannot_import(spec, module_name, "no such module")


def load_address(address: str) -> Callable:
    """Import the function at "package.module:function" (a named space's own, not a user's)."""
    module_name, attribute = _split(address)
    return getattr(importlib.import_module(module_name), attribute)


def load_function(spec: str) -> Callable:
    """Import `build` from "package.module:build" or "path/to/file.py:build"."""
    module_name, attribute = _split(spec)
    try:
        module = _import(module_name)
    except Exception as error:  # noqa: BLE001 - any failure is the user's module
        raise _cannot_import(spec, module_name, f"{type(error).__name__}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise CompanionError(f"--hypermodel {spec}: {module_name!r} has no function {attribute!r}")
    return function


def _add_cwd() -> None:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # as `python -m` would: the user's own folder


def _import(module_name: str):
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise FileNotFoundError(f"no file {path}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    _add_cwd()
    return importlib.import_module(module_name)


def check_names(settings: SearchSettings) -> None:
    """Check the space name, or that the user's hypermodel module exists (nothing built)."""
    if settings.hypermodel:
        if settings.space:
            raise CompanionError("give either a space or --hypermodel, not both")
        find_module(settings.hypermodel)
    else:
        get_space(str(settings.space))


def search_data(settings: SearchSettings):
    """(x, y, x_val, y_val, description) for a search: MNIST cut to size, labels one-hot.

    NumPy only (no Keras), so a bad --mnist is reported before any process starts.
    """
    data = load_mnist(settings.mnist, flatten=settings.flat, sample=settings.sample)
    n, n_val = settings.images, settings.val_images
    x, x_val = data.x_train[:n], data.x_val[:n_val]
    eye = np.eye(10, dtype="float32")
    used = f"; searched on the first {len(x):,} train and {len(x_val):,} validation images"
    return x, eye[data.y_train[:n]], x_val, eye[data.y_val[:n_val]], data.description + used
