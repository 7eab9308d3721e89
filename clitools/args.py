"""Parsing conventions every CLI of the project shares (see the package docstring).

Errors in flags are one line with no usage dump (``OneLineParser`` raises ``UsageError``, the
CLI prints ``<prog>: error: <message>`` and exits 2); values are checked by argparse types, so
nonsense is rejected before any work starts; every option's ``--help`` shows its default.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit


class UsageError(ValueError):
    """Bad flags: the CLI prints the message on one line and exits 2."""


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option whose default is not None, False or empty."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, argparse.SUPPRESS) and default != []
        if shown and action.option_strings and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors (``UsageError``) and defaults in ``--help``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage block and exiting."""
        raise UsageError(message)


def bounded(cast: Callable[[str], float], low: float, high: float, what: str) -> Any:
    """An argparse type: ``cast(text)`` within [low, high]; argparse names the flag on error."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or math.isnan(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


def _above_zero(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(text)
    return value


count = bounded(int, 0, math.inf, "a non-negative integer")
positive = bounded(int, 1, math.inf, "a positive integer")
seconds = bounded(float, 0, math.inf, "a non-negative number of seconds")
positive_seconds = bounded(_above_zero, 0, math.inf, "a positive number of seconds")
port = bounded(int, 0, 65535, "a port number (0-65535)")
fraction = bounded(float, 0, 1, "a fraction from 0 to 1")


def endpoint_url(text: str) -> str:
    """An argparse type: an http(s) URL with a host, e.g. ``http://127.0.0.1:4566``."""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a URL; use e.g. http://127.0.0.1:4566 (scheme, host and port)"
        )
    return text.rstrip("/")
