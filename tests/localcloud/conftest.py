"""Shared set-up of the local cloud's tests: a minimal Fargate service built through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from tests.localcloud.support import ServiceUnderTest


@pytest.fixture
def manual_scheduler(local_cloud):
    """The embedded scheduler without its background thread: only ``tick()`` moves tasks."""
    if not isinstance(local_cloud, LocalCloud):
        pytest.skip("drives the embedded scheduler directly")
    scheduler = local_cloud.scheduler
    scheduler.stop()
    delay = scheduler.task_start_delay
    scheduler.task_start_delay = 0
    yield scheduler
    scheduler.task_start_delay = delay
    scheduler.start()


@pytest.fixture
def make_service(aws_client):
    """Factory creating VPC, subnets, SG, target group, cluster, task definition and service."""

    def make(
        desired_count: int = 2,
        circuit_breaker: bool = True,
        capacity_provider: str | None = None,
        cluster: str = "web",
        service: str = "api",
        **extra: Any,
    ) -> ServiceUnderTest:
        ec2, ecs, elbv2 = aws_client("ec2"), aws_client("ecs"), aws_client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = {}
        for index, zone in enumerate(("us-east-1a", "us-east-1b")):
            cidr = f"10.0.{index + 1}.0/24"
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)
            subnets[subnet["Subnet"]["SubnetId"]] = cidr
        group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)
        target_group = elbv2.create_target_group(
            Name="api", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        ecs.create_cluster(clusterName=cluster)
        task_definition = ecs.register_task_definition(
            family="api",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "app", "image": "nginx", "portMappings": [{"containerPort": 8080}]}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        placement: dict[str, Any] = (
            {"capacityProviderStrategy": [{"capacityProvider": capacity_provider, "weight": 1}]}
            if capacity_provider
            else {"launchType": "FARGATE"}
        )
        ecs.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=task_definition,
            desiredCount=desired_count,
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": circuit_breaker, "rollback": True},
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
            loadBalancers=[
                {"targetGroupArn": target_group, "containerName": "app", "containerPort": 8080}
            ],
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(subnets),
                    "securityGroups": [group["GroupId"]],
                }
            },
            **placement,
            **extra,
        )
        return ServiceUnderTest(
            cluster, service, target_group, subnets, group["GroupId"], task_definition
        )

    return make
