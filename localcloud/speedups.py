"""Work moto repeats on every request or reset although its result never changes, done once.

Speed patches only: what the emulator answers is the same with or without them.

- ``method_names_from_class``: moto lists a response class's methods with ``inspect.getmembers``
  on every request to find the action's handler (0.8 ms for EC2); cached per class.
- ``list_of_moto_modules``: moto lists its package directory on every request to match the
  Host header (0.5 ms); cached once.
"""

from __future__ import annotations

import functools
from typing import Any

from moto import backends as moto_backends
from moto.core import responses as moto_responses

_installed: dict[str, Any] = {}


def install() -> None:
    """Patch moto (once per process)."""
    if _installed.get("done"):
        return
    _installed["done"] = True
    moto_responses.method_names_from_class = functools.cache(moto_responses.method_names_from_class)
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules
