"""Fixtures for component tests: run a FargateApp (or a stack file) under Pulumi's mock runtime."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, Optional

import pulumi
import pytest

from components import OUTPUT_NAMES, FargateApp
from components.mocks import AwsLikeMocks
from components.program import ProgramResult, run_program

APP = "web"

#: Results of the runs below with the default mocks, by what the run is a pure function of: many
#: tests look at the same app or stack (this worker's runs only). A result is shared, so a test
#: must only read it; ``_unchanged_shared_runs`` checks that they did.
_RUNS: dict[Hashable, ProgramResult] = {}
#: ``repr`` of each shared result when it was made.
_SNAPSHOTS: dict[Hashable, str] = {}


def shared_run(key: Hashable, run: Callable[[], ProgramResult]) -> ProgramResult:
    """``run()``, or the result it gave before for the same ``key`` (which must name everything
    the run depends on). Failed runs are not kept: each caller sees the exception."""
    if key not in _RUNS:
        result = run()
        _RUNS[key] = result
        _SNAPSHOTS[key] = repr(result)
    return _RUNS[key]


@pytest.fixture(scope="session", autouse=True)
def _unchanged_shared_runs() -> Iterator[None]:
    """Fail the session if any test changed a result other tests share."""
    yield
    changed = [key for key, result in _RUNS.items() if repr(result) != _SNAPSHOTS[key]]
    assert changed == [], f"tests changed these shared results: {changed}"


def deploy(
    args: dict[str, Any], *, stack: str = "test", name: str = APP, mocks: AwsLikeMocks | None = None
) -> ProgramResult:
    """Register one FargateApp with ``args`` under mocks, exporting each of its outputs as a
    stack's program would (``result.outputs``); returns what was registered (the same result
    again for the same plain-data args with the default mocks)."""

    def program() -> None:
        app = FargateApp(name, args)
        for output in OUTPUT_NAMES:
            pulumi.export(output, getattr(app, output))

    if mocks is not None:
        return run_program(None, mocks, program=program, stack=stack)
    try:
        key = ("app", json.dumps(args, sort_keys=True), stack, name)
    except TypeError:  # Outputs or objects among the args: run each time
        return run_program(None, AwsLikeMocks(), program=program, stack=stack)
    return shared_run(key, lambda: run_program(None, AwsLikeMocks(), program=program, stack=stack))


def deploy_stack(stack_file: Path, config: Optional[dict[str, Any]] = None) -> ProgramResult:
    """Run the program of the project ``stack_file`` belongs to (this one's ``__main__.py``) with
    the file's config plus ``config``, under the default mocks (the same result again for the
    same file, text and config)."""
    path = Path(stack_file).resolve()
    key = ("stack", str(path), path.read_text(), json.dumps(config, sort_keys=True))
    return shared_run(key, lambda: run_program(path, AwsLikeMocks(), config=config))


@pytest.fixture
def app() -> Callable[..., ProgramResult]:
    """``app(args)``: deploy a FargateApp under mocks (fresh event loop and runtime per call)."""
    return deploy


def container_of(result: ProgramResult) -> dict[str, Any]:
    """The single container definition of the task definition, parsed."""
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    return container
