"""Every resource type and function the FargateApp can use has an emulator handler.

The program runs over stack configs and option combinations that switch on every optional
path of the component (VPC endpoints, NAT per AZ, no NAT, bring-your-own VPC, HTTPS,
autoscaling on CPU, memory and requests, secrets, internal ALB, access logs, a shared platform
with its apps' listener rules), with a mock that
only records what is registered; any type or function without a handler fails the test.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.mocks import AwsLikeMocks
from components.program import run_program
from localcloud.deploy import HANDLERS
from localcloud.deploy.invokes import INVOKES
from localcloud.deploy.mocks import EmulatorMocks
from localcloud.errors import LocalCloudError

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0000"
COMBINATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "localstack": ("stacks/Pulumi.localstack.yaml", {}),
    "dev": ("stacks/Pulumi.dev.yaml", {}),
    "prod": ("stacks/Pulumi.prod.yaml", {}),
    "endpoints-without-nat": (
        "stacks/Pulumi.localstack.yaml",
        {
            "fargate-app:network": {"azCount": 3, "natGateways": "none", "vpcEndpoints": True},
            "fargate-app:secrets": {"DB": SECRET},
        },
    ),
    "per-az-nat-internal-https-autoscaling": (
        "stacks/Pulumi.prod.yaml",
        {
            "fargate-app:network": {"natGateways": "per_az", "vpcEndpoints": True},
            "fargate-app:loadBalancer": {
                "internal": True,
                "certificateArn": CERTIFICATE,
                "accessLogsBucket": "alb-logs",
            },
            "fargate-app:autoscaling": {
                "minCount": 2,
                "maxCount": 6,
                "cpuTarget": 50,
                "memoryTarget": 70,
                "requestsPerTarget": 100,
            },
        },
    ),
    "platform-with-https-and-host-routing": (
        "stacks/Pulumi.platform.yaml",
        {
            "fargate-app:platform": {"loadBalancer": {"certificateArn": CERTIFICATE}},
            "fargate-app:apps": {
                "web": {"routing": {"hostHeaders": ["www.example.com"], "priority": 1}},
                "api": {"routing": {"pathPatterns": ["/api/*"], "priority": 2}},
            },
        },
    ),
    "bring-your-own-vpc": (
        "stacks/Pulumi.dev.yaml",
        {
            "fargate-app:network": {
                "vpcId": "vpc-0123",
                "publicSubnetIds": ["subnet-a", "subnet-b"],
                "privateSubnetIds": ["subnet-c", "subnet-d"],
            },
            "fargate-app:spot": False,
        },
    ),
}


class RecordingMocks(AwsLikeMocks):
    """Records the custom types and functions the program uses (no emulator involved)."""

    def __init__(self) -> None:
        super().__init__()
        self.types: set[str] = set()
        self.functions: set[str] = set()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if args.custom:
            self.types.add(args.typ)
        return super().new_resource(args)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        self.functions.add(args.token)
        return super().call(args)


@pytest.fixture(scope="module")
def registered() -> dict[str, RecordingMocks]:
    runs = {}
    for label, (stack_config, config) in COMBINATIONS.items():
        mocks = RecordingMocks()
        run_program(stack_config, mocks, config=config)
        runs[label] = mocks
    return runs


@pytest.mark.parametrize("label", sorted(COMBINATIONS))
def test_every_registered_type_and_function_has_a_handler(registered, label):
    mocks = registered[label]
    assert mocks.types, "the program registered no resources"
    assert sorted(mocks.types - set(HANDLERS)) == []
    assert sorted(mocks.functions - set(INVOKES)) == []


def test_the_combinations_reach_the_optional_resources(registered):
    seen = set().union(*(mocks.types for mocks in registered.values()))
    assert {
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/natGateway:NatGateway",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:appautoscaling/target:Target",
        "aws:appautoscaling/policy:Policy",
        "aws:lb/listener:Listener",
        "aws:kms/key:Key",
        "aws:wafv2/webAcl:WebAcl",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
    } <= seen
    assert "aws:ec2/vpc:Vpc" not in registered["bring-your-own-vpc"].types


def test_an_unhandled_type_is_an_error_not_a_made_up_id(local_cloud, tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi_aws as aws\nbucket = aws.s3.BucketV2('assets')\n")
    mocks = EmulatorMocks(_context(local_cloud))
    with pytest.raises(Exception):  # noqa: B017  (Pulumi wraps it; the mocks keep the original)
        run_program(None, mocks, program=program)
    assert str(mocks.error) == (
        "resource type aws:s3/bucketV2:BucketV2 (assets) is not handled by the emulated "
        "deploy; add a handler in localcloud/deploy/"
    )
    assert isinstance(mocks.error, LocalCloudError)


def _context(cloud):
    from localcloud.deploy.context import DeployContext

    return DeployContext(cloud, "us-east-1")


def test_auto_names_are_logical_name_dash_seven_hex_within_the_aws_limit():
    import re

    from localcloud.deploy.context import autoname, physical_name

    assert re.fullmatch(r"web-task-[0-9a-f]{7}", autoname("web-task", 64))
    long = autoname("x" * 100, 64)
    assert len(long) == 64 and re.fullmatch(r"x{56}-[0-9a-f]{7}", long)
    assert physical_name({"name": "given"}, "logical") == "given"
    assert re.fullmatch(r"Web-[0-9a-f]{7}", physical_name({}, "Web"))
    assert re.fullmatch(r"web-[0-9a-f]{7}", physical_name({}, "Web", lowercase=True))
