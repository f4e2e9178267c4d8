"""regularized_cnn, RegularizedModels and RegularizerResult: one CNN under each regulariser."""

import keras
import pandas as pd
import pytest
from keras import layers

from chapters.ch4_cnn.regularizers import (
    REGULARIZERS,
    RegularizedModels,
    RegularizerResult,
    library_builder,
    regularized_cnn,
    regularizer_settings,
)
from companion.models import cnn, dropout_rate
from companion.seed import set_seed

SMALL = {"input_shape": (8, 8, 1), "filters": (4,), "dense_units": (8,)}


def kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def rates(model) -> set[float]:
    return {dropout_rate(layer) for layer in model.layers if isinstance(layer, layers.Dropout)}


def compile_small(model) -> None:
    model.compile(optimizer="adam", loss="categorical_crossentropy")


def test_each_setting_adds_only_its_regulariser():
    expected = {
        "none": (False, {0.0}, 0),
        "batch norm": (True, {0.0}, 0),
        "dropout": (False, {0.3}, 0),
        "batch norm + dropout": (True, {0.3}, 0),
        "L2": (False, {0.0}, 3),  # one penalty per kernel: conv, hidden dense, output
    }
    assert set(expected) == set(REGULARIZERS)
    for name, (norm, rate, penalties) in expected.items():
        model = regularized_cnn(name, rate=0.3, l2=1e-3, architecture=SMALL)
        assert ("BatchNormalization" in kinds(model)) is norm, name
        assert rates(model) == rate, name
        assert len(model.losses) == penalties, name


def test_unknown_regulariser_names_the_choices():
    with pytest.raises(ValueError, match="unknown regulariser 'weight decay'; choose one of none"):
        regularizer_settings("weight decay", rate=0.1, l2=1e-4)


def test_models_share_a_trace_where_only_dropout_differs():
    models = RegularizedModels(rate=0.4, l2=1e-3, compile_model=compile_small, architecture=SMALL)
    set_seed(0)
    none = models.model("none")
    assert rates(none) == {0.0}
    set_seed(0)
    dropout = models.model("dropout")
    assert dropout is none and sorted(rates(dropout)) == pytest.approx([0.4])  # new rate only
    norm = models.model("batch norm")
    assert norm is not none and "BatchNormalization" in kinds(norm)
    l2 = models.model("L2")
    assert l2 is not none and len(l2.losses) == 3 and isinstance(l2.optimizer, keras.Optimizer)


def test_a_given_builder_makes_every_setting():
    """A chapter's own CNN as the builder: each setting calls it with its switches."""
    calls = []

    def build(rate: float, *, batch_norm: bool, l2: float) -> keras.Model:
        calls.append((rate, batch_norm, l2))
        return cnn(**SMALL, batch_norm=batch_norm, conv_dropout=rate, dropout=rate, l2=l2)

    for name in REGULARIZERS:
        regularized_cnn(name, rate=0.3, l2=1e-3, build=build)
    assert calls == [
        (0.0, False, 0.0),
        (0.0, True, 0.0),
        (0.3, False, 0.0),
        (0.3, True, 0.0),
        (0.0, False, 1e-3),
    ]
    models = RegularizedModels(rate=0.3, l2=1e-3, compile_model=compile_small, build=build)
    calls.clear()
    model = models.model("dropout")
    assert calls[0] == (0.3, False, 0.0) and sorted(rates(model)) == pytest.approx([0.3])


def test_builder_or_architecture_not_both():
    with pytest.raises(ValueError, match="not both"):
        regularized_cnn("none", rate=0.1, l2=0.0, architecture=SMALL, build=library_builder())
    with pytest.raises(ValueError, match="not both"):
        RegularizedModels(
            rate=0.1,
            l2=0.0,
            compile_model=compile_small,
            architecture=SMALL,
            build=library_builder(),
        )


def test_library_builder_is_cnn_with_one_rate_everywhere():
    model = library_builder(SMALL)(0.2, batch_norm=True, l2=0.0)
    assert rates(model) == {0.2} and "BatchNormalization" in kinds(model)
    assert model.input_shape == (None, 8, 8, 1)


def seeded(accuracies: dict[str, list[float]]) -> RegularizerResult:
    """A comparison whose settings scored these validation accuracies, one per seed."""
    rows = [
        {
            "name": name,
            "seed": index,
            "val_accuracy": acc,
            "train_accuracy": acc + 0.02,
            "gap": 0.02 + 0.001 * index,
            "seconds": 1.0,
        }
        for name, per_seed in accuracies.items()
        for index, acc in enumerate(per_seed)
    ]
    return RegularizerResult(pd.DataFrame(rows), 0.2, 1e-4, 1024, 4)


def test_a_winner_only_when_its_worst_seed_beats_the_runner_ups_best():
    apart = seeded({"none": [0.95, 0.96, 0.955], "batch norm": [0.975, 0.97, 0.98]})
    assert apart.ranking() == ("batch norm", "none")
    assert apart.verdict == "separated" and apart.winner == "batch norm"
    assert apart.within_noise_of_best() == []
    # One seed of none reaches 0.971, above batch norm's worst (0.97): no winner.
    close = seeded({"none": [0.95, 0.971, 0.955], "batch norm": [0.975, 0.97, 0.98]})
    assert close.ranking() == ("batch norm", "none")
    assert close.verdict == "within noise" and close.winner is None
    assert close.within_noise_of_best() == ["none"]


def test_one_seed_leaves_the_ranking_untested():
    r = seeded({"none": [0.90], "batch norm": [0.99]})
    assert r.seeds == 1 and r.verdict == "untested" and r.winner is None
    assert r.ranking() == ("batch norm", "none")  # still ranked, by the one seed


def test_summary_and_versus_read_each_setting_over_seeds():
    r = seeded(
        {"none": [0.95, 0.96, 0.97], "dropout": [0.98, 0.99, 0.985], "L2": [0.9, 0.91, 0.92]}
    )
    table = r.summary().set_index("name")
    assert table.loc["dropout", "median val accuracy"] == pytest.approx(0.985)
    assert (table.loc["none", "worst seed"], table.loc["none", "best seed"]) == (0.95, 0.97)
    assert table.loc["L2", "median gap"] == pytest.approx(0.021)
    assert list(table["seeds"]) == [3, 3, 3]
    assert r.versus("none") == {"dropout": "higher", "L2": "lower"}
    assert r.versus("dropout") == {"none": "lower", "L2": "lower"}
