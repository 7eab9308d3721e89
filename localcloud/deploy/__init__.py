"""Emulated ``pulumi up``: the project's program under Pulumi's mock runtime, made real.

The same ``__main__.py`` and components run as with ``pulumi up``; every resource registration
makes the AWS calls the provider would make against the local cloud (see ``mocks``), so the
result is real AWS state with real ids. This is for local runs and tests; ``pulumi up -s
localstack`` (or ``-s dev``) with the Pulumi CLI is the real path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from localcloud.deploy.context import DeployContext
from localcloud.deploy.mocks import HANDLERS, Created, EmulatorMocks
from localcloud.errors import ConfigError

__all__ = ["HANDLERS", "DeployResult", "deploy"]


@dataclass
class DeployResult:
    """What an emulated deploy produced."""

    stack: str
    outputs: dict[str, Any]
    resources: list[Any] = field(default_factory=list)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    seconds: float = 0.0


def deploy(
    cloud: Any,
    stack_config: str | Path,
    *,
    config: dict[str, Any] | None = None,
    show_progress: bool = False,
    console: Console | None = None,
    on_created: Callable[[Created], None] | None = None,
) -> DeployResult:
    """Run the program of *stack_config* with every resource created on *cloud*.

    *cloud* is a ``LocalCloud`` or ``RemoteCloud`` (anything with ``client()`` and ``region``);
    *config* adds or overrides stack config keys. The stack's ``aws:region`` is honoured; its
    ``aws:endpoints`` are not needed (every call goes to *cloud*). Raises ``ConfigError`` on a
    bad stack config or component input and ``LocalCloudError`` on an AWS error or a resource
    type without a handler, each with a one-line message. *on_created* is called with each
    created resource before anything that depends on it is registered (from Pulumi's threads).
    """
    from components.program import StackConfigError, load_stack_config, run_program

    try:
        parsed = load_stack_config(stack_config)
    except StackConfigError as exc:
        raise ConfigError(str(exc)) from None
    region = str({**parsed.config, **(config or {})}.get("aws:region") or cloud.region)
    ids: dict[tuple[str, str], str] = {}
    progress = None
    if show_progress:
        from localcloud.deploy.report import DeployProgress

        progress = DeployProgress(console or Console())

    def created(resource: Created) -> None:
        ids[(resource.type_, resource.name)] = resource.id
        if progress:
            progress.created(resource)
        if on_created:
            on_created(resource)

    mocks = EmulatorMocks(DeployContext(cloud, region), on_created=created)
    started = time.monotonic()
    try:
        with progress or nullcontext():
            result = run_program(parsed, mocks, config=config)
    except Exception as exc:
        if mocks.error is not None:
            raise mocks.error from None
        from components import FargateAppConfigError

        if isinstance(exc, FargateAppConfigError):
            raise ConfigError(str(exc).strip().splitlines()[0]) from None
        raise
    return DeployResult(
        stack=parsed.stack,
        outputs=json.loads(json.dumps(result.outputs, default=str)),
        resources=result.resources,
        ids=ids,
        seconds=time.monotonic() - started,
    )
