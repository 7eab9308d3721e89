"""Errors the reconciler turns into one-line messages and exit codes (never tracebacks)."""

from __future__ import annotations

EXIT_CONVERGED = 0
EXIT_NOT_CONVERGED = 1
EXIT_USAGE = 2
EXIT_AWS = 3


class ReconcilerError(Exception):
    """Base of the errors the CLI reports as one line with an exit code."""

    exit_code = EXIT_AWS


class ConfigError(ReconcilerError):
    """Bad flags, a malformed or empty outputs file, an impossible declaration (exit 2)."""

    exit_code = EXIT_USAGE


class AwsAccessError(ReconcilerError):
    """AWS unreachable, credentials missing or refused, or throttled past every retry (exit 3)."""

    exit_code = EXIT_AWS

    def __init__(self, message: str, *, kind: str = "api", transient: bool = False) -> None:
        super().__init__(message)
        #: "unreachable", "credentials", "throttled" or "api".
        self.kind = kind
        #: True for failures that usually pass by themselves (throttling, timeouts, 5xx).
        self.transient = transient
