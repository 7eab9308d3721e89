"""AWS-like Pulumi mocks for running the program without a cloud (tests, offline policy check).

Every resource gets a deterministic id, ARN and (where AWS has one) name in its outputs, with the
shapes AWS uses (``vpc-…``, ``sg-…``, load balancer ARNs with their ``arnSuffix`` and DNS name,
repository URLs), so references between resources can be followed by value. The invokes the
FargateApp makes are answered; any other invoke is an error rather than a silent empty answer.
The local cloud's mocks make real API calls on an emulator instead.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Optional

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")

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
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl-",
}
NAMED_BY_ID = ("aws:iam/role:Role", "aws:ecr/repository:Repository", "aws:s3/bucket:Bucket")


class AwsLikeMocks(pulumi.runtime.Mocks):
    """Mocks answering resource registrations and invokes the way AWS would shape them."""

    def __init__(
        self,
        region: str = REGION,
        account: str = ACCOUNT,
        zones: Optional[tuple[str, ...] | list[str]] = None,
    ) -> None:
        self.region = region
        self.account = account
        self.zones = list(zones) if zones is not None else [f"{region}{z[-1]}" for z in ZONES]

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Echo the inputs and add AWS-like identifiers."""
        return self.outputs_for(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """Answer the invokes the FargateApp makes."""
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": self.zones,
                "zoneIds": [f"use1-az{index + 1}" for index in range(len(self.zones))],
                "id": self.region,
            },
            "aws:index/getRegion:getRegion": {
                "name": self.region,
                "region": self.region,
                "id": self.region,
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": self.account,
                "arn": f"arn:aws:iam::{self.account}:user/mock",
                "userId": "AIDAMOCK",
                "id": self.account,
            },
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
            },
        }
        if args.token not in answers:
            raise NotImplementedError(f"no mock answer for invoke {args.token}")
        return answers[args.token]

    def outputs_for(
        self, type_: str, name: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The id and outputs AWS would give a ``type_`` resource with inputs ``props``."""
        digest = hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()[:12]
        service = type_.split(":")[1].split("/")[0]
        physical = str(props.get("name") or f"{name}-{digest[:7]}")
        outputs = dict(props)
        resource_id = ID_PREFIX.get(type_, f"{name}-") + digest
        arn = f"arn:aws:{service}:{self.region}:{self.account}:{name}/{digest}"
        elb = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}"
        if type_ == "aws:iam/role:Role":
            arn = f"arn:aws:iam::{self.account}:role/{physical}"
        elif type_ == "aws:ec2/vpc:Vpc":
            outputs["defaultNetworkAclId"] = f"acl-{digest}"
        elif type_ == "aws:kms/key:Key":
            key_id = str(uuid.UUID(hashlib.sha256(digest.encode()).hexdigest()[:32]))
            arn = f"arn:aws:kms:{self.region}:{self.account}:key/{key_id}"
            outputs["keyId"] = key_id
        elif type_ == "aws:wafv2/webAcl:WebAcl":
            arn = (
                f"arn:aws:wafv2:{self.region}:{self.account}:regional/webacl/{physical}/"
                f"{uuid.UUID(hashlib.sha256(digest.encode()).hexdigest()[:32])}"
            )
        elif type_ == "aws:s3/bucket:Bucket":
            physical = str(props.get("bucket") or physical)
            arn = f"arn:aws:s3:::{physical}"
            outputs["bucket"] = physical
        elif type_ == "aws:lb/loadBalancer:LoadBalancer":
            arn = f"{elb}:loadbalancer/app/{physical}/{digest}"
            outputs["arnSuffix"] = f"app/{physical}/{digest}"
            outputs["dnsName"] = f"{physical}-{digest}.{self.region}.elb.amazonaws.com"
        elif type_ == "aws:lb/targetGroup:TargetGroup":
            arn = f"{elb}:targetgroup/{physical}/{digest}"
            outputs["arnSuffix"] = f"targetgroup/{physical}/{digest}"
        elif type_ == "aws:ecr/repository:Repository":
            arn = f"arn:aws:ecr:{self.region}:{self.account}:repository/{physical}"
            outputs["repositoryUrl"] = (
                f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{physical}"
            )
        elif type_ == "aws:ecs/service:Service":
            arn = f"arn:aws:ecs:{self.region}:{self.account}:service/{physical}"
            resource_id = arn
        elif type_ == "aws:cloudwatch/logGroup:LogGroup":
            arn = f"arn:aws:logs:{self.region}:{self.account}:log-group:{physical}"
        elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
            arn = f"arn:aws:ecs:{self.region}:{self.account}:task-definition/{physical}:1"
            outputs["revision"] = 1
        if type_ in NAMED_BY_ID:
            resource_id = physical
        outputs.setdefault("arn", arn)
        outputs.setdefault("name", physical)
        outputs["id"] = resource_id
        return resource_id, outputs
