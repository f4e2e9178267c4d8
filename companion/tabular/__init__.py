"""Tabular data (chapter 2's COVID-19 cases): preparation, linear nets, scores, plots.

`prepare` (clean, encode, split, balance), `linear` (linear nets and their collapse),
`scores` (accuracy beside the baseline, balanced accuracy, ROC AUC), `plots` (weight
heatmaps). The names of the former module `companion.tabular` are importable from here.
"""

from companion.tabular.prepare import (
    DATE_ORIGIN,
    INPUT_CATEGORICALS,
    ONEHOT_DEFAULT,
    ORDINAL,
    TabularData,
    class_weights,
    drop_unknown_target,
    encode_categoricals,
    encode_dates,
    prepare_covid,
    split_frame,
    standardise,
    undersample,
)

__all__ = [
    "DATE_ORIGIN", "INPUT_CATEGORICALS", "ONEHOT_DEFAULT", "ORDINAL", "TabularData",
    "class_weights", "drop_unknown_target", "encode_categoricals", "encode_dates",
    "prepare_covid", "split_frame", "standardise", "undersample",
]  # fmt: skip
