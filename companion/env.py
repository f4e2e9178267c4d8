"""Library versions and devices, read in one place (for config.json and problem 2A)."""

from __future__ import annotations

import os
import platform
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
    import keras

    report: dict[str, object] = {"keras_backend": keras.backend.backend()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

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


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its start-up lines held back; anything else it prints is kept."""
    import sys

    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a notebook's stream: nothing to hide
        fd = None
    if fd is None:
        import tensorflow  # noqa: F401

        return
    import tempfile

    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), fd)
        try:
            import tensorflow  # noqa: F401
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
