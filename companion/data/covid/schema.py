"""The CDC case-surveillance layout: its columns and the spellings of their values.

The problem set uses a subset of the CDC's "COVID-19 Case Surveillance Public Use Data"
(data.cdc.gov, vbim-akqf). Its CSV has an unnamed index column and twelve columns:

    cdc_case_earliest_dt ,cdc_report_dt,pos_spec_dt,onset_dt,current_status,sex,age_group,
    race_ethnicity_combined,hosp_yn,icu_yn,death_yn,medcond_yn

(the first header carries a trailing space). Dates are written 2020/11/10; the `_yn`
columns hold Yes, No, Unknown or Missing.
"""

from __future__ import annotations

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
BLANKS = ("", "NA", "N/A", "nan", "NaN", "null", "None")
SYNTHETIC_WORD = "synthetic"  # in a leading `#` line, marks a CSV as invented data
