"""Synthetic COVID-19 cases in the CDC layout, for when the CDC file is not at hand.

`synthetic_covid` makes data of the CDC schema. It is invented, not sampled: its rates
are round figures in the range of the CDC's 2020 surveillance counts, chosen so that the
lessons of the problem set (a rare outcome, age as the strongest signal, mostly-missing
ICU and medical-condition fields) hold.

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

import numpy as np
import pandas as pd

from companion.data.covid.schema import (
    AGE_LEVELS,
    CATEGORICAL_COLUMNS,
    COLUMNS,
    RACE_LEVELS,
    STATUS_LEVELS,
)

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
