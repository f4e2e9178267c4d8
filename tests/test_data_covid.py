"""The COVID-19 loader (on the shipped fixture and on broken files) and the synthetic data."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from companion.data.covid import (
    AGE_LEVELS,
    COLUMNS,
    DATE_COLUMNS,
    RECORDED_SHARES,
    YN_COLUMNS,
    YN_LEVELS,
    load_covid_csv,
    sample_cases,
    synthetic_covid,
    write_covid_csv,
)
from companion.errors import DataError

FIXTURE = Path(__file__).resolve().parents[1] / "companion" / "data" / "covid_fixture.csv"


def raw_rows(path=FIXTURE):
    """The fixture read with the csv module, independently of the loader (comments dropped)."""
    with open(path, newline="") as handle:
        return list(csv.reader(line for line in handle if not line.startswith("#")))


@pytest.fixture(scope="module")
def fixture_frame():
    return load_covid_csv(FIXTURE)


@pytest.fixture(scope="module")
def big_synthetic():
    return synthetic_covid(60_000, seed=7)


def test_fixture_is_in_the_cdc_layout():
    first_line = FIXTURE.read_text().splitlines()[0]
    assert first_line.startswith("# SYNTHETIC data:")  # the marker the loader reads
    header = raw_rows()[0]
    assert header[0] == ""  # the unnamed index column
    assert header[1] == "cdc_case_earliest_dt "  # the trailing space the loader must handle
    assert len(header) == 13


def test_loader_reads_the_fixture(fixture_frame):
    rows = raw_rows()
    assert list(fixture_frame.columns) == list(COLUMNS)
    assert len(fixture_frame) == len(rows) - 1 == 400
    assert fixture_frame.index.name == "source_row"
    assert list(fixture_frame.index[:3]) == [r[0] for r in rows[1:4]]
    assert fixture_frame.attrs["source"] == str(FIXTURE)
    assert fixture_frame.attrs["synthetic"] is True  # the fixture says so in its first line
    assert fixture_frame.attrs["marker"].startswith("SYNTHETIC data: invented COVID-19")
    for name in DATE_COLUMNS:
        assert pd.api.types.is_datetime64_dtype(fixture_frame[name])
    assert fixture_frame["cdc_case_earliest_dt"].notna().all()
    blanks = sum(1 for r in rows[1:] if r[4] == "")  # onset_dt
    assert blanks > 50 and fixture_frame["onset_dt"].isna().sum() == blanks
    first = rows[1][1]
    assert fixture_frame["cdc_case_earliest_dt"].iloc[0] == pd.Timestamp(first.replace("/", "-"))
    for name in YN_COLUMNS:
        assert set(fixture_frame[name]) <= set(YN_LEVELS)
    deaths = sum(1 for r in rows[1:] if r[11] == "Yes")
    assert (fixture_frame["death_yn"] == "Yes").sum() == deaths > 0


def write(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_columns_are_named(tmp_path, fixture_frame):
    frame = fixture_frame.drop(columns=["hosp_yn", "icu_yn"])
    path = tmp_path / "short.csv"
    frame.to_csv(path)
    with pytest.raises(DataError, match="hosp_yn, icu_yn"):
        load_covid_csv(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        (",".join(COLUMNS) + "\n", "no data rows"),
        ("a,b\n1,2\n", "lacks the column"),
    ],
)
def test_broken_text_files(tmp_path, content, message):
    with pytest.raises(DataError, match=message):
        load_covid_csv(write(tmp_path, content))


def test_unreadable_paths(tmp_path):
    with pytest.raises(DataError, match="no COVID-19 CSV at"):
        load_covid_csv(tmp_path / "nowhere.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_covid_csv(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(128, 256)) * 20)
    with pytest.raises(DataError, match="UTF-8"):
        load_covid_csv(binary)


def body_with(fixture_frame, tmp_path, **changes):
    frame = fixture_frame.copy()
    for name, value in changes.items():
        frame[name] = value
    return write_covid_csv(frame, tmp_path / "changed.csv")


def test_no_yes_no_rows(tmp_path, fixture_frame):
    path = body_with(fixture_frame, tmp_path, death_yn="Unknown")
    with pytest.raises(DataError, match="death_yn"):
        load_covid_csv(path)


def test_unknown_yn_value_is_named(tmp_path, fixture_frame):
    values = fixture_frame["hosp_yn"].to_numpy().copy()
    values[3] = "Maybe"
    path = body_with(fixture_frame, tmp_path, hosp_yn=values)
    with pytest.raises(DataError, match="hosp_yn holds 'Maybe'"):
        load_covid_csv(path)


def test_unreadable_dates_are_named(tmp_path):
    rows = raw_rows()
    for row in rows[1:40]:
        row[3] = "soon"  # pos_spec_dt
    path = tmp_path / "dates.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(DataError, match=r"39 of \d+.*pos_spec_dt"):
        load_covid_csv(path)


def test_spellings_are_normalised_and_no_index_column_is_fine(tmp_path):
    rows = [row[1:] for row in raw_rows()]  # the raw CDC layout: no index column
    rows[1][8] = "yes"  # hosp_yn
    rows[1][9] = ""  # icu_yn left blank
    rows[1][0] = "2020-07-04"  # an ISO date
    path = tmp_path / "plain.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    frame = load_covid_csv(path)
    assert frame.index.name is None and len(frame) == 400
    assert frame["hosp_yn"].iloc[0] == "Yes"
    assert frame["icu_yn"].iloc[0] == "Missing"
    assert frame["cdc_case_earliest_dt"].iloc[0] == pd.Timestamp("2020-07-04")


def test_write_then_load_round_trips(tmp_path):
    frame = synthetic_covid(500, seed=3)
    back = load_covid_csv(write_covid_csv(frame, tmp_path / "round.csv"))
    pd.testing.assert_frame_equal(back.reset_index(drop=True), frame, check_dtype=False)
    assert back.attrs["synthetic"] is True  # the written file carries the marker
    gz = load_covid_csv(write_covid_csv(frame, tmp_path / "round.csv.gz"))
    assert gz.attrs["synthetic"] is True and len(gz) == 500


def test_only_a_marked_csv_counts_as_synthetic(tmp_path):
    body = FIXTURE.read_text().split("\n", 1)[1]  # the fixture without its marker line
    plain = write(tmp_path, body, "plain.csv")
    assert load_covid_csv(plain).attrs["synthetic"] is False
    noted = write(tmp_path, "# exported 2023-01-31 from data.cdc.gov\n" + body, "noted.csv")
    frame = load_covid_csv(noted)
    assert frame.attrs["synthetic"] is False and len(frame) == 400  # comment skipped
    marked = write(tmp_path, "# Synthetic cases for a demo\n" + body, "marked.csv")
    assert load_covid_csv(marked).attrs["synthetic"] is True


def test_synthetic_schema_matches_the_loader(fixture_frame):
    frame = synthetic_covid(300, seed=1)
    assert list(frame.columns) == list(fixture_frame.columns)
    for name in COLUMNS:
        assert frame[name].dtype.kind == fixture_frame[name].dtype.kind, name
    assert frame.attrs["synthetic"] is True
    assert set(frame["age_group"]) <= set(AGE_LEVELS)
    pd.testing.assert_frame_equal(frame, synthetic_covid(300, seed=1))
    assert not frame.equals(synthetic_covid(300, seed=2))
    with pytest.raises(ValueError, match="at least 1"):
        synthetic_covid(0)


def test_synthetic_death_rate_and_its_drivers(big_synthetic):
    known = big_synthetic[big_synthetic["death_yn"].isin(["Yes", "No"])]
    death = known["death_yn"] == "Yes"
    assert 0.022 < death.mean() < 0.030  # the set's subset: about 2.6 %
    by_age = death.groupby(known["age_group"]).mean()
    older = [by_age[level] for level in AGE_LEVELS[3:9]]
    assert all(a < b for a, b in zip(older, older[1:]))
    assert 0.2 < by_age["80+ Years"] < 0.36
    for column in ("hosp_yn", "icu_yn", "medcond_yn"):
        rates = death.groupby(known[column]).mean()
        assert rates["Yes"] > 3 * rates["No"], column


def test_synthetic_unknown_and_missing_shares(big_synthetic):
    for column, (unknown, missing) in RECORDED_SHARES.items():
        shares = big_synthetic[column].value_counts(normalize=True)
        assert shares["Unknown"] == pytest.approx(unknown, abs=0.01), column
        assert shares["Missing"] == pytest.approx(missing, abs=0.01), column
    # ICU implies hospital: a recorded ICU Yes never sits beside a recorded hospital No.
    icu = big_synthetic["icu_yn"] == "Yes"
    assert icu.sum() > 0 and not (big_synthetic.loc[icu, "hosp_yn"] == "No").any()
    assert big_synthetic["pos_spec_dt"].isna().mean() == pytest.approx(0.45, abs=0.02)
    later = big_synthetic["cdc_report_dt"] >= big_synthetic["cdc_case_earliest_dt"]
    assert later[big_synthetic["cdc_report_dt"].notna()].all()
    assert np.isin(big_synthetic["sex"].unique(), ["Female", "Male", "Unknown", "Missing"]).all()


def test_sample_cases_keeps_the_marker(fixture_frame):
    sample = sample_cases(fixture_frame, 100, seed=2)
    assert len(sample) == 100 and sample.index.is_unique
    assert set(sample.index) <= set(fixture_frame.index)
    assert sample.attrs["synthetic"] is True and sample.attrs["marker"].startswith("SYNTHETIC")
    assert list(sample.index) == list(sample_cases(fixture_frame, 100, seed=2).index)
    assert list(sample.index) != list(sample_cases(fixture_frame, 100, seed=3).index)
    assert sample_cases(fixture_frame, 1_000, seed=2) is fixture_frame  # fewer rows: all of them
