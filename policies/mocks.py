"""Pulumi mocks for the offline policy check: AWS-like outputs, and transforms applied like the
engine applies them.

Two things the plain mock monitor does not do and the check needs:

- **Consistent identifiers** (``components.mocks.AwsLikeMocks``). Stack rules follow
  references (a listener's ``loadBalancerArn``, a rule's ``securityGroupId``) by matching values,
  so every resource gets a deterministic ``id`` and ``arn`` (and ``name`` where AWS has one).
- **Transforms.** Pulumi's mock monitor does not run ``ResourceOptions.transforms`` (the engine
  does). These mocks run a resource's own transforms, then those of the components registered
  before it, then stack transforms, and record the transformed inputs; that is what a user
  overriding a FargateApp default with a transform gets in a real preview. Component transforms
  are applied to every resource registered after the component, which is exact for a program
  holding one component tree (the offline checker's case).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pulumi

from components.mocks import ACCOUNT, REGION, AwsLikeMocks


class PolicyMocks(AwsLikeMocks):
    """Mocks for the resources and invokes of the FargateApp, recording transformed inputs."""

    def __init__(self, region: str = REGION, account: str = ACCOUNT) -> None:
        super().__init__(region=region, account=account)
        self.inputs: dict[tuple[str, str], dict[str, Any]] = {}
        """Inputs after transforms, by (type token, logical name)."""
        self._component_transforms: list[Any] = []
        self._stack_transforms: list[Any] = []

    def register_transform(self, transform: Any) -> None:
        """Keep a stack transform (``pulumi.runtime.register_resource_transform``)."""
        self._stack_transforms.append(transform)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Apply transforms, record the inputs, answer with AWS-like outputs."""
        own = list(args.transforms)
        props = self._transform(args, [*own, *self._component_transforms, *self._stack_transforms])
        if not args.custom and own:
            self._component_transforms.extend(own)
        self.inputs[(args.typ, args.name)] = props
        return self.outputs_for(args.typ, args.name, props)

    def _transform(self, args: pulumi.runtime.MockResourceArgs, transforms: list[Any]) -> dict:
        props = dict(args.inputs)
        for transform in transforms:
            result = transform(
                pulumi.ResourceTransformArgs(
                    custom=bool(args.custom),
                    type_=args.typ,
                    name=args.name,
                    props=props,
                    opts=pulumi.ResourceOptions(),
                )
            )
            if inspect.isawaitable(result):
                result = asyncio.new_event_loop().run_until_complete(result)
            if result is not None:
                props = dict(result.props)
        return props
