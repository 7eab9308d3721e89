"""`check` and `heal` against the local cloud: verdicts, JSON shape, API call budget, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import AwsTarget, ClientFactory, from_flags, sweep
from reconciler.model import DeclaredService, Status
from tests.reconciler.conftest import REGION


def outputs(tmp_path, *entries) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"url": "http://example", "reconcile": list(entries)}))
    return str(path)


def entry(cluster, service="app", desired=2, low=None, high=None, tg=None) -> dict:
    doc = {
        "cluster": cluster,
        "service": service,
        "region": REGION,
        "desired_count": desired,
        "min_count": desired if low is None else low,
        "max_count": desired if high is None else high,
    }
    if tg:
        doc["target_group_arn"] = tg
    return doc


def test_converged_service_exits_0_with_the_json_shape(sim, run_cli, tmp_path):
    tg = sim.target_group()
    sim.service(desired=2, target_group=tg)
    path = outputs(tmp_path, entry(sim.cluster, tg=tg))
    code, out, _ = run_cli("check", "--json", "--outputs", path, "--endpoint-url", sim.endpoint)
    assert code == 0
    assert json.loads(out) == {
        "converged": True,
        "services": [
            {
                "cluster": sim.cluster,
                "service": "app",
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
        ],
        # a converged service costs no ListTasks/DescribeTasks
        "api_calls": {"DescribeServices": 1, "DescribeTargetHealth": 1},
    }


def test_table_output_names_status_and_reason(sim, run_cli):
    sim.service(desired=2, held=True)
    code, out, _ = run_cli(
        "check", "--cluster", sim.cluster, "--service", "app", "--desired", "2",
        "--endpoint-url", sim.endpoint,
    )  # fmt: skip
    assert code == 1
    assert "converging" in out
    assert "0/2 running; 2 pending" in out
    assert "Capacity is unavailable at this time" in out  # the service event, quoted
    assert "0/1 converged" in out


def test_missing_services_and_partial_failures(sim, run_cli, tmp_path):
    web = sim.cluster
    sim.service("app", desired=1)
    path = outputs(
        tmp_path, entry(web, "app", 1), entry(web, "ghost", 1), entry("nocluster", "x", 1)
    )
    code, out, _ = run_cli("check", "--json", "--outputs", path, "--endpoint-url", sim.endpoint)
    doc = json.loads(out)
    assert code == 1
    assert [(s["service"], s["status"], s["reasons"]) for s in doc["services"]] == [
        ("app", "converged", []),
        ("ghost", "missing", [f"service not found in cluster {web}"]),
        ("x", "missing", ["cluster nocluster not found"]),
    ]


def test_describe_services_is_batched_by_ten_and_tasks_listed_only_when_needed(sim):
    tg = sim.target_group()
    names = [f"svc{i:02d}" for i in range(25)]
    for name in names:
        sim.service(name, desired=1, target_group=tg, held=name in {"svc07", "svc19"})
    declared = [DeclaredService(sim.cluster, n, 1, 1, 1, REGION, tg) for n in names]
    result = sweep(declared, ClientFactory(AwsTarget(endpoint_url=sim.endpoint)))
    assert {v.declared.service for v in result.verdicts if not v.converged} == {"svc07", "svc19"}
    assert result.api_calls == {
        "DescribeServices": 3,  # 25 services / 10 per call
        "ListTasks": 4,  # RUNNING + STOPPED, for each of the 2 unsettled services only
        "DescribeTasks": 1,  # their tasks, up to 100 per call
        "DescribeTargetHealth": 1,  # one shared target group, asked once
    }


def test_out_of_band_scale_is_drift_and_heal_restores_it(sim, run_cli, tmp_path):
    web = sim.cluster
    sim.service("app", desired=2)
    sim.service("other", desired=1)  # not declared: heal must leave it alone
    sim.scale("app", 5)
    sim.scale("other", 7)
    path = outputs(tmp_path, entry(web, "app", 2))
    where = ("--outputs", path, "--endpoint-url", sim.endpoint)

    code, out, _ = run_cli("check", "--json", *where)
    assert code == 1
    (svc,) = json.loads(out)["services"]
    assert svc["status"] == "drifted"
    assert svc["reasons"][0] == "desiredCount 5 differs from declared 2"

    code, out, _ = run_cli("heal", "--dry-run", *where)
    assert code == 1
    assert f"would update: {web}/app: desiredCount 5 -> 2 (declared 2)" in out
    assert "dry run: no changes made" in out
    assert sim.desired_count("app") == 5

    code, out, _ = run_cli("heal", "--json", *where)
    doc = json.loads(out)
    assert code == 0
    assert doc["actions"] == [
        {
            "cluster": web,
            "service": "app",
            "from_desired_count": 5,
            "to_desired_count": 2,
            "reason": "declared 2",
            "applied": True,
            "error": None,
        }
    ]
    assert doc["api_calls"]["UpdateService"] == 1
    assert sim.desired_count("app") == 2
    assert sim.desired_count("other") == 7

    code, out, _ = run_cli("heal", "--json", *where)  # idempotent: nothing left to do
    doc = json.loads(out)
    assert code == 0
    assert doc["actions"] == []
    assert "UpdateService" not in doc["api_calls"]

    sim.tick(2)  # the scheduler stops the surplus tasks
    code, out, _ = run_cli("check", "--json", *where)
    assert code == 0, out


def test_heal_clamps_into_the_autoscaling_range(sim, run_cli, tmp_path):
    sim.service("app", desired=2)
    sim.scale("app", 9)
    path = outputs(tmp_path, entry(sim.cluster, "app", 2, 1, 4))
    code, out, _ = run_cli("heal", "--outputs", path, "--endpoint-url", sim.endpoint)
    assert code == 0
    assert (
        f"updated: {sim.cluster}/app: desiredCount 9 -> 4 (clamped to declared range [1, 4])" in out
    )
    assert sim.desired_count("app") == 4


def test_discover_finds_tagged_services_only(sim, run_cli):
    sim.service("app", desired=2, tags={"managed-by": "fargate-app", "app": "app"})
    sim.service("hand-made", desired=1)
    code, out, _ = run_cli(
        "check", "--json", "--discover", "--cluster", sim.cluster, "--endpoint-url", sim.endpoint
    )
    assert code == 0
    assert [s["service"] for s in json.loads(out)["services"]] == ["app"]


def test_discover_of_an_untagged_cluster_is_a_config_error(sim, run_cli):
    sim.service("hand-made", desired=1)
    code, _, err = run_cli(
        "check", "--discover", "--cluster", sim.cluster, "--endpoint-url", sim.endpoint
    )
    assert code == 2
    assert err == (
        f"reconciler: error: --discover --cluster {sim.cluster}: "
        "no service tagged managed-by=fargate-app in that cluster\n"
    )


def test_localstack_flag_goes_through_localstack_client(sim, run_cli, monkeypatch):
    sim.service("app", desired=1)
    host = sim.endpoint.removeprefix("http://")
    args = ("check", "--json", "--cluster", sim.cluster, "--service", "app", "--desired", "1")
    args += ("--region", REGION)
    code, out, _ = run_cli(*args, "--localstack", "--localstack-host", host)
    assert code == 0, out
    monkeypatch.setenv("LOCALSTACK_HOST", host)  # localstack-client's own variable
    code, out, _ = run_cli(*args, "--localstack")
    assert code == 0
    assert json.loads(out)["services"][0]["status"] == "converged"


def test_library_api_returns_typed_results(sim):
    sim.service("app", desired=1)
    sim.local.faults.capacity_shortage(sim.cluster, "app")
    sim.scale("app", 3)
    clients = ClientFactory(AwsTarget(endpoint_url=sim.endpoint))
    result = sweep(from_flags(sim.cluster, "app", 3, region=REGION), clients)
    (verdict,) = result.verdicts
    assert verdict.status is Status.CONVERGING
    assert (verdict.live.running_count, verdict.live.pending_count) == (1, 2)
    assert verdict.reasons[0] == "1/3 running; 2 pending"
    assert verdict.reasons[1].startswith("latest event: (service app) was unable to place a task.")


def test_python_dash_m_and_console_script(sim):
    sim.service("app", desired=1)
    args = ["check", "--cluster", sim.cluster, "--service", "app", "--desired", "1"]
    args += ["--region", REGION, "--endpoint-url", sim.endpoint, "--json"]
    script = str(Path(sys.executable).with_name("reconciler"))
    for cmd in ([sys.executable, "-m", "reconciler"], [script]):
        proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["converged"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["check"],
            "no desired state: pass --outputs FILE, --stack NAME, "
            "--cluster C --service S --desired N, or --discover --cluster C",
        ),
        (
            ["check", "--outputs", "x.json", "--discover", "--cluster", "web"],
            "pick one desired-state source, got --outputs and --discover",
        ),
        (
            ["check", "--cluster", "web", "--service", "app"],
            "--desired is missing; --cluster, --service and --desired go together",
        ),
        (
            [
                "check",
                "--cluster",
                "web",
                "--service",
                "app",
                "--desired",
                "2",
                "--min",
                "3",
                "--max",
                "1",
            ],
            "--min 3 is greater than --max 1; min must be <= max",
        ),
        (["check", "--discover"], "--discover needs --cluster C"),
        (
            ["check", "--outputs", "x.json", "--min", "1"],
            "--min/--max go with --cluster --service --desired",
        ),
        (
            ["check", "--localstack", "--endpoint-url", "http://x", "--outputs", "x.json"],
            "--endpoint-url and --localstack are exclusive; pick one endpoint",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(run_cli, argv, message):
    code, out, err = run_cli(*argv)
    assert code == 2
    assert err == f"reconciler: error: {message}\n"
    assert out == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file is empty; expected the JSON of `pulumi stack output --json`"),
        (
            "{",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
        ),
    ],
)
def test_malformed_outputs_file_exits_2(run_cli, tmp_path, content, message):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    code, out, err = run_cli("check", "--outputs", str(path))
    assert (code, out) == (2, "")
    assert err == f"reconciler: error: --outputs {path}: {message}\n"


def test_declared_min_greater_than_max_exits_2(run_cli, tmp_path):
    path = outputs(tmp_path, entry("web", "app", 2, 3, 1))
    code, _, err = run_cli("check", "--outputs", path)
    assert code == 2
    assert err == (
        f"reconciler: error: --outputs {path}: reconcile[0].min_count 3 is greater than "
        "max_count 1; min must be <= max\n"
    )


def test_bad_flag_values_exit_2(run_cli):
    code, out, err = run_cli("wait", "--timeout", "soon", "--outputs", "x.json")
    assert (code, out) == (2, "")
    assert err == (
        "reconciler: error: argument --timeout: 'soon' is not a non-negative number of seconds\n"
    )
