"""Files written whole or not at all: a crash leaves the old file or the new one, never half.

Every file of a run folder goes through here: written to a temporary file beside its
target, flushed to the disk, then renamed over it (a rename within a folder is atomic).
JSON is written from NumPy values, paths and dataclasses as plain types, NaN as null.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays, paths and dataclass-like values into plain JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; null says "no value"
    if isinstance(value, Path):
        return str(value)
    return value


def _temporary(path: Path) -> Path:
    # Hidden, per process, and ending as the target does: Keras and matplotlib choose the
    # format by the suffix (`model.save` accepts only `.keras`).
    return path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Run `write(tmp)` on a temporary file beside `path`, then rename it into place."""
    tmp = _temporary(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())  # the bytes reach the disk before the name does
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically: a crash leaves the old file or the new one."""
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, so a crash mid-write never leaves a broken file."""
    write_text(path, json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON file, or None if it does not exist."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
