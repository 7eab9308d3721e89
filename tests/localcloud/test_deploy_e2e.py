"""End to end: deploy the local stack into the emulator, check it through boto3, break it.

Every assertion reads AWS state through the AWS APIs, as a user (or the reconciler) would.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components import OUTPUT_NAMES
from tests.localcloud.support import service_of, wait_until

LOCALSTACK = "stacks/Pulumi.localstack.yaml"
PROD = "stacks/Pulumi.prod.yaml"


def converged(aws_client, outputs) -> bool:
    service = service_of(aws_client, outputs)
    return (
        service["runningCount"] == service["desiredCount"]
        and service["deployments"][0]["rolloutState"] == "COMPLETED"
    )


@pytest.fixture
def local_stack(shared_stack, aws_client):
    """The localstack stack, converged; shared by the tests that only read it."""
    outputs = shared_stack(LOCALSTACK)
    wait_until(lambda: converged(aws_client, outputs), "the service's tasks to run")
    return outputs


@pytest.fixture
def own_local_stack(deployed_stack, aws_client):
    """The localstack stack, converged, for a test that changes it."""
    outputs = deployed_stack(LOCALSTACK)
    wait_until(lambda: converged(aws_client, outputs), "the service's tasks to run")
    return outputs


def rules_of(ec2, group_id: str) -> list[dict[str, Any]]:
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]


def test_outputs_are_real_and_the_service_converges(local_stack, aws_client):
    assert set(local_stack) == set(OUTPUT_NAMES)
    assert local_stack["reconcile"] == {
        "cluster": local_stack["cluster_name"],
        "service": local_stack["service_name"],
        "region": "us-east-1",
        "desired_count": 2,
        "min_count": 2,
        "max_count": 2,
        "target_group_arn": local_stack["target_group_arn"],
    }
    assert local_stack["url"] == f"http://{local_stack['load_balancer_dns_name']}"
    json.dumps(local_stack)  # plain JSON, like `pulumi stack output --json`
    ec2 = aws_client("ec2")
    [vpc] = ec2.describe_vpcs(VpcIds=[local_stack["vpc_id"]])["Vpcs"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert {k: tags[k] for k in ("app", "stack", "managed-by", "environment")} == {
        "app": "web",
        "stack": "localstack",
        "managed-by": "fargate-app",
        "environment": "local",
    }
    dns = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")
    assert dns["EnableDnsHostnames"]["Value"] is True
    subnets = ec2.describe_subnets(
        SubnetIds=local_stack["public_subnet_ids"] + local_stack["private_subnet_ids"]
    )["Subnets"]
    assert {s["VpcId"] for s in subnets} == {vpc["VpcId"]}
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    repository = aws_client("ecr").describe_repositories(
        repositoryNames=[local_stack["repository_url"].split("/", 1)[1]]
    )["repositories"][0]
    assert repository["repositoryUri"] == local_stack["repository_url"]
    assert (
        aws_client("ecs").describe_task_definition(
            taskDefinition=local_stack["task_definition_arn"]
        )["taskDefinition"]["networkMode"]
        == "awsvpc"
    )

    # converged: the tasks run, their addresses are the target group's healthy targets
    service = service_of(aws_client, local_stack)
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (2, 2, 0)
    ecs = aws_client("ecs")
    arns = ecs.list_tasks(
        cluster=local_stack["cluster_name"], serviceName=local_stack["service_name"]
    )["taskArns"]
    tasks = ecs.describe_tasks(cluster=local_stack["cluster_name"], tasks=arns)["tasks"]
    addresses = {
        d["value"]
        for t in tasks
        for d in t["attachments"][0]["details"]
        if d["name"] == "privateIPv4Address"
    }
    health = aws_client("elbv2").describe_target_health(
        TargetGroupArn=local_stack["target_group_arn"]
    )["TargetHealthDescriptions"]
    assert {h["Target"]["Id"] for h in health} == addresses
    assert {h["TargetHealth"]["State"] for h in health} == {"healthy"}


def test_security_settings_hold_in_aws(local_stack, aws_client):
    ec2, ecs, elbv2 = aws_client("ec2"), aws_client("ecs"), aws_client("elbv2")
    service = service_of(aws_client, local_stack)
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    [task_group] = network["securityGroups"]
    assert network["assignPublicIp"] == "DISABLED"
    assert set(network["subnets"]) == set(local_stack["private_subnet_ids"])
    [load_balancer] = elbv2.describe_load_balancers()["LoadBalancers"]
    [alb_group] = load_balancer["SecurityGroups"]

    # The tasks' only way in: the container port, from the ALB's security group.
    task_rules = rules_of(ec2, task_group)
    ingress = [r for r in task_rules if not r["IsEgress"]]
    assert [
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r["ReferencedGroupInfo"]["GroupId"])
        for r in ingress
    ] == [("tcp", 80, 80, alb_group)]
    egress = [r for r in task_rules if r["IsEgress"]]
    assert [(r["FromPort"], r["CidrIpv4"]) for r in egress] == [(443, "0.0.0.0/0")]
    alb_rules = rules_of(ec2, alb_group)
    assert [(r["FromPort"], r.get("CidrIpv4")) for r in alb_rules if not r["IsEgress"]] == [
        (80, "0.0.0.0/0")
    ]
    assert [r["ReferencedGroupInfo"]["GroupId"] for r in alb_rules if r["IsEgress"]] == [task_group]
    [default] = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [local_stack["vpc_id"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    assert (default["IpPermissions"], default["IpPermissionsEgress"]) == ([], [])

    repository = aws_client("ecr").describe_repositories()["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    lifecycle = aws_client("ecr").get_lifecycle_policy(repositoryName=repository["repositoryName"])
    assert len(json.loads(lifecycle["lifecyclePolicyText"])["rules"]) == 2
    [log_group] = aws_client("logs").describe_log_groups(
        logGroupNamePrefix=local_stack["log_group_name"]
    )["logGroups"]
    assert log_group["retentionInDays"] == 7

    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=load_balancer["LoadBalancerArn"]
        )["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    [listener] = elbv2.describe_listeners(LoadBalancerArn=load_balancer["LoadBalancerArn"])[
        "Listeners"
    ]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    assert listener["DefaultActions"][0]["TargetGroupArn"] == local_stack["target_group_arn"]
    [target_group] = elbv2.describe_target_groups(
        TargetGroupArns=[local_stack["target_group_arn"]]
    )["TargetGroups"]
    assert target_group["TargetType"] == "ip"

    definition = ecs.describe_task_definition(taskDefinition=local_stack["task_definition_arn"])[
        "taskDefinition"
    ]
    [container] = definition["containerDefinitions"]
    assert container["readonlyRootFilesystem"] is True
    assert container["logConfiguration"]["options"]["awslogs-group"] == log_group["logGroupName"]
    role = definition["executionRoleArn"].rsplit("/", 1)[1]
    assert re.fullmatch(r"web-execution-[0-9a-f]{7}", role)  # Pulumi's auto-name
    iam = aws_client("iam")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []  # scoped:
    [inline] = iam.list_role_policies(RoleName=role)["PolicyNames"]  # no secrets in this stack
    assert re.fullmatch(r"web-execution-[0-9a-f]{7}", inline)

    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    assert service["enableExecuteCommand"] is False


def test_faults_show_in_aws_state(own_local_stack, aws_client, faults):
    local_stack = own_local_stack
    cluster, name = local_stack["cluster_name"], local_stack["service_name"]

    faults.unhealthy_targets(local_stack["target_group_arn"], 1)
    health = aws_client("elbv2").describe_target_health(
        TargetGroupArn=local_stack["target_group_arn"]
    )["TargetHealthDescriptions"]
    assert sorted(h["TargetHealth"]["State"] for h in health) == ["healthy", "unhealthy"]

    faults.out_of_band_scale(cluster, name, 4)
    wait_until(lambda: service_of(aws_client, local_stack)["runningCount"] == 4, "scale out")
    assert service_of(aws_client, local_stack)["desiredCount"] == 4

    faults.crash_loop(cluster, name)

    def events() -> list[str]:
        return [e["message"] for e in service_of(aws_client, local_stack)["events"]]

    # the stack's circuit breaker has rollback: the FAILED deployment is rolled back
    wait_until(lambda: any("rolling back to deployment" in m for m in events()), "a rollback")
    assert any(m.endswith("deployment failed: tasks failed to start.") for m in events())
    # the rollback's tasks replace the retired ones as their targets drain: 4 run again
    wait_until(lambda: service_of(aws_client, local_stack)["runningCount"] == 4, "rollback")

    faults.capacity_shortage(cluster, name)  # dev profile: Spot tasks are reclaimed
    wait_until(lambda: service_of(aws_client, local_stack)["runningCount"] == 0, "Spot reclaim")
    stopped = aws_client("ecs").list_tasks(
        cluster=cluster, serviceName=name, desiredStatus="STOPPED"
    )["taskArns"]
    reasons = {
        t["stoppedReason"]
        for t in aws_client("ecs").describe_tasks(cluster=cluster, tasks=stopped)["tasks"]
    }
    assert {"Your Spot Task was interrupted.", "Essential container in task exited"} <= reasons


def test_prod_stack_with_https_autoscaling_and_secrets(deployed_stack, aws_client):
    certificate = aws_client("acm").request_certificate(DomainName="app.example.com")[
        "CertificateArn"
    ]
    outputs = deployed_stack(PROD, **{"fargate-app:loadBalancer": {"certificateArn": certificate}})
    elbv2 = aws_client("elbv2")
    [load_balancer] = elbv2.describe_load_balancers()["LoadBalancers"]
    listeners = {
        listener["Port"]: listener
        for listener in elbv2.describe_listeners(LoadBalancerArn=load_balancer["LoadBalancerArn"])[
            "Listeners"
        ]
    }
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate
    redirect = listeners[80]["DefaultActions"][0]
    assert (redirect["Type"], redirect["RedirectConfig"]["StatusCode"]) == (
        "redirect",
        "HTTP_301",
    )
    scaling = aws_client("application-autoscaling")
    [target] = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    assert target["ResourceId"] == f"service/{outputs['cluster_name']}/{outputs['service_name']}"
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    metrics = sorted(
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]
    assert outputs["reconcile"]["min_count"] == 2 and outputs["reconcile"]["max_count"] == 10
    log_groups = {
        g["logGroupName"]: g for g in aws_client("logs").describe_log_groups()["logGroups"]
    }
    assert {g["retentionInDays"] for g in log_groups.values()} == {365}
    [flow_log] = aws_client("ec2").describe_flow_logs()["FlowLogs"]  # prod: FSBP EC2.6
    assert flow_log["ResourceId"] == outputs["vpc_id"]
    assert flow_log["TrafficType"] == "ALL"
    flow_log_group = flow_log["LogDestination"].split(":log-group:", 1)[1]
    assert flow_log_group in log_groups and flow_log_group.endswith("/flow-logs")
    assert flow_log["DeliverLogsPermissionArn"].startswith("arn:aws:iam::123456789012:role/")
    iam = aws_client("iam")
    role = (
        aws_client("ecs")
        .describe_task_definition(taskDefinition=outputs["task_definition_arn"])["taskDefinition"][
            "executionRoleArn"
        ]
        .rsplit("/", 1)[1]
    )
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert sorted(name.rsplit("-", 1)[0] for name in names) == ["web-execution", "web-secrets"]
    [policy_name] = [name for name in names if name.startswith("web-secrets-")]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Resource"] in (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/database-url-AbCdEf",
        ["arn:aws:secretsmanager:us-east-1:123456789012:secret:web/database-url-AbCdEf"],
    )
    service = service_of(aws_client, outputs)
    assert service.get("capacityProviderStrategy", [{}])[0].get("capacityProvider") == "FARGATE"


def test_a_bad_stack_config_is_a_one_line_error(deployed_stack, tmp_path):
    from localcloud.errors import ConfigError

    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  fargate-app:cpu: 300\n")
    with pytest.raises(ConfigError) as error:
        deployed_stack(bad)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("FargateApp cpu: 300 is not allowed")


def test_waiting_fails_fast_with_the_reconcilers_reason_on_a_failed_rollout(
    deployed_stack, local_cloud, faults
):
    from localcloud.errors import LocalCloudError
    from localcloud.summary import declared_services, wait_until_converged

    faults.crash_loop("web-localstack", "web")  # armed before the deploy: the first rollout
    outputs = deployed_stack(LOCALSTACK)
    with pytest.raises(LocalCloudError) as error:
        wait_until_converged(local_cloud, declared_services(outputs), timeout=60)
    # "failed: ..." is the reconciler's fail-fast verdict; a timeout reads "not converged after".
    # Which verdict the first failing poll sees depends on whether the circuit breaker already
    # tripped (rollout FAILED) or the crashes are still counting (crash loop); both fail fast.
    assert re.fullmatch(
        r"web-localstack/web failed: (crash loop: \d+ tasks failed in the current deployment"
        r"|rollout FAILED \(circuit breaker\): ECS deployment circuit breaker: tasks failed to "
        r"start\.); \d+ tasks stopped: Essential container in task exited.*",
        str(error.value),
    ), str(error.value)


def test_waiting_times_out_with_the_reconcilers_verdict(deployed_stack, local_cloud, faults):
    from localcloud.errors import LocalCloudError
    from localcloud.summary import declared_services, wait_until_converged

    faults.capacity_shortage("web-localstack", "web")
    outputs = deployed_stack(LOCALSTACK)
    ecs = local_cloud.client("ecs")

    def placement_failed() -> bool:
        (service,) = ecs.describe_services(cluster="web-localstack", services=["web"])["services"]
        return "unable to place a task" in service["events"][0]["message"]

    wait_until(placement_failed, "the scheduler's first placement attempt")
    with pytest.raises(LocalCloudError) as error:
        wait_until_converged(local_cloud, declared_services(outputs), timeout=0.5)
    assert str(error.value) == (
        "not converged after 0.5 s: web-localstack/web converging: 0/2 running; 2 pending; "
        "latest event: (service web) was unable to place a task. Reason: Capacity is "
        "unavailable at this time. Please try again later or in a different availability zone. "
        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
    )
