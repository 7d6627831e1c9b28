"""Third-party modules that newsplus lets be imported by name at once but loaded only when first used.

piccolo's app registry (``piccolo.conf.apps``, which every server needs) imports ``black`` at the top only to
format the migration files ``piccolo migrations new`` writes. Loading black (and mypy_extensions, pathspec…)
was a fifth of newsplus's import time, paid by every worker at start-up. litestar's OpenAPI plugins import
``yaml`` at the top for the YAML rendering of the schema, which newsplus does not serve (10–15 ms).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_import"]


class _Deferred(types.ModuleType):
    """Stands in for a module until an attribute of it is wanted, then becomes a copy of the real one."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attribute)


def defer_import(name: str) -> None:
    """Make ``import name`` cheap until the module is used (nothing changes when it is loaded or missing)."""
    if name not in sys.modules and importlib.util.find_spec(name) is not None:
        sys.modules[name] = _Deferred(name)


defer_import("black")
defer_import("yaml")
