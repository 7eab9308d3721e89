"""The reconciler against a FargateApp stack deployed into the local cloud (emulated `pulumi up`).

The local cloud's scheduler runs in the background here (tasks start after a short delay), so
these tests use `wait`, as a user would after `pulumi up`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.localcloud.support import wait_until

pytestmark = pytest.mark.waits

STACK = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.localstack.yaml"


@pytest.fixture
def stack(deployed_stack, local_cloud, tmp_path):
    """Deploy the localstack stack; returns (outputs, outputs file, endpoint options)."""
    # Scaled-in tasks stop as soon as their targets deregister (the stack drains for 30 s).
    outputs = deployed_stack(STACK, **{"fargate-app:loadBalancer": {"deregistrationDelay": 0}})
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return outputs, str(path), ("--outputs", str(path), "--endpoint-url", local_cloud.endpoint_url)


def test_converges_after_deploy_keeps_the_json_shape_and_works_through_localstack(
    stack, run_cli, local_cloud, faults, fast_retries, monkeypatch
):
    outputs, path, where = stack
    code, _, err = run_cli("wait", "--timeout", "60", *where)
    assert code == 0, err
    code, out, _ = run_cli("check", "--json", *where)
    assert code == 0
    doc = json.loads(out)
    reconcile = outputs["reconcile"]
    assert set(doc) == {"converged", "services", "api_calls"}
    (svc,) = doc["services"]
    assert svc == {
        "cluster": reconcile["cluster"],
        "service": reconcile["service"],
        "status": "converged",
        "declared": {"desired_count": 2, "min_count": 2, "max_count": 2},
        "live": {
            "desired_count": 2,
            "running_count": 2,
            "pending_count": 0,
            "rollout_state": "COMPLETED",
            "failed_tasks": 0,
        },
        "targets": {"healthy": 2, "unhealthy": 0, "other": 0},
        "reasons": [],
    }
    assert doc["api_calls"] == {"DescribeServices": 1, "DescribeTargetHealth": 1}

    # --localstack: localstack-client's endpoint is localhost:4566 unless LOCALSTACK_HOST says
    # otherwise; tests never bind 4566, so point it at the emulator's free port.
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{local_cloud.port}")
    code, out, err = run_cli("check", "--json", "--localstack", "--outputs", path)
    assert code == 0, err
    assert json.loads(out) == doc

    # a throttling storm: every other ECS and ELBv2 call is refused, the verdict holds
    faults.throttle(0.5, services=("ecs", "elbv2"))
    for _ in range(3):
        code, out, err = run_cli("check", "--json", *where)
        assert code == 0, err
        assert json.loads(out) == doc  # operations counted, not retried attempts
    # the 2nd and 3rd check each had one throttled call per service, retried by botocore
    assert faults.throttled_calls() == {"ecs": 2, "elbv2": 2}


def test_out_of_band_scale_is_detected_and_healed_then_unhealthy_targets_degrade(
    stack, run_cli, faults, aws_client
):
    outputs, _, where = stack
    reconcile = outputs["reconcile"]
    assert run_cli("wait", "--timeout", "60", *where)[0] == 0
    faults.out_of_band_scale(reconcile["cluster"], reconcile["service"], 5)

    code, out, _ = run_cli("check", "--json", *where)
    (svc,) = json.loads(out)["services"]
    assert (code, svc["status"]) == (1, "drifted")
    assert svc["reasons"][0] == "desiredCount 5 differs from declared 2"

    def desired() -> int:
        ecs = aws_client("ecs")
        resp = ecs.describe_services(cluster=reconcile["cluster"], services=[reconcile["service"]])
        return resp["services"][0]["desiredCount"]

    assert run_cli("heal", "--dry-run", *where)[0] == 1
    assert desired() == 5
    code, out, _ = run_cli("heal", *where)
    assert code == 0
    assert "desiredCount 5 -> 2 (declared 2)" in out
    assert desired() == 2
    assert run_cli("wait", "--timeout", "60", *where)[0] == 0

    elbv2 = aws_client("elbv2")

    def registered() -> int:
        arn = outputs["target_group_arn"]
        return len(elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"])

    wait_until(lambda: registered() == 2, "the scaled-in tasks' targets to deregister")
    faults.unhealthy_targets(outputs["target_group_arn"], 1)
    code, out, _ = run_cli("check", "--json", *where)
    (svc,) = json.loads(out)["services"]
    assert (code, svc["status"]) == (1, "degraded")
    assert svc["targets"] == {"healthy": 1, "unhealthy": 1, "other": 0}
    assert svc["reasons"] == ["1 of 2 targets unhealthy: Target.ResponseCodeMismatch"]


def test_crash_loop_fails_wait_fast_with_its_reason(
    deployed_stack, local_cloud, tmp_path, run_cli, faults
):
    # Armed before the first deployment: none ever COMPLETED, so the circuit breaker has
    # nothing to roll back to (a rollback is test_rollout.py's story). The stack's names.
    faults.crash_loop("web-localstack", "web")
    outputs = deployed_stack(STACK)
    assert (outputs["cluster_name"], outputs["service_name"]) == ("web-localstack", "web")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    where = ("--outputs", str(path), "--endpoint-url", local_cloud.endpoint_url)
    code, out, err = run_cli("wait", "--timeout", "120", *where)
    assert code == 1
    assert "wait: failed fast at poll" in err
    assert "Essential container in task exited" in out


def test_capacity_shortage_makes_wait_time_out_with_the_reason(stack, run_cli, faults):
    outputs, path, where = stack
    reconcile = outputs["reconcile"]
    assert run_cli("wait", "--timeout", "60", *where)[0] == 0
    faults.capacity_shortage(reconcile["cluster"], reconcile["service"])
    faults.out_of_band_scale(reconcile["cluster"], reconcile["service"], 3)
    doc = json.loads(Path(path).read_text())
    doc["reconcile"].update(desired_count=3, min_count=3, max_count=3)  # declare the new count
    Path(path).write_text(json.dumps(doc))
    code, out, err = run_cli("wait", "--timeout", "2", "--json", *where)
    assert code == 1
    assert "wait: timed out after 2s" in err
    (svc,) = json.loads(out)["services"]
    assert svc["status"] == "converging"
    # the dev profile runs on Spot: the shortage also interrupts the running tasks
    assert re.match(r"\d/3 running; \d pending", svc["reasons"][0])
    assert "Capacity is unavailable at this time" in svc["reasons"][-1]
