"""The pack judges what importing teams add to the FargateApp: their task role statements and
managed policies (IAM rules) and ECS Exec (advisory in prod), through the offline checker over the
real program, as `pulumi preview --policy-pack policies` would."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pulumi
from pulumi_policy import EnforcementLevel

from components import FargateApp
from policies.check import CheckResult, check_stack

from .test_check import DEV, PROD, stack_file

SCOPED = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::reports/*"]}


def findings_of(result: CheckResult, policy: str) -> list[tuple[str, str | None, EnforcementLevel]]:
    return [
        (finding.message, finding.resource_name, finding.level)
        for finding in result.findings
        if finding.policy == policy
    ]


def test_a_scoped_user_statement_passes_the_iam_rules(tmp_path: Path) -> None:
    result = check_stack(stack_file(tmp_path, DEV, taskRoleStatements=[SCOPED]))
    assert findings_of(result, "iam-no-wildcards") == []
    assert result.exit_code == 0
    assert [r for r in result.resources if r.name == "web-task-permissions"]


def test_a_wildcard_action_in_a_user_statement_is_flagged_with_its_control(tmp_path: Path) -> None:
    statement = {**SCOPED, "Sid": "ReadAll", "Action": ["s3:*"]}
    result = check_stack(stack_file(tmp_path, DEV, taskRoleStatements=[statement]))
    assert findings_of(result, "iam-no-wildcards") == [
        (
            "[FSBP IAM.21] policy statement ReadAll allows service-wide wildcards: s3:*.",
            "web-task-permissions",
            EnforcementLevel.MANDATORY,
        )
    ]
    assert result.exit_code == 1


def test_every_action_on_every_resource_in_a_user_statement_is_flagged(tmp_path: Path) -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    result = check_stack(stack_file(tmp_path, DEV, taskRoleStatements=[statement]))
    messages = [message for message, _, _ in findings_of(result, "iam-no-wildcards")]
    assert messages == [
        "[FSBP IAM.1] policy statement 0 allows every action (*).",
        "[CKV_AWS_355] policy statement 0 grants * on every resource (*); scope it to exact ARNs.",
    ]


def test_a_user_statement_unknown_at_preview_is_no_violation() -> None:
    def program() -> None:
        loop = asyncio.get_event_loop()
        value, known = loop.create_future(), loop.create_future()
        value.set_result(None)
        known.set_result(False)  # like the ARN of a bucket created in the same preview
        bucket_arn: pulumi.Output[str] = pulumi.Output(set(), value, known)
        FargateApp(
            "web",
            {
                "task_role_statements": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": [bucket_arn]}
                ]
            },
        )

    result = check_stack(DEV, program=program)
    assert [r for r in result.resources if r.name == "web-task-permissions"]
    assert findings_of(result, "iam-no-wildcards") == []


def test_an_administrator_policy_on_the_task_role_is_flagged(tmp_path: Path) -> None:
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    result = check_stack(stack_file(tmp_path, DEV, taskRolePolicyArns=[admin]))
    assert findings_of(result, "iam-no-wildcards") == [
        (
            "[FSBP IAM.1] attaches the AWS managed policy AdministratorAccess.",
            "web-task-policy-0",
            EnforcementLevel.MANDATORY,
        )
    ]


def _exec_findings(tmp_path: Path, base: Path, **extra: Any) -> CheckResult:
    return check_stack(stack_file(tmp_path, base, enableExecuteCommand=True, **extra))


def test_ecs_exec_in_prod_is_an_advisory_with_its_controls(tmp_path: Path) -> None:
    result = _exec_findings(tmp_path, PROD)
    (finding,) = [f for f in result.findings if f.policy == "ecs-exec-off-in-prod"]
    assert finding.level == EnforcementLevel.ADVISORY
    assert finding.controls == ("FA.4",)
    assert finding.resource_name == "web-service"
    assert result.exit_code == 0  # advisory: reported, not blocking
    assert findings_of(result, "iam-no-wildcards") == []  # the exec channels are allowed on *


def test_ecs_exec_in_dev_is_not_reported(tmp_path: Path) -> None:
    result = _exec_findings(tmp_path, DEV)
    assert findings_of(result, "ecs-exec-off-in-prod") == []
    assert findings_of(result, "iam-no-wildcards") == []
