"""Service: cluster, IAM roles, log group, task definition, ECS service and autoscaling."""

import json

import pytest

from .conftest import container_of

ROLE = "aws:iam/role:Role"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key"


def test_cluster_has_container_insights_and_both_fargate_capacity_providers(app):
    result = app({})
    cluster = result.one("aws:ecs/cluster:Cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]
    capacity = result.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.inputs["clusterName"] == cluster.outputs["name"]
    assert sorted(capacity.inputs["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]


@pytest.mark.parametrize("args", [{}, {"spot": True}])
def test_service_is_created_after_the_cluster_offers_its_capacity_providers(app, args):
    result = app(args)
    capacity = result.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    service = result.one("aws:ecs/service:Service")
    assert capacity.urn in service.dependencies
    # ... and still after the listeners, so the target group is attached when tasks register.
    listener_urns = {listener.urn for listener in result.of_type("aws:lb/listener:Listener")}
    assert listener_urns <= set(service.dependencies)


def test_roles_trust_only_ecs_tasks_of_this_account(app):
    result = app({})
    roles = result.of_type(ROLE)
    assert len(roles) == 2
    for role in roles:
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_execution_role_has_the_managed_policy_and_reads_exactly_the_given_secrets(app):
    result = app({"secrets": {"DATABASE_URL": SECRET, "API_KEY": PARAMETER}})
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    execution = next(
        r for r in result.of_type(ROLE) if r.outputs["arn"] == task.inputs["executionRoleArn"]
    )
    task_role = next(
        r for r in result.of_type(ROLE) if r.outputs["arn"] == task.inputs["taskRoleArn"]
    )
    assert execution.urn != task_role.urn
    (attachment,) = result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == execution.outputs["name"]
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    )
    (inline,) = result.of_type("aws:iam/rolePolicy:RolePolicy")
    assert inline.inputs["role"] == execution.id
    statements = json.loads(inline.inputs["policy"])["Statement"]
    assert {(tuple(s["Action"]), tuple(s["Resource"])) for s in statements} == {
        (("secretsmanager:GetSecretValue",), (SECRET,)),
        (("ssm:GetParameters",), (PARAMETER,)),
    }
    assert all("*" not in json.dumps(s) for s in statements)
    # The task role gets nothing attached.
    attached_roles = {attachment.inputs["role"], inline.inputs["role"]}
    assert task_role.outputs["name"] not in attached_roles and task_role.id not in attached_roles


def test_no_secrets_means_no_inline_policy(app):
    assert app({}).of_type("aws:iam/rolePolicy:RolePolicy") == []


@pytest.mark.parametrize(("profile", "days"), [("dev", 7), ("prod", 365)])
def test_log_group_retention_follows_the_profile(app, profile, days):
    result = app({"profile": profile, "load_balancer": {"internal": True}})
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup", "web-logs")
    assert log_group.inputs["retentionInDays"] == days
    assert log_group.inputs["name"] == "/ecs/web-test"


def test_container_logs_to_the_log_group_read_only_and_never_privileged(app):
    result = app(
        {
            "environment": {"LOG_LEVEL": "info"},
            "secrets": {"DATABASE_URL": SECRET},
            "container_port": 8080,
        }
    )
    container = container_of(result)
    log = container["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-group"] == "/ecs/web-test"
    assert log["options"]["awslogs-region"] == "us-east-1"
    assert container["privileged"] is False
    assert container["readonlyRootFilesystem"] is True
    assert container["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}
    ]
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": SECRET}]


def test_task_definition_is_fargate_awsvpc_with_the_requested_size(app):
    result = app(
        {
            "cpu": 1024,
            "memory": 3072,
            "cpu_architecture": "ARM64",
            "health_check_command": ["CMD-SHELL", "curl -f localhost || exit 1"],
        }
    )
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("1024", "3072")
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["runtimePlatform"] == {
        "operatingSystemFamily": "LINUX",
        "cpuArchitecture": "ARM64",
    }
    assert container_of(result)["healthCheck"]["command"][0] == "CMD-SHELL"


def test_service_runs_privately_with_circuit_breaker_and_safe_deployments(app):
    result = app({"desired_count": 3})
    service = result.one("aws:ecs/service:Service")
    inputs = service.inputs
    private = {
        s.id
        for s in result.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "private"
    }
    assert set(inputs["networkConfiguration"]["subnets"]) == private
    assert inputs["networkConfiguration"]["assignPublicIp"] is False
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["deploymentMinimumHealthyPercent"] == 100
    assert inputs["deploymentMaximumPercent"] == 200
    assert inputs["healthCheckGracePeriodSeconds"] == 60
    assert inputs["propagateTags"] == "SERVICE"
    assert inputs["platformVersion"] == "LATEST"
    assert inputs["enableExecuteCommand"] is False
    assert inputs["desiredCount"] == 3
    target_group = result.one("aws:lb/targetGroup:TargetGroup")
    assert inputs["loadBalancers"] == [
        {"targetGroupArn": target_group.outputs["arn"], "containerName": "app", "containerPort": 80}
    ]
    # The target group must be attached to a listener before the service registers tasks.
    listener_urns = {r.urn for r in result.of_type("aws:lb/listener:Listener")}
    assert listener_urns <= set(service.dependencies)


@pytest.mark.parametrize(
    ("args", "provider"),
    [
        ({"profile": "dev"}, "FARGATE_SPOT"),
        ({"profile": "dev", "cpu_architecture": "ARM64"}, "FARGATE"),
        ({"profile": "dev", "spot": False}, "FARGATE"),
        ({"profile": "prod", "load_balancer": {"internal": True}}, "FARGATE"),
    ],
)
def test_capacity_provider_follows_profile_and_architecture(app, args, provider):
    service = app(args).one("aws:ecs/service:Service")
    assert service.inputs["capacityProviderStrategies"] == [
        {"capacityProvider": provider, "weight": 1}
    ]


def test_autoscaling_tracks_targets_and_never_resets_the_scaled_count(app):
    result = app(
        {
            "desired_count": 3,
            "autoscaling": {
                "min_count": 2,
                "max_count": 8,
                "cpu_target": 60,
                "memory_target": 75,
                "requests_per_target": 400,
            },
        }
    )
    service = result.one("aws:ecs/service:Service")
    assert service.ignore_changes == ("desiredCount",)
    target = result.one("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 8)
    assert target.inputs["resourceId"] == "service/web-test/web"
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    policies = {
        p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
            "predefinedMetricType"
        ]: p.inputs["targetTrackingScalingPolicyConfiguration"]
        for p in result.of_type("aws:appautoscaling/policy:Policy")
    }
    assert {k: v["targetValue"] for k, v in policies.items()} == {
        "ECSServiceAverageCPUUtilization": 60.0,
        "ECSServiceAverageMemoryUtilization": 75.0,
        "ALBRequestCountPerTarget": 400.0,
    }
    label = policies["ALBRequestCountPerTarget"]["predefinedMetricSpecification"]["resourceLabel"]
    alb = result.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    tg = result.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    assert label == f"{alb}/{tg}"


def test_without_autoscaling_the_desired_count_is_managed_by_pulumi(app):
    result = app({"desired_count": 2})
    assert result.one("aws:ecs/service:Service").ignore_changes == ()
    assert result.of_type("aws:appautoscaling/target:Target") == []
