"""Task runtimes: how one is picked (and said), and what DescribeTasks shows in either.

The simulated runtime runs here; ``test_agent`` checks the same AWS shapes with real containers.
"""

from __future__ import annotations

import re

import pytest

from localcloud import LocalCloud, LocalCloudError
from localcloud.ecs.runtime import RuntimeChoice, choose_runtime
from tests.localcloud.support import tasks
from tests.localcloud.test_cli import cli_env, free_port
from tests.preloaded import PRELOADED

TASK_ID = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def assert_aws_shaped(task: dict, cluster: str, region: str = "us-east-1") -> None:
    """The ids and ARNs of a running task and its containers are AWS's (ecs-behaviour.md)."""
    prefix = f"arn:aws:ecs:{region}:123456789012"
    task_arn = task["taskArn"]
    arn_prefix, task_id = task_arn.rsplit("/", 1)
    assert arn_prefix == f"{prefix}:task/{cluster}"
    assert TASK_ID.fullmatch(task_id)
    assert task["launchType"] == "FARGATE"
    for container in task["containers"]:
        assert container["taskArn"] == task_arn
        container_prefix, container_uuid = container["containerArn"].rsplit("/", 1)
        assert container_prefix == f"{prefix}:container/{cluster}/{task_id}"
        assert UUID.fullmatch(container_uuid)
        assert "exitCode" not in container  # only once the container stopped
    assert task["attachments"][0]["status"] == "ATTACHED"


@pytest.fixture
def dead_docker(monkeypatch, tmp_path):
    """``DOCKER_HOST`` naming a socket nothing listens on."""
    host = f"unix://{tmp_path}/no-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    return host


def test_simulated_tasks_have_aws_ids_arns_and_attachments(
    aws_client, make_service, manual_scheduler
):
    svc = make_service(desired_count=1)
    manual_scheduler.tick()
    (task,) = tasks(aws_client, svc)
    assert_aws_shaped(task, svc.cluster)
    aws_client("ecs").stop_task(cluster=svc.cluster, task=task["taskArn"], reason="bye")
    manual_scheduler.tick()
    (stopped,) = tasks(aws_client, svc, "STOPPED")
    assert stopped["attachments"][0]["status"] == "DELETED"
    assert stopped["stopCode"] == "UserInitiated"


def test_spot_tasks_launch_as_fargate_with_their_capacity_provider(
    aws_client, make_service, manual_scheduler
):
    svc = make_service(desired_count=1, capacity_provider="FARGATE_SPOT")
    manual_scheduler.tick()
    (task,) = tasks(aws_client, svc)
    assert task["launchType"] == "FARGATE"
    assert task["capacityProviderName"] == "FARGATE_SPOT"


def test_services_show_when_and_by_whom_they_were_created(aws_client, make_service):
    svc = make_service(desired_count=0)
    (service,) = aws_client("ecs").describe_services(cluster=svc.cluster, services=[svc.service])[
        "services"
    ]
    assert service["createdBy"] == "arn:aws:iam::123456789012:root"
    assert service["createdAt"].year >= 2024


def test_target_health_names_the_target_port_as_health_check_port(
    aws_client, make_service, manual_scheduler
):
    svc = make_service(desired_count=1)
    manual_scheduler.tick()
    (description,) = aws_client("elbv2").describe_target_health(
        TargetGroupArn=svc.target_group_arn
    )["TargetHealthDescriptions"]
    assert description["Target"]["Port"] == 8080
    assert description["HealthCheckPort"] == "8080"


def test_auto_without_a_daemon_picks_simulated_and_says_why(dead_docker):
    choice = choose_runtime("auto")
    assert choice.name == "simulated"
    assert choice.line().startswith("simulated (no Docker daemon answers (")
    assert choice.line().endswith("); install Docker for real containers)")


@pytest.mark.docker
def test_auto_with_a_daemon_picks_docker_and_says_which_engine():
    from localcloud.dockerd import daemon_status

    version = daemon_status().version
    assert choose_runtime("auto") == RuntimeChoice("docker", f"Docker Engine {version} answers")


def test_docker_without_a_daemon_is_a_one_line_error_at_start(dead_docker):
    cloud = LocalCloud(port=0, runtime="docker")
    with pytest.raises(LocalCloudError) as error:
        cloud.start()
    assert re.fullmatch(
        r"--runtime docker: no Docker daemon answers \(.+\); start Docker or use "
        r"--runtime simulated",
        str(error.value),
    )
    assert not cloud.running


def test_an_unknown_runtime_is_refused_naming_the_choices():
    with pytest.raises(LocalCloudError, match="^runtime 'podman' is unknown; use one of auto, "
                                              "docker, simulated$"):  # fmt: skip
        LocalCloud(port=0, runtime="podman")


def test_up_with_runtime_docker_and_no_daemon_exits_1_with_one_line(tmp_path):
    env = {**cli_env(), "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    run = PRELOADED.run(
        ["-m", "localcloud", "up", "--runtime", "docker", "--port", str(free_port())], env=env
    )
    assert run.returncode == 1
    assert run.stderr.startswith("localcloud: error: --runtime docker: no Docker daemon answers (")
    assert run.stderr.endswith("; start Docker or use --runtime simulated\n")
    assert run.stderr.count("\n") == 1
    assert "deploying" not in run.stdout


def test_a_bad_runtime_variable_is_a_usage_error(tmp_path):
    env = {**cli_env(), "LOCALCLOUD_RUNTIME": "podman"}
    run = PRELOADED.run(["-m", "localcloud", "serve", "--port", str(free_port())], env=env)
    assert run.returncode == 2
    assert run.stderr == (
        "localcloud: error: LOCALCLOUD_RUNTIME=podman: use one of auto, docker, simulated\n"
    )
