"""The platform stack (two apps on one VPC, cluster and load balancer) deployed into the local
cloud (emulated `pulumi up`): the AWS state it leaves, and the reconciler checking both services
in one sweep, as a library (``localcloud up``'s wait) and on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.summary import declared_services, wait_until_converged

STACK = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.platform.yaml"


@pytest.fixture
def platform_stack(shared_stack, local_cloud, tmp_path):
    """The platform stack (shared by these tests, which only read it); returns (outputs,
    endpoint options for the CLI)."""
    outputs = shared_stack(STACK)
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return outputs, ("--outputs", str(path), "--endpoint-url", local_cloud.endpoint_url)


def test_platform_stack_leaves_one_alb_whose_listener_routes_by_path_to_each_app(
    platform_stack, aws_client
):
    outputs, _ = platform_stack
    platform = outputs["platform"]
    elbv2, ec2 = aws_client("elbv2"), aws_client("ec2")
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=platform["load_balancer_arn"])[
        "Listeners"
    ]
    assert listener["ListenerArn"] == platform["http_listener_arn"]
    assert listener["DefaultActions"][0]["Type"] == "fixed-response"
    rules = {
        rule["Priority"]: (
            rule["Conditions"][0]["PathPatternConfig"]["Values"],
            rule["Actions"][0]["TargetGroupArn"],
        )
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not rule["IsDefault"]
    }
    apps = outputs["apps"]
    assert rules == {
        "100": (["/api/*"], apps["api"]["target_group_arn"]),
        "200": (["/*"], apps["web"]["target_group_arn"]),
    }
    for app in apps.values():
        group = app["task_security_group_id"]
        ingress = [
            rule
            for rule in ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [group]}]
            )["SecurityGroupRules"]
            if not rule["IsEgress"]
        ]
        assert [
            (r["ReferencedGroupInfo"]["GroupId"], r["FromPort"], r["ToPort"]) for r in ingress
        ] == [(platform["load_balancer_security_group_id"], 80, 80)]
    assert len(aws_client("ecs").list_clusters()["clusterArns"]) == 1


def test_reconciler_reports_both_services_converged_in_one_sweep(
    platform_stack, local_cloud, run_cli
):
    outputs, where = platform_stack
    result = wait_until_converged(local_cloud, declared_services(outputs), timeout=60)
    assert sorted((v.declared.service, v.converged) for v in result.verdicts) == [
        ("api", True),
        ("web", True),
    ]
    code, out, err = run_cli("check", "--json", *where)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["converged"] is True
    cluster = outputs["platform"]["cluster_name"]
    assert [
        (s["cluster"], s["service"], s["status"], s["live"]["running_count"])
        for s in doc["services"]
    ] == [(cluster, "web", "converged", 2), (cluster, "api", "converged", 1)]
    assert doc["api_calls"]["DescribeServices"] == 1  # both services of the cluster in one call
