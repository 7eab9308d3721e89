"""Every way a task stops leaves the same complete stopped task (one code path in the scheduler)."""

from __future__ import annotations

import pytest

from localcloud.ecs import scheduler as scheduler_module
from tests.localcloud.support import describe, tasks


def stop_task(aws_client, scheduler, make_service, faults):
    svc = make_service(desired_count=1)
    scheduler.tick()
    [task] = tasks(aws_client, svc)
    aws_client("ecs").stop_task(cluster="web", task=task["taskArn"], reason="operator")
    scheduler.tick()
    return svc, [task["taskArn"]], ("UserInitiated", "operator")


def scale_in(aws_client, scheduler, make_service, faults):
    svc = make_service(desired_count=2)
    scheduler.tick()
    before = {t["taskArn"] for t in tasks(aws_client, svc)}
    aws_client("ecs").update_service(cluster="web", service="api", desiredCount=1)
    after = {t["taskArn"] for t in tasks(aws_client, svc)}
    primary = describe(aws_client, svc)["deployments"][0]["id"]
    reason = f"Scaling activity initiated by (deployment {primary})"
    return svc, sorted(before - after), ("ServiceSchedulerInitiated", reason)


def new_deployment(aws_client, scheduler, make_service, faults):
    svc = make_service(desired_count=1)
    scheduler.tick()
    [old] = tasks(aws_client, svc)
    aws_client("ecs").update_service(cluster="web", service="api", forceNewDeployment=True)
    scheduler.tick()
    primary = describe(aws_client, svc)["deployments"][0]["id"]
    reason = f"Scaling activity initiated by (deployment {primary})"
    return svc, [old["taskArn"]], ("ServiceSchedulerInitiated", reason)


def crash(aws_client, scheduler, make_service, faults):
    faults.crash_loop("web", "api")
    svc = make_service(desired_count=1)  # its first task crashes while starting
    [crashed] = tasks(aws_client, svc, "STOPPED")
    return (
        svc,
        [crashed["taskArn"]],
        ("EssentialContainerExited", "Essential container in task exited"),
    )


def spot_interruption(aws_client, scheduler, make_service, faults):
    svc = make_service(desired_count=1, capacity_provider="FARGATE_SPOT")
    scheduler.tick()
    [task] = tasks(aws_client, svc)
    faults.capacity_shortage("web", "api")
    scheduler.tick()
    return svc, [task["taskArn"]], ("SpotInterruption", "Your Spot Task was interrupted.")


def service_deleted(aws_client, scheduler, make_service, faults):
    svc = make_service(desired_count=2)
    scheduler.tick()
    running = sorted(t["taskArn"] for t in tasks(aws_client, svc))
    aws_client("ecs").delete_service(cluster="web", service="api", force=True)
    scheduler.tick()
    return svc, running, ("ServiceSchedulerInitiated", "ECS service deleted")


@pytest.mark.parametrize(
    "stop",
    [stop_task, scale_in, new_deployment, crash, spot_interruption, service_deleted],
    ids=lambda way: way.__name__,
)
def test_each_way_a_task_stops_shows_the_same_stopped_shape(
    aws_client, manual_scheduler, make_service, faults, stop
):
    svc, arns, (stop_code, reason) = stop(aws_client, manual_scheduler, make_service, faults)
    assert arns
    ecs, ec2, elbv2 = aws_client("ecs"), aws_client("ec2"), aws_client("elbv2")
    stopped = ecs.describe_tasks(cluster="web", tasks=arns)["tasks"]
    listed = ecs.list_tasks(cluster="web", serviceName="api", desiredStatus="STOPPED")["taskArns"]
    assert set(arns) <= set(listed)
    enis = {
        eni["NetworkInterfaceId"] for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    targets = {
        h["Target"]["Id"]
        for h in elbv2.describe_target_health(TargetGroupArn=svc.target_group_arn)[
            "TargetHealthDescriptions"
        ]
    }
    messages = [e["message"] for e in describe(aws_client, svc)["events"]]
    for task in stopped:
        assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
        assert (task["stopCode"], task["stoppedReason"]) == (stop_code, reason)
        assert task["stoppingAt"] == task["executionStoppedAt"] == task["stoppedAt"]
        assert task["connectivity"] == "DISCONNECTED"
        assert [c["lastStatus"] for c in task["containers"]] == ["STOPPED"]
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert details["networkInterfaceId"] not in enis  # the ENI is released
        assert details["privateIPv4Address"] not in targets  # deregistered
        stopped_events = [m for m in messages if f"(task {task['taskArn'].rsplit('/', 1)[1]})" in m]
        if "startedAt" in task:  # it ran: ECS says it stopped a running task
            assert task["stoppedAt"] >= task["startedAt"]
            [event] = [m for m in stopped_events if " has stopped " in m]
            assert event.startswith("(service api) has stopped ")
            assert " running tasks: " in event
        else:  # it crashed while starting: never in a target group, no "stopped" event
            assert [m for m in stopped_events if " has stopped " in m] == []


def test_kept_stopped_tasks_are_bounded_whoever_stops_them(
    aws_client, manual_scheduler, make_service, monkeypatch
):
    monkeypatch.setattr(scheduler_module, "STOPPED_TASKS_KEPT", 2)
    svc = make_service(desired_count=1)
    manual_scheduler.tick()
    stopped_by_user = []
    for _ in range(3):
        [task] = tasks(aws_client, svc)
        aws_client("ecs").stop_task(cluster="web", task=task["taskArn"], reason="operator")
        stopped_by_user.append(task["taskArn"])
        manual_scheduler.tick()
    kept = [t["taskArn"] for t in tasks(aws_client, svc, "STOPPED")]
    assert sorted(kept) == sorted(stopped_by_user[-2:])  # the oldest is forgotten

    [running] = tasks(aws_client, svc)
    aws_client("ecs").update_service(cluster="web", service="api", desiredCount=0)
    kept = {t["taskArn"]: t["stopCode"] for t in tasks(aws_client, svc, "STOPPED")}
    assert kept == {
        stopped_by_user[-1]: "UserInitiated",
        running["taskArn"]: "ServiceSchedulerInitiated",
    }
