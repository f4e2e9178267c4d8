"""Library versions and devices, read in one place (for config.json and problem 2A)."""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import platform
import sys
import tempfile
from importlib import metadata

PACKAGES = (
    "keras",
    "tensorflow",
    "keras-tuner",
    "numpy",
    "pandas",
    "matplotlib",
)


def _version(package: str) -> str | None:
    for name in (package, f"{package}-cpu"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def library_versions() -> dict[str, str | None]:
    """Python and library versions, without importing the libraries (fast)."""
    versions = {"python": platform.python_version()}
    versions.update({name: _version(name) for name in PACKAGES})
    return versions


def backend_report() -> dict[str, object]:
    """The Keras backend in use and the devices it sees (imports the backend)."""
    import keras  # the runner imports this module and stays Keras-free

    report: dict[str, object] = {"keras_backend": keras.backend.backend()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # this backend only; Keras has loaded it already

        report["devices"] = [d.name for d in tf.config.list_physical_devices()]
    return report


# Lines TensorFlow's C++ side writes to the process's stderr while it loads, before any
# Python logging setting can reach it (TF_CPP_MIN_LOG_LEVEL does not silence them).
STARTUP_NOISE = (
    "All log messages before absl::InitializeLog()",
    "oneDNN custom operations are on",
    "cpu_feature_guard",
    "This TensorFlow binary is optimized",
    "To enable the following instructions",
    "rebuild TensorFlow with the appropriate compiler flags",
    "Unable to register cu",
    "computation placer already registered",
    "TF-TRT Warning",
    "Could not find cuda drivers",
    "cuda drivers on your machine, GPU will not be used",
)


def quiet_tensorflow_startup() -> None:
    """Hold back TensorFlow's start-up lines whenever it is first imported (from now on).

    TensorFlow is not imported here: a finder waits on `sys.meta_path` for its first import
    and runs that import with the process's stderr held; anything else printed is kept.
    """
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.meta_path.insert(0, _QuietFinder())


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` like the normal finders, but loads it with stderr held back."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # one import only; later imports find it in sys.modules
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        with _held_stderr():
            self.loader.exec_module(module)


@contextlib.contextmanager
def _held_stderr():
    """Send the process's stderr (C++ writes too) to a file; replay all but the noise."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a notebook's stream: nothing to hide
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace")
            kept = [line for line in text.splitlines() if line and not _noise(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def _noise(line: str) -> bool:
    return any(marker in line for marker in STARTUP_NOISE)
