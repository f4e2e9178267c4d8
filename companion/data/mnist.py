"""MNIST: found in a fixed order, checked, split into train / validation / test.

The order: an explicit path (a Keras-layout .npz or a folder of the four IDX files,
gzipped or not), then $COMPANION_MNIST, then Keras' own cache or download, and last the
small real sample shipped in this package (said loudly: a warning, and `source` names it).
"""

from __future__ import annotations

import gzip
import logging
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from companion.errors import DataError

log = logging.getLogger(__name__)

ENV_VAR = "COMPANION_MNIST"
SAMPLE_PATH = Path(__file__).with_name("mnist_sample.npz")
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass
class MnistData:
    """MNIST split three ways; images float32 in [0, 1], labels int64 in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    is_sample: bool = False

    @property
    def description(self) -> str:
        """One line naming the data used, for reports."""
        kind = "the small MNIST sample shipped with companion" if self.is_sample else "MNIST"
        return (
            f"{kind} ({self.source}): {len(self.x_train):,} train, "
            f"{len(self.x_val):,} validation, {len(self.x_test):,} test images"
        )

    def subset(
        self, train: int | None = None, val: int | None = None, test: int | None = None
    ) -> MnistData:
        """The same data with each named split cut to its first `n` images (None: all)."""
        cut = {}
        for split, n in (("train", train), ("val", val), ("test", test)):
            if n is None:
                continue
            if int(n) < 1:
                raise ValueError(f"subset sizes must be at least 1, got {split}={n}")
            cut[f"x_{split}"] = getattr(self, f"x_{split}")[: int(n)]
            cut[f"y_{split}"] = getattr(self, f"y_{split}")[: int(n)]
        return replace(self, **cut)

    def flat(self) -> MnistData:
        """The same data with each image as a 784-long row (views, no copies)."""
        rows = {
            f"x_{s}": getattr(self, f"x_{s}").reshape(len(getattr(self, f"x_{s}")), -1)
            for s in ("train", "val", "test")
        }
        return replace(self, **rows)


class SampleFallbackWarning(UserWarning):
    """MNIST was not found, so the small shipped sample is used instead."""


def load_mnist(
    path: str | Path | None = None,
    *,
    val_size: int | None = None,
    flatten: bool = False,
    sample: bool = False,
    download: bool = True,
) -> MnistData:
    """Load MNIST, hold out a validation split, scale to [0, 1].

    Args:
        path: a Keras-layout .npz or a folder of the four IDX files (gzipped or not).
        val_size: validation images, taken from the end of the training set
            (default: 10,000 for full MNIST, a sixth of a smaller training set).
        flatten: return (n, 784) rows instead of (n, 28, 28, 1) images.
        sample: use the shipped sample directly (fast, offline; for tests and --quick).
        download: let Keras download MNIST if nothing else is found.

    Returns:
        An `MnistData`; its `source` says which data was used.
    """
    arrays, source, is_sample = _find(path, sample=sample, download=download)
    return _split(arrays, source, is_sample, val_size=val_size, flatten=flatten)


def _find(path, *, sample: bool, download: bool):
    if path is not None:
        return read_mnist(path), str(path), False
    if sample:  # asked for explicitly (tests, --quick): never a slow full-size load
        return read_mnist(SAMPLE_PATH), "shipped sample", True
    if os.environ.get(ENV_VAR):
        env_path = os.environ[ENV_VAR]
        return read_mnist(env_path), f"{env_path} (from ${ENV_VAR})", False
    arrays = _from_keras(download)
    if arrays is not None:
        return arrays, "keras.datasets.mnist", False
    warnings.warn(
        "MNIST was not found (no path, no $COMPANION_MNIST, no Keras download): using "
        "the small sample shipped with companion; accuracies will be lower than on "
        "full MNIST. Pass --mnist PATH or set COMPANION_MNIST to use the real set.",
        SampleFallbackWarning,
        stacklevel=3,
    )
    return read_mnist(SAMPLE_PATH), "shipped sample", True


def _from_keras(download: bool):
    cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    if not download and not cached.exists():
        return None
    try:
        import keras  # the runner imports this module and stays Keras-free; a fallback only

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # noqa: BLE001 - any failure means "not available here"
        log.info("Keras could not load MNIST: %s", error)
        return None
    return _checked(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test},
        "keras.datasets.mnist",
    )


def read_mnist(path: str | Path) -> dict[str, np.ndarray]:
    """Read and check the four MNIST arrays from a .npz file or a folder of IDX files."""
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"MNIST file not found: {path}; pass the path of a Keras-layout "
            ".npz or of a folder holding the four IDX files"
        )
    if path.is_dir():
        return _checked(
            {key: _read_idx(_idx_path(path, stem)) for key, stem in IDX_FILES.items()}, str(path)
        )
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            # A .npy holds one array; np.load returns it bare (no keys, no context manager).
            raise DataError(
                f"{path}: a single array, not a .npz archive; MNIST needs a Keras-layout "
                f".npz holding {', '.join(KEYS)}"
            )
        with loaded as archive:
            missing = [k for k in KEYS if k not in archive.files]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {', '.join(missing)}; a Keras-layout "
                    f"MNIST .npz holds {', '.join(KEYS)} (found: "
                    f"{', '.join(archive.files) or 'none'})"
                )
            arrays = {k: archive[k] for k in KEYS}
    except DataError:
        raise
    except (OSError, ValueError, zlib.error, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from None
    return _checked(arrays, str(path))


def _idx_path(folder: Path, stem: str) -> Path:
    for candidate in (
        folder / stem,
        folder / f"{stem}.gz",
        folder / stem.replace("-idx", ".idx"),
        folder / f"{stem.replace('-idx', '.idx')}.gz",
    ):
        if candidate.exists():
            return candidate
    raise DataError(
        f"{folder}: no {stem} (or {stem}.gz); an MNIST folder needs the four "
        f"IDX files {', '.join(IDX_FILES.values())}"
    )


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: cannot read ({error}); the file may be truncated") from None
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise DataError(f"{path}: its header is cut short ({len(raw)} bytes); truncated?")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims))
    if len(raw) - start != expected:
        raise DataError(
            f"{path}: holds {len(raw) - start} data bytes but its header "
            f"promises {expected} ({'×'.join(map(str, dims))}); truncated?"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)


def _checked(arrays: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{where}: x_{split} has shape {x.shape}; expected (n, 28, 28)")
        if y.shape != (x.shape[0],):
            raise DataError(
                f"{where}: y_{split} has shape {y.shape}; expected "
                f"({x.shape[0]},), one label per image"
            )
        if x.dtype != np.uint8:
            raise DataError(f"{where}: x_{split} has dtype {x.dtype}; expected uint8 pixels 0-255")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{where}: y_{split} has dtype {y.dtype}; expected integer labels 0-9")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(
                f"{where}: y_{split} holds labels from {y.min()} to {y.max()}; expected 0-9"
            )
    return arrays


def _split(arrays, source, is_sample, *, val_size, flatten) -> MnistData:
    n_train = len(arrays["x_train"])
    val = n_train // 6 if val_size is None else int(val_size)
    if not 0 < val < n_train:
        raise ValueError(f"val_size must be between 1 and {n_train - 1}, got {val}")

    def prep(x):
        x = x.astype("float32") / 255.0
        return x.reshape(len(x), -1) if flatten else x[..., None]

    x_all, y_all = prep(arrays["x_train"]), arrays["y_train"].astype("int64")
    return MnistData(
        x_train=x_all[:-val],
        y_train=y_all[:-val],
        x_val=x_all[-val:],
        y_val=y_all[-val:],
        x_test=prep(arrays["x_test"]),
        y_test=arrays["y_test"].astype("int64"),
        source=source,
        is_sample=is_sample,
    )
