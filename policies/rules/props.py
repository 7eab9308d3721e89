"""Reading resource properties the way the Pulumi engine hands them to a policy.

During ``pulumi preview`` the engine passes ``args.props`` wrapped in pulumi-policy's
unknown-checking proxy: reading a value that depends on another resource's output raises
``UnknownValueError``. Rules here never touch the proxy directly. They call :func:`plain`
once, which unwraps it into ordinary dicts and lists where an unknown value is a sentinel
string, and then read with :func:`get`, which answers :data:`UNKNOWN` for such a value.
A rule that meets :data:`UNKNOWN` skips that check: it reports nothing, and the value is
checked again by ``pulumi up`` once it is known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    _DictProxy,
    _ListProxy,
)
from pulumi_policy.secret import Secret

__all__ = [
    "UNKNOWN",
    "UNKNOWN_SENTINELS",
    "as_list",
    "get",
    "is_unknown",
    "parse_json",
    "plain",
    "strings",
    "truthy",
]

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
"""The strings the engine puts in place of values that are unknown at preview."""


class _Unknown:
    """Marker returned by :func:`get` for a value not known until the update runs."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""Returned by :func:`get` when the value (or a container on its path) is unknown."""


def is_unknown(value: Any) -> bool:
    """True for :data:`UNKNOWN`, an engine sentinel string or a ``pulumi.output.Unknown``."""
    if value is UNKNOWN:
        return True
    if isinstance(value, str):
        return value in UNKNOWN_SENTINELS
    return type(value).__name__ == "Unknown" and type(value).__module__ == "pulumi.output"


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Types :func:`plain` returns as they are (checked first: most values of a resource are)."""


def plain(value: Any) -> Any:
    """Unwrap pulumi-policy proxies and secrets into plain dicts and lists (sentinels kept)."""
    if type(value) in _LEAVES:
        return value
    if isinstance(value, _DictProxy):
        target = value["__target"]
        return {key: plain(target[key]) for key in target}
    if isinstance(value, _ListProxy):
        return [plain(item) for item in value["__target"]]
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def get(props: Any, path: str, default: Any = None) -> Any:
    """The value at dotted ``path`` (``"networkConfiguration.assignPublicIp"``).

    Returns :data:`UNKNOWN` if the value or any container on the way is unknown, ``default``
    if a key is absent or null. Integer segments index lists (``"defaultActions.0.type"``).
    """
    current = props
    for segment in path.split("."):
        if is_unknown(current):
            return UNKNOWN
        if isinstance(current, Mapping):
            if segment not in current or current[segment] is None:
                return default
            current = current[segment]
        elif isinstance(current, Sequence) and not isinstance(current, str):
            if not segment.isdigit() or int(segment) >= len(current):
                return default
            current = current[int(segment)]
        else:
            return default
    return UNKNOWN if is_unknown(current) else current


def as_list(value: Any) -> list[Any] | Any:
    """``value`` as a list: [] for None, [value] for a scalar, :data:`UNKNOWN` kept as is."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def truthy(value: Any) -> bool | Any:
    """Interpret a bool-ish property (``True``, ``"true"``); :data:`UNKNOWN` stays unknown."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def parse_json(value: Any) -> Any:
    """Parse a JSON document property (task containers, IAM policies) that may be a string,
    an already-structured value, unknown (:data:`UNKNOWN`) or absent (None).

    Raises ``ValueError`` for a string that is not JSON; a caller reports that as-is.
    """
    if value is None or is_unknown(value):
        return UNKNOWN if is_unknown(value) else None
    if isinstance(value, str):
        if any(sentinel in value for sentinel in UNKNOWN_SENTINELS):
            return UNKNOWN
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at char {exc.pos})") from exc
    return value


def strings(values: Iterable[Any]) -> list[str]:
    """The known string items of ``values`` (unknowns and non-strings dropped)."""
    return [value for value in values if isinstance(value, str) and not is_unknown(value)]
