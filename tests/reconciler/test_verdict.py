"""Pure verdict logic on typed inputs (no AWS)."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.model import (
    DeclaredService,
    Deployment,
    LiveService,
    Observation,
    ServiceEvent,
    Status,
    TargetHealth,
    TaskInfo,
)
from reconciler.verdict import heal_target, judge, needs_task_detail

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def declared(desired=3, low=None, high=None, **kw) -> DeclaredService:
    return DeclaredService(
        cluster="web",
        service="app",
        desired_count=desired,
        min_count=desired if low is None else low,
        max_count=desired if high is None else high,
        **kw,
    )


def live(
    desired=3,
    running=3,
    pending=0,
    rollout="COMPLETED",
    failed=0,
    extra_deployments=(),
    events=(),
    task_definition="arn:aws:ecs:eu-west-3:1:task-definition/app:7",
) -> LiveService:
    primary = Deployment(
        id="ecs-svc/1",
        status="PRIMARY",
        rollout_state=rollout,
        rollout_state_reason=None,
        task_definition=task_definition,
        desired_count=desired,
        running_count=running,
        pending_count=pending,
        failed_tasks=failed,
        created_at=T0,
    )
    return LiveService(
        arn="arn:aws:ecs:eu-west-3:1:service/web/app",
        status="ACTIVE",
        desired_count=desired,
        running_count=running,
        pending_count=pending,
        deployments=(primary, *extra_deployments),
        events=tuple(events),
    )


def stopped(reason="Essential container in task exited", code="EssentialContainerExited", at=None):
    return TaskInfo(
        arn=f"arn:task/{reason[:5]}{at}",
        last_status="STOPPED",
        desired_status="STOPPED",
        stopped_reason=reason,
        stop_code=code,
        stopped_at=at or T0 + dt.timedelta(seconds=30),
    )


def verdict(decl=None, lv=None, tasks=None, targets=None, **kw):
    obs = Observation(declared=decl or declared(), live=lv, tasks=tasks, targets=targets)
    return judge(obs, now=T0 + dt.timedelta(seconds=60), **kw)


def test_converged_service_has_no_reasons():
    v = verdict(lv=live(), targets=TargetHealth(healthy=3))
    assert v.status is Status.CONVERGED
    assert v.reasons == ()
    assert v.heal_to is None


def test_missing_service_says_where_it_was_looked_for():
    v = verdict(lv=None)
    assert v.status is Status.MISSING
    assert v.reasons == ("service not found in cluster web",)


def test_fixed_count_drift_names_both_counts():
    v = verdict(lv=live(desired=0, running=0))
    assert v.status is Status.DRIFTED
    assert v.reasons == ("desiredCount 0 differs from declared 3",)
    assert v.heal_to == 3


def test_autoscaled_count_inside_range_is_not_drift():
    v = verdict(decl=declared(2, 1, 6), lv=live(desired=5, running=5))
    assert v.status is Status.CONVERGED
    assert v.heal_to is None


@pytest.mark.parametrize(("live_desired", "expected"), [(9, 6), (0, 1)])
def test_autoscaled_count_outside_range_is_clamped(live_desired, expected):
    v = verdict(decl=declared(2, 1, 6), lv=live(desired=live_desired, running=live_desired))
    assert v.status is Status.DRIFTED
    assert v.reasons == (f"desiredCount {live_desired} outside declared range [1, 6]",)
    assert v.heal_to == expected


def test_pending_tasks_are_converging_with_their_age():
    pending = TaskInfo(arn="t1", last_status="PENDING", desired_status="RUNNING", created_at=T0)
    v = verdict(lv=live(running=1, pending=2, rollout="IN_PROGRESS"), tasks=(pending,))
    assert v.status is Status.CONVERGING
    assert v.reasons == ("1/3 running; 2 pending (oldest for 60s)",)


def test_one_stopped_task_is_explained_but_not_yet_a_crash_loop():
    v = verdict(lv=live(running=2, rollout="IN_PROGRESS"), tasks=(stopped(),))
    assert v.status is Status.CONVERGING
    assert v.reasons == ("2/3 running; 1 task stopped: Essential container in task exited",)
    assert v.stopped_reasons == (("Essential container in task exited", 1),)


def test_failed_tasks_over_threshold_is_a_crash_loop():
    tasks = (stopped(at=T0 + dt.timedelta(seconds=5)), stopped(at=T0 + dt.timedelta(seconds=9)))
    v = verdict(lv=live(running=0, failed=2, rollout="IN_PROGRESS"), tasks=tasks)
    assert v.status is Status.FAILED
    assert v.reasons[0] == (
        "crash loop: 2 tasks failed in the current deployment; "
        "2 tasks stopped: Essential container in task exited"
    )
    # The stopped-task reasons are told once, not again in the progress reason.
    assert v.reasons[1] == "0/3 running"


def test_spot_interruptions_are_explained_but_are_no_crash_loop():
    spot = "Your Spot Task was interrupted."
    tasks = (stopped(spot, "SpotInterruption"), stopped(spot, "SpotInterruption"))
    v = verdict(lv=live(running=0, pending=3, rollout="IN_PROGRESS"), tasks=tasks)
    assert v.status is Status.CONVERGING
    assert v.reasons == (f"0/3 running; 3 pending; 2 tasks stopped: {spot}",)


def test_crash_loop_threshold_is_configurable():
    v = verdict(lv=live(running=1, failed=2, rollout="IN_PROGRESS"), crash_loop_threshold=3)
    assert v.status is Status.CONVERGING


def test_stopped_tasks_of_an_older_deployment_or_scale_in_are_ignored():
    old = stopped(at=T0 - dt.timedelta(minutes=5))
    scale_in = stopped(
        "Scaling activity initiated by (deployment ecs-svc/1)", "ServiceSchedulerInitiated"
    )
    v = verdict(lv=live(running=2, rollout="IN_PROGRESS"), tasks=(old, scale_in))
    assert v.stopped_reasons == ()
    assert v.reasons == ("2/3 running",)


def test_failed_rollout_is_failed_even_when_counts_match():
    failed = Deployment(
        id="ecs-svc/0",
        status="ACTIVE",
        rollout_state="FAILED",
        rollout_state_reason="ECS deployment circuit breaker: tasks failed to start.",
        task_definition="app:8",
        desired_count=0,
        running_count=0,
        pending_count=0,
        failed_tasks=3,
    )
    v = verdict(lv=live(extra_deployments=(failed,)))
    assert v.status is Status.FAILED
    assert v.reasons[0] == (
        "rollout FAILED (circuit breaker): ECS deployment circuit breaker: tasks failed to start."
    )


def test_rollback_to_another_task_definition_is_failed():
    v = verdict(
        decl=declared(task_definition_arn="arn:aws:ecs:eu-west-3:1:task-definition/app:8"),
        lv=live(task_definition="arn:aws:ecs:eu-west-3:1:task-definition/app:7"),
    )
    assert v.status is Status.FAILED
    assert v.reasons == ("rolled back: PRIMARY deployment runs app:7, declared app:8",)


def test_unhealthy_targets_degrade_with_their_reason():
    targets = TargetHealth(healthy=2, unhealthy=1, reasons=(("Target.ResponseCodeMismatch", 1),))
    v = verdict(lv=live(), targets=targets)
    assert v.status is Status.DEGRADED
    assert v.reasons == ("1 of 3 targets unhealthy: Target.ResponseCodeMismatch",)


def test_fewer_healthy_targets_than_running_tasks_is_converging():
    v = verdict(lv=live(), targets=TargetHealth(healthy=1, other=2))
    assert v.status is Status.CONVERGING
    assert v.reasons == ("1 of 3 running tasks healthy in target group",)


def test_missing_target_group_degrades():
    v = verdict(lv=live(), targets=TargetHealth(error="target group targetgroup/app/1 not found"))
    assert v.status is Status.DEGRADED
    assert v.reasons == ("target group targetgroup/app/1 not found",)


def test_worst_status_wins_and_every_reason_is_kept():
    v = verdict(lv=live(desired=5, running=2, failed=3, rollout="IN_PROGRESS"))
    assert v.status is Status.FAILED
    assert v.reasons[0].startswith("crash loop: 3 tasks failed")
    assert "desiredCount 5 differs from declared 3" in v.reasons
    assert "2/5 running" in v.reasons


def test_placement_failure_event_is_quoted():
    event = ServiceEvent(
        created_at=T0 + dt.timedelta(seconds=1),
        message="(service app) was unable to place a task. "
        "Reason: Capacity is unavailable at this time.",
    )
    v = verdict(lv=live(running=0, pending=3, rollout="IN_PROGRESS", events=[event]))
    assert v.reasons[-1] == f"latest event: {event.message}"


def test_old_events_are_not_quoted():
    event = ServiceEvent(created_at=T0 - dt.timedelta(hours=1), message="(service app) failed")
    v = verdict(lv=live(running=0, pending=3, rollout="IN_PROGRESS", events=[event]))
    assert v.reasons == ("0/3 running; 3 pending",)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, False),
        ({"running": 2}, True),
        ({"pending": 1}, True),
        ({"failed": 1}, True),
        ({"rollout": "FAILED"}, True),
        ({"rollout": "IN_PROGRESS"}, False),
    ],
)
def test_tasks_are_listed_only_for_unsettled_services(kw, expected):
    assert needs_task_detail(live(**kw)) is expected


@pytest.mark.parametrize(
    ("decl", "live_desired", "expected"),
    [
        (declared(3), 3, None),
        (declared(3), 5, 3),
        (declared(2, 1, 4), 4, None),
        (declared(2, 1, 4), 7, 4),
    ],
)
def test_heal_target(decl, live_desired, expected):
    assert heal_target(decl, live_desired) == expected


def test_json_shape_of_a_verdict():
    doc = verdict(
        lv=live(running=2, rollout="IN_PROGRESS"), targets=TargetHealth(healthy=2)
    ).to_dict()
    assert doc == {
        "cluster": "web",
        "service": "app",
        "status": "converging",
        "declared": {"desired_count": 3, "min_count": 3, "max_count": 3},
        "live": {
            "desired_count": 3,
            "running_count": 2,
            "pending_count": 0,
            "rollout_state": "IN_PROGRESS",
            "failed_tasks": 0,
        },
        "targets": {"healthy": 2, "unhealthy": 0, "other": 0},
        "reasons": ["2/3 running"],
    }
