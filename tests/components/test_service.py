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


def _policies_of(result, role) -> dict[str, list[dict]]:
    """The inline policies of ``role`` by logical name: their statements."""
    return {
        policy.name: json.loads(policy.inputs["policy"])["Statement"]
        for policy in result.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.inputs["role"] == role.id
    }


def test_execution_role_pulls_writes_and_reads_exactly_the_apps_own_resources(app):
    result = app({"secrets": {"DATABASE_URL": SECRET, "API_KEY": PARAMETER}})
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    execution = next(
        r for r in result.of_type(ROLE) if r.outputs["arn"] == task.inputs["executionRoleArn"]
    )
    task_role = next(
        r for r in result.of_type(ROLE) if r.outputs["arn"] == task.inputs["taskRoleArn"]
    )
    assert execution.urn != task_role.urn
    # No managed policy: AmazonECSTaskExecutionRolePolicy grants its actions on every resource.
    assert result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    policies = _policies_of(result, execution)
    assert set(policies) == {"web-execution", "web-secrets"}
    repository = result.one("aws:ecr/repository:Repository")
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup", "web-logs")
    assert policies["web-execution"] == [
        {
            "Sid": "LogInToEcr",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": "*",
        },
        {
            "Sid": "PullTheTasksImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ],
            "Resource": [repository.outputs["arn"]],
        },
        {
            "Sid": "WriteTheAppsLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group.outputs['arn']}:log-stream:*",
        },
    ]
    assert repository.outputs["arn"] == "arn:aws:ecr:us-east-1:123456789012:repository/web-test"
    statements = policies["web-secrets"]
    assert {(tuple(s["Action"]), tuple(s["Resource"])) for s in statements} == {
        (("secretsmanager:GetSecretValue",), (SECRET,)),
        (("ssm:GetParameters",), (PARAMETER,)),
    }
    assert all("*" not in json.dumps(s) for s in statements)
    assert _policies_of(result, task_role) == {}  # the task role gets nothing


def test_an_image_from_ecr_elsewhere_is_what_the_execution_role_may_pull(app):
    image = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.1"
    result = app({"image": image})
    execution = result.one(ROLE, "web-execution")
    (pull,) = [s for s in _policies_of(result, execution)["web-execution"] if "Pull" in s["Sid"]]
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:210987654321:repository/team/api"]


def test_images_outside_ecr_get_no_ecr_permission(app):
    result = app(
        {
            "image": "public.ecr.aws/nginx/nginx:1.27",
            "sidecars": [{"name": "agent", "image": "datadog/agent:7"}],
        }
    )
    execution = result.one(ROLE, "web-execution")
    (statement,) = _policies_of(result, execution)["web-execution"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_a_sidecars_ecr_image_is_pulled_from_its_own_repository_too(app):
    sidecar = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent@sha256:" + "a" * 64
    result = app({"sidecars": [{"name": "agent", "image": sidecar}]})
    execution = result.one(ROLE, "web-execution")
    (pull,) = [s for s in _policies_of(result, execution)["web-execution"] if "Pull" in s["Sid"]]
    assert pull["Resource"] == [
        "arn:aws:ecr:us-east-1:123456789012:repository/agent",
        "arn:aws:ecr:us-east-1:123456789012:repository/web-test",
    ]


def test_no_secrets_means_no_secrets_policy(app):
    policies = app({}).of_type("aws:iam/rolePolicy:RolePolicy")
    assert [policy.name for policy in policies] == ["web-execution"]


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
