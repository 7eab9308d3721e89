"""What importing teams add: task role permissions, sidecars, ECS Exec, ephemeral storage, stop
timeout, the outputs to build on, and all of it from stack config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import FargateApp, FargateAppConfigError, resolve_settings
from components.component import output_names
from components.iam_documents import ECS_EXEC_ACTIONS
from components.mocks import AwsLikeMocks
from components.program import run_program

from .conftest import deploy_stack

ROOT = Path(__file__).resolve().parents[2]
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SERVICE = "aws:ecs/service:Service"
LISTENER = "aws:lb/listener:Listener"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
OWN_POLICY = "arn:aws:iam::123456789012:policy/team/reports-writer"
BUCKET_READ = {
    "Sid": "ReadReports",
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::reports/*",
}
APP_SECRET = "arn:aws:ssm:us-east-1:123456789012:parameter/db"
SIDECAR_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-key-AbCdEf"
AGENT = {
    "name": "agent",
    "image": "public.ecr.aws/datadog/agent:7",
    "port_mappings": [{"container_port": 8126}],
    "environment": {"DD_SITE": "datadoghq.eu"},
    "secrets": {"DD_API_KEY": SIDECAR_SECRET},
    "cpu": 64,
    "memory": 128,
}
MIGRATE = {
    "name": "migrate",
    "image": "migrations:42",
    "essential": False,
    "command": ["migrate", "up"],
    "entry_point": ["/bin/tool"],
    "readonly_root_filesystem": False,
    "stop_timeout": 10,
}


def containers_of(result: Any) -> dict[str, dict[str, Any]]:
    """The task's container definitions by name, in order."""
    definitions = json.loads(result.one(TASK).inputs["containerDefinitions"])
    return {container["name"]: container for container in definitions}


def policy_of(result: Any, name_suffix: str) -> dict[str, Any]:
    return json.loads(result.one(ROLE_POLICY, name_suffix).inputs["policy"])


# --- task role permissions


def test_managed_policies_and_statements_go_to_the_task_role_only(app):
    result = app(
        {
            "task_role_policy_arns": [READ_ONLY, OWN_POLICY],
            "task_role_statements": [BUCKET_READ],
        }
    )
    task_role = result.one(ROLE, "web-task")
    attachments = {
        a.name: a.inputs["policyArn"]
        for a in result.of_type(ATTACHMENT)
        if a.inputs["role"] == task_role.id
    }  # registered concurrently: their order is not the program's
    assert attachments == {"web-task-policy-0": READ_ONLY, "web-task-policy-1": OWN_POLICY}
    permissions = result.one(ROLE_POLICY, "web-task-permissions")
    assert permissions.inputs["role"] == task_role.id
    assert json.loads(permissions.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {**BUCKET_READ, "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::reports/*"]}
        ],
    }
    execution_role = result.one(ROLE, "web-execution")
    assert [a for a in result.of_type(ATTACHMENT) if a.inputs["role"] == execution_role.id] == []
    assert [
        p.name for p in result.of_type(ROLE_POLICY) if p.inputs["role"] == execution_role.id
    ] == ["web-execution"]  # its own pulls and log writes, none of the user's grants


def test_a_task_role_without_additions_has_no_policy(app):
    result = app({})
    task_role = result.one(ROLE, "web-task")
    assert not [a for a in result.of_type(ATTACHMENT) if a.inputs["role"] == task_role.id]
    assert not [p for p in result.of_type(ROLE_POLICY) if p.inputs["role"] == task_role.id]


def test_statement_resources_may_be_outputs_of_other_resources(app):
    def program() -> None:
        bucket_arn = pulumi.Output.from_input("arn:aws:s3:::made-here")
        FargateApp(
            "web",
            {
                "task_role_statements": [
                    {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [bucket_arn]}
                ]
            },
        )

    result = run_program(None, AwsLikeMocks(), program=program)
    statement = policy_of(result, "web-task-permissions")["Statement"][0]
    assert statement["Resource"] == ["arn:aws:s3:::made-here"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"task_role_policy_arns": ["ReadOnlyAccess"]},
            "FargateApp task_role_policy_arns[0]: 'ReadOnlyAccess' is not allowed; expected a "
            "managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess or "
            "arn:aws:iam::123456789012:policy/my-policy",
        ),
        (
            {"task_role_policy_arns": [READ_ONLY, READ_ONLY]},
            f"FargateApp task_role_policy_arns[1]: {READ_ONLY!r} is not allowed; each policy may "
            "be attached once",
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Effect": "Maybe"}]},
            "FargateApp task_role_statements[0].Effect: 'Maybe' is not allowed; expected one of "
            "Allow, Deny",
        ),
        (
            {"task_role_statements": [BUCKET_READ, {"Action": "s3:GetObject", "Resource": "*"}]},
            "FargateApp task_role_statements[1].Effect: None is not allowed; expected one of "
            "Allow, Deny",
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "NotAction": ["s3:DeleteObject"]}]},
            "FargateApp task_role_statements[0].NotAction: ['s3:DeleteObject'] is not allowed; a "
            "statement needs exactly one of Action and NotAction",
        ),
        (
            {"task_role_statements": [{"Effect": "Allow", "Action": "s3:GetObject"}]},
            "FargateApp task_role_statements[0].Resource: None is not allowed; a statement needs "
            "exactly one of Resource and NotResource",
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Action": ["s3 GetObject"]}]},
            "FargateApp task_role_statements[0].Action[0]: 's3 GetObject' is not allowed; "
            "expected service:Action, e.g. s3:GetObject",
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Resource": ["reports"]}]},
            "FargateApp task_role_statements[0].Resource[0]: 'reports' is not allowed; expected "
            'an ARN or "*"',
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Sid": "read reports"}]},
            "FargateApp task_role_statements[0].Sid: 'read reports' is not allowed; expected "
            "letters and digits only",
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Condition": {"Bool": True}}]},
            "FargateApp task_role_statements[0].Condition: {'Bool': True} is not allowed; "
            'expected operator to key to value(s), e.g. {"StringEquals": {"aws:SourceVpc": '
            '"vpc-1"}}',
        ),
        (
            {"task_role_statements": [{**BUCKET_READ, "Principal": "*"}]},
            "FargateApp task_role_statements[0].Principal: unknown setting; allowed keys: "
            "Action, Condition, Effect, NotAction, NotResource, Resource, Sid",
        ),
        (
            {"task_role_statements": BUCKET_READ},
            f"FargateApp task_role_statements: {BUCKET_READ!r} is not allowed; expected a list",
        ),
    ],
)
def test_bad_task_role_permissions_are_one_line_errors(args, message):
    with pytest.raises(FargateAppConfigError) as raised:
        resolve_settings(args)
    assert str(raised.value) == message


# --- sidecars


def test_sidecars_run_beside_the_app_with_their_own_log_stream(app):
    result = app({"sidecars": [AGENT, {**MIGRATE, "depends_on": []}]})
    containers = containers_of(result)
    assert list(containers) == ["app", "agent", "migrate"]
    agent, migrate = containers["agent"], containers["migrate"]
    assert agent["image"] == AGENT["image"]
    assert agent["essential"] is True and agent["readonlyRootFilesystem"] is True
    assert agent["privileged"] is False
    assert agent["portMappings"] == [{"containerPort": 8126, "hostPort": 8126, "protocol": "tcp"}]
    assert agent["environment"] == [{"name": "DD_SITE", "value": "datadoghq.eu"}]
    assert agent["secrets"] == [{"name": "DD_API_KEY", "valueFrom": SIDECAR_SECRET}]
    assert (agent["cpu"], agent["memory"]) == (64, 128)
    app_logs = containers["app"]["logConfiguration"]["options"]
    assert agent["logConfiguration"]["options"] == {**app_logs, "awslogs-stream-prefix": "agent"}
    assert migrate["logConfiguration"]["options"]["awslogs-stream-prefix"] == "migrate"
    assert migrate["essential"] is False and migrate["readonlyRootFilesystem"] is False
    assert (migrate["command"], migrate["entryPoint"]) == (["migrate", "up"], ["/bin/tool"])
    assert migrate["stopTimeout"] == 10
    assert not {"dependsOn", "stopTimeout", "command", "entryPoint"} & set(agent)
    assert not {"cpu", "memory", "dependsOn"} & set(migrate)


def test_sidecars_wait_for_the_containers_they_depend_on(app):
    app_checked = {"health_check_command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]}
    proxy = {
        "name": "proxy",
        "image": "envoy:1.31",
        "depends_on": [
            {"container_name": "migrate", "condition": "SUCCESS"},
            {"container_name": "app", "condition": "HEALTHY"},
        ],
    }
    result = app({**app_checked, "sidecars": [MIGRATE, proxy]})
    assert containers_of(result)["proxy"]["dependsOn"] == [
        {"containerName": "migrate", "condition": "SUCCESS"},
        {"containerName": "app", "condition": "HEALTHY"},
    ]


def test_the_app_stays_the_load_balancers_target(app):
    result = app({"container_port": 8080, "sidecars": [AGENT]})
    (target,) = result.one(SERVICE).inputs["loadBalancers"]
    assert (target["containerName"], target["containerPort"]) == ("app", 8080)


def test_the_execution_role_may_read_the_sidecars_secrets_too(app):
    result = app({"secrets": {"DB": APP_SECRET}, "sidecars": [AGENT]})
    statements = policy_of(result, "web-secrets")["Statement"]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [SIDECAR_SECRET],
        },
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [APP_SECRET]},
    ]
    only_sidecar = app({"sidecars": [AGENT]})
    assert policy_of(only_sidecar, "web-secrets")["Statement"][0]["Resource"] == [SIDECAR_SECRET]


def test_sidecar_secrets_open_the_secrets_endpoints():
    settings = resolve_settings({"network": {"vpc_endpoints": True}, "sidecars": [AGENT]})
    assert settings.network.with_secrets_endpoints is True


@pytest.mark.parametrize(
    ("sidecars", "message"),
    [
        (
            [{**AGENT, "name": "app"}],
            "FargateApp sidecars[0].name: 'app' is not allowed; the name is taken by the app's "
            "container",
        ),
        (
            [AGENT, {**MIGRATE, "name": "agent"}],
            "FargateApp sidecars[1].name: 'agent' is not allowed; the name is taken by another "
            "sidecar",
        ),
        (
            [{**AGENT, "name": "my agent"}],
            "FargateApp sidecars[0].name: 'my agent' is not allowed; expected 1 to 255 letters, "
            "digits, '-' and '_'",
        ),
        (
            [{"name": "agent"}],
            "FargateApp sidecars[0].image: None is not allowed; a sidecar needs an image",
        ),
        (
            [{**AGENT, "port_mappings": [{"container_port": 80}]}],
            "FargateApp sidecars[0].port_mappings[0].container_port: 80 is not allowed; the port "
            "is the app's container_port",
        ),
        (
            [AGENT, {**MIGRATE, "port_mappings": [{"container_port": 8126, "protocol": "udp"}]}],
            "FargateApp sidecars[1].port_mappings[0].container_port: 8126 is not allowed; the "
            "port is sidecar 'agent''s",
        ),
        (
            [{**AGENT, "port_mappings": [{"container_port": 8126, "protocol": "sctp"}]}],
            "FargateApp sidecars[0].port_mappings[0].protocol: 'sctp' is not allowed; expected "
            "one of tcp, udp",
        ),
        (
            [{**AGENT, "cpu": 200}, {**MIGRATE, "cpu": 100}],
            "FargateApp sidecars: 'cpu 300' is not allowed; the sidecars' cpu may add up to the "
            "task's cpu (256) at most",
        ),
        (
            [{**AGENT, "memory": 512}],
            "FargateApp sidecars: 'memory 512' is not allowed; the sidecars' memory must add up "
            "to less than the task's (512 MiB)",
        ),
        (
            [{**AGENT, "memory": 4096}],
            "FargateApp sidecars[0].memory: 4096 is not allowed; expected a whole number from 6 "
            "to 512",
        ),
        (
            [{**AGENT, "depends_on": [{"container_name": "app", "condition": "RUNNING"}]}],
            "FargateApp sidecars[0].depends_on[0].condition: 'RUNNING' is not allowed; expected "
            "one of START, COMPLETE, SUCCESS, HEALTHY",
        ),
        (
            [{**AGENT, "depends_on": [{"container_name": "db", "condition": "START"}]}],
            "FargateApp sidecars[0].depends_on[0].container_name: 'db' is not allowed; expected "
            "another container of the task: app",
        ),
        (
            [{**AGENT, "depends_on": [{"container_name": "agent", "condition": "START"}]}],
            "FargateApp sidecars[0].depends_on[0].container_name: 'agent' is not allowed; "
            "expected another container of the task: app",
        ),
        (
            [{**AGENT, "depends_on": [{"container_name": "app", "condition": "COMPLETE"}]}],
            "FargateApp sidecars[0].depends_on[0].condition: 'COMPLETE' is not allowed; 'app' is "
            "essential and never exits; use START or HEALTHY, or make it essential: false",
        ),
        (
            [{**AGENT, "depends_on": [{"container_name": "app", "condition": "HEALTHY"}]}],
            "FargateApp sidecars[0].depends_on[0].condition: 'HEALTHY' is not allowed; 'app' has "
            "no health_check_command to become healthy with",
        ),
        (
            [{**AGENT, "depends_on": [{"container": "app"}]}],
            "FargateApp sidecars[0].depends_on[0].container: unknown setting; allowed keys: "
            "condition, container_name",
        ),
        (
            [{**AGENT, "secrets": {"KEY": "plain-text"}}],
            "FargateApp sidecars[0].secrets.KEY: 'plain-text' is not allowed; expected a Secrets "
            "Manager secret ARN (arn:aws:secretsmanager:...:secret:...) or an SSM parameter ARN "
            "(arn:aws:ssm:...:parameter/...)",
        ),
        (
            [{**AGENT, "health_check_command": ["curl"]}],
            "FargateApp sidecars[0].health_check_command: ['curl'] is not allowed; expected a "
            'list starting with "CMD" or "CMD-SHELL", e.g. ["CMD-SHELL", "curl -f '
            'http://localhost/ || exit 1"]',
        ),
        (
            [{**MIGRATE, "stop_timeout": 121}],
            "FargateApp sidecars[0].stop_timeout: 121 is not allowed; expected a whole number "
            "from 1 to 120",
        ),
        (
            [{**AGENT, "essential": "yes"}],
            "FargateApp sidecars[0].essential: 'yes' is not allowed; expected true or false",
        ),
        (
            [{**AGENT, "command": "run"}],
            "FargateApp sidecars[0].command: 'run' is not allowed; expected a list",
        ),
        (
            [{**AGENT, "ports": [8126]}],
            "FargateApp sidecars[0].ports: unknown setting; allowed keys: command, cpu, "
            "depends_on, entry_point, environment, essential, health_check_command, image, "
            "memory, name, port_mappings, readonly_root_filesystem, secrets, stop_timeout",
        ),
    ],
)
def test_bad_sidecars_are_one_line_errors(sidecars, message):
    with pytest.raises(FargateAppConfigError) as raised:
        resolve_settings({"sidecars": sidecars})
    assert str(raised.value) == message


# --- ECS Exec, ephemeral storage, stop timeout


def test_ecs_exec_sets_the_flag_and_grants_exactly_the_ssm_channels(app):
    result = app({"enable_execute_command": True})
    assert result.one(SERVICE).inputs["enableExecuteCommand"] is True
    exec_policy = result.one(ROLE_POLICY, "web-ecs-exec")
    assert exec_policy.inputs["role"] == result.one(ROLE, "web-task").id
    assert json.loads(exec_policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "EcsExec",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        }
    ]
    assert (
        list(ECS_EXEC_ACTIONS) == json.loads(exec_policy.inputs["policy"])["Statement"][0]["Action"]
    )


def test_ecs_exec_is_off_by_default(app):
    result = app({})
    assert result.one(SERVICE).inputs["enableExecuteCommand"] is False
    assert not [p for p in result.of_type(ROLE_POLICY) if p.name.endswith("ecs-exec")]


def test_ephemeral_storage_and_stop_timeout_reach_the_task_definition(app):
    result = app({"ephemeral_storage_gib": 50, "stop_timeout": 90})
    task = result.one(TASK)
    assert task.inputs["ephemeralStorage"] == {"sizeInGib": 50}
    assert containers_of(result)["app"]["stopTimeout"] == 90


def test_ephemeral_storage_and_stop_timeout_are_unset_by_default(app):
    result = app({})
    assert "ephemeralStorage" not in result.one(TASK).inputs
    assert "stopTimeout" not in containers_of(result)["app"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"ephemeral_storage_gib": 20},
            "FargateApp ephemeral_storage_gib: 20 is not allowed; expected a whole number from 21 "
            "to 200",
        ),
        (
            {"ephemeral_storage_gib": 201},
            "FargateApp ephemeral_storage_gib: 201 is not allowed; expected a whole number from "
            "21 to 200",
        ),
        (
            {"stop_timeout": 121},
            "FargateApp stop_timeout: 121 is not allowed; expected a whole number from 1 to 120",
        ),
        (
            {"enable_execute_command": "on"},
            "FargateApp enable_execute_command: 'on' is not allowed; expected true or false",
        ),
    ],
)
def test_bad_task_settings_are_one_line_errors(args, message):
    with pytest.raises(FargateAppConfigError) as raised:
        resolve_settings(args)
    assert str(raised.value) == message


# --- outputs to build on


def test_the_outputs_to_build_on_are_the_registered_resources(app):
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/x"
    # a program exporting every output of the app
    result = app({"load_balancer": {"certificate_arn": certificate}})
    assert set(result.outputs) == set(output_names(FargateApp))
    outputs = result.outputs
    https, http = result.one(LISTENER, "web-https"), result.one(LISTENER, "web-http")
    assert outputs["listener_arns"] == [https.outputs["arn"], http.outputs["arn"]]
    assert len(set(outputs["listener_arns"])) == 2
    execution_role = result.one(ROLE, "web-execution")
    assert outputs["execution_role_name"] == execution_role.outputs["name"]
    assert outputs["execution_role_arn"] == execution_role.outputs["arn"]
    assert outputs["task_role_name"] == result.one(ROLE, "web-task").outputs["name"]


# --- stack config


def test_stack_config_sets_every_new_arg_with_camel_case_keys():
    config = {
        "fargate-app:taskRolePolicyArns": [READ_ONLY],
        "fargate-app:taskRoleStatements": [BUCKET_READ],
        "fargate-app:enableExecuteCommand": True,
        "fargate-app:ephemeralStorageGib": 40,
        "fargate-app:stopTimeout": 60,
        "fargate-app:sidecars": [
            {
                "name": "agent",
                "image": "agent:7",
                "portMappings": [{"containerPort": 8126, "protocol": "udp"}],
                "environment": {"DD_SITE": "datadoghq.eu"},
                "dependsOn": [{"containerName": "app", "condition": "START"}],
                "readonlyRootFilesystem": False,
                "stopTimeout": 5,
            }
        ],
    }
    result = deploy_stack(ROOT / "stacks/Pulumi.dev.yaml", config)
    agent = containers_of(result)["agent"]
    assert agent["portMappings"] == [{"containerPort": 8126, "hostPort": 8126, "protocol": "udp"}]
    assert agent["environment"] == [{"name": "DD_SITE", "value": "datadoghq.eu"}]
    assert agent["dependsOn"] == [{"containerName": "app", "condition": "START"}]
    assert (agent["readonlyRootFilesystem"], agent["stopTimeout"]) == (False, 5)
    assert result.one(ATTACHMENT, "web-task-policy-0").inputs["policyArn"] == READ_ONLY
    assert policy_of(result, "web-task-permissions")["Statement"][0]["Sid"] == "ReadReports"
    assert result.one(SERVICE).inputs["enableExecuteCommand"] is True
    assert result.one(TASK).inputs["ephemeralStorage"] == {"sizeInGib": 40}
    assert containers_of(result)["app"]["stopTimeout"] == 60


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"fargate-app:sidecars": [{"name": "agent", "image": "a:1", "portMapping": []}]},
            "config fargate-app:sidecars[0].portMapping: unknown key; allowed: command, cpu, "
            "dependsOn, entryPoint, environment, essential, healthCheckCommand, image, memory, "
            "name, portMappings, readonlyRootFilesystem, secrets, stopTimeout",
        ),
        (
            {
                "fargate-app:sidecars": [
                    {"name": "agent", "image": "a:1", "dependsOn": [{"container": "app"}]}
                ]
            },
            "config fargate-app:sidecars[0].dependsOn[0].container: unknown key; allowed: "
            "condition, containerName",
        ),
        (
            {"fargate-app:taskRoleStatements": [{"effect": "Allow"}]},
            "config fargate-app:taskRoleStatements[0].effect: unknown key; allowed: Action, "
            "Condition, Effect, NotAction, NotResource, Resource, Sid",
        ),
    ],
)
def test_config_typos_inside_lists_of_objects_are_errors(config, message):
    with pytest.raises(FargateAppConfigError) as raised:
        run_program(ROOT / "stacks/Pulumi.dev.yaml", AwsLikeMocks(), config=config)
    assert str(raised.value) == message


def test_the_readme_documents_the_keys_inside_lists_of_objects():
    readme = (ROOT / "README.md").read_text()
    for row in (
        "| `sidecars[].depends_on[].condition` | `sidecars[].dependsOn[].condition` | string |",
        "| `sidecars[].port_mappings[].container_port` | `sidecars[].portMappings[].containerPort` "
        "| integer |",
        "| `task_role_statements[].Effect` | `taskRoleStatements[].Effect` | string |",
    ):
        assert row in readme


def test_the_analyzer_schema_has_the_sidecar_types_with_their_docstrings():
    from pulumi.provider.experimental.analyzer import Analyzer

    from components.args import SidecarArgs
    from components.docs import attribute_docstrings

    result = Analyzer("fargate-app").analyze([FargateApp])
    inputs = result["component_definitions"]["FargateApp"].inputs
    assert inputs["sidecars"].items.ref == "#/types/fargate-app:index:SidecarArgs"
    assert inputs["taskRoleStatements"].items.ref.endswith(":PolicyStatementArgs")
    sidecar = result["type_definitions"]["SidecarArgs"]
    assert sidecar.properties["dependsOn"].items.ref.endswith(":ContainerDependencyArgs")
    assert sidecar.properties["portMappings"].items.ref.endswith(":PortMappingArgs")
    documented = " ".join(sidecar.properties["stopTimeout"].description.split())
    assert documented == attribute_docstrings(SidecarArgs)["stop_timeout"]
    assert "1 to 120" in documented
