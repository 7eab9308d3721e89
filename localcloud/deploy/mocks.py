"""Pulumi mocks that plan each registration against the state and apply it on the emulator.

Pulumi's mock runtime hands each resource registration to ``new_resource`` and each provider
function to ``call``. Each registration is diffed against the deployed state
(``localcloud.deploy.plan.diff``); planning (``preview=True``) only records the step and answers
with what is known, applying makes the AWS calls the pulumi-aws provider would make for the
step (create, update in place, replace; nothing for an unchanged resource, which is answered
from the state) and answers with the real ids, ARNs and DNS names. A type without a handler is
an error - never a made-up id - so the emulated deploy cannot silently diverge from a real one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from botocore.exceptions import ClientError

from components.program import current_registration
from localcloud.deploy import balancing, containers, deletes, network, security, updates
from localcloud.deploy.context import DeployContext
from localcloud.deploy.invokes import INVOKES
from localcloud.deploy.plan import Step, diff, has_unknowns, known
from localcloud.deploy.state import ResourceState, StackState
from localcloud.errors import LocalCloudError

#: Resource type token -> handler(ctx, logical name, inputs) -> (id, outputs).
HANDLERS: dict[str, Callable[[DeployContext, str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    **network.HANDLERS,
    **containers.HANDLERS,
    **balancing.HANDLERS,
    **security.HANDLERS,
}


@dataclass(frozen=True)
class Created:
    """One resource the emulated deploy took a step on (what the progress display shows)."""

    type_: str
    name: str
    id: str
    seconds: float
    custom: bool
    kind: str = "create"


class EmulatorMocks(pulumi.runtime.Mocks):
    """``pulumi.runtime.Mocks`` backed by the emulator and the state *prior* (see the module
    docstring). *preview* plans only: no API call but the provider functions' reads.

    *on_created* is called after each registration (from Pulumi's worker threads). The steps
    are kept in ``steps`` and the resulting resources in ``resources``, in registration order;
    replaced resources still to delete (create-before-delete) in ``replaced``. The first
    failure is kept in ``error`` so the caller can report it in one line.
    """

    def __init__(
        self,
        ctx: DeployContext,
        prior: StackState | None = None,
        *,
        preview: bool = False,
        on_created: Callable[[Created], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.prior = (prior or StackState()).by_urn()
        self.preview = preview
        self.on_created = on_created
        self.error: LocalCloudError | None = None
        self.steps: list[Step] = []
        self.resources: list[ResourceState] = []
        self.replaced: list[ResourceState] = []
        self._guard = threading.Lock()
        self._in_flight = 0
        self._settled = threading.Condition(self._guard)

    def settle(self, timeout: float = 120.0) -> None:
        """Wait until no registration is being applied (after a failure, Pulumi's other worker
        threads may still be creating; once one failed, no new one starts)."""
        with self._settled:
            self._settled.wait_for(lambda: self._in_flight == 0, timeout)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Plan the registration; when applying, take the step on the emulator."""
        with self._guard:
            if self.error is not None:  # the deploy failed: nothing more is created
                raise self.error
            self._in_flight += 1
        try:
            return self._register(args)
        finally:
            with self._settled:
                self._in_flight -= 1
                self._settled.notify_all()

    def _register(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        started = time.monotonic()
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", dict(args.inputs)
        registration = current_registration()
        if registration is None:
            self._fail(f"{args.typ} {args.name}: registered outside the recording monitor")
        old = self.prior.get(registration.urn)
        try:
            step = diff(
                args.typ,
                registration.urn,
                old,
                dict(args.inputs),
                registration.ignore_changes,
                custom=bool(args.custom),
            )
        except LocalCloudError as exc:
            self._fail(str(exc))
        if args.custom and args.typ not in HANDLERS:
            self._fail(
                f"resource type {args.typ} ({args.name}) is not handled by the emulated "
                "deploy; add a handler in localcloud/deploy/"
            )
        if not args.custom:
            resource_id, outputs = "", {}
        elif self.preview:
            resource_id, outputs = _planned_answer(step, old)
        else:
            resource_id, outputs = self._apply(step, old, args.name)
        with self._guard:
            self.steps.append(step)
            self.resources.append(
                ResourceState(
                    type=args.typ,
                    urn=registration.urn,
                    id=resource_id,
                    inputs=known(step.inputs),
                    outputs=known(outputs),
                    dependencies=registration.dependencies,
                    parent=registration.parent_urn,
                    ignoreChanges=registration.ignore_changes,
                )
            )
        if self.on_created:
            self.on_created(
                Created(
                    args.typ,
                    args.name,
                    resource_id,
                    time.monotonic() - started,
                    bool(args.custom),
                    step.kind,
                )
            )
        return resource_id, outputs

    def _apply(
        self, step: Step, old: ResourceState | None, name: str
    ) -> tuple[str, dict[str, Any]]:
        try:
            if step.kind == "same" and old is not None:
                return old.id, old.outputs
            if step.kind == "update" and old is not None:
                return updates.update(self.ctx, old, step)
            if step.kind == "replace" and old is not None:
                if step.delete_first:
                    deletes.delete(self.ctx, old)
                else:
                    with self._guard:
                        self.replaced.append(old)
            return HANDLERS[step.type_](self.ctx, name, step.inputs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            self._fail(
                f"{step.type_} {name}: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
            )

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """Answer a provider function from the emulator."""
        invoke = INVOKES.get(args.token)
        if invoke is None:
            self._fail(
                f"function {args.token} is not handled by the emulated deploy; "
                "add it in localcloud/deploy/invokes.py"
            )
        try:
            return invoke(self.ctx, dict(args.args))
        except ClientError as exc:
            self._fail(f"{args.token}: {exc}")

    def _fail(self, message: str) -> Any:
        error = LocalCloudError(message)
        with self._guard:
            if self.error is None:
                self.error = error
        raise error


def _planned_answer(step: Step, old: ResourceState | None) -> tuple[str, dict[str, Any]]:
    """What a preview knows of a resource: all of an unchanged one, the old outputs and new
    inputs of an updated one, only the known inputs of a new one (the rest is unknown)."""
    inputs = {key: value for key, value in step.inputs.items() if not has_unknowns(value)}
    if old is not None and step.kind == "same":
        return old.id, old.outputs
    if old is not None and step.kind == "update":
        return old.id, {**old.outputs, **inputs}
    return "", inputs
