"""Fixtures for component tests: run a FargateApp (or a stack file) under Pulumi's mock runtime."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components import FargateApp
from components.mocks import AwsLikeMocks
from components.program import ProgramResult, run_program

APP = "web"


#: Results of ``deploy`` with the default mocks, by (args as JSON, stack, name): a run is a pure
#: function of its inputs, and many tests look at the same app (this worker's runs only).
_RUNS: dict[tuple[str, str, str], ProgramResult] = {}


def deploy(
    args: dict[str, Any], *, stack: str = "test", name: str = APP, mocks: AwsLikeMocks | None = None
) -> ProgramResult:
    """Register one FargateApp with ``args`` under mocks; returns what was registered (the same
    result again for the same plain-data args with the default mocks)."""

    def program() -> None:
        FargateApp(name, args)

    if mocks is not None:
        return run_program(None, mocks, program=program, stack=stack)
    try:
        key = (json.dumps(args, sort_keys=True), stack, name)
    except TypeError:  # Outputs or objects among the args: run each time
        return run_program(None, AwsLikeMocks(), program=program, stack=stack)
    if key not in _RUNS:
        _RUNS[key] = run_program(None, AwsLikeMocks(), program=program, stack=stack)
    return _RUNS[key]


@pytest.fixture
def app() -> Callable[..., ProgramResult]:
    """``app(args)``: deploy a FargateApp under mocks (fresh event loop and runtime per call)."""
    return deploy


def container_of(result: ProgramResult) -> dict[str, Any]:
    """The single container definition of the task definition, parsed."""
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    return container
