"""PEP 562 lazy exports: a package names what its modules define and loads each on first use.

A chapter's package lists its problems and public names without importing its problem
modules (which import Keras at their top), so `python -m chapters.ch4_cnn --help` is fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Iterable[str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`: {submodule: [names]} loaded on first use.

    `namespace` is the package's `globals()`: a loaded name is stored there, so the next
    lookup is an ordinary attribute.
    """
    where = {name: module for module, names in modules.items() for name in names}

    def getattr_(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(where))

    return getattr_, dir_


def public_names(modules: Mapping[str, Iterable[str]], *defined: str) -> list[str]:
    """A package's `__all__`: every name its modules export lazily, plus those it defines."""
    return sorted({*defined, *(name for names in modules.values() for name in names)})
