"""IAM guardrails: least-privilege policy documents and the roles of ECS tasks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.iam_documents import ECR_AUTHORIZATION_ACTIONS, ECS_EXEC_ACTIONS
from policies.rules.base import GuardrailResourcePolicy, GuardrailStackPolicy, Node, StackView
from policies.rules.props import as_list, get, is_unknown, parse_json

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"

DEFAULT_WILDCARD_RESOURCE_ACTIONS = [
    *ECR_AUTHORIZATION_ACTIONS,
    *ECS_EXEC_ACTIONS,
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "cloudwatch:PutMetricData",
]
"""Actions without resource-level permissions: ``Resource: "*"`` is the only way to grant them."""

DEFAULT_FORBIDDEN_MANAGED_POLICIES = [
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
]


def statements(document: Any) -> list[dict[str, Any]] | Any:
    """The statements of a policy document (string or dict); UNKNOWN passes through.

    Raises ``ValueError`` for a document that is not JSON.
    """
    parsed = parse_json(document)
    if parsed is None or is_unknown(parsed):
        return [] if parsed is None else parsed
    found = as_list(parsed.get("Statement")) if isinstance(parsed, dict) else []
    return [s for s in found if isinstance(s, dict)]


def _document_problems(document: Any, where: str, config: dict[str, Any]) -> Iterator[str]:
    try:
        found = statements(document)
    except ValueError as exc:
        yield f"{where} is {exc}"
        return
    if is_unknown(found):
        return
    allowed_star = set(config.get("allowedWildcardResourceActions") or [])
    for index, statement in enumerate(found):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        label = f"{where} statement {statement.get('Sid') or index}"
        if "NotAction" in statement:
            yield f"[FSBP IAM.1] {label} allows NotAction: everything but a list is granted."
        if "NotResource" in statement:
            yield f"[CKV_AWS_355] {label} allows NotResource: every other resource is granted."
        actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
        resources = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
        if any(a in ("*", "*:*") for a in actions):
            yield f"[FSBP IAM.1] {label} allows every action (*)."
        elif service_wide := [a for a in actions if a.endswith(":*")]:
            yield f"[FSBP IAM.21] {label} allows service-wide wildcards: {', '.join(service_wide)}."
        if "*" in resources and not all(a in allowed_star for a in actions):
            scoped = [a for a in actions if a not in allowed_star]
            yield (
                f"[CKV_AWS_355] {label} grants {', '.join(scoped) or 'its actions'} on every "
                "resource (*); scope it to exact ARNs."
            )


def _no_wildcards(
    props: dict[str, Any], config: dict[str, Any], resource_type: str
) -> Iterator[str]:
    if resource_type == ROLE:
        inline = as_list(get(props, "inlinePolicies", []))
        if not is_unknown(inline):
            for entry in inline:
                name = get(entry, "name") or "inline policy"
                yield from _document_problems(get(entry, "policy"), f"inline policy {name}", config)
        managed = as_list(get(props, "managedPolicyArns", []))
        if not is_unknown(managed):
            yield from _forbidden_managed(managed, config)
    elif resource_type == ROLE_POLICY_ATTACHMENT:
        yield from _forbidden_managed([get(props, "policyArn")], config)
    else:
        yield from _document_problems(get(props, "policy"), "policy", config)


def _forbidden_managed(arns: list[Any], config: dict[str, Any]) -> Iterator[str]:
    forbidden = config.get("forbiddenManagedPolicies") or DEFAULT_FORBIDDEN_MANAGED_POLICIES
    for arn in arns:
        if isinstance(arn, str) and not is_unknown(arn):
            name = arn.rsplit("/", 1)[-1]
            if arn.startswith("arn:aws") and ":iam::aws:policy/" in arn and name in forbidden:
                yield f"[FSBP IAM.1] attaches the AWS managed policy {name}."


def _distinct_roles(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    for task in stack.of_type(TASK_DEFINITION):
        execution, role = task.get("executionRoleArn"), task.get("taskRoleArn")
        if execution is None or role is None:
            continue
        same_literal = (
            not is_unknown(execution) and not is_unknown(role) and str(execution) == str(role)
        )
        execution_ref = stack.refs(task, "executionRoleArn", execution, ROLE)
        role_ref = stack.refs(task, "taskRoleArn", role, ROLE)
        if same_literal or (execution_ref.urns & role_ref.urns):
            yield (
                f"task definition {task.name!r} uses the same role as execution role and task "
                "role: the app's code gets the image-pull and secret-read permissions.",
                task.urn,
            )


def _trust(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    task_roles: set[str] = set()
    for task in stack.of_type(TASK_DEFINITION):
        for prop in ("executionRoleArn", "taskRoleArn"):
            task_roles |= stack.refs(task, prop, task.get(prop), ROLE).urns
    for role in stack.of_type(ROLE):
        try:
            found = statements(role.get("assumeRolePolicy"))
        except ValueError as exc:
            yield f"role {role.name!r}: assumeRolePolicy is {exc}", role.urn
            continue
        if is_unknown(found):
            continue
        for index, statement in enumerate(found):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            principals = _principals(statement)
            label = f"role {role.name!r} trust statement {statement.get('Sid') or index}"
            if "NotPrincipal" in statement or any(p in ("*", "AWS:*") for p in principals):
                yield f"[CKV_AWS_60] {label} lets any principal assume the role.", role.urn
            elif role.urn in task_roles and principals != {f"Service:{ECS_TASKS_PRINCIPAL}"}:
                shown = ", ".join(sorted(principals)) or "nothing"
                yield (
                    f"[CKV_AWS_61] {label} trusts {shown}; an ECS task role must trust only "
                    f"{ECS_TASKS_PRINCIPAL}.",
                    role.urn,
                )


TASK_EXECUTION_POLICY = "AmazonECSTaskExecutionRolePolicy"
"""AWS's managed execution policy: its ECR pull and log actions apply to every resource."""


def _execution_role_scope(
    stack: StackView, config: dict[str, Any]
) -> Iterator[tuple[str, str | None]]:
    roles: dict[str, Node] = {}
    for task in stack.of_type(TASK_DEFINITION):
        ref = stack.refs(task, "executionRoleArn", task.get("executionRoleArn"), ROLE)
        roles.update({node.urn: node for node in ref.nodes})
    for role in roles.values():
        managed = as_list(role.get("managedPolicyArns", []))
        if not is_unknown(managed) and any(
            isinstance(arn, str) and arn.endswith(f"/{TASK_EXECUTION_POLICY}") for arn in managed
        ):
            yield _managed_message(role), role.urn
    for attachment in stack.of_type(ROLE_POLICY_ATTACHMENT):
        arn = attachment.get("policyArn")
        if is_unknown(arn) or not str(arn or "").endswith(f"/{TASK_EXECUTION_POLICY}"):
            continue
        for role in stack.refs(attachment, "role", attachment.get("role"), ROLE).nodes:
            if role.urn in roles:
                yield _managed_message(role), attachment.urn
    for policy in stack.of_type(ROLE_POLICY):
        targets = stack.refs(policy, "role", policy.get("role"), ROLE).nodes
        if not any(role.urn in roles for role in targets):
            continue
        try:
            found = statements(policy.get("policy"))
        except ValueError:
            continue  # iam-no-wildcards reports a document that is not JSON
        if is_unknown(found):
            continue
        for statement in found:
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            extra = [a for a in actions if a not in ECR_AUTHORIZATION_ACTIONS]
            if (
                statement.get("Effect", "Allow") == "Allow"
                and "*" in as_list(statement.get("Resource"))
                and extra
            ):
                yield (
                    f"execution role policy {policy.name!r} grants {', '.join(extra)} on every "
                    "resource (*); only ecr:GetAuthorizationToken needs that.",
                    policy.urn,
                )


def _managed_message(role: Node) -> str:
    return (
        f"execution role {role.name!r} carries {TASK_EXECUTION_POLICY}: ECR pulls and log writes "
        "on every repository and log group; grant them on the app's own (FargateApp does)."
    )


def _principals(statement: dict[str, Any]) -> set[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return {"*"}
    if not isinstance(principal, dict):
        return set()
    return {
        f"{kind}:{value}"
        for kind, values in principal.items()
        for value in as_list(values)
        if isinstance(value, str)
    }


POLICIES = [
    GuardrailResourcePolicy(
        name="iam-no-wildcards",
        controls=("FSBP IAM.1", "FSBP IAM.21", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_355"),
        description="IAM policies must not allow wildcard actions, NotAction, or every resource "
        "(except for actions without resource-level permissions).",
        resource_types=[
            ROLE,
            ROLE_POLICY,
            POLICY,
            USER_POLICY,
            GROUP_POLICY,
            ROLE_POLICY_ATTACHMENT,
        ],
        check=_no_wildcards,
        config={
            "allowedWildcardResourceActions": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_WILDCARD_RESOURCE_ACTIONS,
                "description": 'Actions that may be granted on Resource "*".',
            },
            "forbiddenManagedPolicies": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_FORBIDDEN_MANAGED_POLICIES,
                "description": "AWS managed policy names that must never be attached.",
            },
        },
    ),
    GuardrailStackPolicy(
        name="iam-distinct-task-roles",
        controls=("CKV_AWS_249",),
        description="An ECS task definition's execution role and task role must be different.",
        check=_distinct_roles,
    ),
    GuardrailStackPolicy(
        name="iam-execution-role-scoped",
        controls=("CKV_AWS_355", "CKV_AWS_290"),
        description="An ECS task's execution role must not carry AmazonECSTaskExecutionRolePolicy "
        "nor grant anything but ecr:GetAuthorizationToken on every resource (*).",
        check=_execution_role_scope,
    ),
    GuardrailStackPolicy(
        name="iam-ecs-task-trust",
        controls=("CKV_AWS_60", "CKV_AWS_61"),
        description="Roles used by ECS task definitions must trust only ecs-tasks.amazonaws.com; "
        "no role may trust every principal.",
        check=_trust,
    ),
]

__all__ = ["POLICIES", "statements"]
