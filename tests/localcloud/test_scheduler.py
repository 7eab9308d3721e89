"""The simulated ECS service scheduler, driven tick by tick."""

from __future__ import annotations

import ipaddress

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.support import describe, tasks


def test_tasks_go_pending_then_running_and_register_in_the_target_group(
    aws_client, manual_scheduler, make_service
):
    manual_scheduler.task_start_delay = 3600
    svc = make_service(desired_count=2)
    service = describe(aws_client, svc)
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (2, 0, 2)
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert [t["lastStatus"] for t in tasks(aws_client, svc)] == ["PENDING", "PENDING"]

    manual_scheduler.task_start_delay = 0
    for task in manual_scheduler._services[("123456789012", "us-east-1", "web", "api")].live:
        task.ready_at = 0
    manual_scheduler.tick()

    service = describe(aws_client, svc)
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    primary = service["deployments"][0]
    assert (primary["status"], primary["rolloutState"], primary["runningCount"]) == (
        "PRIMARY",
        "COMPLETED",
        2,
    )
    assert service["events"][0]["message"] == "(service api) has reached a steady state."
    running = tasks(aws_client, svc)
    assert {t["lastStatus"] for t in running} == {"RUNNING"}
    assert {t["group"] for t in running} == {"service:api"}
    assert {t["startedBy"] for t in running} == {primary["id"]}
    addresses = {}
    for task in running:
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        cidr = svc.subnets[details["subnetId"]]
        assert ipaddress.ip_address(details["privateIPv4Address"]) in ipaddress.ip_network(cidr)
        addresses[details["privateIPv4Address"]] = task["availabilityZone"]
    assert sorted(addresses.values()) == ["us-east-1a", "us-east-1b"]  # spread over the AZs
    health = aws_client("elbv2").describe_target_health(TargetGroupArn=svc.target_group_arn)
    assert {
        (h["Target"]["Id"], h["Target"]["Port"], h["TargetHealth"]["State"])
        for h in health["TargetHealthDescriptions"]
    } == {(ip, 8080, "healthy") for ip in addresses}


def test_a_stopped_task_is_replaced_and_deregistered(aws_client, manual_scheduler, make_service):
    svc = make_service(desired_count=1)
    manual_scheduler.tick()
    [first] = tasks(aws_client, svc)
    aws_client("ecs").stop_task(cluster="web", task=first["taskArn"], reason="operator")
    manual_scheduler.tick()

    [replacement] = tasks(aws_client, svc)
    assert replacement["taskArn"] != first["taskArn"]
    assert replacement["lastStatus"] == "RUNNING"
    [stopped] = tasks(aws_client, svc, "STOPPED")
    assert (stopped["taskArn"], stopped["lastStatus"], stopped["stoppedReason"]) == (
        first["taskArn"],
        "STOPPED",
        "operator",
    )
    ip = {d["name"]: d["value"] for d in replacement["attachments"][0]["details"]}[
        "privateIPv4Address"
    ]
    health = aws_client("elbv2").describe_target_health(TargetGroupArn=svc.target_group_arn)
    assert [h["Target"]["Id"] for h in health["TargetHealthDescriptions"]] == [ip]
    assert describe(aws_client, svc)["runningCount"] == 1


def test_scaling_in_stops_the_surplus_at_once(aws_client, manual_scheduler, make_service):
    svc = make_service(desired_count=3)
    manual_scheduler.tick()
    updated = aws_client("ecs").update_service(cluster="web", service="api", desiredCount=1)
    assert (updated["service"]["desiredCount"], updated["service"]["runningCount"]) == (1, 1)
    stopped = tasks(aws_client, svc, "STOPPED")
    assert len(stopped) == 2
    reasons = {t["stoppedReason"] for t in stopped}
    primary = describe(aws_client, svc)["deployments"][0]["id"]
    assert reasons == {f"Scaling activity initiated by (deployment {primary})"}
    assert {t["stopCode"] for t in stopped} == {"ServiceSchedulerInitiated"}


def test_scaling_out_is_not_instant_like_moto(aws_client, manual_scheduler, make_service):
    manual_scheduler.task_start_delay = 3600
    svc = make_service(desired_count=1)
    aws_client("ecs").update_service(cluster="web", service="api", desiredCount=3)
    service = describe(aws_client, svc)
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (3, 0, 3)


def test_a_new_task_definition_rolls_out_as_a_new_primary_deployment(
    aws_client, manual_scheduler, make_service
):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    ecs = aws_client("ecs")
    old = describe(aws_client, svc)["deployments"][0]["id"]
    revision = ecs.register_task_definition(
        family="api",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:2"}],
    )["taskDefinition"]["taskDefinitionArn"]
    manual_scheduler.task_start_delay = 3600
    ecs.update_service(cluster="web", service="api", taskDefinition=revision)

    deployments = describe(aws_client, svc)["deployments"]
    assert [(d["status"], d["runningCount"], d["pendingCount"]) for d in deployments] == [
        ("PRIMARY", 0, 2),
        ("ACTIVE", 2, 0),
    ]
    assert deployments[0]["taskDefinition"] == revision
    assert deployments[1]["id"] == old

    manual_scheduler.task_start_delay = 0
    for task in manual_scheduler._services[("123456789012", "us-east-1", "web", "api")].live:
        task.ready_at = 0
    manual_scheduler.tick()
    service = describe(aws_client, svc)
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [
        ("PRIMARY", "COMPLETED")
    ]
    assert {t["taskDefinitionArn"] for t in tasks(aws_client, svc)} == {revision}
    assert service["runningCount"] == 2


def test_list_tasks_filters_by_service_and_defaults_to_running(
    aws_client, manual_scheduler, make_service
):
    one = make_service(desired_count=1, service="one")
    ecs = aws_client("ecs")
    ecs.create_service(
        cluster="web",
        serviceName="two",
        taskDefinition=one.task_definition_arn,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": list(one.subnets)}},
    )
    manual_scheduler.tick()
    assert len(ecs.list_tasks(cluster="web", serviceName="one")["taskArns"]) == 1
    assert len(ecs.list_tasks(cluster="web", serviceName="two")["taskArns"]) == 2
    assert len(ecs.list_tasks(cluster="web")["taskArns"]) == 3
    assert ecs.list_tasks(cluster="web", desiredStatus="STOPPED")["taskArns"] == []
    # "two" gave no securityGroups: like AWS, its tasks get the VPC's default group.
    two = ecs.describe_services(cluster="web", services=["two"])["services"][0]
    [group] = two["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    assert (
        aws_client("ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0][
            "GroupName"
        ]
        == "default"
    )


def test_describe_services_keeps_the_fields_moto_drops(aws_client, manual_scheduler, make_service):
    svc = make_service(
        desired_count=1,
        capacity_provider="FARGATE_SPOT",
        healthCheckGracePeriodSeconds=60,
        enableExecuteCommand=False,
        enableECSManagedTags=True,
        propagateTags="SERVICE",
        tags=[{"key": "app", "value": "web"}],
    )
    manual_scheduler.tick()
    service = describe(aws_client, svc)
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableExecuteCommand"] is False
    assert service["enableECSManagedTags"] is True
    assert service["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}
    ]
    assert "launchType" not in service
    [task] = aws_client("ecs").describe_tasks(
        cluster="web",
        tasks=aws_client("ecs").list_tasks(cluster="web")["taskArns"],
        include=["TAGS"],
    )["tasks"]
    assert task["capacityProviderName"] == "FARGATE_SPOT"
    assert {(t["key"], t["value"]) for t in task["tags"]} == {
        ("aws:ecs:clusterName", "web"),
        ("aws:ecs:serviceName", "api"),
        ("app", "web"),
    }


def test_deleting_a_service_stops_its_tasks(aws_client, manual_scheduler, make_service):
    svc = make_service(desired_count=2)
    manual_scheduler.tick()
    aws_client("ecs").delete_service(cluster="web", service="api", force=True)
    manual_scheduler.tick()
    assert tasks(aws_client, svc) == []
    assert {t["stoppedReason"] for t in tasks(aws_client, svc, "STOPPED")} == {
        "ECS service deleted"
    }
    health = aws_client("elbv2").describe_target_health(TargetGroupArn=svc.target_group_arn)
    assert health["TargetHealthDescriptions"] == []


def test_ecs_list_and_describe_limits_are_those_of_aws(aws_client, manual_scheduler, make_service):
    svc = make_service(desired_count=0, service="svc-00")
    ecs = aws_client("ecs")
    for index in range(1, 12):
        ecs.create_service(
            cluster="web",
            serviceName=f"svc-{index:02d}",
            taskDefinition=svc.task_definition_arn,
            desiredCount=0,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": list(svc.subnets)}},
        )
    first = ecs.list_services(cluster="web")
    assert len(first["serviceArns"]) == 10  # the default page size of ListServices
    second = ecs.list_services(cluster="web", nextToken=first["nextToken"])
    assert len(second["serviceArns"]) == 2 and "nextToken" not in second
    pages = ecs.get_paginator("list_services").paginate(
        cluster="web", PaginationConfig={"PageSize": 5}
    )
    names = [arn.rsplit("/", 1)[1] for page in pages for arn in page["serviceArns"]]
    assert names == [f"svc-{index:02d}" for index in range(12)]
    with pytest.raises(ClientError) as error:
        ecs.describe_services(cluster="web", services=names[:11])
    assert error.value.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": "service names can have at most 10 items.",
    }
