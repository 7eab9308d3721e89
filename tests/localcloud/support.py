"""Helpers of the local cloud's tests: how to look at the service under test."""

from __future__ import annotations

import time
from typing import Any

import pytest

from localcloud.testing import FargateService


def wait_until(predicate, what: str, limit: float = 30.0) -> None:
    """Poll *predicate* (a bound on hanging, not a speed assertion)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


def describe(aws_client, svc: FargateService) -> dict[str, Any]:
    """DescribeServices of the service under test."""
    return aws_client("ecs").describe_services(cluster=svc.cluster, services=[svc.service])[
        "services"
    ][0]


def tasks(aws_client, svc: FargateService, status: str = "RUNNING") -> list[dict[str, Any]]:
    """DescribeTasks of the service's tasks with the given desiredStatus."""
    ecs = aws_client("ecs")
    arns = ecs.list_tasks(cluster=svc.cluster, serviceName=svc.service, desiredStatus=status)[
        "taskArns"
    ]
    return ecs.describe_tasks(cluster=svc.cluster, tasks=arns)["tasks"] if arns else []


def service_of(aws_client, outputs: dict[str, Any]) -> dict[str, Any]:
    """DescribeServices of a deployed stack's service (by its outputs)."""
    return aws_client("ecs").describe_services(
        cluster=outputs["cluster_name"], services=[outputs["service_name"]]
    )["services"][0]
