"""The pytest plugin's backend switch: embedded emulator, reachable endpoint, or loud failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT_STACK = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.localstack.yaml"

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


def run_sample(tmp_path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    clean = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **env},
    )


def test_without_an_endpoint_the_plugin_embeds_an_emulator_on_a_free_port(tmp_path):
    run = run_sample(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "LocalCloud" in run.stdout
    assert "ENDPOINT http://127.0.0.1:4566 " not in run.stdout


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


SHARING = textwrap.dedent(
    """
    STACK = {stack!r}
    seen = []

    def test_first_reader_deploys(shared_stack, aws_client):
        stack = shared_stack(STACK)
        seen.append(stack)
        assert stack.result.plan.counts()["create"] > 30
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
        stack = shared_stack(STACK, **{{"fargate-app:desiredCount": 3}})
        assert stack is not seen[1]
        assert len(aws_client("ecs").list_clusters()["clusterArns"]) == 1
        assert stack["reconcile"]["desired_count"] == 3

    def test_faults_end_the_sharing(shared_stack, faults):
        stack = shared_stack(STACK)
        faults.out_of_band_scale(stack["cluster_name"], stack["service_name"], 5)
        seen.append(stack)

    def test_after_faults_the_reader_deploys_again(shared_stack, aws_client):
        stack = shared_stack(STACK)
        assert stack is not seen[2]
        (service,) = aws_client("ecs").describe_services(
            cluster=stack["cluster_name"], services=[stack["service_name"]]
        )["services"]
        assert service["desiredCount"] == 2
    """
)


def test_shared_stack_shares_one_deploy_until_the_cloud_is_reset_or_faulted(tmp_path):
    """In file order (one process): reuse while nothing reset the cloud; a new deploy after a
    reset, for other config, and after a test that armed faults."""
    stack = str(PROJECT_STACK)
    (tmp_path / "test_sharing.py").write_text(SHARING.format(stack=stack))
    clean = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, env=clean,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "7 passed" in run.stdout


def test_aws_client_gives_one_client_per_service_and_options_within_a_test(aws_client):
    ecs = aws_client("ecs")
    assert aws_client("ecs") is ecs
    assert aws_client("ecs", region_name="eu-west-1") is not ecs
    assert aws_client("ecs", region_name="eu-west-1").meta.region_name == "eu-west-1"
    assert aws_client("elbv2").meta.service_model.service_name == "elbv2"
