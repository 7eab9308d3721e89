"""Pure verdict logic: an Observation in, a ServiceVerdict out. No I/O, no clock of its own."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from reconciler.model import (
    DeclaredService,
    LiveService,
    Observation,
    ServiceVerdict,
    Status,
    TaskInfo,
)

#: Consecutive failed tasks of the current deployment that count as a crash loop. ECS's circuit
#: breaker waits for max(3, desired/2); two in a row is already a loop worth failing fast on.
DEFAULT_CRASH_LOOP_THRESHOLD = 2

#: Stop codes of tasks the scheduler replaced on purpose (scale-in, new deployment): not shown.
_BENIGN_STOP_CODES = frozenset({"ServiceSchedulerInitiated"})

#: Stop codes that explain a stop but are no crash of the app (Spot reclaimed, someone stopped
#: it, the host retired): shown in reasons, never counted towards a crash loop.
_NOT_CRASHES = _BENIGN_STOP_CODES | {"SpotInterruption", "UserInitiated", "TerminationNotice"}

#: Pending tasks older than this get their age in the reason (a stuck placement shows).
PENDING_AGE_NOTE_S = 10.0

#: Service events worth quoting in a reason (placement and deployment failures).
_NOTABLE_EVENT = re.compile(
    r"unable to place|failed|insufficient|capacity is unavailable|unhealthy", re.IGNORECASE
)


def judge(
    obs: Observation,
    *,
    crash_loop_threshold: int = DEFAULT_CRASH_LOOP_THRESHOLD,
    now: dt.datetime | None = None,
) -> ServiceVerdict:
    """Judge one service: its status (the worst that applies) and every reason, in words."""
    declared, live = obs.declared, obs.live
    if live is None:
        reason = obs.missing_reason or f"service not found in cluster {declared.cluster}"
        return ServiceVerdict(declared=declared, status=Status.MISSING, reasons=(reason,))

    statuses: list[Status] = [Status.CONVERGED]
    reasons: list[str] = []
    stopped = stopped_reasons(obs.tasks or (), live)
    crashes = sum(
        1 for t in _current_stopped(obs.tasks or (), live) if t.stop_code not in _NOT_CRASHES
    )

    failure = _failure_reason(declared, live, stopped, crashes, crash_loop_threshold)
    if failure:
        statuses.append(Status.FAILED)
        reasons.append(failure)

    heal_to = heal_target(declared, live.desired_count)
    if heal_to is not None:
        statuses.append(Status.DRIFTED)
        reasons.append(_drift_reason(declared, live.desired_count))

    # The stopped-task reasons are told once: in the failure reason when there is one.
    progress = _progress_reason(live, obs.tasks, () if failure else stopped, now)
    if progress:
        statuses.append(Status.CONVERGING)
        reasons.append(progress)

    targets = obs.targets
    if targets is not None:
        if targets.error:
            statuses.append(Status.DEGRADED)
            reasons.append(targets.error)
        elif targets.unhealthy:
            statuses.append(Status.DEGRADED)
            why = ", ".join(r for r, _ in targets.reasons) or "no reason given"
            reasons.append(f"{targets.unhealthy} of {targets.total} targets unhealthy: {why}")
        else:
            expected = min(live.running_count, live.desired_count)
            if targets.healthy < expected:
                statuses.append(Status.CONVERGING)
                reasons.append(
                    f"{targets.healthy} of {expected} running tasks healthy in target group"
                )

    status = max(statuses, key=lambda s: s.severity)
    if status is not Status.CONVERGED:
        event = _notable_event(live)
        if event and event not in reasons:
            reasons.append(f"latest event: {event}")
    return ServiceVerdict(
        declared=declared,
        status=status,
        reasons=tuple(reasons),
        live=live,
        targets=targets,
        stopped_reasons=stopped,
        heal_to=heal_to,
    )


def needs_task_detail(live: LiveService) -> bool:
    """True when a service's tasks are worth listing: it is not visibly settled."""
    primary = live.primary
    return (
        live.running_count != live.desired_count
        or live.pending_count > 0
        or len(live.deployments) > 1
        or (primary is not None and (primary.failed_tasks > 0 or primary.rollout_state == "FAILED"))
    )


def heal_target(declared: DeclaredService, live_desired: int) -> int | None:
    """The desired count heal should set, or None when `live_desired` is acceptable.

    A fixed declaration wants exactly its count; an autoscaled one accepts anything in
    [min, max] (the autoscaler moved it there) and is clamped back into range otherwise.
    """
    if declared.autoscaled:
        wanted = declared.clamp(live_desired)
    else:
        wanted = declared.desired_count
    return None if wanted == live_desired else wanted


def stopped_reasons(tasks: tuple[TaskInfo, ...], live: LiveService) -> tuple[tuple[str, int], ...]:
    """Why the current deployment's tasks stopped, as (reason, count), most frequent first."""
    counts: Counter[str] = Counter(
        task.stopped_reason or task.stop_code or "no reason given"
        for task in _current_stopped(tasks, live)
    )
    return tuple(counts.most_common())


def _current_stopped(tasks: tuple[TaskInfo, ...], live: LiveService) -> list[TaskInfo]:
    """Tasks stopped during the current deployment, except the scheduler's own replacements."""
    primary = live.primary
    since = primary.created_at if primary else None
    return [
        task
        for task in tasks
        if task.last_status == "STOPPED"
        and task.stop_code not in _BENIGN_STOP_CODES
        # an older deployment's task is not this rollout's problem
        and not (since and task.stopped_at and task.stopped_at < since)
    ]


def _failure_reason(
    declared: DeclaredService,
    live: LiveService,
    stopped: tuple[tuple[str, int], ...],
    crashes: int,
    crash_loop_threshold: int,
) -> str | None:
    failed = next((d for d in live.deployments if d.rollout_state == "FAILED"), None)
    if failed:
        detail = f": {failed.rollout_state_reason}" if failed.rollout_state_reason else ""
        return f"rollout FAILED (circuit breaker){detail}{_stopped_suffix(stopped)}"
    primary = live.primary
    failed_tasks = max(primary.failed_tasks if primary else 0, 0)
    short = live.running_count < live.desired_count
    if failed_tasks >= crash_loop_threshold or (short and crashes >= crash_loop_threshold):
        count = max(failed_tasks, crashes)
        return (
            f"crash loop: {count} tasks failed in the current deployment{_stopped_suffix(stopped)}"
        )
    if declared.task_definition_arn and primary and primary.task_definition:
        if _revision(primary.task_definition) != _revision(declared.task_definition_arn):
            return (
                f"rolled back: PRIMARY deployment runs {_revision(primary.task_definition)}, "
                f"declared {_revision(declared.task_definition_arn)}"
            )
    return None


def _drift_reason(declared: DeclaredService, live_desired: int) -> str:
    if declared.autoscaled:
        return (
            f"desiredCount {live_desired} outside declared range "
            f"[{declared.min_count}, {declared.max_count}]"
        )
    return f"desiredCount {live_desired} differs from declared {declared.desired_count}"


def _progress_reason(
    live: LiveService,
    tasks: tuple[TaskInfo, ...] | None,
    stopped: tuple[tuple[str, int], ...],
    now: dt.datetime | None,
) -> str | None:
    if live.running_count != live.desired_count or live.pending_count > 0:
        text = f"{live.running_count}/{live.desired_count} running"
        if live.pending_count:
            text += f"; {live.pending_count} pending"
            age = _oldest_pending_age(tasks or (), now)
            if age is not None and age >= PENDING_AGE_NOTE_S:
                text += f" (oldest for {age:.0f}s)"
        return text + _stopped_suffix(stopped)
    primary = live.primary
    if len(live.deployments) > 1:
        return f"rollout in progress: {len(live.deployments)} deployments"
    if primary and primary.rollout_state == "IN_PROGRESS":
        return "rollout IN_PROGRESS"
    return None


def _stopped_suffix(stopped: tuple[tuple[str, int], ...]) -> str:
    if not stopped:
        return ""
    total = sum(n for _, n in stopped)
    noun = "task" if total == 1 else "tasks"
    return f"; {total} {noun} stopped: " + ", ".join(
        reason if n == total else f"{reason} (x{n})" for reason, n in stopped
    )


def _oldest_pending_age(tasks: tuple[TaskInfo, ...], now: dt.datetime | None) -> float | None:
    created = [t.created_at for t in tasks if t.last_status in {"PROVISIONING", "PENDING"}]
    created = [c for c in created if c is not None]
    if not created or now is None:
        return None
    return max(0.0, (now - min(created)).total_seconds())


def _notable_event(live: LiveService) -> str | None:
    primary = live.primary
    for event in live.events[:3]:
        if primary and primary.created_at and event.created_at:
            if event.created_at < primary.created_at:
                return None
        if _NOTABLE_EVENT.search(event.message):
            return event.message
    return None


def _revision(task_definition: str) -> str:
    """`family:revision` of a task definition ARN (or of `family:revision` itself)."""
    return task_definition.rsplit("/", 1)[-1]
