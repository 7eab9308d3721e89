"""A minimal Fargate service built through boto3: VPC, subnets, SG, target group, cluster,
task definition, service. For tests (this project's and yours) and benchmarks.

Example, with the pytest plugin's ``aws_client`` fixture (any ``name -> boto3 client``
factory will do, e.g. ``LocalCloud.client``)::

    from localcloud.testing import ServiceBuilder

    def test_tasks_run(aws_client, ecs_scheduler):
        svc = ServiceBuilder(aws_client).fargate_service(desired_count=2)
        ecs_scheduler.tick()
        ecs = aws_client("ecs")
        assert ecs.describe_services(cluster=svc.cluster, services=[svc.service])[
            "services"][0]["runningCount"] == 2

``fargate_service()`` makes every piece for one service; the steps it is made of (``network``,
``target_group``, ``cluster``, ``task_definition``, ``service``) build many services on one
network. The service looks like the one FargateApp deploys: awsvpc on the given subnets,
FARGATE (or a capacity provider strategy), the deployment circuit breaker with rollback,
maximumPercent 200 and minimumHealthyPercent 100 (unless told otherwise), and one target group
on the container port. Its target group has no deregistration delay unless asked
(``deregistration_delay``), so a task stops on the tick it is told to; with a delay, its target
drains first, as on AWS.
"""

from __future__ import annotations

import socket
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: name -> boto3 client bound to the cloud under test.
ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class Network:
    """A VPC with subnets (one per availability zone, in order) and the tasks' security group."""

    vpc_id: str
    subnets: dict[str, str]  # subnet id -> CIDR
    security_group: str


@dataclass(frozen=True)
class FargateService:
    """Names and ids of a service made by ``ServiceBuilder.fargate_service``."""

    cluster: str
    service: str
    target_group_arn: str
    subnets: dict[str, str]  # subnet id -> CIDR
    security_group: str
    task_definition_arn: str


class ServiceBuilder:
    """Builds Fargate services through the EC2, ELBv2 and ECS clients of *client*."""

    def __init__(self, client: ClientFactory) -> None:
        self.ec2 = client("ec2")
        self.elbv2 = client("elbv2")
        self.ecs = client("ecs")

    def fargate_service(
        self,
        *,
        cluster: str = "web",
        service: str = "api",
        desired_count: int = 2,
        container_port: int = 80,
        circuit_breaker: bool = True,
        rollback: bool = True,
        minimum_healthy_percent: int = 100,
        maximum_percent: int = 200,
        capacity_provider: str | None = None,
        deregistration_delay: int = 0,
        **extra: Any,
    ) -> FargateService:
        """Network, target group, cluster, task definition and service, all new.

        The target group and the task definition family are named after *service*;
        *rollback* is the circuit breaker's, the percents the rolling update's; *extra* goes
        to CreateService as it is (e.g. ``tags``, ``enableECSManagedTags``).
        """
        network = self.network()
        target_group = self.target_group(
            network, service, deregistration_delay=deregistration_delay
        )
        self.cluster(cluster)
        task_definition = self.task_definition(service, container_port)
        self.service(
            network,
            cluster=cluster,
            service=service,
            task_definition_arn=task_definition,
            desired_count=desired_count,
            target_group_arn=target_group,
            container_port=container_port,
            circuit_breaker=circuit_breaker,
            rollback=rollback,
            minimum_healthy_percent=minimum_healthy_percent,
            maximum_percent=maximum_percent,
            capacity_provider=capacity_provider,
            **extra,
        )
        return FargateService(
            cluster,
            service,
            target_group,
            network.subnets,
            network.security_group,
            task_definition,
        )

    def network(
        self,
        cidr: str = "10.0.0.0/16",
        subnet_cidrs: Sequence[str] = ("10.0.1.0/24", "10.0.2.0/24"),
        security_group: str = "tasks",
    ) -> Network:
        """A VPC, its subnets in the region's zones a, b, ... and a security group."""
        region = self.ec2.meta.region_name
        vpc = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        subnets = {}
        for letter, subnet_cidr in zip(string.ascii_lowercase, subnet_cidrs, strict=False):
            subnet = self.ec2.create_subnet(
                VpcId=vpc, CidrBlock=subnet_cidr, AvailabilityZone=f"{region}{letter}"
            )
            subnets[subnet["Subnet"]["SubnetId"]] = subnet_cidr
        group = self.ec2.create_security_group(
            GroupName=security_group, Description=security_group, VpcId=vpc
        )["GroupId"]
        return Network(vpc, subnets, group)

    def target_group(
        self, network: Network, name: str, port: int = 80, deregistration_delay: int = 0
    ) -> str:
        """An HTTP target group of IP targets in the network's VPC with the given deregistration
        delay (seconds); returns its ARN."""
        arn = self.elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=port, VpcId=network.vpc_id, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        self.elbv2.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[
                {
                    "Key": "deregistration_delay.timeout_seconds",
                    "Value": str(deregistration_delay),
                }
            ],
        )
        return arn

    def cluster(self, name: str) -> None:
        """An ECS cluster."""
        self.ecs.create_cluster(clusterName=name)

    def task_definition(self, family: str, container_port: int = 80) -> str:
        """A Fargate task definition (256 CPU, 512 MiB) of one nginx container "app"."""
        return self.ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "nginx",
                    "portMappings": [{"containerPort": container_port}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]

    def service(
        self,
        network: Network,
        *,
        cluster: str,
        service: str,
        task_definition_arn: str,
        desired_count: int = 2,
        target_group_arn: str | None = None,
        container_port: int = 80,
        circuit_breaker: bool = True,
        rollback: bool = True,
        minimum_healthy_percent: int = 100,
        maximum_percent: int = 200,
        capacity_provider: str | None = None,
        **extra: Any,
    ) -> None:
        """An ECS service of the task definition in the network (see the module docstring)."""
        placement: dict[str, Any] = (
            {"capacityProviderStrategy": [{"capacityProvider": capacity_provider, "weight": 1}]}
            if capacity_provider
            else {"launchType": "FARGATE"}
        )
        if target_group_arn:
            placement["loadBalancers"] = [
                {
                    "targetGroupArn": target_group_arn,
                    "containerName": "app",
                    "containerPort": container_port,
                }
            ]
        self.ecs.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=task_definition_arn,
            desiredCount=desired_count,
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": circuit_breaker, "rollback": rollback},
                "maximumPercent": maximum_percent,
                "minimumHealthyPercent": minimum_healthy_percent,
            },
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(network.subnets),
                    "securityGroups": [network.security_group],
                }
            },
            **placement,
            **extra,
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for an emulator or server a
    test or benchmark starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
