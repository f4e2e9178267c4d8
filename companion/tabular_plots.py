"""Moved to `companion.tabular.plots`: a one-release shim (DeprecationWarning)."""

import sys
import warnings

from companion.tabular import plots as _moved

warnings.warn(
    "companion.tabular_plots moved to companion.tabular.plots: import it from there "
    "(this path goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved  # every name of the new module, under the old path
