"""Emulated ``pulumi up`` / ``pulumi destroy``: the project's program under Pulumi's mock
runtime, made real, as an update of what is already deployed.

The same ``__main__.py`` and components run as with ``pulumi up``. A deploy runs the program
twice: first to plan (every registration diffed against the state, ``localcloud.deploy.plan``;
a change the local cloud cannot apply stops it here, before anything changes), then to apply
the plan with the AWS calls the provider would make (``mocks``): unchanged resources make no
call, changed ones are updated in place or replaced, new ones created, and resources the
program no longer registers deleted, dependents first. Into an empty state (a first deploy)
there is nothing to update, so the program runs once, creating as it registers; if it fails,
what it created is deleted again, dependents first, and the error is raised. The state
(``state``) is saved after every deploy and destroy. This is for local runs and tests;
``pulumi up -s localstack`` (or ``-s dev``) with the Pulumi CLI is the real path.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.deploy.context import SERVICE_DRAIN_TIMEOUT_S, DeployContext
from localcloud.deploy.state import (
    ResourceState,
    StackState,
    default_state_path,
    load_state,
    save_state,
)
from localcloud.errors import ConfigError
from localcloud.outputs import port_of

if TYPE_CHECKING:  # Pulumi, botocore and rich load on first use: the CLI starts at once
    from rich.console import Console

    from localcloud.deploy.mocks import Created, EmulatorMocks
    from localcloud.deploy.plan import Plan

__all__ = ["HANDLERS", "DeployResult", "deploy", "destroy", "state_path_of"]


def __getattr__(name: str) -> Any:
    if name == "HANDLERS":
        from localcloud.deploy.mocks import HANDLERS

        return HANDLERS
    raise AttributeError(f"module 'localcloud.deploy' has no attribute {name!r}")


@dataclass
class DeployResult:
    """What an emulated deploy (or destroy) did."""

    stack: str
    outputs: dict[str, Any]
    resources: list[Any] = field(default_factory=list)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    seconds: float = 0.0
    plan: Plan | None = None
    api_calls: Counter[str] = field(default_factory=Counter)
    """AWS API calls made, by ``service.Operation`` (reads included)."""
    state_path: Path | None = None


def state_path_of(cloud: Any) -> Path:
    """The default state file of *cloud* (by the port of its endpoint)."""
    return default_state_path(port_of(cloud.endpoint_url))


def deploy(
    cloud: Any,
    stack_config: str | Path,
    *,
    config: dict[str, Any] | None = None,
    state_path: str | Path | None = None,
    fresh: bool = False,
    preview: bool = False,
    show_progress: bool = False,
    console: Console | None = None,
    on_created: Callable[[Created], None] | None = None,
) -> DeployResult:
    """Deploy *stack_config* on *cloud* as an update of the state in *state_path*.

    *cloud* is a ``LocalCloud`` or ``RemoteCloud`` (anything with ``client()``, ``region`` and
    ``endpoint_url``); *config* adds or overrides stack config keys; *state_path* defaults to
    the cloud's state file (``state_path_of``). *fresh* ignores the state (a new emulator);
    *preview* only plans (``DeployResult.plan``) and changes nothing. The stack's
    ``aws:region`` is honoured; its ``aws:endpoints`` are not needed. Raises ``ConfigError`` on
    a bad stack config or component input and ``LocalCloudError`` on an AWS error, a change
    the local cloud cannot apply or a type without a handler, each with a one-line message.
    *on_created* is called with each created resource before anything that depends on it is
    registered (from Pulumi's threads).
    """
    from components.program import StackConfigError, load_stack_config, run_program
    from localcloud.deploy import deletes
    from localcloud.deploy.mocks import EmulatorMocks
    from localcloud.deploy.plan import Plan, Step

    try:
        parsed = load_stack_config(stack_config)
    except StackConfigError as exc:
        raise ConfigError(str(exc)) from None
    region = str({**parsed.config, **(config or {})}.get("aws:region") or cloud.region)
    path = Path(state_path) if state_path else state_path_of(cloud)
    ctx = DeployContext(cloud, region)
    prior = StackState() if fresh else _live_state(ctx, load_state(path))
    started = time.monotonic()

    # Into an empty state every step is a create: the apply is the plan, and a failure rolls
    # back what it created. Otherwise plan first, so nothing changes unless all of it can.
    into_empty = not prior.resources and not preview
    plan: Plan | None = None
    removed: list[ResourceState] = []
    if not into_empty:
        planning = EmulatorMocks(ctx, prior, preview=True)
        _run(lambda: run_program(parsed, planning, config=config, preview=True), planning)
        registered = {step.urn for step in planning.steps}
        removed = delete_order([r for r in prior.resources if r.urn not in registered])
        deletions = [Step("delete", r.type, r.urn) for r in removed]
        plan = Plan(parsed.stack, planning.steps + deletions)
    if preview:
        return DeployResult(
            stack=parsed.stack,
            outputs={},
            seconds=time.monotonic() - started,
            plan=plan,
            api_calls=ctx.calls,
            state_path=path,
        )

    ids: dict[tuple[str, str], str] = {}
    progress = None
    if show_progress:
        from rich.console import Console

        from localcloud.deploy.report import DeployProgress

        progress = DeployProgress(console or Console())

    def created(resource: Created) -> None:
        ids[(resource.type_, resource.name)] = resource.id
        if progress:
            progress.created(resource)
        if on_created:
            on_created(resource)

    applying = EmulatorMocks(ctx, prior, on_created=created)
    try:
        with progress or nullcontext():
            result = _run(lambda: run_program(parsed, applying, config=config), applying)
            for resource in delete_order(applying.replaced + removed):
                deletes.delete(ctx, resource)
    except Exception:
        applying.settle()
        if into_empty:
            _roll_back(ctx, applying, parsed.stack, path, cloud)
        else:
            _save_partial(prior, applying, path, cloud)
        raise
    except BaseException:  # interrupted: keep what was done, to destroy or deploy again
        applying.settle()
        _save_partial(prior, applying, path, cloud)
        raise
    plan = plan or Plan(parsed.stack, list(applying.steps))
    save_state(StackState(parsed.stack, cloud.endpoint_url, applying.resources), path)
    return DeployResult(
        stack=parsed.stack,
        outputs=json.loads(json.dumps(result.outputs, default=str)),
        resources=result.resources,
        ids=ids,
        seconds=time.monotonic() - started,
        plan=plan,
        api_calls=ctx.calls,
        state_path=path,
    )


def destroy(
    cloud: Any,
    *,
    state_path: str | Path | None = None,
    preview: bool = False,
    service_drain_timeout: float = SERVICE_DRAIN_TIMEOUT_S,
) -> DeployResult:
    """Delete everything in the state, dependents first, and empty the state.

    *preview* only plans (``DeployResult.plan``: a delete per resource) and changes nothing;
    *service_drain_timeout* bounds the wait for each deleted ECS service's tasks to stop.
    """
    from localcloud.deploy import deletes
    from localcloud.deploy.plan import Plan, Step

    path = Path(state_path) if state_path else state_path_of(cloud)
    prior = load_state(path)
    ctx = DeployContext(cloud, cloud.region, service_drain_timeout)
    started = time.monotonic()
    order = delete_order(prior.resources)
    plan = Plan(prior.stack, [Step("delete", r.type, r.urn) for r in order])
    if not preview:
        remaining = list(prior.resources)
        try:
            for resource in order:
                if resource.custom:
                    deletes.delete(ctx, resource)
                remaining.remove(resource)
        finally:
            save_state(StackState(prior.stack, cloud.endpoint_url, remaining), path)
    return DeployResult(
        stack=prior.stack,
        outputs={},
        seconds=time.monotonic() - started,
        plan=plan,
        api_calls=ctx.calls,
        state_path=path,
    )


def delete_order(resources: list[ResourceState]) -> list[ResourceState]:
    """*resources* ordered for deletion: every resource before the ones it depends on (and
    children before their parents), the latest registered first among independent ones."""
    pending = list(reversed(resources))
    urns = {id(resource): resource.urn for resource in pending}
    ordered: list[ResourceState] = []
    while pending:
        blocked = {
            dependency
            for resource in pending
            for dependency in (*resource.dependencies, resource.parent)
        }
        ready = [r for r in pending if urns[id(r)] not in blocked] or pending[:1]
        for resource in ready:
            pending.remove(resource)
        ordered.extend(ready)
    return ordered


def _run(program: Any, mocks: EmulatorMocks) -> Any:
    """Run the program; the mocks' first failure (or a component's config error) in one line."""
    try:
        return program()
    except Exception as exc:
        if mocks.error is not None:
            raise mocks.error from None
        from components import FargateAppConfigError

        if isinstance(exc, FargateAppConfigError):
            raise ConfigError(str(exc).strip().splitlines()[0]) from None
        raise


def _roll_back(
    ctx: DeployContext, applying: EmulatorMocks, stack: str, path: Path, cloud: Any
) -> None:
    """After a failed deploy into an empty state: delete what it created, dependents first, so
    the failure leaves nothing (the state keeps whatever could not be deleted)."""
    from localcloud.deploy import deletes

    remaining = list(applying.resources)
    try:
        for resource in delete_order(applying.resources):
            if resource.custom:
                deletes.delete(ctx, resource)
            remaining.remove(resource)
    except Exception:  # the deploy's own error is the one to report; the state says what is left
        pass
    finally:
        if remaining or path.exists():  # a first deploy that left nothing writes no file
            save_state(StackState(stack, cloud.endpoint_url, remaining), path)


def _save_partial(prior: StackState, applying: EmulatorMocks, path: Path, cloud: Any) -> None:
    """After a failed apply: the resources it applied, and the old ones it did not reach."""
    applied = {resource.urn for resource in applying.resources}
    kept = [r for r in prior.resources if r.urn not in applied]
    save_state(StackState(prior.stack, cloud.endpoint_url, applying.resources + kept), path)


#: Resource types whose existence tells whether a state still describes the emulator.
_PROBES = {
    "aws:ec2/vpc:Vpc": lambda ctx, r: ctx.client("ec2").describe_vpcs(
        Filters=[{"Name": "vpc-id", "Values": [r.id]}]
    )["Vpcs"],
    "aws:ecs/cluster:Cluster": lambda ctx, r: [
        c
        for c in ctx.client("ecs").describe_clusters(clusters=[r.id])["clusters"]
        if c["status"] == "ACTIVE"
    ],
    "aws:cloudwatch/logGroup:LogGroup": lambda ctx, r: [
        g
        for g in ctx.client("logs").describe_log_groups(logGroupNamePrefix=r.id)["logGroups"]
        if g["logGroupName"] == r.id
    ],
}


def _live_state(ctx: DeployContext, state: StackState) -> StackState:
    """*state*, or an empty one when the emulator no longer has its resources (restarted or
    reset since): one read of the first resource that can be probed."""
    anchor = next((r for r in state.resources if r.type in _PROBES), None)
    if anchor is None or _PROBES[anchor.type](ctx, anchor):
        return state
    return StackState()
