"""One CNN under different regularisers, built so that a comparison trains them alike.

`regularized_cnn("batch norm + dropout", rate=0.2)` is `companion.models.cnn` with that
regularisation and no other; `RegularizedModels` hands out fresh compiled models for a
comparison, sharing one traced model between settings that differ only in their dropout
rate (`companion.sweep.DropoutSweep`: about 2 s of tracing saved per setting).

Keras loads at the first build, not at import: a command line can read `REGULARIZERS`
for its `--help` without loading TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

    # Imported here, not at the top: it loads Keras (start-up speed).
    from companion.sweep import DropoutSweep

# The settings a comparison can name: no regularisation, each of three alone, and the pair.
REGULARIZERS = ("none", "batch norm", "dropout", "batch norm + dropout", "L2")


def regularizer_settings(name: str, *, rate: float, l2: float) -> dict[str, Any]:
    """The `cnn()` settings of one named regulariser: batch_norm, dropout rate and l2."""
    if name not in REGULARIZERS:
        raise ValueError(f"unknown regulariser {name!r}; choose one of {', '.join(REGULARIZERS)}")
    return {
        "batch_norm": "batch norm" in name,
        "dropout": rate if "dropout" in name else 0.0,
        "l2": l2 if name == "L2" else 0.0,
    }


def regularized_cnn(
    name: str, *, rate: float, l2: float, architecture: Mapping[str, Any] | None = None
) -> keras.Sequential:
    """`cnn(**architecture)` with one named regulariser (Dropout layers at rate 0 unless used)."""
    from companion.models import cnn  # loads Keras: at the first build, not at import

    settings = regularizer_settings(name, rate=rate, l2=l2)
    dropout = settings.pop("dropout")
    return cnn(**(architecture or {}), **settings, conv_dropout=dropout, dropout=dropout)


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
        architecture: the `cnn()` arguments shared by every setting.
    """

    def __init__(
        self,
        *,
        rate: float,
        l2: float,
        compile_model: Callable[[keras.Model], None],
        architecture: Mapping[str, Any] | None = None,
    ):
        self.rate, self.l2 = rate, l2
        self.compile_model = compile_model
        self.architecture = dict(architecture or {})
        self._sweeps: dict[bool, DropoutSweep] = {}

    def model(self, name: str) -> keras.Model:
        """A fresh compiled model with the named regulariser."""
        settings = regularizer_settings(name, rate=self.rate, l2=self.l2)
        if settings["l2"] > 0:
            model = regularized_cnn(
                name, rate=self.rate, l2=self.l2, architecture=self.architecture
            )
            self.compile_model(model)
            return model
        norm = settings["batch_norm"]
        if norm not in self._sweeps:
            from companion.sweep import DropoutSweep  # loads Keras: at the first build

            family = "batch norm + dropout" if norm else "dropout"
            self._sweeps[norm] = DropoutSweep(
                lambda r: regularized_cnn(family, rate=r, l2=0.0, architecture=self.architecture),
                self.compile_model,
            )
        return self._sweeps[norm].start(settings["dropout"])
