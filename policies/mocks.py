"""Pulumi mocks for the offline policy check: AWS-like outputs, and transforms applied like the
engine applies them.

Two things the plain mock monitor does not do and the check needs:

- **Consistent identifiers.** Stack rules follow references (a listener's ``loadBalancerArn``, a
  rule's ``securityGroupId``) by matching values, so every resource gets a deterministic ``id``
  and ``arn`` (and ``name`` where AWS has one) in its outputs.
- **Transforms.** Pulumi's mock monitor does not run ``ResourceOptions.transforms`` (the engine
  does). These mocks run a resource's own transforms, then those of the components registered
  before it, then stack transforms, and record the transformed inputs; that is what a user
  overriding a FargateApp default with a transform gets in a real preview. Component transforms
  are applied to every resource registered after the component, which is exact for a program
  holding one component tree (the offline checker's case).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from typing import Any

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
}
_NAMED_BY_ID = ("aws:iam/role:Role", "aws:ecr/repository:Repository")


class PolicyMocks(pulumi.runtime.Mocks):
    """Mocks for the resources and invokes of the FargateApp, recording transformed inputs."""

    def __init__(self, region: str = REGION, account: str = ACCOUNT) -> None:
        self.region = region
        self.account = account
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
        return self._outputs(args.typ, args.name, props)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """Answer the invokes the FargateApp makes."""
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": ZONES,
                "zoneIds": [f"use1-az{index + 1}" for index in range(len(ZONES))],
                "id": self.region,
            },
            "aws:index/getRegion:getRegion": {
                "name": self.region,
                "region": self.region,
                "id": self.region,
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": self.account,
                "arn": f"arn:aws:iam::{self.account}:user/policy-check",
                "userId": "AIDAPOLICYCHECK",
                "id": self.account,
            },
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
            },
        }
        return answers.get(args.token, {})

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

    def _outputs(self, type_: str, name: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        digest = hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()[:12]
        service = type_.split(":")[1].split("/")[0]
        physical = str(props.get("name") or f"{name}-{digest[:7]}")
        outputs = dict(props)
        resource_id = _ID_PREFIX.get(type_, f"{name}-") + digest
        arn = f"arn:aws:{service}:{self.region}:{self.account}:{name}/{digest}"
        if type_ == "aws:iam/role:Role":
            arn = f"arn:aws:iam::{self.account}:role/{physical}"
        elif type_ == "aws:lb/loadBalancer:LoadBalancer":
            arn = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}:loadbalancer/app/{physical}/{digest}"  # noqa: E501
            outputs["arnSuffix"] = f"app/{physical}/{digest}"
            outputs["dnsName"] = f"{physical}-{digest}.{self.region}.elb.amazonaws.com"
        elif type_ == "aws:lb/targetGroup:TargetGroup":
            arn = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}:targetgroup/{physical}/{digest}"  # noqa: E501
            outputs["arnSuffix"] = f"targetgroup/{physical}/{digest}"
        elif type_ == "aws:ecr/repository:Repository":
            outputs["repositoryUrl"] = (
                f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{physical}"
            )
        elif type_ == "aws:ecs/service:Service":
            arn = f"arn:aws:ecs:{self.region}:{self.account}:service/{physical}"
            resource_id = arn
        elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
            arn = f"arn:aws:ecs:{self.region}:{self.account}:task-definition/{physical}:1"
            outputs["revision"] = 1
        if type_ in _NAMED_BY_ID:
            resource_id = physical
        outputs.setdefault("arn", arn)
        outputs.setdefault("name", physical)
        outputs["id"] = resource_id
        return resource_id, outputs
