"""What a search is, without Keras: its settings (`search.json`), the named spaces, a
user's `build(hp)` by address and its data, all checked before TensorFlow loads."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from companion.data.mnist import load_mnist
from companion.errors import CompanionError
from companion.run.atomic import write_json

SETTINGS_FILE = "search.json"
# Settings a finished trial's score depends on: a resumed search or a worker must match them.
RESULT_KEYS = ("space", "hypermodel", "budget", "tuner", "epochs", "images", "val_images")
RESULT_KEYS += ("batch_size", "seed", "sample", "flat", "objective")


@dataclass(frozen=True)
class SearchSettings:
    """One search: the space, the tuner, the data and the training of each trial."""

    space: str | None = "cnn-4e"  # a name in SPACES, or None with `hypermodel`
    hypermodel: str | None = None  # "module:function" or "path/file.py:function": a build(hp)
    budget: int = 200  # hidden units for the `mlp-budget` space
    tuner: str = "grid"  # "grid", "random", "hyperband" or "bayesian"
    max_trials: int | None = None  # the trial budget (grid: None runs the whole grid)
    epochs: int = 1  # training epochs per trial (hyperband: the most a trial gets)
    images: int | None = None  # the first `images` training images (None: all)
    val_images: int | None = None  # the first `val_images` validation images (None: all)
    batch_size: int = 32
    seed: int = 0  # seeds the oracle and each trial's weights
    mnist: str | None = None  # an MNIST file or folder (None: $COMPANION_MNIST, Keras', sample)
    sample: bool = False  # the small MNIST sample shipped with companion
    flat: bool = False  # 784-long rows instead of 28×28×1 images
    objective: str = "val_accuracy"  # the metric the search maximises
    max_grid: int = 200  # refuse grids with more points than this

    @property
    def label(self) -> str:
        """What is searched, in words: the space's name or the user's hypermodel."""
        return self.space or str(self.hypermodel)

    def updated(self, **changes: Any) -> SearchSettings:
        """A copy with the given settings changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def save_settings(settings: SearchSettings, project_dir: Path) -> None:
    """Write the settings into the project folder (atomically: workers may be reading)."""
    project_dir.mkdir(parents=True, exist_ok=True)
    write_json(project_dir / SETTINGS_FILE, asdict(settings))


def load_settings(project_dir: Path) -> SearchSettings | None:
    """The settings stored in a project folder, or None if it holds none."""
    path = project_dir / SETTINGS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        known = [f.name for f in fields(SearchSettings) if f.name in data]  # others ignored
        return SearchSettings(**{name: data[name] for name in known})
    except (json.JSONDecodeError, TypeError) as error:
        raise CompanionError(f"{path} is not a readable search settings file ({error})") from None


def check_same(stored: SearchSettings, new: SearchSettings, where: Path) -> None:
    """Raise if `new` differs from `stored` in a setting the finished trials depend on."""
    differ = [
        f"{key} {getattr(stored, key)!r} there, {getattr(new, key)!r} here"
        for key in RESULT_KEYS
        if getattr(stored, key) != getattr(new, key)
    ]
    if differ:
        raise CompanionError(
            f"the search in {where} was run with other settings ({'; '.join(differ)}): "
            "drop those flags to continue it, or start again with --fresh"
        )


@dataclass(frozen=True)
class Space:
    """A named space: "module:function" of its `build(hp)` (with `configured`, of a function
    (settings, train_images) -> the hypermodel) and the settings it searches with by default."""

    description: str
    hypermodel: str
    configured: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)  # SearchSettings fields


# 4E's hypermodel is written out in its chapter; companion never imports chapters
# statically, so the space names it by address, imported when used (same wheel).
CNN_4E = "chapters.ch4_cnn.p4e_search:build"
SPACES = {
    "cnn-4e": Space(
        "the set's 4E grid: learning rate × dropout on a small CNN (30 points)", CNN_4E
    ),
    "cnn": Space(
        "filters × dense width × dropout × learning rate on a CNN (72 points)",
        "companion.search.spaces:wider_cnn",
        defaults={"tuner": "random", "max_trials": 10},
    ),
    "mlp-budget": Space(
        "MLPs within --budget hidden units: depth 1-4, taper, dropout (chapter 3)",
        "companion.search.spaces:budget_mlp",
        configured=True,
        defaults={"tuner": "random", "max_trials": 10, "batch_size": 128, "flat": True},
    ),
}


def get_space(name: str) -> Space:
    """The named space, or a one-line error listing the names."""
    if name not in SPACES:
        raise CompanionError(
            f"unknown space {name!r}: choose one of {', '.join(SPACES)} "
            "or give your own with --hypermodel module:function"
        )
    return SPACES[name]


def split_address(spec: str) -> tuple[str, str]:
    """("module", "function") of "module:function", or a one-line error."""
    module_name, _, attribute = spec.rpartition(":")
    if not module_name or not attribute:
        raise CompanionError(
            f"--hypermodel must be MODULE:FUNCTION (e.g. mymodels:build), got {spec!r}"
        )
    return module_name, attribute


def _cannot_import(spec: str, why: str) -> CompanionError:
    return CompanionError(
        f"--hypermodel {spec}: cannot import {split_address(spec)[0]!r} ({why}); run from "
        "the folder that holds it or give a path/to/file.py:function"
    )


def _module_spec(spec: str):
    module_name = split_address(spec)[0]
    if module_name.endswith(".py"):
        path = Path(module_name)
        found = importlib.util.spec_from_file_location(path.stem, path) if path.is_file() else None
    else:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # as `python -m` would: the user's own folder
        try:
            found = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):  # a parent package that is missing or broken
            found = None
    if found is None:
        raise _cannot_import(spec, "no such module")
    return found


def load_function(spec: str) -> Callable:
    """Import `build` from "package.module:build" or "path/to/file.py:build"."""
    found, (module_name, attribute) = _module_spec(spec), split_address(spec)
    try:
        if module_name.endswith(".py"):
            module = importlib.util.module_from_spec(found)
            found.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any failure is the user's module
        raise _cannot_import(spec, f"{type(error).__name__}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise CompanionError(f"--hypermodel {spec}: {module_name!r} has no function {attribute!r}")
    return function


def check_names(settings: SearchSettings) -> None:
    """Check the space name, or that the user's hypermodel module exists (not importing it:
    it most likely imports Keras, loaded only once the workers load TensorFlow beside it)."""
    if settings.hypermodel:
        _module_spec(settings.hypermodel)
    else:
        get_space(str(settings.space))


def search_data(settings: SearchSettings):
    """(x, y, x_val, y_val, description): MNIST cut to size, labels one-hot (NumPy only, so
    a bad --mnist is reported before any process starts)."""
    data = load_mnist(settings.mnist, flatten=settings.flat, sample=settings.sample)
    n, n_val = settings.images, settings.val_images
    x, x_val = data.x_train[:n], data.x_val[:n_val]
    eye = np.eye(10, dtype="float32")
    used = f"; searched on the first {len(x):,} train and {len(x_val):,} validation images"
    return x, eye[data.y_train[:n]], x_val, eye[data.y_val[:n_val]], data.description + used
