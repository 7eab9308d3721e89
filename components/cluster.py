"""The ECS cluster step, shared by a Service that owns its cluster and by a FargatePlatform whose
cluster many apps' services run in."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

#: Capacity providers every cluster is associated with; FARGATE is the default strategy.
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


@dataclass(frozen=True)
class ExistingCluster:
    """A cluster a Service runs in without creating it (a shared platform's)."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]


def fargate_cluster(
    name: str, cluster_name: str, tags: dict[str, str], opts: pulumi.ResourceOptions
) -> tuple[aws.ecs.Cluster, aws.ecs.ClusterCapacityProviders]:
    """The cluster with Container Insights, and its association with FARGATE (default) and
    FARGATE_SPOT, which a service naming either provider must wait for."""
    cluster = aws.ecs.Cluster(
        f"{name}-cluster",
        name=cluster_name,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=tags,
        opts=opts,
    )
    capacity_providers = aws.ecs.ClusterCapacityProviders(
        f"{name}-capacity",
        cluster_name=cluster.name,
        capacity_providers=list(CAPACITY_PROVIDERS),
        default_capacity_provider_strategies=[
            {"capacity_provider": CAPACITY_PROVIDERS[0], "weight": 1}
        ],
        opts=opts,
    )
    return cluster, capacity_providers
