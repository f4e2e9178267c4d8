"""Hyperparameter searches with keras-tuner, by one process or by many workers.

`python -m companion.search` runs a named space (`cnn-4e`, `cnn`, `mlp-budget`) or your
own `build(hp)`, alone or as keras-tuner's distributed mode: a chief serving the oracle
over gRPC and workers asking it for trials, on this machine or several. What it adds to
keras-tuner's distributed mode, each for something measured or reported to go wrong:
- a worker killed mid-trial left the chief waiting forever: local workers are restarted
  under their old id, which hands them back their unfinished trial;
- the chief lingered after the search (it polled every 20 s), could share its port with
  a second chief, and saved a finished trial as still running (rerun on resume): it
  stops within 0.2 s, binds its port alone and saves again after each trial;
- workers waited an hour for a chief that was gone: they give up after `--wait` seconds;
- per-trial bookkeeping in one shared file lost entries with several writers: each
  trial's seconds and worker travel in its own metrics.

`run_search(settings, project_dir, workers=N)` is the same from Python.
"""

from __future__ import annotations

from companion.run.lazy import lazy_exports

_MODULES = {
    "settings": ["SPACES", "SearchSettings"],
    "spaces": ["learning_rate_dropout_cnn"],
    "run": ["SearchRun", "run_search", "write_report"],
    "progress": ["Progress"],
}
# Loaded on first use: `python -m companion.search --help` loads no Keras.
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
__all__ = sorted(name for names in _MODULES.values() for name in names)
