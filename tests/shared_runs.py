"""Chapter runs made once per test session and read by several test files.

Under pytest-xdist each worker is its own process, so a session fixture would run once per
worker. A run here is made by the first worker that asks for it, under a file lock; the
others wait for the lock and read the same folder. Tests must treat the folder as read-only
(copy it first to change it).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder this test session's workers share (a worker's basetemp sits inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, main: Callable, argv: Sequence[str]
) -> tuple[Path, dict]:
    """`main([*argv, "--out", FOLDER])` run once per session; the folder and its summary."""
    root = session_folder(tmp_path_factory) / "shared_runs"
    root.mkdir(exist_ok=True)
    out, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or its process dies
        if not done.exists():
            assert main([*argv, "--out", str(out)]) == 0
            done.touch()
    return out, json.loads((out / "summary.json").read_text())
