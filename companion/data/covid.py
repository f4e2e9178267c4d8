"""COVID-19 case data in the CDC's layout: a checked CSV loader and a synthetic stand-in.

The problem set uses a subset of the CDC's "COVID-19 Case Surveillance Public Use Data"
(data.cdc.gov, vbim-akqf). Its CSV has an unnamed index column and twelve columns:

    cdc_case_earliest_dt ,cdc_report_dt,pos_spec_dt,onset_dt,current_status,sex,age_group,
    race_ethnicity_combined,hosp_yn,icu_yn,death_yn,medcond_yn

(the first header carries a trailing space). Dates are written 2020/11/10; the `_yn`
columns hold Yes, No, Unknown or Missing. Both functions here return the same frame:
the twelve columns under clean names, dates as datetime64 (NaT where blank) and every
categorical as a string, with blanks spelled "Missing" as the CDC spells them.

A CSV whose first lines start with `#` carries comments before the header; one that
mentions "synthetic" marks the file as invented (`write_covid_csv` writes such a line for
synthetic frames, so the shipped fixture carries it), and the loader then sets
`attrs["synthetic"]` so every report made from it says so.

`synthetic_covid` makes data of that schema when the CDC file is not at hand. It is
invented, not sampled: its rates are round figures in the range of the CDC's 2020
surveillance counts, chosen so that the lessons of the problem set (a rare outcome,
age as the strongest signal, mostly-missing ICU and medical-condition fields) hold.

Death rate by age group (exact in expectation among rows with death_yn Yes or No;
`DEATH_RATE_BY_AGE`), with the share of cases in each group (`AGE_SHARES`):

    age group       cases   death rate
    0 - 9 Years      5 %      0.01 %
    10 - 19 Years   11 %      0.02 %
    20 - 29 Years   18 %      0.07 %
    30 - 39 Years   16 %      0.2 %
    40 - 49 Years   15 %      0.5 %
    50 - 59 Years   15 %      1.5 %
    60 - 69 Years   10 %      4.5 %
    70 - 79 Years    5.5 %   12 %
    80+ Years        4 %     28 %
    Missing          0.5 %    2 %
    overall                   about 2.6 %

Within an age group the odds of death are multiplied (`DEATH_ODDS_RATIOS`) by 10 for a
hospitalised case, by 4 more for one in intensive care, by 2.5 for a known underlying
medical condition, by 1.5 for men and by 1.6 for cases before 1 June 2020 (when testing
found mostly the sicker cases). Sex, race/ethnicity and case status otherwise carry no
signal: we do not invent disparities we cannot calibrate. Hospitalisation itself grows
with age and with a medical condition; a fifth of hospitalised cases reach the ICU.

What the file records hides the truth as the CDC's does (`RECORDED_SHARES`): hosp_yn
is Unknown in 12 % and Missing in 14 % of rows, icu_yn Unknown 10 % / Missing 72 %,
medcond_yn Unknown 8 % / Missing 60 %, death_yn Unknown 12 % / Missing 23 %.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from companion.errors import DataError

log = logging.getLogger(__name__)

DATE_COLUMNS = ("cdc_case_earliest_dt", "cdc_report_dt", "pos_spec_dt", "onset_dt")
CATEGORICAL_COLUMNS = (
    "current_status",
    "sex",
    "age_group",
    "race_ethnicity_combined",
    "hosp_yn",
    "icu_yn",
    "death_yn",
    "medcond_yn",
)
COLUMNS = DATE_COLUMNS + CATEGORICAL_COLUMNS
YN_COLUMNS = ("hosp_yn", "icu_yn", "death_yn", "medcond_yn")
TARGET = "death_yn"
DATE_FORMAT = "%Y/%m/%d"

YN_LEVELS = ("No", "Unknown", "Missing", "Yes")
STATUS_LEVELS = ("Laboratory-confirmed case", "Probable Case")
SEX_LEVELS = ("Female", "Male", "Other", "Unknown", "Missing")
AGE_LEVELS = (
    "0 - 9 Years",
    "10 - 19 Years",
    "20 - 29 Years",
    "30 - 39 Years",
    "40 - 49 Years",
    "50 - 59 Years",
    "60 - 69 Years",
    "70 - 79 Years",
    "80+ Years",
    "Missing",
)
RACE_LEVELS = (
    "American Indian/Alaska Native, Non-Hispanic",
    "Asian, Non-Hispanic",
    "Black, Non-Hispanic",
    "Hispanic/Latino",
    "Multiple/Other, Non-Hispanic",
    "Native Hawaiian/Other Pacific Islander, Non-Hispanic",
    "White, Non-Hispanic",
    "Unknown",
    "Missing",
)
# The CDC's spellings of each column's values, in a fixed order (used to factorize).
LEVELS = {
    "current_status": STATUS_LEVELS,
    "sex": SEX_LEVELS,
    "age_group": AGE_LEVELS,
    "race_ethnicity_combined": RACE_LEVELS,
    **{name: YN_LEVELS for name in YN_COLUMNS},
}
# Cells that mean "nothing recorded"; the CDC writes "Missing" for them.
_BLANKS = ("", "NA", "N/A", "nan", "NaN", "null", "None")

AGE_SHARES = dict(zip(AGE_LEVELS, (0.05, 0.11, 0.18, 0.16, 0.15, 0.15, 0.10, 0.055, 0.04, 0.005)))
DEATH_RATE_BY_AGE = dict(
    zip(AGE_LEVELS, (0.0001, 0.0002, 0.0007, 0.002, 0.005, 0.015, 0.045, 0.12, 0.28, 0.02))
)
DEATH_ODDS_RATIOS = {"hosp": 10.0, "icu": 4.0, "medcond": 2.5, "male": 1.5, "early_2020": 1.6}
MEDCOND_RATE_BY_AGE = dict(
    zip(AGE_LEVELS, (0.05, 0.08, 0.12, 0.18, 0.28, 0.40, 0.55, 0.68, 0.78, 0.30))
)
HOSP_RATE_BY_AGE = dict(
    zip(AGE_LEVELS, (0.01, 0.01, 0.015, 0.025, 0.04, 0.07, 0.13, 0.25, 0.35, 0.05))
)
HOSP_ODDS_RATIO_MEDCOND = 3.0
ICU_RATE_IF_HOSPITALISED = 0.2
RECORDED_SHARES = {  # column -> (share Unknown, share Missing) of all rows
    "hosp_yn": (0.12, 0.14),
    "icu_yn": (0.10, 0.72),
    "medcond_yn": (0.08, 0.60),
    "death_yn": (0.12, 0.23),
}
EARLY_2020_END = pd.Timestamp("2020-06-01")
SYNTHETIC_WORD = "synthetic"  # in a leading `#` line, marks a CSV as invented data


# ----------------------------------------------------------------------------- loading


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
            na_values=list(_BLANKS),
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
    text = text.where(~text.isin(_BLANKS), "Missing")
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


# ----------------------------------------------------------------------------- synthetic


def synthetic_covid(n: int, seed: int = 0) -> pd.DataFrame:
    """Invented COVID-19 cases in the CDC layout, with the rates in this module's docstring.

    Args:
        n: number of cases (rows), at least 1; about 65 % of them get death_yn Yes/No.
        seed: seed for numpy's generator (same seed, same frame).

    Returns:
        A frame like `load_covid_csv`'s, with `attrs["synthetic"]` True.
    """
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    n = int(n)
    age = rng.choice(len(AGE_LEVELS), size=n, p=list(AGE_SHARES.values()))
    male = rng.random(n) < 0.47
    earliest = _synthetic_dates(rng, n)
    medcond = rng.random(n) < np.array(list(MEDCOND_RATE_BY_AGE.values()))[age]
    hosp_odds = _odds(np.array(list(HOSP_RATE_BY_AGE.values()))[age])
    hosp = rng.random(n) < _prob(hosp_odds * np.where(medcond, HOSP_ODDS_RATIO_MEDCOND, 1.0))
    icu = hosp & (rng.random(n) < ICU_RATE_IF_HOSPITALISED)
    death = rng.random(n) < _death_probability(
        age, hosp=hosp, icu=icu, medcond=medcond, male=male, early=earliest < EARLY_2020_END
    )
    frame = pd.DataFrame(_synthetic_dates_columns(rng, earliest))
    confirmed, probable = STATUS_LEVELS
    frame["current_status"] = np.where(rng.random(n) < 0.07, probable, confirmed)
    frame["sex"] = _recorded_sex(rng, male)
    frame["age_group"] = np.array(AGE_LEVELS)[age]
    race_shares = (0.01, 0.035, 0.11, 0.20, 0.03, 0.003, 0.45, 0.08, 0.082)
    frame["race_ethnicity_combined"] = rng.choice(RACE_LEVELS, size=n, p=_normed(race_shares))
    for name, truth in (("hosp_yn", hosp), ("icu_yn", icu), ("death_yn", death)):
        frame[name] = _recorded_yn(rng, truth, *RECORDED_SHARES[name])
    frame["medcond_yn"] = _recorded_yn(rng, medcond, *RECORDED_SHARES["medcond_yn"])
    frame = frame[list(COLUMNS)]
    for name in CATEGORICAL_COLUMNS:
        frame[name] = frame[name].astype(str)
    frame.attrs.update(source=f"synthetic_covid(n={n}, seed={seed})", synthetic=True)
    return frame


def _odds(p):
    return p / (1.0 - p)


def _prob(odds):
    return odds / (1.0 + odds)


def _normed(shares) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return shares / shares.sum()


def _death_probability(age, *, hosp, icu, medcond, male, early) -> np.ndarray:
    """Per-case death probability: age-group odds calibrated to `DEATH_RATE_BY_AGE`."""
    ratios = DEATH_ODDS_RATIOS
    log_odds = (
        hosp * np.log(ratios["hosp"])
        + icu * np.log(ratios["icu"])
        + medcond * np.log(ratios["medcond"])
        + male * np.log(ratios["male"])
        + early * np.log(ratios["early_2020"])
    )
    probability = np.zeros(len(age))
    for code, level in enumerate(AGE_LEVELS):
        rows = age == code
        if rows.any():
            shift = _calibrate(log_odds[rows], DEATH_RATE_BY_AGE[level])
            probability[rows] = 1.0 / (1.0 + np.exp(-(shift + log_odds[rows])))
    return probability


def _calibrate(log_odds: np.ndarray, rate: float) -> float:
    """The intercept a with mean(sigmoid(a + log_odds)) == rate (bisection)."""
    values, counts = np.unique(log_odds, return_counts=True)  # a few dozen distinct values
    weights = counts / counts.sum()
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2
        if np.dot(weights, 1.0 / (1.0 + np.exp(-(middle + values)))) < rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _synthetic_dates(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    """Case dates in three 2020 waves (spring, summer, winter), 1 Mar 2020 to 31 Jan 2021."""
    start, end = pd.Timestamp("2020-03-01"), pd.Timestamp("2021-01-31")
    centres = np.array([40, 136, 284])  # days after 1 March: ~10 Apr, ~15 Jul, ~10 Dec
    spreads = np.array([15, 18, 30])
    wave = rng.choice(3, size=n, p=[0.15, 0.25, 0.60])
    days = np.clip(rng.normal(centres[wave], spreads[wave]), 0, (end - start).days)
    return (start + pd.to_timedelta(np.round(days), unit="D")).astype("datetime64[ns]")


def _synthetic_dates_columns(rng: np.random.Generator, earliest) -> dict[str, pd.Series]:
    """The four date columns; the earliest date is never blank, the others often are."""
    n = len(earliest)

    def later(mean_days: float, blank_share: float) -> pd.Series:
        delay = pd.to_timedelta(rng.geometric(1.0 / (1.0 + mean_days), size=n) - 1, unit="D")
        dates = pd.Series(earliest + delay)
        return dates.mask(rng.random(n) < blank_share)

    return {
        "cdc_case_earliest_dt": pd.Series(earliest),
        "cdc_report_dt": later(3.0, 0.03),
        "pos_spec_dt": later(1.0, 0.45),
        "onset_dt": later(0.5, 0.50),
    }


def _recorded_sex(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    sex = np.where(male, "Male", "Female").astype(object)
    draw = rng.random(len(male))
    sex[draw < 0.005] = "Missing"
    sex[(draw >= 0.005) & (draw < 0.02)] = "Unknown"
    return sex


def _recorded_yn(
    rng: np.random.Generator, truth: np.ndarray, unknown: float, missing: float
) -> np.ndarray:
    """What the file says: the truth, hidden as Unknown or Missing in the given shares."""
    recorded = np.where(truth, "Yes", "No").astype(object)
    draw = rng.random(len(truth))
    recorded[draw < missing] = "Missing"
    recorded[(draw >= missing) & (draw < missing + unknown)] = "Unknown"
    return recorded
