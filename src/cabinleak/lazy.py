"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package such as :mod:`cabinleak.estimate` offers its submodules' main names at the top
(``from cabinleak.estimate import analyze``). Importing them all in ``__init__`` makes any
import of the package, even of one light submodule (``cabinleak.estimate.checks``), pay
for the heavy ones (SciPy, pyarrow): about 2 s of CPU, most of a short command's time.
:func:`lazy_package` makes each name import its submodule the first time it is read; the
package keeps the real imports under ``TYPE_CHECKING`` for type checkers and readers.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any


class LazyPackage(types.ModuleType):
    """A package module whose re-exported names are imported on first use."""

    _exports: dict[str, str]  # name → the submodule (relative) that defines it

    def __getattr__(self, name: str) -> Any:  # called only for names not yet set
        try:
            submodule = self._exports[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{self.__name__}.{submodule}"), name)
        super().__setattr__(name, value)  # later reads are plain attribute look-ups
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets it as an attribute of its package. Where a re-exported
        # name is also a submodule's name (``estimate.forecast``, the function and its
        # module) the re-export wins, as it did when ``__init__`` imported everything.
        if isinstance(value, types.ModuleType) and name in self._exports:
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._exports})


def lazy_package(name: str, exports: Mapping[str, Sequence[str]]) -> None:
    """Make package `name` (its ``__name__``) re-export lazily: `exports` maps each
    submodule (relative, e.g. ``"analysis"``) to the names it gives the package.

    Raises
    ------
    ValueError
        When the names are not exactly the package's ``__all__`` (a name added to one and
        not the other would be missing or unlisted).
    """
    module = sys.modules[name]
    table = {export: submodule for submodule, names in exports.items() for export in names}
    listed = set(getattr(module, "__all__", ()))
    if listed != set(table):
        raise ValueError(f"{name}: __all__ and the lazy exports differ: "
                         f"{sorted(listed ^ set(table))}")
    vars(module)["_exports"] = table
    module.__class__ = LazyPackage
