"""Plain-data views of moto's ELBv2 state, taken under the emulator's request lock.

The load balancer's event loop never touches moto's objects: it asks for a view (in a worker
thread that holds the lock for the time of a copy), releases the lock, and then talks to the
network. Three views:

- ``listeners()``: every listener of every application load balancer (what to serve);
- ``route(listener_arn)``: one listener's rules and the target groups its actions name, with each
  target's health and local address (what one request needs);
- ``health_checks()``: the targets whose health check is due (what one round probes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.backends import get_backend

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.elbv2.health import HEALTH, Thresholds, success_codes
from localcloud.elbv2.routing import final_action, forward_groups
from localcloud.emulator import acting_as_emulator
from localcloud.vpc import ADDRESSES

#: ALB's idle timeout when the load balancer sets none (``idle_timeout.timeout_seconds``).
DEFAULT_IDLE_TIMEOUT = 60.0


@dataclass(frozen=True)
class ListenerView:
    """A listener to serve: its load balancer's DNS name, protocol, port and certificate."""

    arn: str
    dns_name: str
    protocol: str
    port: int
    certificate_domain: str | None


@dataclass(frozen=True)
class TargetView:
    """A registered target: its id and port, health state, and where it answers locally."""

    target_id: str
    port: int
    state: str
    address: tuple[str, int] | None


@dataclass(frozen=True)
class RouteView:
    """What routing a request on one listener needs."""

    rules: list[dict[str, Any]]
    target_groups: dict[str, list[TargetView]] = field(default_factory=dict)
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT


@dataclass(frozen=True)
class HealthCheck:
    """One due health check of one target."""

    target_group_arn: str
    target_id: str
    url: str
    timeout: float
    accepts: Any  # Callable[[int], bool]
    thresholds: Thresholds


def _backends() -> Iterator[Any]:
    for account in list(get_backend("elbv2").values()):
        yield from list(account.values())


def listeners() -> list[ListenerView]:
    """Every listener of every application load balancer, in every account and region."""
    found = []
    for backend in _backends():
        for load_balancer in list(backend.load_balancers.values()):
            if load_balancer.type != "application":
                continue
            for listener in list(load_balancer.listeners.values()):
                found.append(
                    ListenerView(
                        arn=listener.arn,
                        dns_name=load_balancer.dns_name,
                        protocol=listener.protocol or "HTTP",
                        port=int(listener.port),
                        certificate_domain=_certificate_domain(backend, listener.certificate),
                    )
                )
    return found


def _certificate_domain(backend: Any, certificate_arn: str | None) -> str | None:
    if not certificate_arn:
        return None
    try:
        acm = get_backend("acm")[backend.account_id][backend.region_name]
        return str(acm.get_certificate(certificate_arn).common_name)
    except Exception:  # an IAM certificate or one ACM does not hold: no domain known
        return None


def route(listener_arn: str) -> RouteView | None:
    """The rules of *listener_arn* and the targets of every target group they forward to."""
    for backend in _backends():
        for load_balancer in list(backend.load_balancers.values()):
            listener = load_balancer.listeners.get(listener_arn)
            if listener is None:
                continue
            rules = [_rule(rule) for rule in listener.rules.values()]
            groups: dict[str, list[TargetView]] = {}
            for rule in rules:
                action = final_action(rule["Actions"])
                for arn, _weight in forward_groups(action or {}):
                    target_group = backend.target_groups.get(arn)
                    if target_group is not None and arn not in groups:
                        groups[arn] = _targets(backend, target_group)
            idle = load_balancer.attrs.get("idle_timeout.timeout_seconds")
            return RouteView(rules, groups, float(idle or DEFAULT_IDLE_TIMEOUT))
    return None


def _rule(rule: Any) -> dict[str, Any]:
    return {
        "Priority": rule.priority,
        "IsDefault": rule.is_default,
        "Conditions": list(rule.conditions or []),
        "Actions": [dict(action.data) for action in rule.actions],
    }


def _targets(backend: Any, target_group: Any) -> list[TargetView]:
    with acting_as_emulator():  # the health DescribeTargetHealth shows, faults included
        return [
            TargetView(
                target["Id"],
                int(target["Port"]),
                target_group.health_for(target, backend.ec2_backend).status,
                ADDRESSES.resolve(target["Id"], int(target["Port"])),
            )
            for target in list(target_group.targets.values())
        ]


def health_checks() -> list[HealthCheck]:
    """The due health checks of every target with a local address (booked as started)."""
    due = []
    for backend in _backends():
        for target_group in list(backend.target_groups.values()):
            if not target_group.health_check_enabled or target_group.protocol not in (
                "HTTP",
                "HTTPS",
            ):
                continue
            for target in list(target_group.targets.values()):
                check = _health_check(target_group, target)
                if check is not None:
                    due.append(check)
    return due


def _health_check(target_group: Any, target: dict[str, Any]) -> HealthCheck | None:
    port = int(target["Port"])
    configured = str(target_group.health_check_port or "traffic-port")
    check_port = port if configured == "traffic-port" else int(configured)
    address = ADDRESSES.resolve(target["Id"], check_port)
    arn, target_id = target_group.arn, target["Id"]
    if address is None or HEALTH.draining(arn, target_id):
        return None
    if not HEALTH.due(arn, target_id, float(target_group.health_check_interval_seconds)):
        return None
    scheme = "https" if target_group.health_check_protocol == "HTTPS" else "http"
    path = target_group.health_check_path or "/"
    return HealthCheck(
        target_group_arn=arn,
        target_id=target_id,
        url=f"{scheme}://{address[0]}:{address[1]}{path}",
        timeout=float(target_group.health_check_timeout_seconds),
        accepts=success_codes((target_group.matcher or {}).get("HttpCode", "200")),
        thresholds=Thresholds(
            int(target_group.healthy_threshold_count),
            int(target_group.unhealthy_threshold_count),
        ),
    )
