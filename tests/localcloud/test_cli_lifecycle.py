"""``python -m localcloud deploy|destroy`` against a serving emulator: plan, apply, errors."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud.cli import main
from localcloud.outputs import port_of

STACK = str(Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.localstack.yaml")


def test_deploy_preview_update_and_destroy_from_the_command_line(
    local_cloud, aws_client, capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)  # the state and outputs files land in ./.localcloud
    where = ("--endpoint", local_cloud.endpoint_url)
    port = port_of(local_cloud.endpoint_url)

    assert main(["deploy", *where, "--stack-config", STACK]) == 0
    out = capsys.readouterr().out
    assert "+   aws:ecs/service:Service" in out and "to create" in out
    state = tmp_path / ".localcloud" / f"state-{port}.json"
    outputs = json.loads((tmp_path / ".localcloud" / f"outputs-{port}.json").read_text())
    assert len(json.loads(state.read_text())["resources"]) > 40

    def service() -> dict:
        return aws_client("ecs").describe_services(
            cluster=outputs["cluster_name"], services=[outputs["service_name"]]
        )["services"][0]

    scale = ("--config", "fargate-app:desiredCount=3")
    assert main(["deploy", *where, "--stack-config", STACK, *scale, "--preview"]) == 0
    out = capsys.readouterr().out
    assert " ~   aws:ecs/service:Service  web-service  update  [diff: ~desiredCount]" in out
    assert "    ~ 1 to update\n" in out
    assert service()["desiredCount"] == 2  # a preview changes nothing

    assert main(["deploy", *where, "--stack-config", STACK, *scale]) == 0
    assert "converged" in capsys.readouterr().out
    assert service()["runningCount"] == 3

    before = state.read_bytes()
    assert main(["destroy", *where, "--preview"]) == 0
    assert "aws:ec2/vpc:Vpc" in capsys.readouterr().out
    assert state.read_bytes() == before

    assert main(["destroy", *where]) == 0
    assert "the state" in capsys.readouterr().out
    assert json.loads(state.read_text())["resources"] == []
    assert service()["status"] == "INACTIVE"


def test_deploy_errors_are_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["deploy", "--stack-config", "nowhere/Pulumi.x.yaml"]) == 2
    assert capsys.readouterr().err == (
        "localcloud: error: --stack-config nowhere/Pulumi.x.yaml: no such file\n"
    )
    assert main(["deploy", "--port", "9", "--stack-config", STACK]) == 1
    err = capsys.readouterr().err
    assert err.startswith("localcloud: error: endpoint http://127.0.0.1:9 is not reachable")
    assert err.count("\n") == 1
