"""Fault injection: each fault changes what AWS would show, and only that."""

from __future__ import annotations

import pytest

from localcloud import LocalCloudError
from localcloud.faults import DEFAULT_CRASH_REASON, CrashLoop, Faults, ScaleRequest
from tests.localcloud.support import describe, tasks


def test_crash_loop_trips_the_circuit_breaker(aws_client, manual_scheduler, make_service, faults):
    svc = make_service(desired_count=2, rollback=False)  # the FAILED deployment stays PRIMARY
    manual_scheduler.tick()
    healthy = describe(aws_client, svc)["deployments"][0]["id"]

    faults.crash_loop("web", "api")
    for _ in range(3):
        manual_scheduler.tick()

    service = describe(aws_client, svc)
    primary, previous = service["deployments"]
    assert (primary["status"], primary["rolloutState"]) == ("PRIMARY", "FAILED")
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert primary["failedTasks"] >= 3  # clamp(ceil(0.5 x 2), 3, 200)
    assert (previous["id"], previous["status"], previous["runningCount"]) == (healthy, "ACTIVE", 2)
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    crashed = [t for t in tasks(aws_client, svc, "STOPPED") if t["startedBy"] == primary["id"]]
    assert len(crashed) == primary["failedTasks"]
    assert {(t["stopCode"], t["stoppedReason"]) for t in crashed} == {
        ("EssentialContainerExited", "Essential container in task exited")
    }
    assert {t["containers"][0]["exitCode"] for t in crashed} == {1}
    assert service["events"][0]["message"] == (
        f"(service api) (deployment {primary['id']}) deployment failed: tasks failed to start."
    )
    failed = primary["failedTasks"]
    manual_scheduler.tick()  # a FAILED deployment launches nothing more
    assert describe(aws_client, svc)["deployments"][0]["failedTasks"] == failed


def test_crash_loop_without_circuit_breaker_keeps_retrying(
    aws_client, manual_scheduler, make_service, faults
):
    faults.crash_loop("web", "api", reason="OutOfMemoryError: Container killed")
    svc = make_service(desired_count=1, circuit_breaker=False)
    for _ in range(5):
        manual_scheduler.tick()
    [primary] = describe(aws_client, svc)["deployments"]
    assert primary["rolloutState"] == "IN_PROGRESS"
    stopped = tasks(aws_client, svc, "STOPPED")
    assert primary["failedTasks"] == len(stopped) > 5  # one crash at creation, one per tick
    assert {t["stoppedReason"] for t in stopped} == {"OutOfMemoryError: Container killed"}
    assert describe(aws_client, svc)["runningCount"] == 0


def test_capacity_shortage_keeps_new_tasks_pending(
    aws_client, manual_scheduler, make_service, faults
):
    faults.capacity_shortage("web", "api")
    svc = make_service(desired_count=2)
    for _ in range(3):
        manual_scheduler.tick()
    service = describe(aws_client, svc)
    assert (service["runningCount"], service["pendingCount"]) == (0, 2)
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert [t["lastStatus"] for t in tasks(aws_client, svc)] == ["PENDING", "PENDING"]
    messages = [e["message"] for e in service["events"]]
    assert messages[0] == (
        "(service api) was unable to place a task. Reason: Capacity is unavailable at this "
        "time. Please try again later or in a different availability zone. For more "
        "information, see the Troubleshooting section of the Amazon ECS Developer Guide."
    )
    assert messages.count(messages[0]) == 1  # not repeated every tick

    faults.clear()
    manual_scheduler.tick()
    assert describe(aws_client, svc)["runningCount"] == 2


def test_capacity_shortage_interrupts_spot_tasks(
    aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=2, capacity_provider="FARGATE_SPOT")
    manual_scheduler.tick()
    faults.capacity_shortage("web", "api")
    manual_scheduler.tick()
    interrupted = tasks(aws_client, svc, "STOPPED")
    assert {(t["stopCode"], t["stoppedReason"]) for t in interrupted} == {
        ("SpotInterruption", "Your Spot Task was interrupted.")
    }
    service = describe(aws_client, svc)
    assert (service["runningCount"], service["pendingCount"]) == (0, 2)


def test_out_of_band_scale_changes_desired_count_and_tasks_follow(
    aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    faults.out_of_band_scale(
        "arn:aws:ecs:us-east-1:123456789012:cluster/web", "api", desired_count=0
    )
    service = describe(aws_client, svc)
    assert (service["desiredCount"], service["runningCount"]) == (0, 0)
    with pytest.raises(LocalCloudError) as error:
        faults.out_of_band_scale("web", "nope", 3)
    assert str(error.value) == "service 'nope' not found in cluster 'web'"


def test_unhealthy_targets_report_the_reason(aws_client, manual_scheduler, make_service, faults):
    svc = make_service(desired_count=3)
    manual_scheduler.tick()
    faults.unhealthy_targets(svc.target_group_arn, 1, reason="Target.Timeout")
    health = aws_client("elbv2").describe_target_health(TargetGroupArn=svc.target_group_arn)
    states = sorted(
        (
            h["TargetHealth"]["State"],
            h["TargetHealth"].get("Reason"),
            h["TargetHealth"].get("Description"),
        )
        for h in health["TargetHealthDescriptions"]
    )
    assert states == [
        ("healthy", None, None),
        ("healthy", None, None),
        ("unhealthy", "Target.Timeout", "Request timed out"),
    ]
    with pytest.raises(LocalCloudError) as error:
        faults.unhealthy_targets(svc.target_group_arn, 1, reason="Sad")
    assert str(error.value) == (
        "unhealthy reason 'Sad' is unknown; use one of Target.ResponseCodeMismatch, "
        "Target.Timeout, Target.FailedHealthChecks, Elb.InternalError"
    )


def test_background_scheduler_converges_without_ticks(local_cloud, aws_client, make_service):
    import time

    svc = make_service(desired_count=2)
    deadline = time.monotonic() + 30
    while describe(aws_client, svc)["runningCount"] != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    service = describe(aws_client, svc)
    assert (service["runningCount"], service["deployments"][0]["rolloutState"]) == (
        2,
        "COMPLETED",
    )


def test_a_new_deployment_after_clearing_a_crash_loop_recovers(
    aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=1)
    faults.crash_loop("web", "api")
    for _ in range(4):
        manual_scheduler.tick()
    ecs = aws_client("ecs")
    ecs.update_service(cluster="web", service="api", forceNewDeployment=True)
    manual_scheduler.tick()
    assert describe(aws_client, svc)["deployments"][0]["failedTasks"] >= 1  # still broken
    faults.clear()
    ecs.update_service(cluster="web", service="api", forceNewDeployment=True)
    manual_scheduler.tick()
    service = describe(aws_client, svc)
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [
        ("PRIMARY", "COMPLETED")
    ]
    assert service["runningCount"] == 1


def test_faults_are_plain_state_that_knows_no_scheduler():
    state = Faults()  # nothing to hand it: the scheduler reads it, not the other way round
    state.crash_loop("arn:aws:ecs:us-east-1:123456789012:cluster/web", "api")
    state.crash_loop("web", "api", reason="OOM")  # a second arming
    state.out_of_band_scale("web", "api", 3)
    assert state.crash_loop_of("web", "api") == CrashLoop("OOM", 2)
    assert state.take_scale_requests() == [ScaleRequest("web", "api", 3)]
    assert state.take_scale_requests() == []  # handed over once
    heard = []
    state.subscribe(lambda: heard.append(state.active()))
    state.capacity_shortage("web", "api")  # takes effect on the scheduler's next step
    state.crash_loop("web", "api")  # acts at once: the listener hears it
    assert heard == [
        [
            {
                "fault": "crash-loop",
                "cluster": "web",
                "service": "api",
                "reason": DEFAULT_CRASH_REASON,
            },
            {"fault": "capacity-shortage", "cluster": "web", "service": "api"},
        ]
    ]
    state.clear()
    assert (state.active(), state.crash_loop_of("web", "api")) == ([], None)


def test_each_crash_loop_arming_rolls_out_one_broken_deployment(
    aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=1)
    manual_scheduler.tick()
    healthy = describe(aws_client, svc)["deployments"][0]["id"]
    faults.crash_loop("web", "api")
    first = describe(aws_client, svc)["deployments"][0]["id"]
    manual_scheduler.tick()  # no arming since: no new deployment
    assert describe(aws_client, svc)["deployments"][0]["id"] == first
    faults.crash_loop("web", "api", reason="OutOfMemoryError")
    second, previous = describe(aws_client, svc)["deployments"]
    assert healthy != first != second["id"] and previous["id"] == healthy
    assert {
        t["stoppedReason"]
        for t in tasks(aws_client, svc, "STOPPED")
        if t["startedBy"] == second["id"]
    } == {"OutOfMemoryError"}
    aws_client("ecs").update_service(cluster="web", service="api", forceNewDeployment=True)
    third = describe(aws_client, svc)["deployments"][0]
    assert third["id"] != second["id"] and third["failedTasks"] == 1  # still broken while armed
