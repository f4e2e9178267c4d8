"""Hyperparameter searches with keras-tuner, in one process or as its distributed mode.

`python -m companion.search` (see docs/search.md) and `run_search(settings, project_dir,
workers=N)` run a named space or your own `build(hp)`: alone, or as a chief serving the
oracle over gRPC to workers on this machine or others.
"""

from __future__ import annotations

from companion.run.lazy import lazy_exports, public_names

_MODULES = {
    "settings": ["SPACES", "SearchSettings"],
    "spaces": ["learning_rate_dropout_cnn"],
    "run": ["SearchRun", "run_search", "write_report"],
    "progress": ["Progress"],
}
# Loaded on first use: `python -m companion.search --help` loads no Keras.
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
__all__ = public_names(_MODULES)
