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


def deploy(
    args: dict[str, Any], *, stack: str = "test", name: str = APP, mocks: AwsLikeMocks | None = None
) -> ProgramResult:
    """Register one FargateApp with ``args`` under mocks; returns what was registered."""

    def program() -> None:
        FargateApp(name, args)

    return run_program(None, mocks or AwsLikeMocks(), program=program, stack=stack)


@pytest.fixture
def app() -> Callable[..., ProgramResult]:
    """``app(args)``: deploy a FargateApp under mocks (fresh event loop and runtime per call)."""
    return deploy


def container_of(result: ProgramResult) -> dict[str, Any]:
    """The single container definition of the task definition, parsed."""
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    return container
