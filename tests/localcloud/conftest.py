"""Shared set-up of the local cloud tests: a hand-driven scheduler, a minimal Fargate service."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import FargateService, ServiceBuilder


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
    """Factory creating VPC, subnets, SG, target group, cluster, task definition and service.

    Cluster "web", service "api", container port 8080, two subnets in us-east-1a/b
    (``localcloud.testing.ServiceBuilder.fargate_service``).
    """

    def make(desired_count: int = 2, **options: Any) -> FargateService:
        return ServiceBuilder(aws_client).fargate_service(
            desired_count=desired_count, container_port=8080, **options
        )

    return make
