"""Targets of ELBv2 target groups: what ECS registers for its tasks, and the health they report.

- ``register`` / ``deregister`` put a task's address into, and take it out of, the target
  groups named by an ECS service's ``loadBalancers`` (on the container port, as ECS does).
- ``install(faults)`` patches DescribeTargetHealth to report the unhealthy-targets fault: the
  first *count* registered targets (registration order) are ``unhealthy`` with the fault's
  reason and its AWS description; and ``HealthCheckPort`` is the port checked (the target's
  own with ``traffic-port``), not moto's literal ``traffic-port``. Like every fidelity patch
  it acts only on the emulator's own requests (``serving_emulator_request``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from moto.backends import get_backend
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.emulator import serving_emulator_request
from localcloud.faults import UNHEALTHY_REASONS, Faults

_installed: dict[str, Any] = {}


def register(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> None:
    """Register *ip* in every target group of an ECS service's *load_balancers*."""
    for target_group, port in _target_groups(account_id, region, load_balancers):
        target_group.register([{"Id": ip, "Port": port}])


def deregister(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> None:
    """Take *ip* out of every target group of an ECS service's *load_balancers* it is in."""
    for target_group, port in _target_groups(account_id, region, load_balancers):
        if ip in target_group.targets:
            target_group.deregister([{"Id": ip, "Port": port}])


def healthy(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> bool:
    """Whether *ip* is a ``healthy`` target in every target group of the service's
    *load_balancers* (what DescribeTargetHealth reports; True when there are none)."""
    ec2 = get_backend("ec2")[account_id][region]
    for target_group, _port in _target_groups(account_id, region, load_balancers):
        target = target_group.targets.get(ip)
        if target is None or target_group.health_for(target, ec2).status != "healthy":
            return False
    return True


def _target_groups(
    account_id: str, region: str, load_balancers: list[dict[str, Any]]
) -> Iterator[tuple[FakeTargetGroup, int]]:
    elbv2 = get_backend("elbv2")[account_id][region]
    for load_balancer in load_balancers:
        target_group = elbv2.target_groups.get(load_balancer.get("targetGroupArn"))
        if target_group is not None:
            yield target_group, int(load_balancer.get("containerPort") or target_group.port)


def install(faults: Faults) -> None:
    """Patch DescribeTargetHealth (once per process); later calls only rebind *faults*."""
    _installed["faults"] = faults
    if _installed.get("done"):
        return
    _installed["done"] = True
    FakeTargetGroup.health_for = _health_for(FakeTargetGroup.health_for)


def _health_for(original: Any) -> Any:
    @functools.wraps(original)
    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original(self, target, ec2_backend)
        if serving_emulator_request() and status.health_check_port == "traffic-port":
            status.health_check_port = str(target["Port"])
        faults = _installed.get("faults")
        fault = faults.unhealthy(self.arn) if faults and serving_emulator_request() else None
        if fault is None or status.status != "healthy":
            return status
        count, reason = fault
        if target["Id"] not in list(self.targets)[:count]:
            return status
        return FakeHealthStatus(
            status.instance_id,
            status.port,
            status.health_check_port,
            "unhealthy",
            reason,
            UNHEALTHY_REASONS[reason],
        )

    return health_for
