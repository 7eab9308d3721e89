"""IAM policy documents of the FargateApp: trust, the execution role's pulls and log writes,
secrets read, flow log writes, ECS Exec and the task role's user statements.

Each grants exactly what its user needs on exactly the named resources (FSBP IAM.1/IAM.21).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def service_trust_policy(service_principal: str, account_id: str, source_arn: str) -> str:
    """Trust only ``service_principal`` acting for this account on ``source_arn`` resources
    (confused-deputy protection)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service_principal},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                }
            ],
        }
    )


def task_trust_policy(account_id: str, partition: str, region: str) -> str:
    """Trust only ECS tasks of this account and region."""
    return service_trust_policy(
        "ecs-tasks.amazonaws.com", account_id, f"arn:{partition}:ecs:{region}:{account_id}:*"
    )


def secrets_read_policy(secret_arns: Sequence[str]) -> str:
    """Read access to exactly ``secret_arns``: Secrets Manager secrets and SSM parameters."""
    by_service: dict[str, list[str]] = {"secretsmanager": [], "ssm": []}
    for arn in secret_arns:
        by_service[arn.split(":")[2]].append(arn)
    actions = {"secretsmanager": ["secretsmanager:GetSecretValue"], "ssm": ["ssm:GetParameters"]}
    statements = [
        {"Effect": "Allow", "Action": actions[service], "Resource": sorted(set(arns))}
        for service, arns in by_service.items()
        if arns
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


ECR_AUTHORIZATION_ACTIONS: tuple[str, ...] = ("ecr:GetAuthorizationToken",)
"""Logging in to ECR: no resource-level permissions (Service Authorization Reference), so it is
granted on ``*``, the one action the execution role gets there."""

ECR_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
)
"""Pulling an image, granted on the repositories the task's images come from."""

LOG_STREAM_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
"""The awslogs driver's writes, granted on the streams of the app's log group."""


def execution_policy(repository_arns: Sequence[str], log_group_arn: str) -> str:
    """What ECS needs to start the task, instead of the managed AmazonECSTaskExecutionRolePolicy
    (whose ECR and log actions apply to every repository and log group): pull from exactly
    ``repository_arns`` (none: no ECR permission at all) and write the log group's streams."""
    statements: list[dict[str, Any]] = []
    if repository_arns:
        statements += [
            {
                "Sid": "LogInToEcr",
                "Effect": "Allow",
                "Action": list(ECR_AUTHORIZATION_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "PullTheTasksImages",
                "Effect": "Allow",
                "Action": list(ECR_PULL_ACTIONS),
                "Resource": sorted(set(repository_arns)),
            },
        ]
    statements.append(
        {
            "Sid": "WriteTheAppsLogStreams",
            "Effect": "Allow",
            "Action": list(LOG_STREAM_ACTIONS),
            "Resource": f"{log_group_arn}:log-stream:*",
        }
    )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


FLOW_LOG_GROUP_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
)
"""Of the permissions the VPC User Guide lists for publishing flow logs to CloudWatch Logs, those
the Service Authorization Reference lets a policy scope to a log group or its streams."""

FLOW_LOG_LIST_ACTIONS = ("logs:DescribeLogGroups",)
"""The rest: List actions with no resource type, checked against the account and region's
``log-group::log-stream:`` pseudo-resource, so ``log-group:*`` there is the narrowest grant."""


def flow_log_write_policy(log_group_arn: str) -> str:
    """What the flow log service needs, on exactly one log group (and its streams) wherever
    the action can be scoped, else on this account and region's log groups."""
    account_and_region = ":".join(log_group_arn.split(":")[:5])
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteTheFlowLogGroup",
                    "Effect": "Allow",
                    "Action": list(FLOW_LOG_GROUP_ACTIONS),
                    "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
                },
                {
                    "Sid": "FindTheFlowLogGroup",
                    "Effect": "Allow",
                    "Action": list(FLOW_LOG_LIST_ACTIONS),
                    "Resource": f"{account_and_region}:log-group:*",
                },
            ],
        }
    )


#: What the task role needs for ECS Exec: the SSM Session Manager channels the ECS agent opens
#: (AWS: "Using Amazon ECS Exec", IAM permissions). These actions have no resource-level
#: permissions, so ``Resource`` is ``*`` (and the policy pack allows exactly them on ``*``).
ECS_EXEC_ACTIONS: tuple[str, ...] = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def ecs_exec_policy() -> str:
    """Exactly the permissions ECS Exec needs in the task role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EcsExec",
                    "Effect": "Allow",
                    "Action": list(ECS_EXEC_ACTIONS),
                    "Resource": "*",
                }
            ],
        }
    )


def statements_policy(statements: Sequence[Mapping[str, Any]]) -> str:
    """A policy document of the given (validated, resolved) statements, in their order."""
    return json.dumps({"Version": "2012-10-17", "Statement": [dict(s) for s in statements]})
