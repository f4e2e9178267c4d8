"""Library versions and devices, read in one place (for config.json and problem 2A)."""

from __future__ import annotations

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
