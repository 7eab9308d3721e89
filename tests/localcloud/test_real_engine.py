"""Opt-in: the real Pulumi engine deploys the localstack stack into the embedded emulator.

Runs only with a ``pulumi`` CLI on PATH (and its aws plugin): ``pulumi up`` then ``pulumi
destroy`` through the Automation API, with a local file backend, on a copy of the project whose
``aws:endpoints`` point at this test session's emulator.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.real_pulumi,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="needs the pulumi CLI on PATH (and the pulumi-aws plugin); the emulated "
        "deploy covers the same program without it",
    ),
]

ENDPOINT_SERVICES = (
    "acm applicationautoscaling cloudwatch cloudwatchlogs ec2 ecr ecs elb elbv2 iam s3 "
    "secretsmanager ssm sts"
).split()


def test_pulumi_up_and_destroy_against_the_emulator(local_cloud, aws_client, tmp_path):
    import yaml
    from pulumi import automation as auto

    work = tmp_path / "project"
    work.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT / name, work / name)
    shutil.copytree(PROJECT / "components", work / "components")
    (work / "stacks").mkdir()
    settings = yaml.safe_load((PROJECT / "stacks/Pulumi.localstack.yaml").read_text())
    settings["config"]["aws:endpoints"] = [
        {service: local_cloud.endpoint_url for service in ENDPOINT_SERVICES}
    ]
    (work / "stacks/Pulumi.localstack.yaml").write_text(yaml.safe_dump(settings))
    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    project["runtime"] = {"name": "python", "options": {"virtualenv": str(PROJECT / ".venv")}}
    (work / "Pulumi.yaml").write_text(yaml.safe_dump(project))

    backend = tmp_path / "state"
    backend.mkdir()
    stack = auto.create_or_select_stack(
        stack_name="localstack",
        work_dir=str(work),
        opts=auto.LocalWorkspaceOptions(
            env_vars={
                "PULUMI_BACKEND_URL": f"file://{backend}",
                "PULUMI_CONFIG_PASSPHRASE": "",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
            }
        ),
    )
    up = stack.up(on_output=print)
    assert up.summary.result == "succeeded"
    cluster = up.outputs["cluster_name"].value
    assert aws_client("ecs").describe_clusters(clusters=[cluster])["clusters"][0]["status"] == (
        "ACTIVE"
    )
    destroy = stack.destroy(on_output=print)
    assert destroy.summary.result == "succeeded"
    remaining = aws_client("ecs").list_clusters()["clusterArns"]
    assert [arn for arn in remaining if arn.endswith(f"/{cluster}")] == []
