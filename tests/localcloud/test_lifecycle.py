"""The deploy lifecycle on the local cloud: update, preview, ignore_changes, destroy.

Each test deploys the local stack (``deployed_stack``), changes its config and deploys again;
assertions read AWS state through the AWS APIs, the plan the deploy made and the API calls its
clients sent (counted by a botocore ``before-call`` hook on each client).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from localcloud.deploy import deploy
from localcloud.deploy.schema import SCHEMAS
from localcloud.errors import LocalCloudError
from tests.localcloud.support import service_of, wait_until

LOCALSTACK = "stacks/Pulumi.localstack.yaml"
READ_PREFIXES = ("Describe", "List", "Get")
AUTOSCALING = {"minCount": 2, "maxCount": 4, "cpuTarget": 50}
#: Retired tasks stop as soon as their targets deregister (the stack drains for 30 s).
NO_DRAIN = {"deregistrationDelay": 0}


def settled(aws_client, outputs: dict[str, Any]) -> bool:
    service = service_of(aws_client, outputs)
    [primary, *others] = service["deployments"]
    return (
        not others
        and primary["rolloutState"] == "COMPLETED"
        and service["runningCount"] == service["desiredCount"]
    )


def writes(api_calls: dict[str, int]) -> dict[str, int]:
    """The API calls that change something (not Describe*, List*, Get*)."""
    return {
        call: count
        for call, count in api_calls.items()
        if not call.split(".", 1)[1].startswith(READ_PREFIXES)
    }


def running_tasks(aws_client, outputs: dict[str, Any]) -> list[dict[str, Any]]:
    ecs = aws_client("ecs")
    arns = ecs.list_tasks(cluster=outputs["cluster_name"], serviceName=outputs["service_name"])[
        "taskArns"
    ]
    return ecs.describe_tasks(cluster=outputs["cluster_name"], tasks=arns)["tasks"] if arns else []


@pytest.fixture
def stack(deployed_stack, aws_client):
    outputs = deployed_stack(LOCALSTACK, loadBalancer=NO_DRAIN)
    wait_until(lambda: settled(aws_client, outputs), "the first rollout")
    return outputs


def test_unchanged_redeploy_makes_read_only_calls(stack):
    state_before = json.loads(stack.state_path.read_text())
    outputs_before = dict(stack)
    stack.update()
    counts = stack.result.plan.counts()
    assert set(counts) == {"same"} and counts["same"] == len(state_before["resources"])
    assert stack.result.api_calls  # the provider functions and the state probe still read
    assert writes(stack.result.api_calls) == {}
    assert dict(stack) == outputs_before
    after = json.loads(stack.state_path.read_text())
    assert sorted((r["urn"], r["id"]) for r in after["resources"]) == sorted(
        (r["urn"], r["id"]) for r in state_before["resources"]
    )


def test_desired_count_change_is_one_update_and_ecs_follows(stack, aws_client):
    plan = stack.preview(desiredCount=3)
    [step] = plan.changes
    assert (step.kind, step.type_, step.name, step.changed) == (
        "update",
        "aws:ecs/service:Service",
        "web-service",
        ("desiredCount",),
    )
    text = plan.render()
    assert " ~   aws:ecs/service:Service  web-service  update  [diff: ~desiredCount]" in text
    assert text.endswith(f"Resources:\n    ~ 1 to update\n    {plan.counts()['same']} unchanged")

    stack.update(desiredCount=3)
    assert writes(stack.result.api_calls) == {"ecs.UpdateService": 1}
    wait_until(lambda: service_of(aws_client, stack)["runningCount"] == 3, "the third task")
    assert stack["reconcile"]["desired_count"] == 3


def test_new_image_and_task_size_are_new_revisions_that_roll_out(stack, aws_client):
    ecs = aws_client("ecs")
    first = stack["task_definition_arn"]
    old_tasks = {t["taskArn"] for t in running_tasks(aws_client, stack)}

    stack.update(imageTag="2.0.0")
    [replaced, updated] = stack.result.plan.changes
    assert (replaced.kind, replaced.type_, replaced.changed) == (
        "replace",
        "aws:ecs/taskDefinition:TaskDefinition",
        ("containerDefinitions",),
    )
    assert not replaced.delete_first  # a new revision first, the old one deregistered after
    assert (updated.kind, updated.changed) == ("update", ("taskDefinition",))
    second = stack["task_definition_arn"]
    assert (first.rsplit(":", 1)[1], second.rsplit(":", 1)[1]) == ("1", "2")
    assert ecs.describe_task_definition(taskDefinition=first)["taskDefinition"]["status"] == (
        "INACTIVE"
    )
    wait_until(lambda: settled(aws_client, stack), "the rollout of revision 2")
    service = service_of(aws_client, stack)
    assert service["taskDefinition"] == service["deployments"][0]["taskDefinition"] == second
    [image] = {t["containers"][0]["image"] for t in running_tasks(aws_client, stack)}
    assert image.endswith(":2.0.0")
    retired = ecs.describe_tasks(cluster=stack["cluster_name"], tasks=list(old_tasks))["tasks"]
    assert {(t["lastStatus"], t["stopCode"]) for t in retired} == {
        ("STOPPED", "ServiceSchedulerInitiated")
    }

    stack.update(cpu=512, memory=1024)
    [replaced, _] = stack.result.plan.changes
    assert replaced.changed == ("cpu", "memory")
    wait_until(lambda: settled(aws_client, stack), "the rollout of revision 3")
    third = ecs.describe_task_definition(taskDefinition=stack["task_definition_arn"])
    assert (third["taskDefinition"]["revision"], third["taskDefinition"]["cpu"]) == (3, "512")
    assert {t["cpu"] for t in running_tasks(aws_client, stack)} == {"512"}


def test_autoscaling_owns_desired_count_and_removing_it_deletes_its_resources(
    deployed_stack, aws_client, faults
):
    scaling = aws_client("application-autoscaling")
    stack = deployed_stack(LOCALSTACK, autoscaling=AUTOSCALING, loadBalancer=NO_DRAIN)
    wait_until(lambda: settled(aws_client, stack), "the first rollout")
    resource_id = f"service/{stack['cluster_name']}/{stack['service_name']}"
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]

    faults.out_of_band_scale(stack["cluster_name"], stack["service_name"], 4)  # the scaler
    plan = stack.preview(desiredCount=3)
    assert plan.changes == []  # ignore_changes: desiredCount is the scaler's
    stack.update(desiredCount=3, tags={"team": "web"})
    assert service_of(aws_client, stack)["desiredCount"] == 4  # never reset
    assert "ecs.UpdateService" not in stack.result.api_calls

    stack.update(autoscaling=None)
    deleted = sorted((s.type_, s.name) for s in stack.result.plan.changes if s.kind == "delete")
    assert deleted == [
        ("aws:appautoscaling/policy:Policy", "web-scale-cpu"),
        ("aws:appautoscaling/target:Target", "web-scaling"),
    ]
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert (
        scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)[
            "ScalingPolicies"
        ]
        == []
    )


def test_preview_changes_nothing(stack, local_cloud, aws_client):
    ecs = aws_client("ecs")
    before = (
        service_of(aws_client, stack),
        ecs.list_task_definitions()["taskDefinitionArns"],
        stack.state_path.read_bytes(),
    )
    result = deploy(
        local_cloud,
        LOCALSTACK,
        config={**stack.config, "fargate-app:desiredCount": 4, "fargate-app:imageTag": "3.0.0"},
        state_path=stack.state_path,
        preview=True,
    )
    assert [(s.kind, s.name) for s in result.plan.changes] == [
        ("replace", "web-task"),
        ("update", "web-service"),
    ]
    assert "[diff: ~desiredCount ~taskDefinition]" in result.plan.render()
    assert writes(result.api_calls) == {}
    after = (
        service_of(aws_client, stack),
        ecs.list_task_definitions()["taskDefinitionArns"],
        stack.state_path.read_bytes(),
    )
    for field in ("desiredCount", "taskDefinition", "deployments"):
        assert after[0][field] == before[0][field]
    assert after[1:] == before[1:]


def test_a_change_the_local_cloud_cannot_apply_stops_before_any_change(
    stack, aws_client, monkeypatch
):
    service = SCHEMAS["aws:ecs/service:Service"]
    monkeypatch.setitem(
        SCHEMAS,
        "aws:ecs/service:Service",
        replace(service, update=service.update - {"desiredCount"}),
    )
    state = stack.state_path.read_bytes()
    with pytest.raises(LocalCloudError) as error:
        stack.update(desiredCount=3, imageTag="2.0.0")
    assert str(error.value).startswith(
        "aws:ecs/service:Service web-service: the local cloud cannot change desiredCount in place"
    )
    assert "\n" not in str(error.value)
    assert stack.state_path.read_bytes() == state
    service_now = service_of(aws_client, stack)
    assert (service_now["desiredCount"], service_now["taskDefinition"]) == (
        2,
        stack["task_definition_arn"],
    )
    assert len(aws_client("ecs").list_task_definitions()["taskDefinitionArns"]) == 1


def test_destroy_leaves_nothing_of_the_stack(stack, aws_client):
    vpc_id, cluster, service = stack["vpc_id"], stack["cluster_name"], stack["service_arn"]
    stack.destroy()
    assert dict(stack) == {}
    assert json.loads(stack.state_path.read_text())["resources"] == []
    kinds = stack.result.plan.counts()
    assert set(kinds) == {"delete"} and kinds["delete"] > 40

    ecs = aws_client("ecs")
    assert ecs.list_services(cluster=cluster)["serviceArns"] == []
    [deleted] = ecs.describe_services(cluster=cluster, services=[service])["services"]
    assert deleted["status"] == "INACTIVE"
    assert ecs.list_tasks(cluster=cluster)["taskArns"] == []
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE"
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []
    elbv2 = aws_client("elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    ec2 = aws_client("ec2")
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
    assert (
        ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["available"]}])[
            "NatGateways"
        ]
        == []
    )
    assert ec2.describe_addresses()["Addresses"] == []
    roles = aws_client("iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles if r["RoleName"].startswith("web-")] == []
    groups = aws_client("logs").describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]
    assert groups == []
    assert aws_client("ecr").describe_repositories()["repositories"] == []

    stack.update()  # and the stack deploys again, from an empty state
    assert set(stack.result.plan.counts()) == {"create"}


def test_a_first_deploy_that_fails_midway_leaves_nothing(local_cloud, aws_client, tmp_path):
    """Into an empty state the program runs once, creating as it registers: a failure after the
    first resources deletes them again and writes no state."""
    (tmp_path / "Pulumi.yaml").write_text("name: half-done\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "repository = aws.ecr.Repository('images', name='images')\n"
        "group = aws.cloudwatch.LogGroup('logs', name='/half-done', opts=None)\n"
        "aws.s3.BucketV2('assets', bucket='assets', tags={'after': repository.name})\n"
    )
    stack = tmp_path / "Pulumi.test.yaml"
    stack.write_text("config:\n  aws:region: us-east-1\n")
    state = tmp_path / "state.json"
    with pytest.raises(
        LocalCloudError, match=r"aws:s3/bucketV2:BucketV2 \(assets\) is not handled"
    ):
        deploy(local_cloud, stack, state_path=state)
    assert aws_client("ecr").describe_repositories()["repositories"] == []
    groups = aws_client("logs").describe_log_groups(logGroupNamePrefix="/half-done")["logGroups"]
    assert groups == []
    assert not state.exists()  # nothing was deployed: no state file either
