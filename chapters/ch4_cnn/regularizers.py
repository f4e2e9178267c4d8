"""One CNN under different regularisers, built so that a comparison trains them alike.

`regularized_cnn("batch norm + dropout", rate=0.2)` is a CNN with that regularisation and
no other: by default `companion.models.cnn`, or any builder with the same switches (a
chapter passes its own written-out model). `RegularizedModels` hands out fresh compiled
models for a comparison, sharing one traced model between settings that differ only in
their dropout rate (`companion.sweep.DropoutSweep`: about 2 s of tracing saved per setting).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import keras

from companion.models import cnn
from companion.pset import REGULARIZERS
from companion.sweep import DropoutSweep


class CnnBuilder(Protocol):
    """Builds a fresh, uncompiled CNN: every Dropout at `rate`, batch norm or not, an L2 penalty."""

    def __call__(self, rate: float, *, batch_norm: bool, l2: float) -> keras.Model: ...


def regularizer_settings(name: str, *, rate: float, l2: float) -> dict[str, Any]:
    """The `cnn()` settings of one named regulariser: batch_norm, dropout rate and l2."""
    if name not in REGULARIZERS:
        raise ValueError(f"unknown regulariser {name!r}; choose one of {', '.join(REGULARIZERS)}")
    return {
        "batch_norm": "batch norm" in name,
        "dropout": rate if "dropout" in name else 0.0,
        "l2": l2 if name == "L2" else 0.0,
    }


def library_builder(architecture: Mapping[str, Any] | None = None) -> CnnBuilder:
    """`cnn(**architecture)` as a builder, with every Dropout (conv and dense) at one rate."""
    shared = dict(architecture or {})

    def build(rate: float, *, batch_norm: bool, l2: float) -> keras.Model:
        return cnn(**shared, batch_norm=batch_norm, conv_dropout=rate, dropout=rate, l2=l2)

    return build


def regularized_cnn(
    name: str,
    *,
    rate: float,
    l2: float,
    architecture: Mapping[str, Any] | None = None,
    build: CnnBuilder | None = None,
) -> keras.Model:
    """The CNN with one named regulariser (Dropout layers at rate 0 unless used).

    `build` makes it (a chapter's own CNN); without it, `cnn(**architecture)`.
    """
    settings = regularizer_settings(name, rate=rate, l2=l2)
    build = _builder(architecture, build)
    return build(settings["dropout"], batch_norm=settings["batch_norm"], l2=settings["l2"])


def _builder(architecture: Mapping[str, Any] | None, build: CnnBuilder | None) -> CnnBuilder:
    if build is not None and architecture is not None:
        raise ValueError("give a builder or an architecture for cnn(), not both")
    return build if build is not None else library_builder(architecture)


class RegularizedModels:
    """Fresh compiled models for a comparison of regularisers, one traced model per family.

    `model(name)` builds the named setting from the global seed (seed before calling it).
    Settings without an L2 penalty differ only in batch norm and dropout rate, so the two
    families (with and without batch norm) each reuse one traced model across rates; an
    L2 penalty is traced into the loss, so it gets a model of its own.

    Args:
        rate: the dropout rate of the settings that use dropout.
        l2: the L2 strength of the "L2" setting.
        compile_model: compiles a model (the same optimizer settings for every setting).
        architecture: the `cnn()` arguments shared by every setting (without `build`).
        build: the CNN to regularise, as (rate, *, batch_norm, l2) -> a fresh model; a
            chapter passes its own written-out model here.
    """

    def __init__(
        self,
        *,
        rate: float,
        l2: float,
        compile_model: Callable[[keras.Model], None],
        architecture: Mapping[str, Any] | None = None,
        build: CnnBuilder | None = None,
    ):
        self.rate, self.l2 = rate, l2
        self.compile_model = compile_model
        self.build = _builder(architecture, build)
        self._sweeps: dict[bool, DropoutSweep] = {}

    def model(self, name: str) -> keras.Model:
        """A fresh compiled model with the named regulariser."""
        settings = regularizer_settings(name, rate=self.rate, l2=self.l2)
        if settings["l2"] > 0:
            model = regularized_cnn(name, rate=self.rate, l2=self.l2, build=self.build)
            self.compile_model(model)
            return model
        norm = settings["batch_norm"]
        if norm not in self._sweeps:
            family = "batch norm + dropout" if norm else "dropout"
            self._sweeps[norm] = DropoutSweep(
                lambda r: regularized_cnn(family, rate=r, l2=0.0, build=self.build),
                self.compile_model,
            )
        return self._sweeps[norm].start(settings["dropout"])
