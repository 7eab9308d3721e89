"""Helpers of the local cloud's tests: the service under test and how to look at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ServiceUnderTest:
    """Names and ids of a service created by ``make_service``."""

    cluster: str
    service: str
    target_group_arn: str
    subnets: dict[str, str]  # subnet id -> CIDR
    security_group: str
    task_definition_arn: str


def describe(aws_client, svc: ServiceUnderTest) -> dict[str, Any]:
    """DescribeServices of the service under test."""
    return aws_client("ecs").describe_services(cluster=svc.cluster, services=[svc.service])[
        "services"
    ][0]


def tasks(aws_client, svc: ServiceUnderTest, status: str = "RUNNING") -> list[dict[str, Any]]:
    """DescribeTasks of the service's tasks with the given desiredStatus."""
    ecs = aws_client("ecs")
    arns = ecs.list_tasks(cluster=svc.cluster, serviceName=svc.service, desiredStatus=status)[
        "taskArns"
    ]
    return ecs.describe_tasks(cluster=svc.cluster, tasks=arns)["tasks"] if arns else []
