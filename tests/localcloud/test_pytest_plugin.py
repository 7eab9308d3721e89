"""The pytest plugin's backend switch: embedded emulator, reachable endpoint, or loud failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

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
