"""Moved to `companion.playground.fastfit`: a one-release shim (DeprecationWarning)."""

import sys
import warnings

from companion.playground import fastfit as _moved

warnings.warn(
    "companion.fastfit moved to companion.playground.fastfit: import it from there "
    "(this path goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved  # every name of the new module, under the old path
