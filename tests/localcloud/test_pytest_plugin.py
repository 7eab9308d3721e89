"""The pytest plugin's backend switch: embedded emulator, reachable endpoint, or loud failure."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.preloaded import PRELOADED

SAMPLE = textwrap.dedent(
    """
    def test_uses_the_cloud(local_cloud, aws_client, faults):
        aws_client("ecs").create_cluster(clusterName="sample")
        assert aws_client("ecs").list_clusters()["clusterArns"][0].endswith("/sample")
        faults.capacity_shortage("sample", "api")
        assert faults.active()[0]["fault"] == "capacity-shortage"
        print("ENDPOINT", local_cloud.endpoint_url, type(local_cloud).__name__)
    """
)

TINY_PROGRAM = textwrap.dedent(
    """
    import json

    import pulumi
    import pulumi_aws as aws

    cluster = aws.ecs.Cluster("cluster", name=pulumi.Config().require("clusterName"))
    task = aws.ecs.TaskDefinition(
        "task",
        family="web",
        container_definitions=json.dumps([{"name": "web", "image": "nginx", "memory": 128}]),
    )
    service = aws.ecs.Service(
        "service", name="web", cluster=cluster.arn, task_definition=task.arn, desired_count=2
    )
    pulumi.export("cluster_name", cluster.name)
    pulumi.export("service_name", service.name)
    """
)

SHARING = textwrap.dedent(
    """
    STACK = {stack!r}
    seen = []

    def test_first_reader_deploys(shared_stack, aws_client):
        stack = shared_stack(STACK)
        seen.append(stack)
        assert stack.result.plan.counts() == {{"create": 3}}
        assert aws_client("ecs").describe_clusters(clusters=[stack["cluster_name"]])["clusters"]

    def test_next_reader_shares_the_deploy(shared_stack, aws_client):
        stack = shared_stack(STACK)
        assert stack is seen[0]
        assert aws_client("ecs").describe_clusters(clusters=[stack["cluster_name"]])["clusters"]

    def test_a_test_with_a_fresh_cloud_sees_nothing(local_cloud, aws_client):
        assert aws_client("ecs").list_clusters()["clusterArns"] == []

    def test_after_a_reset_the_reader_deploys_again(shared_stack):
        stack = shared_stack(STACK)
        assert stack is not seen[0]
        seen.append(stack)

    def test_other_config_is_another_deploy_into_an_empty_cloud(shared_stack, aws_client):
        stack = shared_stack(STACK, **{{"tiny:clusterName": "other"}})
        assert stack is not seen[1]
        clusters = aws_client("ecs").list_clusters()["clusterArns"]
        assert [arn.rsplit("/", 1)[1] for arn in clusters] == ["other"]

    def test_faults_end_the_sharing(shared_stack, faults, aws_client):
        stack = shared_stack(STACK)
        faults.out_of_band_scale(stack["cluster_name"], stack["service_name"], 5)
        (service,) = aws_client("ecs").describe_services(
            cluster=stack["cluster_name"], services=[stack["service_name"]]
        )["services"]
        assert service["desiredCount"] == 5
        seen.append(stack)

    def test_after_faults_the_reader_deploys_again(shared_stack, aws_client):
        stack = shared_stack(STACK)
        assert stack is not seen[2]
        ecs = aws_client("ecs")
        (service,) = ecs.describe_services(
            cluster=stack["cluster_name"], services=[stack["service_name"]]
        )["services"]
        assert service["desiredCount"] == 2
        assert ecs.list_task_definitions()["taskDefinitionArns"] == [service["taskDefinition"]]
    """
)

SHARING_TESTS = re.findall(r"^def (test_\w+)", SHARING, re.MULTILINE)


def write_tiny_project(directory: Path) -> Path:
    """A Pulumi project of one ECS service (three resources); returns its stack file."""
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (directory / "__main__.py").write_text(TINY_PROGRAM)
    stack = directory / "Pulumi.shared.yaml"
    stack.write_text("config:\n  tiny:clusterName: shared\n")
    return stack


def run_pytest(directory: Path, **env: str) -> subprocess.CompletedProcess:
    """pytest on *directory* in a process of its own (forked from the preloaded Python,
    ``tests.preloaded``) with *env* instead of any configured endpoint."""
    clean = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    return PRELOADED.run(
        ["-m", "pytest", "-q", "-s", "-rA", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(directory)],
        cwd=directory, env={**clean, **env}, timeout=180,
    )  # fmt: skip


def run_sample(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    return run_pytest(tmp_path, **env)


def outcomes(run: subprocess.CompletedProcess) -> dict[str, str]:
    """Each test's outcome (``PASSED``, ``FAILED``...) by node id, from the ``-rA`` summary."""
    summary = re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)", run.stdout, re.M)
    return {node: outcome for outcome, node in summary}


def test_without_an_endpoint_an_embedded_emulator_serves_the_sample_and_the_sharing_tests(
    tmp_path,
):
    """One pytest process without an endpoint (one start of the emulator for both files): the
    sample passes against an embedded ``LocalCloud`` on a free port, not 4566; then, in file
    order, ``shared_stack`` reuses one deploy while nothing reset the cloud, and deploys again
    after a reset, for other config, and after a test that armed faults."""
    stack = write_tiny_project(tmp_path / "project")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "test_sharing.py").write_text(SHARING.format(stack=str(stack)))
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    ran = outcomes(run)

    assert ran.get("test_sample.py::test_uses_the_cloud") == "PASSED", run.stdout + run.stderr
    endpoint = re.search(r"ENDPOINT http://127\.0\.0\.1:(\d+) LocalCloud", run.stdout)
    assert endpoint is not None, run.stdout
    assert endpoint[1] != "4566"

    sharing = {node: outcome for node, outcome in ran.items() if node.startswith("test_sharing")}
    expected = {f"test_sharing.py::{name}": "PASSED" for name in SHARING_TESTS}
    assert sharing == expected, run.stdout + run.stderr
    assert len(sharing) == 7


def test_a_reachable_endpoint_is_used_through_localstack_client(tmp_path, local_cloud):
    run = run_sample(tmp_path, LOCALSTACK_ENDPOINT=local_cloud.endpoint_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"ENDPOINT {local_cloud.endpoint_url} RemoteCloud" in run.stdout
    # the sample ran against this process's emulator
    clusters = local_cloud.client("ecs").list_clusters()["clusterArns"]
    assert [arn.rsplit("/", 1)[1] for arn in clusters] == ["sample"]


@pytest.mark.parametrize("variable", ["LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL"])
def test_an_unreachable_endpoint_fails_loudly(tmp_path, variable):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = run_sample(tmp_path, **{variable: f"http://127.0.0.1:{port}"})
    assert run.returncode == 1
    assert (
        f"{variable}=http://127.0.0.1:{port}: endpoint http://127.0.0.1:{port} is not reachable"
        in run.stdout
    )


def test_the_session_ends_cleanly_when_the_docker_agent_was_loaded_but_no_daemon_answers(
    tmp_path,
):
    """The end-of-session check for containers left behind has nothing to ask without a
    daemon: the run still passes (it used to end in a DockerException traceback)."""
    (tmp_path / "test_agent_loaded.py").write_text(
        "import localcloud.ecs.agent\n\n\ndef test_loaded():\n    assert localcloud.ecs.agent\n"
    )
    run = run_pytest(tmp_path, DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASSED test_agent_loaded.py::test_loaded" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_aws_client_gives_one_client_per_service_and_options_within_a_test(aws_client):
    ecs = aws_client("ecs")
    assert aws_client("ecs") is ecs
    assert aws_client("ecs", region_name="eu-west-1") is not ecs
    assert aws_client("ecs", region_name="eu-west-1").meta.region_name == "eu-west-1"
    assert aws_client("elbv2").meta.service_model.service_name == "elbv2"
