"""Rich consoles for command-line output."""

from __future__ import annotations

import sys

from rich.console import Console

#: Width of the output when it is not a terminal (CI logs, files, pipes): wide enough that no
#: ARN, id or table row is ever wrapped mid-token, whatever ``COLUMNS`` says.
NON_TERMINAL_WIDTH = 10_000


def output_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or unbounded when redirected."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=False,
        width=None if stream.isatty() else NON_TERMINAL_WIDTH,
    )
