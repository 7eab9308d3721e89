"""Fixtures for policy tests: the checker's program runs, shared between tests that check the
same stack.

A run of a stack file is a pure function of the parsed stack config (stack name, config map,
project and program file): each run gets a fresh runtime and fresh mocks. Several tests check the
same stack (the shipped dev and prod stacks, one weakened copy through ``main`` and
``check_stack``), so ``policies.check.capture`` runs each distinct stack once per worker; every
check still evaluates the pack itself over what was captured. A run of a program callable (a
transform, a hand-written program) is never shared.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from components.program import StackConfig
from policies import check
from policies.offline import Captured

#: What ``capture`` registered, by stack config (this worker's runs only). Never handed out:
#: each test gets its own deep copy, so no test can change what another one reads.
_CAPTURED: dict[str, list[Captured]] = {}


def _key(parsed: StackConfig) -> str:
    return json.dumps(
        [parsed.stack, parsed.config, parsed.project, str(parsed.program)], sort_keys=True
    )


@pytest.fixture(autouse=True)
def shared_captures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``policies.check.capture`` run a stack file once and answer repeats with a copy."""
    real: Callable[..., list[Captured]] = check.capture

    def capture(parsed: StackConfig, program: Callable[[], Any] | None = None) -> list[Captured]:
        if program is not None:
            return real(parsed, program)
        try:
            key = _key(parsed)
        except TypeError:  # a config value YAML parsed into something else than JSON data
            return real(parsed)
        if key not in _CAPTURED:
            _CAPTURED[key] = real(parsed)
        return copy.deepcopy(_CAPTURED[key])

    monkeypatch.setattr(check, "capture", capture)
