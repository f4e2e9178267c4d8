"""What a search is: its settings, kept with the tuner project so every worker reads the same.

The chief writes `search.json` into the keras-tuner project folder; a worker that shares
the folder takes its settings from there, and a resumed search refuses settings that would
change what its finished trials mean.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from companion.errors import CompanionError

SETTINGS_FILE = "search.json"
# Settings a finished trial's score depends on: a resumed search or a worker must match them.
RESULT_KEYS = (
    "space",
    "hypermodel",
    "budget",
    "tuner",
    "epochs",
    "images",
    "val_images",
    "batch_size",
    "seed",
    "sample",
    "flat",
    "objective",
)


@dataclass(frozen=True)
class SearchSettings:
    """One search: the space, the tuner, the data and the training of each trial.

    Args:
        space: a named space (see `companion.search.spaces.SPACES`), or None with `hypermodel`.
        hypermodel: "module:function" (or "path/file.py:function") for a user's `build(hp)`.
        budget: hidden units for the `mlp-budget` space.
        tuner: "grid", "random", "hyperband" or "bayesian".
        max_trials: the trial budget (grid: None runs the whole grid).
        epochs: training epochs per trial (hyperband: the most a trial gets).
        images: the first `images` training images (None: all).
        val_images: the first `val_images` validation images (None: all).
        batch_size: examples per gradient step.
        seed: seeds the oracle and each trial's weights.
        mnist: an MNIST file or folder (None: $COMPANION_MNIST, Keras' copy, or the sample).
        sample: use the small MNIST sample shipped with companion.
        flat: give the model 784-long rows instead of 28×28×1 images.
        objective: the metric the search maximises.
        max_grid: refuse grids with more points than this.
    """

    space: str | None = "cnn-4e"
    hypermodel: str | None = None
    budget: int = 200
    tuner: str = "grid"
    max_trials: int | None = None
    epochs: int = 1
    images: int | None = None
    val_images: int | None = None
    batch_size: int = 32
    seed: int = 0
    mnist: str | None = None
    sample: bool = False
    flat: bool = False
    objective: str = "val_accuracy"
    max_grid: int = 200

    @property
    def label(self) -> str:
        """What is searched, in words: the space's name or the user's hypermodel."""
        return self.space or str(self.hypermodel)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def updated(self, **changes: Any) -> SearchSettings:
        """A copy with the given settings changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def save_settings(settings: SearchSettings, project_dir: Path) -> None:
    """Write the settings into the project folder (atomically: workers may be reading)."""
    project_dir.mkdir(parents=True, exist_ok=True)
    temporary = project_dir / f".{SETTINGS_FILE}.tmp"
    temporary.write_text(json.dumps(settings.to_json(), indent=2))
    temporary.replace(project_dir / SETTINGS_FILE)


def load_settings(project_dir: Path) -> SearchSettings | None:
    """The settings stored in a project folder, or None if it holds none."""
    path = project_dir / SETTINGS_FILE
    if not path.exists():
        return None
    try:
        return SearchSettings.from_json(json.loads(path.read_text()))
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
