"""Heal: set drifted services back to their declared desired count (clamped to [min, max]).

Only declared services are ever touched; a service that is not drifted gets no call, so running
heal twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import ClientFactory, access_error, error_code
from reconciler.model import DeclaredService, SweepResult

#: UpdateService errors that concern one service (report them, carry on with the others).
_PER_SERVICE_CODES = frozenset(
    {"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"}
)


@dataclass(frozen=True)
class HealAction:
    """One planned UpdateService."""

    declared: DeclaredService
    from_count: int
    to_count: int
    reason: str

    def describe(self) -> str:
        """One line for the plan."""
        change = f"desiredCount {self.from_count} -> {self.to_count}"
        return f"{self.declared.name}: {change} ({self.reason})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the action."""
        return {
            "cluster": self.declared.cluster,
            "service": self.declared.service,
            "from_desired_count": self.from_count,
            "to_desired_count": self.to_count,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class HealOutcome:
    """What happened to one action."""

    action: HealAction
    applied: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the outcome."""
        return {**self.action.to_dict(), "applied": self.applied, "error": self.error}


def plan_heal(result: SweepResult) -> list[HealAction]:
    """The UpdateService calls that bring every drifted declared service back in line."""
    actions = []
    for verdict in result.verdicts:
        if verdict.live is None or verdict.heal_to is None:
            continue
        declared = verdict.declared
        if declared.autoscaled:
            reason = f"clamped to declared range [{declared.min_count}, {declared.max_count}]"
        else:
            reason = f"declared {declared.desired_count}"
        actions.append(HealAction(declared, verdict.live.desired_count, verdict.heal_to, reason))
    return actions


def apply_heal(
    actions: Sequence[HealAction], clients: ClientFactory, *, dry_run: bool = False
) -> list[HealOutcome]:
    """Run the planned UpdateService calls (none with `dry_run`)."""
    outcomes = []
    for action in actions:
        if dry_run:
            outcomes.append(HealOutcome(action, applied=False))
            continue
        declared = action.declared
        ecs = clients.client("ecs", declared.region)
        try:
            ecs.update_service(
                cluster=declared.cluster, service=declared.service, desiredCount=action.to_count
            )
        except Exception as exc:
            error = access_error(
                exc,
                operation="UpdateService",
                endpoint=clients.endpoint("ecs", declared.region),
                max_attempts=clients.target.max_attempts,
            )
            if error is None:
                raise
            code = error_code(exc) if isinstance(exc, ClientError) else ""
            if code in _PER_SERVICE_CODES:
                outcomes.append(HealOutcome(action, applied=False, error=str(error)))
                continue
            raise error from None
        outcomes.append(HealOutcome(action, applied=True))
    return outcomes
