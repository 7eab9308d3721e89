"""Every ``reconciler`` usage error is one line on stderr (no usage block, no traceback), exit 2,
before any AWS call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["check", "--outputs", "x.json", "--endpoint-url", "127.0.0.1:4590"],
            "argument --endpoint-url: '127.0.0.1:4590' is not a URL; use e.g. "
            "http://127.0.0.1:4566 (scheme, host and port)",
        ),
        (
            ["check", "--endpoint-url", "http://127.0.0.1:port", "--outputs", "x.json"],
            "argument --endpoint-url: 'http://127.0.0.1:port' is not a URL; use e.g. "
            "http://127.0.0.1:4566 (scheme, host and port)",
        ),
        (
            ["check", "--cluster", "web", "--service", "app", "--desired", "-1"],
            "argument --desired: '-1' is not a non-negative integer",
        ),
        (
            ["chek"],
            "argument {check,wait,watch,heal}: invalid choice: 'chek' "
            "(choose from 'check', 'wait', 'watch', 'heal')",
        ),
        (
            ["watch", "--outputs", "x.json", "--interval", "0"],
            "argument --interval: '0' is not a positive number of seconds",
        ),
        (
            ["wait", "--outputs", "x.json", "--poll-max", "0"],
            "argument --poll-max: '0' is not a positive number of seconds",
        ),
        (["check", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "the following arguments are required: {check,wait,watch,heal}"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(run_cli, argv, message):
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, "")
    assert err == f"reconciler: error: {message}\n"


def test_an_endpoint_without_a_scheme_prints_no_traceback():
    """The case that printed 61 lines: the real ``python -m reconciler`` process."""
    run = subprocess.run(
        [sys.executable, "-m", "reconciler", "check", "--outputs", "x.json",
         "--endpoint-url", "127.0.0.1:4590"],
        cwd=PROJECT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.splitlines() == [
        "reconciler: error: argument --endpoint-url: '127.0.0.1:4590' is not a URL; use e.g. "
        "http://127.0.0.1:4566 (scheme, host and port)"
    ]
