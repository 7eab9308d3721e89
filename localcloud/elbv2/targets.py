"""Targets of ELBv2 target groups: what ECS registers for its tasks, and the health they report.

- ``register`` / ``deregister`` put a task's address into, and take it out of, the target
  groups named by an ECS service's ``loadBalancers`` (on the container port, as ECS does).
  Deregistration drains: the target stays listed as ``draining`` (no new requests) for the
  target group's deregistration delay, then leaves (``drained`` tells the scheduler when);
  DeregisterTargets through the API drains the same way.
- ``install(faults)`` patches DescribeTargetHealth to show the truth: a target with a local
  address (``localcloud.vpc``) has the health the load balancer's checks found
  (``localcloud.elbv2.health``); a target without one (a simulated task) is ``healthy`` at once
  (the simulated runtime has nothing to probe, and the hermetic suite does not wait for a
  ``healthyThreshold x interval`` it could only pretend). The unhealthy-targets fault then
  makes the first *count* serving targets (registration order, draining ones skipped)
  ``unhealthy`` with the fault's reason and its AWS description. Like every fidelity patch it
  acts only on the emulator's own requests (``serving_emulator_request``).
  ``HealthCheckPort`` is the port checked (the target's own with ``traffic-port``), not moto's
  literal ``traffic-port``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from moto.backends import get_backend
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.elbv2.health import (
    DEFAULT_DEREGISTRATION_DELAY,
    DEREGISTRATION_DELAY_ATTRIBUTE,
    DEREGISTRATION_IN_PROGRESS,
    DESCRIPTIONS,
    HEALTH,
)
from localcloud.emulator import acting_as_emulator, serving_emulator_request
from localcloud.faults import UNHEALTHY_REASONS, Faults
from localcloud.vpc import ADDRESSES

_installed: dict[str, Any] = {}


def register(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> None:
    """Register *ip* in every target group of an ECS service's *load_balancers*."""
    for target_group, port in _target_groups(account_id, region, load_balancers):
        target_group.register([{"Id": ip, "Port": port}])


def deregister(
    account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str
) -> float:
    """Start draining *ip* in every target group of the service's *load_balancers* it is in.

    Returns the longest deregistration delay (seconds) it drains for; 0 when it left at once.
    """
    longest = 0.0
    for target_group, _port in _target_groups(account_id, region, load_balancers):
        if ip in target_group.targets and not HEALTH.draining(target_group.arn, ip):
            longest = max(longest, _drain(target_group, ip))
    return longest


def drained(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> bool:
    """Whether *ip* no longer drains in any target group of the service's *load_balancers*."""
    complete_drains()
    return not any(
        HEALTH.draining(target_group.arn, ip)
        for target_group, _port in _target_groups(account_id, region, load_balancers)
    )


def healthy(account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str) -> bool:
    """Whether *ip* is a ``healthy`` target in every target group of the service's
    *load_balancers* (what DescribeTargetHealth reports; True when there are none)."""
    ec2 = get_backend("ec2")[account_id][region]
    with acting_as_emulator():
        for target_group, _port in _target_groups(account_id, region, load_balancers):
            target = target_group.targets.get(ip)
            if target is None or target_group.health_for(target, ec2).status != "healthy":
                return False
    return True


def failed_health_checks(
    account_id: str, region: str, load_balancers: list[dict[str, Any]], ip: str
) -> tuple[str, int, str] | None:
    """(target group ARN, port, description) of the first target group whose health checks
    found *ip* ``unhealthy``; None when none did (faults do not count: ECS acts on checks)."""
    for target_group, port in _target_groups(account_id, region, load_balancers):
        if ip not in target_group.targets or HEALTH.draining(target_group.arn, ip):
            continue
        record = HEALTH.record_of(target_group.arn, ip)
        if record.state == "unhealthy":
            return target_group.arn, port, record.description or ""
    return None


def complete_drains() -> None:
    """Take out of their target groups the targets whose deregistration delay has passed."""
    for target_group_arn, target_id in HEALTH.drained():
        for account in list(get_backend("elbv2").values()):
            for backend in list(account.values()):
                target_group = backend.target_groups.get(target_group_arn)
                if target_group is not None and target_id in target_group.targets:
                    _installed["deregister"](target_group, [{"Id": target_id}])


def _drain(target_group: FakeTargetGroup, target_id: str) -> float:
    delay = float(
        target_group.attributes.get(DEREGISTRATION_DELAY_ATTRIBUTE, DEFAULT_DEREGISTRATION_DELAY)
    )
    if delay > 0:
        HEALTH.drain(target_group.arn, target_id, delay)
    else:
        _installed["deregister"](target_group, [{"Id": target_id}])
    return delay


def _target_groups(
    account_id: str, region: str, load_balancers: list[dict[str, Any]]
) -> Iterator[tuple[FakeTargetGroup, int]]:
    elbv2 = get_backend("elbv2")[account_id][region]
    for load_balancer in load_balancers:
        target_group = elbv2.target_groups.get(load_balancer.get("targetGroupArn"))
        if target_group is not None:
            yield target_group, int(load_balancer.get("containerPort") or target_group.port)


def install(faults: Faults) -> None:
    """Patch target registration and DescribeTargetHealth (once per process); later calls
    only rebind *faults*."""
    _installed["faults"] = faults
    if _installed.get("done"):
        return
    _installed["done"] = True
    _installed["deregister"] = FakeTargetGroup.deregister
    FakeTargetGroup.register = _register(FakeTargetGroup.register)
    FakeTargetGroup.deregister = _deregister(FakeTargetGroup.deregister)
    FakeTargetGroup.health_for = _health_for(FakeTargetGroup.health_for)
    ELBv2Backend.describe_target_health = _completing_drains(ELBv2Backend.describe_target_health)


def _register(original: Any) -> Any:
    @functools.wraps(original)
    def register(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        original(self, targets)
        for target in targets:
            HEALTH.registered(self.arn, target["Id"])

    return register


def _deregister(original: Any) -> Any:
    @functools.wraps(original)
    def deregister(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        if not serving_emulator_request():
            original(self, targets)
            return
        original(self, [t for t in targets if t["Id"] not in self.targets])  # its error
        for target in targets:
            if not HEALTH.draining(self.arn, target["Id"]):
                _drain(self, target["Id"])

    return deregister


def _completing_drains(original: Any) -> Any:
    @functools.wraps(original)
    def describe_target_health(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        complete_drains()
        return original(self, *args, **kwargs)

    return describe_target_health


def _health_for(original: Any) -> Any:
    @functools.wraps(original)
    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original(self, target, ec2_backend)
        registered = self.targets.get(target["Id"])
        if not serving_emulator_request() or registered is None:
            return status
        if status.health_check_port == "traffic-port":
            status.health_check_port = str(target["Port"])
        if HEALTH.draining(self.arn, target["Id"]):
            return _status(status, "draining", DEREGISTRATION_IN_PROGRESS)
        if ADDRESSES.resolve(target["Id"], int(registered["Port"])) is not None:
            record = HEALTH.record_of(self.arn, target["Id"])
            status = _status(status, record.state, record.reason, record.description)
        return _with_fault(self, target["Id"], status)

    return health_for


def _with_fault(target_group: FakeTargetGroup, target_id: str, status: Any) -> Any:
    faults = _installed.get("faults")
    fault = faults.unhealthy(target_group.arn) if faults else None
    if fault is None or status.status != "healthy":
        return status
    count, reason = fault
    serving = [t for t in target_group.targets if not HEALTH.draining(target_group.arn, t)]
    if target_id not in serving[:count]:
        return status
    return _status(status, "unhealthy", reason, UNHEALTHY_REASONS[reason])


def _status(
    status: Any, state: str, reason: str | None, description: str | None = None
) -> FakeHealthStatus:
    return FakeHealthStatus(
        status.instance_id,
        status.port,
        status.health_check_port,
        state,
        reason,
        description or (DESCRIPTIONS.get(reason) if reason else None),
    )
