"""The docker runtime: ECS tasks as real containers (Docker Engine API), seen through AWS's APIs.

Every test runs the session's local cloud with ``localcloud_runtime = "docker"``; images come
from ``busybox_image`` (built once per session) or the ``registry`` fixture. Traffic goes only to
ports published on 127.0.0.1, found through ``localcloud.vpc.ADDRESSES``.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from localcloud.ecs.agent import (
    LABEL_HOST,
    LABEL_MANAGED,
    LABEL_PID,
    LABEL_TASK_ARN,
    containers_of_this_process,
)
from localcloud.testing import ServiceBuilder
from localcloud.vpc import ADDRESSES
from tests.localcloud.conftest import TEST_LABEL
from tests.localcloud.test_runtimes import assert_aws_shaped

pytestmark = pytest.mark.docker

#: Seconds a container-backed task may take to reach a state (pull, start, health checks).
WAIT = 30.0


@pytest.fixture
def localcloud_runtime() -> str:
    return "docker"


@pytest.fixture(autouse=True)
def _no_container_after_the_test(local_cloud, docker_client):
    """Each test ends with its containers gone, so the next one starts on a quiet engine."""
    yield
    local_cloud.use_runtime("simulated")
    wait_for("the test's containers removed", lambda: not containers_of_this_process(docker_client))


@pytest.fixture
def run_service(aws_client) -> Callable[..., str]:
    """Factory: a one-task service of a task definition with *containers*; returns the cluster
    (``web``) after creating service ``api`` (behind a target group on port 8080)."""

    def run(*containers: dict[str, Any], desired_count: int = 1, **task: Any) -> str:
        builder = ServiceBuilder(aws_client)
        network = builder.network()
        target_group = builder.target_group(network, "api", port=8080)
        builder.cluster("web")
        definition = aws_client("ecs").register_task_definition(
            family="api",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"stopTimeout": 2, **c} for c in containers],
            **task,
        )["taskDefinition"]["taskDefinitionArn"]
        builder.service(
            network,
            cluster="web",
            service="api",
            task_definition_arn=definition,
            desired_count=desired_count,
            target_group_arn=target_group,
            container_port=8080,
        )
        return "web"

    return run


def wait_for(what: str, probe: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll *probe* (bounded in time) until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {timeout:g} s")


def tasks_of(aws_client, status: str) -> list[dict[str, Any]]:
    ecs = aws_client("ecs")
    arns = ecs.list_tasks(cluster="web", desiredStatus=status)["taskArns"]
    return ecs.describe_tasks(cluster="web", tasks=arns)["tasks"] if arns else []


def running_task(aws_client) -> dict[str, Any]:
    return wait_for(
        "a RUNNING task",
        lambda: next((t for t in tasks_of(aws_client, "RUNNING") if t["lastStatus"] == "RUNNING"),
                     None),
    )  # fmt: skip


def stopped_task(aws_client) -> dict[str, Any]:
    return wait_for("a STOPPED task", lambda: next(iter(tasks_of(aws_client, "STOPPED")), None))


def containers_of(docker_client, task_arn: str) -> list[Any]:
    return docker_client.containers.list(
        all=True, ignore_removed=True, filters={"label": f"{LABEL_TASK_ARN}={task_arn}"}
    )


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.read().decode()


def test_a_locally_built_image_serves_on_its_published_loopback_port(
    aws_client, run_service, busybox_image, docker_client
):
    run_service(
        {
            "name": "app",
            "image": busybox_image,
            "portMappings": [{"containerPort": 8080}],
            "readonlyRootFilesystem": True,
            "environment": [{"name": "GREETING", "value": "hi"}],
        }
    )
    task = running_task(aws_client)
    assert_aws_shaped(task, "web")
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    host, port = ADDRESSES.resolve(ip, 8080)
    assert host == "127.0.0.1"
    assert wait_for("an answer", lambda: _try_get(f"http://{host}:{port}/")) == (
        200,
        "hello from the task\n",
    )
    (container,) = containers_of(docker_client, task["taskArn"])
    config, host_config = container.attrs["Config"], container.attrs["HostConfig"]
    assert host_config["ReadonlyRootfs"] is True
    assert host_config["NanoCpus"] == 250_000_000  # 256 CPU units: a quarter of a CPU
    assert host_config["Memory"] == 512 * 1024 * 1024
    assert container.attrs["NetworkSettings"]["Ports"]["8080/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": str(port)}
    ]
    assert "GREETING=hi" in config["Env"] and "AWS_REGION=us-east-1" in config["Env"]
    assert config["Labels"][LABEL_MANAGED] == "true"
    assert config["Labels"][LABEL_PID] == str(os.getpid())

    aws_client("ecs").update_service(cluster="web", service="api", desiredCount=0)
    wait_for("the container removed", lambda: not containers_of(docker_client, task["taskArn"]))
    assert ADDRESSES.resolve(ip, 8080) is None
    stopped = stopped_task(aws_client)
    assert stopped["attachments"][0]["status"] == "DELETED"


def _try_get(url: str) -> tuple[int, str] | None:
    try:
        return get(url)
    except OSError:
        return None


def test_an_essential_container_exiting_with_code_3_stops_the_task_with_it(
    aws_client, run_service, busybox_image
):
    run_service(
        {"name": "app", "image": busybox_image, "entryPoint": ["sh", "-c"],
         "command": ["sleep 1; exit 3"]}
    )  # fmt: skip
    task = stopped_task(aws_client)
    assert task["lastStatus"] == "STOPPED"
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["containers"][0]["exitCode"] == 3
    assert task["containers"][0]["lastStatus"] == "STOPPED"


def test_a_pushed_image_runs_and_an_unpushed_tag_fails_and_trips_the_circuit_breaker(
    aws_client, run_service, busybox_image, registry, docker_client
):
    pushed = f"{registry}/web"
    docker_client.images.get(busybox_image).tag(pushed, "v1")
    docker_client.images.push(pushed, "v1")
    docker_client.images.remove(f"{pushed}:v1")  # the agent has to pull it from the registry

    run_service({"name": "app", "image": f"{pushed}:v1", "portMappings": [{"containerPort": 8080}]})
    task = running_task(aws_client)
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    host, port = ADDRESSES.resolve(ip, 8080)
    assert wait_for("an answer", lambda: _try_get(f"http://{host}:{port}/"))[0] == 200

    aws_client("ecs").register_task_definition(
        family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": f"{pushed}:missing"}],
    )  # fmt: skip
    aws_client("ecs").update_service(cluster="web", service="api", taskDefinition="api:2")

    def breaker_tripped() -> bool:
        service = aws_client("ecs").describe_services(cluster="web", services=["api"])
        events = [e["message"] for e in service["services"][0]["events"]]
        return any(m.endswith("deployment failed: tasks failed to start.") for m in events)

    # The FAILED deployment is rolled back to revision 1 (the service's circuit breaker has
    # rollback on), so the trip shows in the service events and the stopped tasks.
    wait_for("the circuit breaker to trip", breaker_tripped, timeout=60)
    failed = [t for t in tasks_of(aws_client, "STOPPED") if t["taskDefinitionArn"].endswith(":2")]
    assert len(failed) >= 3
    for task in failed:
        assert task["stopCode"] == "TaskFailedToStart"
        assert task["stoppedReason"].startswith(
            "CannotPullContainerError: pull image manifest has been retried 1 time(s): "
            f"failed to resolve ref {pushed}:missing: "
        )
        assert "exitCode" not in task["containers"][0]


def test_container_lines_become_log_events_and_secrets_reach_the_environment(
    aws_client, run_service, busybox_image
):
    secret_arn = aws_client("secretsmanager").create_secret(
        Name="db", SecretString='{"password": "s3cret"}'
    )["ARN"]
    aws_client("ssm").put_parameter(Name="/app/key", Value="k-123", Type="SecureString")
    run_service(
        {
            "name": "app",
            "image": busybox_image,
            "entryPoint": ["sh", "-c"],
            "command": ['echo "password=$DB_PASSWORD key=$API_KEY"; echo oops >&2; sleep 60'],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:password::"},
                {"name": "API_KEY", "valueFrom": "/app/key"},
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/api",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "web",
                    "awslogs-create-group": "true",
                },
            },
        }
    )
    task = running_task(aws_client)
    task_id = task["taskArn"].rsplit("/", 1)[1]
    logs = aws_client("logs")

    def messages() -> list[str]:
        try:
            events = logs.get_log_events(
                logGroupName="/ecs/api", logStreamName=f"web/app/{task_id}", startFromHead=True
            )["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in events] if len(events) >= 2 else []

    assert sorted(wait_for("two log events", messages)) == ["oops", "password=s3cret key=k-123"]
    filtered = logs.filter_log_events(logGroupName="/ecs/api", filterPattern="oops")["events"]
    assert [e["logStreamName"] for e in filtered] == [f"web/app/{task_id}"]


def test_a_missing_secret_stops_the_task_before_any_container_runs(
    aws_client, run_service, busybox_image, docker_client
):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"
    run_service(
        {"name": "app", "image": busybox_image, "secrets": [{"name": "X", "valueFrom": arn}]}
    )
    task = stopped_task(aws_client)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith(
        "ResourceInitializationError: unable to pull secrets or registry auth: "
        f"execution resource retrieval failed: unable to retrieve secret from {arn}: "
    )
    assert containers_of(docker_client, task["taskArn"]) == []


def test_a_container_health_check_sets_health_and_an_unhealthy_task_is_replaced(
    aws_client, run_service, busybox_image
):
    run_service(
        {
            "name": "app",
            "image": busybox_image,
            "entryPoint": ["sh", "-c"],
            "command": ["touch /ok; sleep 4; rm /ok; sleep 60"],
            "healthCheck": {"command": ["CMD-SHELL", "test -f /ok"], "interval": 1,
                            "timeout": 1, "retries": 1},
        }
    )  # fmt: skip
    first = running_task(aws_client)
    assert first["healthStatus"] == "UNKNOWN"  # until Docker ran the first check
    healthy = wait_for(
        "a HEALTHY task",
        lambda: next((t for t in tasks_of(aws_client, "RUNNING")
                      if t["healthStatus"] == "HEALTHY"), None),
    )  # fmt: skip
    assert healthy["containers"][0]["healthStatus"] == "HEALTHY"
    replaced = stopped_task(aws_client)
    assert replaced["taskArn"] == first["taskArn"]
    assert replaced["stoppedReason"] == "Task failed container health checks"
    assert replaced["healthStatus"] == "UNHEALTHY"
    wait_for("a replacement", lambda: [t for t in tasks_of(aws_client, "RUNNING")
                                       if t["taskArn"] != first["taskArn"]])  # fmt: skip


def test_stop_task_kills_a_container_that_ignores_sigterm_after_the_stop_timeout(
    aws_client, run_service, busybox_image, docker_client
):
    # A shell as PID 1 ignores SIGTERM: only the kill after stopTimeout (2 s) ends it.
    run_service(
        {"name": "app", "image": busybox_image, "entryPoint": ["sh", "-c"],
         "command": ["sleep 60"], "stopTimeout": 2}
    )  # fmt: skip
    task = running_task(aws_client)
    wait_for("the container to run", lambda: containers_of(docker_client, task["taskArn"]))
    aws_client("ecs").update_service(cluster="web", service="api", desiredCount=0)
    started = time.monotonic()
    wait_for("the container removed", lambda: not containers_of(docker_client, task["taskArn"]))
    took = time.monotonic() - started
    assert 1.5 <= took <= 10, took
    stopped = stopped_task(aws_client)
    assert stopped["containers"][0]["exitCode"] == 137  # SIGKILL


def test_a_new_agent_removes_the_containers_of_a_local_cloud_that_is_gone(
    docker_client, busybox_image
):
    from localcloud.ecs.agent import remove_leftovers

    dead_pid = _a_dead_pid()
    labels = {LABEL_MANAGED: "true", LABEL_HOST: socket.gethostname(), LABEL_PID: str(dead_pid),
              TEST_LABEL: "true"}  # fmt: skip
    alive = {**labels, LABEL_PID: str(os.getpid())}
    orphan = docker_client.containers.create(busybox_image, labels=labels)
    mine = docker_client.containers.create(busybox_image, labels=alive)
    try:
        assert remove_leftovers(docker_client) >= 1
        ids = {
            c.id
            for c in docker_client.containers.list(
                all=True, ignore_removed=True, filters={"label": TEST_LABEL}
            )
        }
        assert orphan.id not in ids
        assert mine.id in ids  # a live emulator's containers stay
    finally:
        mine.remove(force=True)


def test_a_container_removed_while_the_agent_lists_them_is_skipped(
    docker_client, busybox_image, monkeypatch
):
    """Docker lists, then inspects each container; another process may remove one in between
    (a CI run once failed a teardown on that 404)."""
    labels = {LABEL_MANAGED: "true", LABEL_HOST: socket.gethostname(), LABEL_PID: str(os.getpid()),
              TEST_LABEL: "true"}  # fmt: skip
    doomed = docker_client.containers.create(busybox_image, labels=labels)
    inspect = docker_client.api.inspect_container

    def removed_just_before(container_id: str) -> dict[str, Any]:
        docker_client.api.remove_container(container_id, force=True)
        return inspect(container_id)

    monkeypatch.setattr(docker_client.api, "inspect_container", removed_just_before)
    assert containers_of_this_process(docker_client) == []
    monkeypatch.undo()
    assert doomed.id not in {c.id for c in docker_client.containers.list(all=True, sparse=True)}


def _a_dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1
