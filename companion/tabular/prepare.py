"""Tabular preprocessing and scoring for a rare binary outcome (the COVID-19 case data).

Each step is a small function on a DataFrame or arrays; `prepare_covid` chains them and
records the rows and columns after each step, as problem 2B asks:

    drop unknown outcomes -> dates -> categoricals -> split -> rebalance train -> standardise

Everything learnt from data (the scaler's means and spreads, the undersampling) uses
the training split only, so validation and test scores are honest. The scores live in
`companion.tabular.scores` (re-exported here): they put accuracy next to the majority-class
baseline, because on a 97:3 problem "always No" is already 97 % accurate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from companion.data.covid import (
    AGE_LEVELS,
    CATEGORICAL_COLUMNS,
    DATE_COLUMNS,
    LEVELS,
    TARGET,
)
from companion.errors import CompanionError, DataError
from companion.pset import COVID_INPUTS, COVID_TEST_SHARE, COVID_UNDERSAMPLE_RATIO, COVID_VAL_SHARE
from companion.tabular.scores import balanced_accuracy, binary_scores, cross_entropy, roc_auc

__all__ = [  # the scores are re-exported: they were first defined here
    "TabularData",
    "balanced_accuracy",
    "binary_scores",
    "class_weights",
    "cross_entropy",
    "drop_unknown_target",
    "encode_categoricals",
    "encode_dates",
    "prepare_covid",
    "roc_auc",
    "split_frame",
    "standardise",
    "undersample",
]

log = logging.getLogger(__name__)

INPUT_CATEGORICALS = tuple(c for c in CATEGORICAL_COLUMNS if c != TARGET)
# One-hot spends a column per level, so by default it leaves out race (9 levels) to
# stay within the set's 7-12 inputs; age is ordered and is always coded as a number.
ONEHOT_DEFAULT = ("current_status", "sex", "age_group", "hosp_yn", "icu_yn", "medcond_yn")
ORDINAL = {"age_group": AGE_LEVELS[:-1]}  # "Missing" age becomes NaN, imputed later
DATE_ORIGIN = pd.Timestamp("2020-01-01")


@dataclass
class TabularData:
    """Model-ready arrays (float32 inputs, int64 labels 0/1) and how they were made."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    steps: pd.DataFrame
    mean: np.ndarray
    scale: np.ndarray
    class_weight: dict[int, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # the frame's attrs: file, synthetic?

    @property
    def input_dim(self) -> int:
        """Number of input columns."""
        return self.x_train.shape[1]

    def rows_after_steps(self) -> dict[str, int]:
        """Rows after each step, keyed by the step's name."""
        return dict(zip(self.steps["step"], self.steps["rows"].astype(int)))


# ----------------------------------------------------------------------------- steps


def drop_unknown_target(frame: pd.DataFrame, target: str = TARGET) -> pd.DataFrame:
    """Keep only rows whose target is Yes or No (drop Unknown and Missing)."""
    if target not in frame:
        raise DataError(f"no column {target!r}; the frame has {', '.join(frame.columns)}")
    kept = frame[frame[target].isin(["Yes", "No"])]
    if kept.empty:
        raise DataError(f"no row has {target} Yes or No; nothing to learn from")
    return kept


def encode_dates(frame: pd.DataFrame, *, how: str = "drop") -> pd.DataFrame:
    """Drop the date columns, or turn each into days since 1 Jan 2020 (NaN where blank)."""
    if how not in ("drop", "numeric"):
        raise ValueError(f"dates must be 'drop' or 'numeric', got {how!r}")
    present = [c for c in DATE_COLUMNS if c in frame]
    if how == "drop":
        return frame.drop(columns=present)
    out = frame.copy()
    for name in present:
        out[name] = (out[name] - DATE_ORIGIN).dt.days.astype("float64")
    return out


def encode_categoricals(
    frame: pd.DataFrame,
    *,
    how: str = "factorize",
    columns: Sequence[str] = INPUT_CATEGORICALS,
    target: str = TARGET,
) -> pd.DataFrame:
    """Turn the chosen categoricals into numbers and the target into 0/1; drop the others.

    Args:
        frame: rows with the categorical columns (and any numeric ones, which are kept).
        how: "factorize": one integer code per column, in the fixed level order of
            `companion.data.covid.LEVELS` (pandas' order of appearance would change
            from file to file); "onehot": one 0/1 column per level, with Unknown and
            Missing merged and the first level left out as the reference.
        columns: the categoricals to use as inputs; the other categoricals are dropped.
        target: the outcome column, coded Yes -> 1, No -> 0.

    Returns:
        A numeric frame: the inputs, then the target.

    Ordered columns (`ORDINAL`: age group) are coded by their order either way, with
    their "Missing" as NaN, which standardisation fills with the training mean.
    """
    if how not in ("factorize", "onehot"):
        raise ValueError(f"encoding must be 'factorize' or 'onehot', got {how!r}")
    unknown = [c for c in columns if c not in frame or c == target]
    if unknown:
        raise ValueError(
            f"cannot use {', '.join(unknown)} as input(s); choose among "
            f"{', '.join(INPUT_CATEGORICALS)}"
        )
    numeric = [c for c in frame.columns if c not in CATEGORICAL_COLUMNS and c != target]
    odd = [c for c in numeric if not pd.api.types.is_numeric_dtype(frame[c])]
    if odd:
        raise ValueError(f"column(s) {', '.join(odd)} are not numbers; run encode_dates first")
    parts = [frame[numeric].astype("float64")]
    for name in columns:
        if name in ORDINAL:
            parts.append(_ordinal(frame[name], ORDINAL[name]).to_frame(name))
        elif how == "factorize":
            parts.append(_factorize(frame[name]).to_frame(name))
        else:
            parts.append(_one_hot(frame[name]))
    parts.append((frame[target] == "Yes").astype("int64").to_frame(target))
    return pd.concat(parts, axis=1)


def _levels(values: pd.Series) -> list[str]:
    """The column's known levels in order, then any others it holds, sorted."""
    known = list(LEVELS.get(values.name, ()))
    return known + sorted(set(values.unique()) - set(known))


def _factorize(values: pd.Series) -> pd.Series:
    codes = pd.Categorical(values, categories=_levels(values)).codes
    return pd.Series(codes.astype("float64"), index=values.index, name=values.name)


def _ordinal(values: pd.Series, order: Sequence[str]) -> pd.Series:
    codes = pd.Categorical(values, categories=list(order)).codes.astype("float64")
    codes[codes < 0] = np.nan
    return pd.Series(codes, index=values.index, name=values.name)


def _one_hot(values: pd.Series) -> pd.DataFrame:
    merged = values.replace({"Missing": "Unknown"})
    levels = [v for v in _levels(values) if v != "Missing" and v in set(merged.unique())]
    dummies = pd.get_dummies(pd.Categorical(merged, categories=levels), dtype="float64")
    dummies.index = values.index
    dummies.columns = [f"{values.name}={level}" for level in levels]
    return dummies.iloc[:, 1:]  # the first level is the reference: all zeros


def split_frame(
    frame: pd.DataFrame,
    *,
    val_size: float = COVID_VAL_SHARE,
    test_size: float = COVID_TEST_SHARE,
    target: str = TARGET,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Shuffle and split into train, validation and test, stratified by the target."""
    for name, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0.0 < size < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {size}")
    if val_size + test_size >= 1.0:
        raise ValueError(f"val_size + test_size must be below 1, got {val_size + test_size}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(frame[target]):
        rows = rng.permutation(np.flatnonzero(frame[target].to_numpy() == label))
        n_test = int(round(len(rows) * test_size))
        n_val = int(round(len(rows) * val_size))
        for i, chunk in enumerate(np.split(rows, [len(rows) - n_val - n_test, len(rows) - n_test])):
            parts[i].append(chunk)
    return tuple(frame.iloc[rng.permutation(np.concatenate(p))] for p in parts)


def undersample(
    frame: pd.DataFrame,
    *,
    ratio: float = COVID_UNDERSAMPLE_RATIO,
    target: str = TARGET,
    seed: int = 0,
) -> pd.DataFrame:
    """Keep every minority row and `ratio` majority rows per minority row (at most all)."""
    if ratio <= 0:
        raise ValueError(f"ratio must be positive (majority rows per minority row), got {ratio}")
    labels = frame[target].to_numpy()
    counts = np.bincount(labels, minlength=2)
    if counts.min() == 0:
        raise DataError(f"the training split holds only class {counts.argmax()}; need both")
    minority = int(counts.argmin())
    rng = np.random.default_rng(seed)
    keep_major = min(counts[1 - minority], int(round(ratio * counts[minority])))
    major = rng.choice(np.flatnonzero(labels != minority), keep_major, replace=False)
    rows = rng.permutation(np.concatenate([np.flatnonzero(labels == minority), major]))
    return frame.iloc[rows]


def class_weights(labels) -> dict[int, float]:
    """Weights n / (2 n_c) per class, so both classes weigh the same in the loss."""
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=2)
    if counts.min() == 0:
        raise DataError(f"only class {counts.argmax()} present; class weights need both")
    return {c: float(len(labels) / (len(counts) * counts[c])) for c in range(len(counts))}


def standardise(
    train: np.ndarray, *others: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Scale each column to mean 0, spread 1 with the training rows' statistics only.

    NaN (a missing value) becomes 0 after scaling, that is the training mean. A constant
    column keeps scale 1, so it becomes all zeros instead of NaN.

    Returns:
        ([train, *others] scaled, as float32), the means and the scales.
    """
    train = np.asarray(train, dtype="float64")
    mean = np.nanmean(train, axis=0)
    scale = np.nanstd(train, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
    scaled = [
        np.nan_to_num((np.asarray(x, dtype="float64") - mean) / scale).astype("float32")
        for x in (train, *others)
    ]
    return scaled, mean, scale


# ----------------------------------------------------------------------------- pipeline


def prepare_covid(
    frame: pd.DataFrame,
    *,
    dates: str = "drop",
    encoding: str = "factorize",
    features: Sequence[str] | None = None,
    balance: str = "undersample",
    ratio: float = COVID_UNDERSAMPLE_RATIO,
    val_size: float = COVID_VAL_SHARE,
    test_size: float = COVID_TEST_SHARE,
    seed: int = 0,
    inputs: tuple[int, int] = COVID_INPUTS,
) -> TabularData:
    """Problem 2B's preprocessing, with a table of rows and columns after each step.

    Args:
        frame: cases as `load_covid_csv` or `synthetic_covid` return them.
        dates: "drop" the four date columns or make them "numeric" (days since 2020).
        encoding: "factorize" or "onehot" the categoricals (see `encode_categoricals`).
        features: the categorical inputs (default: all seven for factorize,
            `ONEHOT_DEFAULT` for one-hot).
        balance: "undersample" the training majority to `ratio` : 1, use class
            "weights", or "none". Validation and test keep the real class mix.
        ratio: majority rows kept per minority row when undersampling (the staff used 5).
        val_size, test_size: fractions of the kept rows.
        seed: seeds the split and the undersampling.
        inputs: the allowed (min, max) number of inputs; the set asks for 7 to 12.

    Returns:
        A `TabularData`.
    """
    if balance not in ("undersample", "weights", "none"):
        raise ValueError(f"balance must be 'undersample', 'weights' or 'none', got {balance!r}")
    if features is None:
        features = INPUT_CATEGORICALS if encoding == "factorize" else ONEHOT_DEFAULT
    steps: list[dict[str, Any]] = []
    source = frame.attrs  # kept before any step can drop it

    def record(step: str, table: pd.DataFrame, note: str = "") -> None:
        steps.append({"step": step, "rows": len(table), "columns": table.shape[1], "note": note})

    record("loaded", frame, "as read")
    frame = drop_unknown_target(frame)
    record("death_yn Yes/No", frame, "rows with death_yn Unknown or Missing dropped")
    frame = encode_dates(frame, how=dates)
    record(f"dates {dates}", frame, "dropped" if dates == "drop" else "days since 2020-01-01")
    table = encode_categoricals(frame, how=encoding, columns=features)
    names = [c for c in table.columns if c != TARGET]
    _check_inputs(names, inputs)
    record(f"categoricals {encoding}", table, f"{len(names)} inputs + {TARGET} as 0/1")
    train, val, test = split_frame(table, val_size=val_size, test_size=test_size, seed=seed)
    for step, part in (("split: train", train), ("split: validation", val), ("split: test", test)):
        record(step, part, f"{part[TARGET].mean():.2%} deaths")
    weights = None
    if balance == "undersample":
        train = undersample(train, ratio=ratio, seed=seed)
        record(f"undersample train 1:{ratio:g}", train, f"{train[TARGET].mean():.2%} deaths")
    elif balance == "weights":
        weights = class_weights(train[TARGET])
        record("class weights", train, f"weights {weights[0]:.3g} (No), {weights[1]:.3g} (Yes)")
    (x_train, x_val, x_test), mean, scale = standardise(
        train[names].to_numpy(), val[names].to_numpy(), test[names].to_numpy()
    )
    record("standardise", train, "training means and spreads; missing -> training mean")
    return TabularData(
        x_train,
        train[TARGET].to_numpy(),
        x_val,
        val[TARGET].to_numpy(),
        x_test,
        test[TARGET].to_numpy(),
        feature_names=names,
        steps=pd.DataFrame(steps),
        mean=mean,
        scale=scale,
        class_weight=weights,
        settings={
            "dates": dates,
            "encoding": encoding,
            "features": list(features),
            "balance": balance,
            "ratio": ratio if balance == "undersample" else None,
            "val_size": val_size,
            "test_size": test_size,
            "seed": seed,
        },
        source=dict(source),
    )


def _check_inputs(names: Sequence[str], inputs: tuple[int, int]) -> None:
    low, high = inputs
    if not low <= len(names) <= high:
        raise CompanionError(
            f"{len(names)} inputs ({', '.join(names)}), but the problem asks for {low} to "
            f"{high}: choose fewer features, drop the dates (--dates drop) or factorize "
            "(--encoding factorize)"
        )
