"""regularized_cnn and RegularizedModels: one CNN under each named regulariser."""

import keras
import pytest
from keras import layers

from chapters.ch4_cnn.regularizers import (
    REGULARIZERS,
    RegularizedModels,
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
