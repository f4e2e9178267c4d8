"""The grader's usage errors, checked before Keras loads: an unknown problem, a missing file."""

from __future__ import annotations

from pathlib import Path

from companion import pset
from companion.errors import CompanionError


class ModelFileError(CompanionError):
    """A model file that is missing, unreadable, or holds code that safe mode refuses to run."""


class UnknownProblemError(CompanionError):
    """A problem the grader has no rules for."""


def problem_key(problem: str) -> str:
    """The problem as the grader names it ("4f " -> "4F"); an unknown one is refused."""
    key = str(problem).strip().upper()
    if key not in pset.GRADED_PROBLEMS:
        raise UnknownProblemError(
            f"no rules for problem {problem!r}; the grader knows {', '.join(pset.GRADED_PROBLEMS)}"
        )
    return key


def existing_file(path: str | Path) -> Path:
    """The path of a model file that exists; a missing one is refused with the fix."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(
            f"{path}: no such file; save your model with model.save('my_model.keras') "
            "and pass that path"
        )
    return path
