"""Pulumi mocks that answer like AWS would: ids, ARNs, DNS names and autonames.

Enough realism for resource-graph tests (references between resources resolve to the values
AWS would give); the local cloud's mocks make real API calls on an emulator instead.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]

ID_PREFIX = {
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


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


class FakeAws(pulumi.runtime.Mocks):
    """Mocks for pulumi-aws resources and the invokes the component makes."""

    def __init__(self, zones: list[str] | None = None) -> None:
        self.zones = zones if zones is not None else ZONES

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        name = outputs.get("name") or f"{args.name}-{_digest(args.name)[:7]}"
        resource_id = ID_PREFIX.get(args.typ, "") + _digest(args.name)
        service = args.typ.split(":")[1].split("/")[0]
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{args.name}"
        outputs.setdefault("arn", arn)
        if args.typ in ("aws:ecr/repository:Repository",):
            outputs["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}"
            outputs["name"] = name
        elif args.typ == "aws:lb/loadBalancer:LoadBalancer":
            outputs["arn"] = (
                f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{name}/1"
            )
            outputs["arnSuffix"] = f"app/{name}/1"
            outputs["dnsName"] = f"{name}-1.{REGION}.elb.amazonaws.com"
        elif args.typ == "aws:lb/targetGroup:TargetGroup":
            outputs["arn"] = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/1"
            outputs["arnSuffix"] = f"targetgroup/{name}/1"
        elif args.typ == "aws:ecs/service:Service":
            resource_id = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{outputs['name']}"
        elif args.typ in (
            "aws:iam/role:Role",
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:ecs/cluster:Cluster",
        ):
            outputs["name"] = name
            if args.typ == "aws:iam/role:Role":
                resource_id = name
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        answers = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": self.zones,
                "zoneIds": [f"use1-az{i}" for i, _ in enumerate(self.zones)],
            },
            "aws:index/getRegion:getRegion": {"region": REGION, "name": REGION},
            "aws:index/getCallerIdentity:getCallerIdentity": {"accountId": ACCOUNT},
            "aws:index/getPartition:getPartition": {"partition": "aws"},
        }
        if args.token not in answers:
            raise NotImplementedError(f"FakeAws has no answer for invoke {args.token}")
        return answers[args.token]
