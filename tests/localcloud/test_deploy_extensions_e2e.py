"""End to end: the extension args deployed into the local cloud, read back through boto3 — the
sidecars and storage in the registered task definition, the task role's policies in IAM, the
exec flag on the service."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.iam_documents import ecs_exec_policy

from .test_deploy_e2e import LOCALSTACK, converged, service_of, wait_until

READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
REPORTS = {
    "Sid": "WriteReports",
    "Effect": "Allow",
    "Action": ["s3:PutObject"],
    "Resource": ["arn:aws:s3:::reports/*"],
}
SIDECAR_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:agent-key-AbCdEf"
EXTENDED = {
    "fargate-app:taskRolePolicyArns": [READ_ONLY],
    "fargate-app:taskRoleStatements": [REPORTS],
    "fargate-app:enableExecuteCommand": True,
    "fargate-app:ephemeralStorageGib": 50,
    "fargate-app:stopTimeout": 90,
    "fargate-app:sidecars": [
        {
            "name": "agent",
            "image": "public.ecr.aws/datadog/agent:7",
            "portMappings": [{"containerPort": 8126}],
            "secrets": {"DD_API_KEY": SIDECAR_SECRET},
            "dependsOn": [{"containerName": "app", "condition": "START"}],
            "cpu": 64,
            "memory": 128,
            "stopTimeout": 20,
        }
    ],
}


@pytest.fixture
def extended_stack(shared_stack, aws_client) -> dict[str, Any]:
    """The stack with every extension arg, converged; shared by the tests that only read it."""
    outputs = shared_stack(LOCALSTACK, **EXTENDED)
    wait_until(lambda: converged(aws_client, outputs), "the extended service's tasks to run")
    return outputs


def test_the_sidecar_storage_and_stop_timeout_are_in_the_registered_task_definition(
    extended_stack, aws_client
):
    definition = aws_client("ecs").describe_task_definition(
        taskDefinition=extended_stack["task_definition_arn"]
    )["taskDefinition"]
    assert definition["ephemeralStorage"] == {"sizeInGiB": 50}
    app, agent = definition["containerDefinitions"]
    assert (app["name"], app["stopTimeout"]) == ("app", 90)
    assert agent["name"] == "agent"
    assert agent["image"] == "public.ecr.aws/datadog/agent:7"
    assert (agent["essential"], agent["readonlyRootFilesystem"]) == (True, True)
    assert agent["portMappings"] == [{"containerPort": 8126, "hostPort": 8126, "protocol": "tcp"}]
    assert agent["secrets"] == [{"name": "DD_API_KEY", "valueFrom": SIDECAR_SECRET}]
    assert agent["dependsOn"] == [{"containerName": "app", "condition": "START"}]
    assert (agent["cpu"], agent["memory"], agent["stopTimeout"]) == (64, 128, 20)
    options = agent["logConfiguration"]["options"]
    assert options["awslogs-group"] == extended_stack["log_group_name"]
    assert options["awslogs-stream-prefix"] == "agent"
    assert definition["taskRoleArn"] == extended_stack["task_role_arn"]
    assert definition["executionRoleArn"] == extended_stack["execution_role_arn"]


def test_the_task_role_has_the_users_policies_and_the_exec_channels(extended_stack, aws_client):
    iam = aws_client("iam")
    role = extended_stack["task_role_name"]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [READ_ONLY]
    inline = sorted(iam.list_role_policies(RoleName=role)["PolicyNames"])
    assert len(inline) == 2
    documents = {
        name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in inline
    }
    statements = [doc["Statement"] for doc in documents.values()]
    assert [REPORTS] in statements
    # exactly the document the component defines (its content: test_extensions.py)
    assert json.loads(ecs_exec_policy())["Statement"] in statements


def test_the_execution_role_reads_the_sidecars_secret_and_nothing_was_added_to_it(
    extended_stack, aws_client
):
    iam = aws_client("iam")
    role = extended_stack["execution_role_name"]
    assert extended_stack["execution_role_arn"].endswith(f"role/{role}")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert sorted(name.rsplit("-", 1)[0] for name in names) == ["web-execution", "web-secrets"]
    documents = {}
    for name in names:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        documents[name.rsplit("-", 1)[0]] = (
            json.loads(document) if isinstance(document, str) else document
        )
    [repository] = aws_client("ecr").describe_repositories()["repositories"]
    pull = [s for s in documents["web-execution"]["Statement"] if s["Sid"] == "PullTheTasksImages"]
    # The app's own repository only: the sidecar's image is on ECR Public, outside this account.
    assert pull[0]["Resource"] == [repository["repositoryArn"]]
    assert documents["web-secrets"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [SIDECAR_SECRET],
        }
    ]


def test_the_service_has_ecs_exec_enabled_and_the_listeners_are_output(extended_stack, aws_client):
    service = service_of(aws_client, extended_stack)
    assert service["enableExecuteCommand"] is True
    (target,) = service["loadBalancers"]
    assert (target["containerName"], target["containerPort"]) == ("app", 80)
    listeners = aws_client("elbv2").describe_listeners(
        LoadBalancerArn=aws_client("elbv2").describe_load_balancers()["LoadBalancers"][0][
            "LoadBalancerArn"
        ]
    )["Listeners"]
    assert extended_stack["listener_arns"] == [listener["ListenerArn"] for listener in listeners]


def test_without_the_extension_args_exec_is_off_and_the_task_role_empty(deployed_stack, aws_client):
    outputs = deployed_stack(LOCALSTACK)
    assert service_of(aws_client, outputs)["enableExecuteCommand"] is False
    iam = aws_client("iam")
    role = outputs["task_role_name"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    definition = aws_client("ecs").describe_task_definition(
        taskDefinition=outputs["task_definition_arn"]
    )["taskDefinition"]
    assert "ephemeralStorage" not in definition
    assert [c["name"] for c in definition["containerDefinitions"]] == ["app"]
    assert "stopTimeout" not in definition["containerDefinitions"][0]
