"""Each preprocessing step's rows and columns, the pipeline's table, and the scores."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from companion.data.covid import load_covid_csv, synthetic_covid
from companion.errors import DataError
from companion.tabular.prepare import (
    class_weights,
    drop_unknown_target,
    encode_categoricals,
    encode_dates,
    prepare_covid,
    split_frame,
    standardise,
    undersample,
)

FIXTURE = Path(__file__).resolve().parents[1] / "companion" / "data" / "covid_fixture.csv"


@pytest.fixture(scope="module")
def cases():
    return load_covid_csv(FIXTURE)


@pytest.fixture(scope="module")
def many():
    return synthetic_covid(6_000, seed=11)


def test_drop_unknown_target_keeps_yes_and_no(cases):
    kept = drop_unknown_target(cases)
    expected = cases["death_yn"].isin(["Yes", "No"]).sum()
    assert len(kept) == expected == 256
    assert set(kept["death_yn"]) == {"Yes", "No"}
    assert kept.shape[1] == 12
    with pytest.raises(DataError, match="Yes or No"):
        drop_unknown_target(cases.assign(death_yn="Missing"))


def test_encode_dates(cases):
    assert encode_dates(cases).shape == (400, 8)
    numeric = encode_dates(cases, how="numeric")
    assert numeric.shape == (400, 12)
    first = cases["cdc_case_earliest_dt"].iloc[0]
    assert numeric["cdc_case_earliest_dt"].iloc[0] == (first - pd.Timestamp("2020-01-01")).days
    assert numeric["onset_dt"].isna().sum() == cases["onset_dt"].isna().sum() > 0
    with pytest.raises(ValueError, match="'drop' or 'numeric'"):
        encode_dates(cases, how="year")


def test_factorize_uses_the_fixed_level_order():
    frame = pd.DataFrame(
        {
            "hosp_yn": ["No", "Unknown", "Missing", "Yes"],
            "age_group": ["0 - 9 Years", "80+ Years", "Missing", "20 - 29 Years"],
            "sex": ["Male", "Female", "Other", "Male"],
            "death_yn": ["No", "Yes", "No", "Yes"],
        }
    )
    table = encode_categoricals(frame, columns=["hosp_yn", "age_group", "sex"])
    assert list(table.columns) == ["hosp_yn", "age_group", "sex", "death_yn"]
    assert table["hosp_yn"].tolist() == [0, 1, 2, 3]
    assert table["age_group"].tolist()[:2] == [0, 8] and np.isnan(table["age_group"][2])
    assert table["sex"].tolist() == [1, 0, 2, 1]
    assert table["death_yn"].tolist() == [0, 1, 0, 1]


def test_one_hot_merges_unknowns_and_drops_the_reference():
    frame = pd.DataFrame(
        {
            "icu_yn": ["No", "Unknown", "Missing", "Yes", "No"],
            "age_group": ["0 - 9 Years"] * 5,
            "death_yn": ["No"] * 4 + ["Yes"],
        }
    )
    table = encode_categoricals(frame, how="onehot", columns=["icu_yn", "age_group"])
    assert list(table.columns) == ["icu_yn=Unknown", "icu_yn=Yes", "age_group", "death_yn"]
    assert table["icu_yn=Unknown"].tolist() == [0, 1, 1, 0, 0]
    assert table["icu_yn=Yes"].tolist() == [0, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="cannot use death_yn"):
        encode_categoricals(frame, columns=["death_yn"])


def test_split_is_stratified_disjoint_and_seeded(many):
    table = encode_categoricals(encode_dates(drop_unknown_target(many)))
    train, val, test = split_frame(table, seed=4)
    assert len(train) + len(val) + len(test) == len(table)
    assert len(test) == pytest.approx(0.15 * len(table), abs=2)
    assert not set(train.index) & set(test.index) and not set(val.index) & set(test.index)
    rate = table["death_yn"].mean()
    for part in (train, val, test):
        assert part["death_yn"].mean() == pytest.approx(rate, abs=0.01)
    again = split_frame(table, seed=4)[2]
    assert list(again.index) == list(test.index)
    with pytest.raises(ValueError, match="below 1"):
        split_frame(table, val_size=0.5, test_size=0.5)


def test_undersample_to_a_ratio():
    frame = pd.DataFrame({"x": np.arange(1000), "death_yn": [1] * 30 + [0] * 970})
    out = undersample(frame, ratio=5, seed=0)
    assert (out["death_yn"] == 1).sum() == 30 and (out["death_yn"] == 0).sum() == 150
    assert len(undersample(frame, ratio=100)) == 1000  # cannot keep more than there are
    with pytest.raises(DataError, match="only class 0"):
        undersample(frame[frame["death_yn"] == 0])
    with pytest.raises(ValueError, match="ratio must be positive"):
        undersample(frame, ratio=0)


def test_class_weights_balance_the_classes():
    labels = np.array([1] * 10 + [0] * 90)
    weights = class_weights(labels)
    assert weights[1] == pytest.approx(5.0) and weights[0] == pytest.approx(100 / 180)
    assert weights[1] * 10 == pytest.approx(weights[0] * 90)


def test_standardise_uses_training_statistics_only():
    train = np.array([[1.0, 5.0, np.nan], [3.0, 5.0, 2.0], [5.0, 5.0, 4.0]])
    other = np.array([[7.0, 5.0, np.nan]])
    (a, b), mean, scale = standardise(train, other)
    assert mean.tolist() == [3.0, 5.0, 3.0]
    assert np.allclose(a[:, 0].mean(), 0) and np.allclose(a[:, 0].std(), 1)
    assert np.allclose(a[:, 1], 0)  # a constant column: zeros, not NaN
    assert a[0, 2] == 0 and b[0, 2] == 0  # missing -> the training mean
    assert b[0, 0] == pytest.approx((7 - 3) / np.std([1, 3, 5]))
    assert a.dtype == np.float32


def test_pipeline_table_counts_rows_at_each_step(cases):
    data = prepare_covid(cases, seed=0)
    rows = data.rows_after_steps()
    assert rows["loaded"] == 400 and rows["death_yn Yes/No"] == 256
    assert rows["split: train"] + rows["split: validation"] + rows["split: test"] == 256
    deaths_in_train = 6  # of the fixture's 8, the stratified 70 %
    assert rows["undersample train 1:5"] == 6 * deaths_in_train == len(data.y_train)
    assert data.y_train.sum() == deaths_in_train
    assert list(data.steps["columns"]) == [12, 12, 8, 8, 8, 8, 8, 8, 8]
    assert data.input_dim == 7 and len(data.feature_names) == 7
    assert len(data.y_test) == rows["split: test"] and data.x_test.shape == (38, 7)
    assert np.allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    # The data's origin travels with the arrays, so a report can say it is synthetic.
    assert data.source["synthetic"] is True and data.source["source"] == str(FIXTURE)


def test_pipeline_options(many):
    numeric = prepare_covid(many, dates="numeric")
    assert numeric.input_dim == 11 and "onset_dt" in numeric.feature_names
    onehot = prepare_covid(many, encoding="onehot")
    # A column per level but the reference (the first), Missing merged into Unknown; no race.
    assert onehot.feature_names == [
        "current_status=Probable Case",
        "sex=Male",
        "sex=Unknown",
        "age_group",
        *[f"{c}={v}" for c in ("hosp_yn", "icu_yn", "medcond_yn") for v in ("Unknown", "Yes")],
    ]
    weighted = prepare_covid(many, balance="weights")
    assert weighted.class_weight[1] > 10 * weighted.class_weight[0]
    assert len(weighted.y_train) == weighted.rows_after_steps()["split: train"]
    with pytest.raises(ValueError, match="asks for 7 to 12"):
        prepare_covid(many, encoding="onehot", dates="numeric")
    with pytest.raises(ValueError, match="balance must be"):
        prepare_covid(many, balance="smote")
