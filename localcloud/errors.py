"""The one exception type the local cloud raises for user-facing problems."""

from __future__ import annotations


class LocalCloudError(Exception):
    """A problem the user can fix (busy port, unknown fault, bad stack config, unhandled resource).

    The message is one line naming the field, the value and what is allowed; the CLI prints it
    as ``localcloud: error: <message>`` and exits non-zero, never with a traceback.
    """


class ConfigError(LocalCloudError):
    """Bad usage or configuration (flags, stack config, component inputs): CLI exit code 2."""
