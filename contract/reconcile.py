"""The ``reconcile`` stack output and the managed-by tag (see the package docstring)."""

# No ``from __future__ import annotations``: the Pulumi analyzer reads ReconcileTarget's field
# types (the FargateApp's ``reconcile`` output) and cannot resolve them as strings.
from typing import TypedDict

#: Tag (key, value) on every taggable resource a FargateApp creates; ``reconciler --discover``
#: and the policy pack's required tags rely on it.
MANAGED_BY_TAG: tuple[str, str] = ("managed-by", "fargate-app")

#: Name of the stack output that declares the services to reconcile.
RECONCILE_OUTPUT = "reconcile"


class ReconcileTarget(TypedDict):
    """What the reconciler checks: where the service runs and how many tasks it must keep."""

    cluster: str
    service: str
    region: str
    desired_count: int
    min_count: int
    max_count: int
    target_group_arn: str


def reconcile_target(
    *,
    cluster: str,
    service: str,
    region: str,
    desired_count: int,
    min_count: int | None = None,
    max_count: int | None = None,
    target_group_arn: str,
) -> ReconcileTarget:
    """One entry of the ``reconcile`` output; min and max default to ``desired_count``
    (a fixed count, no autoscaling)."""
    return ReconcileTarget(
        cluster=cluster,
        service=service,
        region=region,
        desired_count=desired_count,
        min_count=desired_count if min_count is None else min_count,
        max_count=desired_count if max_count is None else max_count,
        target_group_arn=target_group_arn,
    )
