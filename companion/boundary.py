"""Moved to `companion.playground.boundary`: a one-release shim (DeprecationWarning)."""

import sys
import warnings

from companion.playground import boundary as _moved

warnings.warn(
    "companion.boundary moved to companion.playground.boundary: import it from there "
    "(this path goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved  # every name of the new module, under the old path
