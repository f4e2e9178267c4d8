"""One CNN under different regularisers, built so that a comparison trains them alike.

`regularized_cnn("batch norm + dropout", rate=0.2)` is a CNN with that regularisation and
no other: by default `companion.models.cnn`, or any builder with the same switches (a
chapter passes its own written-out model). `RegularizedModels` hands out fresh compiled
models for a comparison, sharing one traced model between settings that differ only in
their dropout rate (`companion.sweep.DropoutSweep`: about 2 s of tracing saved per setting).
`RegularizerResult` reads a comparison run over seeds: each setting's median and range, and a
winner only where the seed ranges separate it from the runner-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import keras
import pandas as pd

from companion.models import cnn
from companion.pset import REGULARIZERS
from companion.stats import Spread, seed_verdict, spread
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


@dataclass
class RegularizerResult:
    """A comparison of regularisers over seeds: `table` has a row per (name, seed).

    Its columns: name, seed, val_accuracy, train_accuracy, gap (accuracy on the training
    images in inference mode minus validation accuracy) and seconds. A setting is named
    best only when its worst seed beats the runner-up's best seed (`verdict`).
    """

    table: pd.DataFrame
    rate: float
    l2: float
    train_images: int
    epochs: int

    @property
    def names(self) -> list[str]:
        """The settings, in the order they ran."""
        return list(dict.fromkeys(self.table["name"]))

    @property
    def seeds(self) -> int:
        """Seeds per setting (the fewest any setting has)."""
        return int(self.table.groupby("name", sort=False).size().min())

    def spreads(self) -> dict[str, Spread]:
        """Each setting's validation accuracy over seeds: min, median, max."""
        by_name = self.table.groupby("name", sort=False)["val_accuracy"]
        return {name: spread(by_name.get_group(name)) for name in self.names}

    def summary(self) -> pd.DataFrame:
        """One row per setting: median, worst and best seed's validation accuracy, median gap."""
        gaps = self.table.groupby("name", sort=False)["gap"].median()
        rows = [
            {
                "name": name,
                "median val accuracy": s.median,
                "worst seed": s.min,
                "best seed": s.max,
                "median gap": float(gaps[name]),
                "seeds": s.n,
            }
            for name, s in self.spreads().items()
        ]
        return pd.DataFrame(rows)

    def ranking(self) -> tuple[str, str]:
        """(best, runner-up) by median validation accuracy (ties: the earlier setting)."""
        spreads = self.spreads()
        if len(spreads) < 2:
            raise ValueError("a ranking needs at least two regularisers")
        ranked = sorted(spreads, key=lambda name: -spreads[name].median)
        return ranked[0], ranked[1]

    @property
    def verdict(self) -> str:
        """'separated' (the best's worst seed beats the runner-up's best), 'within noise',
        or 'untested' (one seed or one setting: nothing to rank by)."""
        if self.seeds < 2 or len(self.names) < 2:
            return "untested"
        best, second = self.ranking()
        spreads = self.spreads()
        separated = seed_verdict(spreads[best], spreads[second]) == "higher"
        return "separated" if separated else "within noise"

    @property
    def winner(self) -> str | None:
        """The best setting when the seeds separate it from the rest; otherwise None."""
        return self.ranking()[0] if self.verdict == "separated" else None

    def within_noise_of_best(self) -> list[str]:
        """The settings whose seed range overlaps the best's (the best left out)."""
        best, _ = self.ranking()
        spreads = self.spreads()
        return [
            name
            for name in self.names
            if name != best and seed_verdict(spreads[name], spreads[best]) == "within noise"
        ]

    def versus(self, other: str) -> dict[str, str]:
        """Each other setting against `other` over seeds: 'higher', 'lower' or 'within noise'."""
        spreads = self.spreads()
        return {
            name: seed_verdict(spreads[name], spreads[other])
            for name in self.names
            if name != other
        }
