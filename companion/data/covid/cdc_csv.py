"""The CDC CSV: a checked loader, a writer, and the line that marks a file synthetic.

Both `load_covid_csv` and `synthetic_covid` return the same frame: the twelve columns
under clean names, dates as datetime64 (NaT where blank) and every categorical as a
string, with blanks spelled "Missing" as the CDC spells them.

A CSV whose first lines start with `#` carries comments before the header; one that
mentions "synthetic" marks the file as invented (`write_covid_csv` writes such a line for
synthetic frames, so the shipped fixture carries it), and the loader then sets
`attrs["synthetic"]` so every report made from it says so.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pandas as pd

from companion.data.covid.schema import (
    BLANKS,
    CATEGORICAL_COLUMNS,
    COLUMNS,
    DATE_COLUMNS,
    DATE_FORMAT,
    LEVELS,
    SYNTHETIC_WORD,
    TARGET,
    YN_COLUMNS,
)
from companion.errors import DataError

log = logging.getLogger(__name__)


def load_covid_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV in the CDC case-surveillance layout and check it.

    Header names are stripped (the CDC's `cdc_case_earliest_dt ` has a trailing space)
    and matched without case; an unnamed first column becomes the index; extra columns
    are dropped. Blank categorical cells become "Missing"; dates may be written
    2020/11/10, 2020-11-10 or with a time.

    Args:
        path: the CSV (gzipped when it ends in .gz).

    Returns:
        A DataFrame with the twelve `COLUMNS`; `attrs["source"]` names the file and
        `attrs["synthetic"]` is True only when a leading `#` comment line says
        "synthetic" (then `attrs["marker"]` holds that line).

    Raises:
        DataError: the file is missing, unreadable or empty, lacks columns (named in the
            message), holds a `_yn` value the CDC does not use, has unreadable dates,
            or has no row whose death_yn is Yes or No.
    """
    path = Path(path)
    comments = _leading_comments(path)
    header, index_col = _read_header(path, len(comments))
    frame = _read_body(path, header, index_col, len(comments))
    if frame.empty:
        raise DataError(f"{path}: has a header but no data rows")
    for name in CATEGORICAL_COLUMNS:
        frame[name] = _clean_categorical(frame[name], name, path)
    for name in DATE_COLUMNS:
        frame[name] = _parse_dates(frame[name], name, path)
    frame = frame[list(COLUMNS)]
    known = frame[TARGET].isin(["Yes", "No"]).sum()
    if known == 0:
        counts = frame[TARGET].value_counts().to_dict()
        raise DataError(
            f"{path}: no row has death_yn Yes or No (found {counts}), so there is nothing "
            "to learn from; use a file with known outcomes"
        )
    marker = next((line for line in comments if SYNTHETIC_WORD in line.lower()), None)
    frame.attrs.update(source=str(path), synthetic=marker is not None)
    if marker is not None:
        frame.attrs["marker"] = marker
    log.info("read %d rows from %s (%d with death_yn Yes/No)", len(frame), path, known)
    return frame


def _leading_comments(path: Path) -> list[str]:
    """The lines before the header that start with `#`, without the `#` (none for CDC files)."""
    if not path.exists():
        raise DataError(f"no COVID-19 CSV at {path}: check the path")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass the CSV file inside it")
    opener = gzip.open if path.suffix == ".gz" else open
    comments = []
    try:
        with opener(path, "rt", encoding="utf-8-sig") as handle:
            for line in handle:
                if not line.startswith("#"):
                    break
                comments.append(line[1:].strip())
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text CSV (is it a binary file?)") from None
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from None
    return comments


def _read_header(path: Path, skip: int = 0) -> tuple[dict[str, str], bool]:
    """Map clean column names to the file's own, and say whether column 0 is an index."""
    try:
        raw = list(pd.read_csv(path, nrows=0, skiprows=skip, encoding="utf-8-sig").columns)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected the CDC CSV with a header row") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text CSV (is it a binary file?)") from None
    except (OSError, pd.errors.ParserError) as error:
        raise DataError(f"{path}: cannot be read as CSV ({error})") from None
    index_col = bool(raw) and (raw[0].strip() == "" or raw[0].startswith("Unnamed:"))
    header = {str(name).strip().lower(): str(name) for name in raw[int(index_col) :]}
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        found = ", ".join(list(header)[:14]) + (" ..." if len(header) > 14 else "")
        raise DataError(
            f"{path} lacks the column(s) {', '.join(missing)} (found: {found or 'none'}); "
            "expected the CDC 'COVID-19 Case Surveillance Public Use Data' layout"
        )
    return header, index_col


def _read_body(path: Path, header: dict[str, str], index_col: bool, skip: int = 0) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            skiprows=skip,
            index_col=0 if index_col else None,
            dtype=str,
            keep_default_na=False,
            na_values=list(BLANKS),
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text CSV (is it a binary file?)") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise DataError(f"{path}: cannot be read as CSV ({error})") from None
    frame = frame.rename(columns={header[name]: name for name in COLUMNS})
    frame.index.name = "source_row" if index_col else None
    return frame[list(COLUMNS)].copy()


def _clean_categorical(values: pd.Series, name: str, path: Path) -> pd.Series:
    text = values.fillna("Missing").astype(str).str.strip()
    text = text.where(~text.isin(BLANKS), "Missing")
    if name in YN_COLUMNS or name == "age_group":
        # Match the CDC's spellings whatever the case ("yes", "MISSING").
        canonical = {level.lower(): level for level in LEVELS[name]}
        canonical.update({"unknown": "Missing"} if name == "age_group" else {})
        fixed = text.str.lower().map(canonical)
        bad = sorted(text[fixed.isna()].unique())
        if bad:
            raise DataError(
                f"{path}: column {name} holds {', '.join(map(repr, bad[:5]))}; "
                f"the CDC uses only {', '.join(LEVELS[name])}"
            )
        text = fixed
    return text.astype(str)


def _parse_dates(values: pd.Series, name: str, path: Path) -> pd.Series:
    present = values.notna()
    parsed = pd.to_datetime(values, format=DATE_FORMAT, errors="coerce")
    if (parsed.isna() & present).any():
        parsed = pd.to_datetime(values, format="mixed", errors="coerce")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(None)
    bad = parsed.isna() & present
    if bad.mean() > 0.01:
        example = values[bad].iloc[0]
        raise DataError(
            f"{path}: {bad.sum()} of {present.sum()} dates in {name} cannot be read "
            f"(e.g. {example!r}); dates must look like 2020/11/10"
        )
    if bad.any():
        log.warning("%s: %d unreadable dates in %s treated as blank", path, bad.sum(), name)
    return parsed.astype("datetime64[ns]")


def write_covid_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame of `COLUMNS` in the CDC layout (unnamed index, `cdc_case_earliest_dt `).

    A synthetic frame (`attrs["synthetic"]`) gets a first line `# SYNTHETIC ...` that
    `load_covid_csv` reads back, so the file can never pass for CDC data.
    """
    missing = [name for name in COLUMNS if name not in frame]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(missing)}")
    out = frame[list(COLUMNS)].copy()
    for name in DATE_COLUMNS:
        out[name] = out[name].dt.strftime(DATE_FORMAT)
    out = out.rename(columns={"cdc_case_earliest_dt": "cdc_case_earliest_dt "})
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as handle:
        if frame.attrs.get("synthetic"):
            handle.write(f"# {synthetic_marker(frame)}\n")
        out.to_csv(handle, index=True, index_label="")
    return path


def synthetic_marker(frame: pd.DataFrame) -> str:
    """The comment line that marks a CSV as synthetic (`load_covid_csv` looks for it)."""
    source = frame.attrs.get("source", "synthetic_covid")
    return (
        f"SYNTHETIC data: invented COVID-19 cases in the CDC layout (made by {source} in "
        "companion.data.covid); not CDC data"
    )


def covid_description(frame: pd.DataFrame) -> str:
    """One line naming the data, for reports; synthetic data says so first."""
    known = int(frame[TARGET].isin(["Yes", "No"]).sum())
    deaths = int((frame[TARGET] == "Yes").sum())
    rate = deaths / known if known else float("nan")
    counts = f"{len(frame):,} rows, {known:,} with death_yn Yes/No, {rate:.1%} of those deaths"
    if frame.attrs.get("synthetic"):
        return (
            f"SYNTHETIC COVID-19 cases in the CDC layout ({frame.attrs.get('source')}; "
            f"invented rates, not the CDC file): {counts}"
        )
    return f"CDC COVID-19 case surveillance CSV ({frame.attrs.get('source', 'a frame')}): {counts}"


def sample_cases(frame: pd.DataFrame, n: int, *, seed: int) -> pd.DataFrame:
    """A random `n` of the rows (all of them if fewer), keeping `attrs` (source, synthetic)."""
    if len(frame) <= n:
        return frame
    sample = frame.sample(int(n), random_state=seed)
    sample.attrs.update(frame.attrs)  # the synthetic marker must survive the sampling
    return sample
