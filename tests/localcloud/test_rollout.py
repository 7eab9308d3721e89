"""Rolling deployments and the circuit breaker's rollback, as ECS runs them.

The scheduler is driven by hand (``manual_scheduler``: no background thread, tasks start at
once), so every step of a rollout can be looked at: which tasks live, which stopped, which
deployment is PRIMARY, what the events say.
"""

from __future__ import annotations

from typing import Any

from localcloud.ecs import scheduler as scheduler_module
from reconciler import AwsTarget, ClientFactory, Status, from_outputs, sweep
from tests.localcloud.support import describe, tasks

LOCALSTACK = "stacks/Pulumi.localstack.yaml"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def new_revision(aws_client, svc) -> str:
    """Register the next revision of the service's task definition and roll it out."""
    ecs = aws_client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=svc.task_definition_arn)[
        "taskDefinition"
    ]
    arn = ecs.register_task_definition(
        family=definition["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{**definition["containerDefinitions"][0], "image": "nginx:2"}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=svc.cluster, service=svc.service, taskDefinition=arn)
    return arn


def live(aws_client, svc) -> list[dict[str, Any]]:
    return tasks(aws_client, svc)


def test_min_healthy_50_max_100_stops_old_tasks_first(aws_client, manual_scheduler, make_service):
    svc = make_service(desired_count=2, minimum_healthy_percent=50, maximum_percent=100)
    manual_scheduler.tick()
    old = {t["taskArn"] for t in live(aws_client, svc)}
    assert len(old) == 2

    new_revision(aws_client, svc)  # UpdateService reconciles at once
    seen = []
    for _ in range(4):
        running = live(aws_client, svc)
        assert len(running) <= 2  # maximumPercent 100: never more than desiredCount alive
        assert sum(t["lastStatus"] == "RUNNING" for t in running) >= 1  # 50% stay healthy
        seen.append(sorted(t["taskArn"] in old for t in running))
        manual_scheduler.tick()
    assert seen[0] == [False, True]  # one old task stopped, its replacement started
    assert seen[-1] == [False, False]
    stopped = [t for t in tasks(aws_client, svc, "STOPPED") if t["taskArn"] in old]
    new = [t for t in live(aws_client, svc)]
    assert min(t["stoppedAt"] for t in stopped) <= min(t["createdAt"] for t in new)
    [primary] = describe(aws_client, svc)["deployments"]
    assert primary["rolloutState"] == "COMPLETED"


def test_min_healthy_100_max_200_starts_new_tasks_before_stopping_old_ones(
    aws_client, manual_scheduler, make_service, monkeypatch
):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    old = {t["taskArn"] for t in live(aws_client, svc)}
    old_ips = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in
               live(aws_client, svc)}  # fmt: skip
    # The new tasks' targets stay unhealthy (e.g. still in their health-check grace)...
    healthy = scheduler_module.targets.healthy
    monkeypatch.setattr(
        scheduler_module.targets,
        "healthy",
        lambda account, region, lbs, ip: ip in old_ips and healthy(account, region, lbs, ip),
    )
    new_revision(aws_client, svc)
    for _ in range(3):
        manual_scheduler.tick()
        running = live(aws_client, svc)
        assert len(running) == 4  # maximumPercent 200
        assert old <= {t["taskArn"] for t in running}  # ... so no old task stops
    # ... until their targets pass.
    monkeypatch.setattr(scheduler_module.targets, "healthy", healthy)
    manual_scheduler.tick()
    running = live(aws_client, svc)
    assert len(running) == 2 and not old & {t["taskArn"] for t in running}
    assert {t["stopCode"] for t in tasks(aws_client, svc, "STOPPED")} == {
        "ServiceSchedulerInitiated"
    }


def test_failed_rollout_rolls_back_to_the_last_completed_deployment(
    aws_client, manual_scheduler, make_service, faults
):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    [good] = describe(aws_client, svc)["deployments"]
    assert good["rolloutState"] == "COMPLETED"

    faults.crash_loop(svc.cluster, svc.service)  # a bad release of the same revision
    for _ in range(5):
        manual_scheduler.tick()
        service = describe(aws_client, svc)
        assert service["runningCount"] >= 2  # the good tasks keep serving
        if service["deployments"][0]["rolloutStateReason"].startswith(
            "ECS deployment circuit breaker: rolling back"
        ):
            break
    rollback = service["deployments"][0]
    assert rollback["taskDefinition"] == good["taskDefinition"] == service["taskDefinition"]
    assert rollback["id"] != good["id"]
    assert rollback["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {good['id']}."
    )
    messages = [e["message"] for e in service["events"]]
    failed = next(m for m in messages if m.endswith("deployment failed: tasks failed to start."))
    rolling = f"(service api) rolling back to deployment {good['id']}."
    assert messages.index(rolling) < messages.index(failed)  # newest first: failed, then back

    for _ in range(3):  # the crash loop stays armed, but the rollback is the good revision
        manual_scheduler.tick()
    [primary] = describe(aws_client, svc)["deployments"]
    assert (primary["id"], primary["rolloutState"], primary["runningCount"]) == (
        rollback["id"],
        "COMPLETED",
        2,
    )
    assert primary["failedTasks"] == 0


def test_crashing_release_of_the_stack_is_rolled_back_and_the_reconciler_says_so(
    deployed_stack, local_cloud, aws_client, manual_scheduler, faults
):
    stack = deployed_stack(LOCALSTACK)
    manual_scheduler.tick()
    cluster, name = stack["cluster_name"], stack["service_name"]
    v1 = stack["task_definition_arn"]
    ecs = aws_client("ecs")

    def service() -> dict[str, Any]:
        return ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    assert service()["deployments"][0]["rolloutState"] == "COMPLETED"
    faults.crash_loop(cluster, name)  # v2 is a bad release: its tasks exit while starting
    stack.update(imageTag="2.0.0")
    v2 = stack["task_definition_arn"]
    assert v2.endswith(":2")
    for _ in range(10):
        manual_scheduler.tick()
        assert service()["runningCount"] >= 2  # v1 keeps serving throughout
        if service()["deployments"][0]["rolloutState"] == "COMPLETED":
            break
    [primary] = service()["deployments"]
    assert (primary["taskDefinition"], primary["rolloutState"]) == (v1, "COMPLETED")
    assert {t["taskDefinitionArn"] for t in ecs.describe_tasks(
        cluster=cluster, tasks=ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"]
    )["tasks"]} == {v1}  # fmt: skip
    messages = [e["message"] for e in service()["events"]]
    assert any(m.endswith("deployment failed: tasks failed to start.") for m in messages)
    assert any(f"(service {name}) rolling back to deployment " in m for m in messages)

    target = AwsTarget(
        endpoint_url=local_cloud.endpoint_url, region="us-east-1", credentials=CREDENTIALS
    )
    [verdict] = sweep(from_outputs(dict(stack)), ClientFactory(target)).verdicts
    assert verdict.status is Status.FAILED
    assert verdict.reasons == (
        "rolled back: PRIMARY deployment runs web-localstack:1, declared web-localstack:2",
    )
