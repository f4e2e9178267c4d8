"""Moved to `companion.run.jupyter`: a one-release shim (DeprecationWarning)."""

import sys
import warnings

from companion.run import jupyter as _moved

warnings.warn(
    "companion.jupyter moved to companion.run.jupyter: import it from there "
    "(this path goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved  # every name of the new module, under the old path
