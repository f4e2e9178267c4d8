"""COVID-19 case data in the CDC's layout: its schema, a checked CSV loader, a synthetic stand-in.

- `schema`: the twelve columns and the CDC's spellings of their values (`LEVELS`);
- `cdc_csv`: `load_covid_csv` (checks the file, one clear error per problem),
  `write_covid_csv`, and the `# SYNTHETIC ...` line that keeps invented data labelled;
- `synthetic`: `synthetic_covid`, invented cases with documented rates, for when the CDC
  file is not at hand.

Every public name is importable from `companion.data.covid` itself.
"""

from companion.data.covid.cdc_csv import (
    covid_description,
    load_covid_csv,
    sample_cases,
    synthetic_marker,
    write_covid_csv,
)
from companion.data.covid.schema import (
    AGE_LEVELS,
    BLANKS,
    CATEGORICAL_COLUMNS,
    COLUMNS,
    DATE_COLUMNS,
    DATE_FORMAT,
    LEVELS,
    RACE_LEVELS,
    SEX_LEVELS,
    STATUS_LEVELS,
    SYNTHETIC_WORD,
    TARGET,
    YN_COLUMNS,
    YN_LEVELS,
)
from companion.data.covid.synthetic import (
    AGE_SHARES,
    DEATH_ODDS_RATIOS,
    DEATH_RATE_BY_AGE,
    EARLY_2020_END,
    HOSP_ODDS_RATIO_MEDCOND,
    HOSP_RATE_BY_AGE,
    ICU_RATE_IF_HOSPITALISED,
    MEDCOND_RATE_BY_AGE,
    RECORDED_SHARES,
    synthetic_covid,
)

__all__ = [
    "AGE_LEVELS",
    "AGE_SHARES",
    "BLANKS",
    "CATEGORICAL_COLUMNS",
    "COLUMNS",
    "DATE_COLUMNS",
    "DATE_FORMAT",
    "DEATH_ODDS_RATIOS",
    "DEATH_RATE_BY_AGE",
    "EARLY_2020_END",
    "HOSP_ODDS_RATIO_MEDCOND",
    "HOSP_RATE_BY_AGE",
    "ICU_RATE_IF_HOSPITALISED",
    "LEVELS",
    "MEDCOND_RATE_BY_AGE",
    "RACE_LEVELS",
    "RECORDED_SHARES",
    "SEX_LEVELS",
    "STATUS_LEVELS",
    "SYNTHETIC_WORD",
    "TARGET",
    "YN_COLUMNS",
    "YN_LEVELS",
    "covid_description",
    "load_covid_csv",
    "sample_cases",
    "synthetic_covid",
    "synthetic_marker",
    "write_covid_csv",
]
