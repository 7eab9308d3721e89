"""Pulumi mocks that create every resource for real on the emulator.

Pulumi's mock runtime hands each resource registration to ``new_resource`` and each provider
function to ``call``. Here both make the AWS API calls the pulumi-aws provider would make and
answer with the real ids, ARNs and DNS names. A type without a handler is an error - never a
made-up id - so the emulated deploy cannot silently diverge from a real one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from botocore.exceptions import ClientError

from localcloud.deploy import balancing, containers, network, security
from localcloud.deploy.context import DeployContext
from localcloud.deploy.invokes import INVOKES
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
    """One resource the emulated deploy created (what the progress display shows)."""

    type_: str
    name: str
    id: str
    seconds: float
    custom: bool


class EmulatorMocks(pulumi.runtime.Mocks):
    """``pulumi.runtime.Mocks`` backed by the emulator (see the module docstring).

    *on_created* is called after each registration (from Pulumi's worker threads).
    The first failure is kept in ``error`` so the caller can report it in one line.
    """

    def __init__(
        self, ctx: DeployContext, on_created: Callable[[Created], None] | None = None
    ) -> None:
        self.ctx = ctx
        self.on_created = on_created
        self.error: LocalCloudError | None = None
        self._guard = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Create the resource on the emulator; answer its real id and outputs."""
        started = time.monotonic()
        if not args.custom:  # a component resource: nothing to create
            resource_id, outputs = "", {}
        elif args.typ.startswith("pulumi:providers:"):
            resource_id, outputs = f"{args.name}-provider", dict(args.inputs)
        else:
            handler = HANDLERS.get(args.typ)
            if handler is None:
                self._fail(
                    f"resource type {args.typ} ({args.name}) is not handled by the emulated "
                    "deploy; add a handler in localcloud/deploy/"
                )
            try:
                resource_id, outputs = handler(self.ctx, args.name, args.inputs)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                self._fail(
                    f"{args.typ} {args.name}: {error.get('Code', 'Error')}: "
                    f"{error.get('Message', exc)}"
                )
        if self.on_created:
            self.on_created(
                Created(args.typ, args.name, resource_id, time.monotonic() - started, args.custom)
            )
        return resource_id, outputs

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
