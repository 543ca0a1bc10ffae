"""numpy, imported where it is first used rather than where a module names it: `lrtui --help` and
`lrtui list` answer without it (a tenth of a second), while the catalogue's closed forms, the
expression language and the verdict name it as `np` throughout."""
from __future__ import annotations

import importlib
from typing import Any


class Lazy:
    """A module by name, imported at the first attribute asked of it; its names are then this
    object's own, so later lookups cost what a module's do."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        self.__dict__.update(vars(importlib.import_module(self._name)))
        return getattr(importlib.import_module(self._name), attr)


np: Any = Lazy("numpy")
