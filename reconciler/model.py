"""Typed values the reconciler passes around: what is declared, what is live, and the verdicts.

Everything here is plain data (frozen dataclasses) so the verdict logic stays pure and other tools
can use the results without parsing text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Verdict of one service, from best to worst."""

    CONVERGED = "converged"
    CONVERGING = "converging"
    DEGRADED = "degraded"
    DRIFTED = "drifted"
    FAILED = "failed"
    MISSING = "missing"

    @property
    def severity(self) -> int:
        """Rank used to pick the worst status when several apply."""
        return list(Status).index(self)


@dataclass(frozen=True)
class DeclaredService:
    """One service as the stack declares it (an entry of the `reconcile` stack output)."""

    cluster: str
    service: str
    desired_count: int
    min_count: int
    max_count: int
    region: str | None = None
    target_group_arn: str | None = None
    #: Declared task definition, when known; a PRIMARY deployment running another one means the
    #: deployment was rolled back (what `aws ecs wait services-stable` reports as success).
    task_definition_arn: str | None = None

    @property
    def autoscaled(self) -> bool:
        """True when the declaration gives a range rather than a fixed count."""
        return self.min_count < self.max_count

    @property
    def name(self) -> str:
        """`cluster/service`, how messages name the service."""
        return f"{self.cluster}/{self.service}"

    def clamp(self, count: int) -> int:
        """`count` clamped to the declared [min_count, max_count]."""
        return max(self.min_count, min(self.max_count, count))


@dataclass(frozen=True)
class Deployment:
    """One entry of a service's `deployments[]`."""

    id: str
    status: str
    rollout_state: str | None
    rollout_state_reason: str | None
    task_definition: str | None
    desired_count: int
    running_count: int
    pending_count: int
    failed_tasks: int
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class ServiceEvent:
    """One entry of a service's `events[]` (ECS keeps the latest 100, newest first)."""

    created_at: dt.datetime | None
    message: str


@dataclass(frozen=True)
class TaskInfo:
    """The parts of a DescribeTasks entry the verdict uses."""

    arn: str
    last_status: str
    desired_status: str
    stopped_reason: str | None = None
    stop_code: str | None = None
    created_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    started_by: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class LiveService:
    """A service as DescribeServices shows it."""

    arn: str
    status: str
    desired_count: int
    running_count: int
    pending_count: int
    task_definition: str | None = None
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    target_group_arns: tuple[str, ...] = ()

    @property
    def primary(self) -> Deployment | None:
        """The PRIMARY deployment, if the service has one (ECS deployment controller)."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True)
class TargetHealth:
    """Health of the targets of one target group, by state; `reasons` counts unhealthy reasons."""

    healthy: int = 0
    unhealthy: int = 0
    other: int = 0
    reasons: tuple[tuple[str, int], ...] = ()
    error: str | None = None

    @property
    def total(self) -> int:
        """Number of registered targets."""
        return self.healthy + self.unhealthy + self.other


@dataclass(frozen=True)
class Observation:
    """Everything one sweep learned about one declared service; input of the verdict."""

    declared: DeclaredService
    live: LiveService | None
    missing_reason: str | None = None
    #: None when the sweep did not look at tasks (the service looked converged).
    tasks: tuple[TaskInfo, ...] | None = None
    targets: TargetHealth | None = None


@dataclass(frozen=True)
class ServiceVerdict:
    """The reconciler's judgement of one service."""

    declared: DeclaredService
    status: Status
    reasons: tuple[str, ...]
    live: LiveService | None = None
    targets: TargetHealth | None = None
    #: Stopped-task reasons of the current deployment with their counts, most frequent first.
    stopped_reasons: tuple[tuple[str, int], ...] = ()
    #: The desired count `heal` would set, or None when the live count is acceptable.
    heal_to: int | None = None

    @property
    def converged(self) -> bool:
        """True when the service is exactly as declared and healthy."""
        return self.status is Status.CONVERGED

    @property
    def latest_events(self) -> tuple[ServiceEvent, ...]:
        """The five newest service events."""
        return self.live.events[:5] if self.live else ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one service in `check --json`."""
        live = self.live
        primary = live.primary if live else None
        targets = self.targets or TargetHealth()
        return {
            "cluster": self.declared.cluster,
            "service": self.declared.service,
            "status": self.status.value,
            "declared": {
                "desired_count": self.declared.desired_count,
                "min_count": self.declared.min_count,
                "max_count": self.declared.max_count,
            },
            "live": {
                "desired_count": live.desired_count if live else None,
                "running_count": live.running_count if live else None,
                "pending_count": live.pending_count if live else None,
                "rollout_state": primary.rollout_state if primary else None,
                "failed_tasks": primary.failed_tasks if primary else None,
            },
            "targets": {
                "healthy": targets.healthy,
                "unhealthy": targets.unhealthy,
                "other": targets.other,
            },
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class SweepResult:
    """One sweep over every declared service."""

    verdicts: tuple[ServiceVerdict, ...]
    api_calls: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    #: Throttled attempts botocore saw (and retried) during the sweep.
    throttled: int = 0

    @property
    def converged(self) -> bool:
        """True when every declared service converged."""
        return all(v.converged for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document `check --json` prints."""
        return {
            "converged": self.converged,
            "services": [v.to_dict() for v in self.verdicts],
            "api_calls": dict(sorted(self.api_calls.items())),
        }
