"""TensorFlow Playground's 2-D data sets, generated as its `src/dataset.ts` does.

Six generators: `circle`, `xor`, `gauss`, `spiral` (classification, labels ±1) and
`reg-plane`, `reg-gauss` (regression, targets in about [-1, 1]). The quirks are kept:
noise flips labels for circle and xor (the stored point is the unmoved one) but moves the
points of gauss and spiral. The data are shuffled once and the first `train_fraction`
becomes training data, as the Playground splits them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("reg-plane", "reg-gauss")
DATASETS = CLASSIFICATION + REGRESSION
MAX_NOISE = 0.5  # the Playground's slider stops at 50 (divided by 100)

# Feature name -> function of (x1, x2); the Playground's ids are accepted as aliases.
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_squared": lambda a, b: a * a,
    "x2_squared": lambda a, b: b * b,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}
FEATURE_ALIASES = {
    "x": "x1",
    "y": "x2",
    "xSquared": "x1_squared",
    "ySquared": "x2_squared",
    "xTimesY": "x1_x2",
    "sinX": "sin_x1",
    "sinY": "sin_x2",
}


@dataclass
class PlaygroundData:
    """A Playground data set: points (n, 2) float32, labels (n,) float32, split once."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    noise: float
    seed: int

    @property
    def x(self) -> np.ndarray:
        """All points, training ones first."""
        return np.concatenate([self.x_train, self.x_test])

    @property
    def y(self) -> np.ndarray:
        """All labels, training ones first."""
        return np.concatenate([self.y_train, self.y_test])

    @property
    def description(self) -> str:
        """One line naming the data, for reports."""
        return (
            f"Playground '{self.name}' (noise {self.noise:g}, seed {self.seed}): "
            f"{len(self.x_train)} training and {len(self.x_test)} test points"
        )


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    half = n // 2
    inner = rng.uniform(0, radius * 0.5, half)
    outer = rng.uniform(radius * 0.7, radius, n - half)
    r = np.concatenate([inner, outer])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    moved = x + rng.uniform(-radius, radius, (n, 2)) * noise
    # Label the moved point, store the unmoved one: noise flips labels near the gap.
    y = np.where(np.hypot(moved[:, 0], moved[:, 1]) < radius * 0.5, 1.0, -1.0)
    return x, y


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)  # a margin of 0.3 along both axes
    moved = x + rng.uniform(-5, 5, (n, 2)) * noise
    y = np.where(moved[:, 0] * moved[:, 1] >= 0, 1.0, -1.0)
    return x, y


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + 7.0 * noise  # the Playground maps noise [0, 0.5] onto [0.5, 4]
    half = n // 2
    positive = rng.normal(2.0, np.sqrt(variance), (half, 2))
    negative = rng.normal(-2.0, np.sqrt(variance), (n - half, 2))
    y = np.concatenate([np.ones(half), -np.ones(n - half)])
    return np.concatenate([positive, negative]), y


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    parts, labels = [], []
    for delta, label, count in ((0.0, 1.0, n // 2), (np.pi, -1.0, n - n // 2)):
        i = np.arange(count)
        per_class = n / 2
        r = 5.0 * i / per_class
        t = 1.75 * 2 * np.pi * i / per_class + delta
        point = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        parts.append(point + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels)


def _reg_plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-6, 6, (n, 2))
    moved = x + rng.uniform(-6, 6, (n, 2)) * noise
    return x, (moved[:, 0] + moved[:, 1]) / 10.0  # [-10, 10] -> [-1, 1], unclamped


REG_GAUSS_BUMPS = (
    (-4, 2.5, 1),
    (0, 2.5, -1),
    (4, 2.5, 1),
    (-4, -2.5, -1),
    (0, -2.5, 1),
    (4, -2.5, -1),
)


def _reg_gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-6, 6, (n, 2))
    moved = x + rng.uniform(-6, 6, (n, 2)) * noise
    y = np.zeros(n)
    for cx, cy, sign in REG_GAUSS_BUMPS:
        distance = np.hypot(moved[:, 0] - cx, moved[:, 1] - cy)
        bump = sign * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
        y = np.where(np.abs(bump) > np.abs(y), bump, y)  # the bump largest in size wins
    return x, y


_GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "reg-plane": _reg_plane,
    "reg-gauss": _reg_gauss,
}


def _check(name: str, n: int, noise: float, train_fraction: float, labels: str) -> None:
    if name not in _GENERATORS:
        raise ValueError(
            f"unknown Playground data set {name!r}; choose one of {', '.join(DATASETS)}"
        )
    if not 0.0 <= float(noise) <= MAX_NOISE:
        raise ValueError(
            f"noise must be in [0, {MAX_NOISE}] (the Playground's 0-50 %), got {noise}"
        )
    if int(n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if not 0.0 < float(train_fraction) <= 1.0:
        raise ValueError(f"train_fraction must be in (0, 1], got {train_fraction}")
    if labels not in ("pm1", "01"):
        raise ValueError(f"labels must be 'pm1' (-1/+1) or '01', got {labels!r}")
    if labels == "01" and name in REGRESSION:
        raise ValueError(f"labels='01' is for classification; {name!r} is a regression set")


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the given one, or one drawn from NumPy's global state (set_seed)."""
    return int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)


def playground_dataset(
    name: str,
    n: int = 500,
    noise: float = 0.0,
    seed: int | None = None,
    train_fraction: float = 0.5,
    *,
    labels: str = "pm1",
) -> PlaygroundData:
    """A Playground data set, shuffled once and split with the first fraction for training.

    Args:
        name: circle, xor, gauss, spiral, reg-plane or reg-gauss.
        n: number of points (the Playground uses 500 for classification, 1200 for regression).
        noise: the Playground's noise level in [0, 0.5] (its slider's percent / 100).
        seed: seeds generation and shuffle; None draws one from NumPy's global state,
            so `set_seed` makes it reproducible.
        train_fraction: the share of the shuffled points used for training.
        labels: "pm1" for -1/+1 (the Playground's) or "01" for 0/1.

    Returns:
        A PlaygroundData with float32 arrays and the seed used.
    """
    _check(name, n, noise, train_fraction, labels)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](rng, int(n), float(noise))
    order = rng.permutation(len(x))
    x, y = x[order].astype("float32"), y[order].astype("float32")
    if labels == "01":
        y = (y > 0).astype("float32")
    split = int(np.floor(len(x) * float(train_fraction)))
    return PlaygroundData(x[:split], y[:split], x[split:], y[split:], name, float(noise), seed)


def ordered_dataset(
    name: str = "gauss",
    n: int = 1000,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    order: str = "negatives_first",
    labels: str = "pm1",
) -> tuple[np.ndarray, np.ndarray]:
    """All n points of a classification set in a chosen order (problem 1C).

    Args:
        name: a classification data set (circle, xor, gauss, spiral).
        n, noise, seed: as for `playground_dataset`.
        order: "negatives_first" (every -1 before any +1), "positives_first", or
            "shuffled". Within a class the points are in random order.
        labels: "pm1" or "01" (then "negative" means 0).

    Returns:
        Points (n, 2) and labels (n,), float32.
    """
    if name not in CLASSIFICATION:
        raise ValueError(
            f"ordered_dataset needs classes; choose one of {', '.join(CLASSIFICATION)}"
        )
    if order not in ("negatives_first", "positives_first", "shuffled"):
        raise ValueError(
            f"order must be 'negatives_first', 'positives_first' or 'shuffled', got {order!r}"
        )
    data = playground_dataset(name, n, noise, seed, 1.0, labels=labels)
    x, y = data.x_train, data.y_train
    if order != "shuffled":
        positive = y > (0.5 if labels == "01" else 0.0)
        key = positive if order == "negatives_first" else ~positive
        index = np.argsort(key, kind="stable")  # stable: keeps the shuffle within a class
        x, y = x[index], y[index]
    return x, y


def canonical_features(features: Sequence[str]) -> tuple[str, ...]:
    """Feature names in this library's spelling (Playground ids like 'xSquared' accepted)."""
    names = tuple(FEATURE_ALIASES.get(f, f) for f in features)
    unknown = [f for f, c in zip(features, names) if c not in FEATURES]
    if unknown or not names:
        raise ValueError(
            f"unknown input feature {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose among {', '.join(FEATURES)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"each input feature may be chosen once, got {list(features)}")
    return names


def feature_columns(x, features: Sequence[str] = ("x1", "x2")) -> np.ndarray:
    """The Playground's input features of points (n, 2) as columns (n, len(features))."""
    x = np.asarray(x, dtype="float32")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {x.shape}")
    names = canonical_features(features)
    return np.stack([FEATURES[f](x[:, 0], x[:, 1]) for f in names], axis=1).astype("float32")
