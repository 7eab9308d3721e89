"""ECS guardrails: the service, its task definition's containers and the cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel

from policies.rules.base import PROD_CONFIG, GuardrailResourcePolicy
from policies.rules.props import UNKNOWN, get, is_unknown, parse_json, truthy

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"

DEFAULT_SECRET_NAME_PATTERNS = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "CREDENTIAL",
]


def _no_public_ip(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    assign = truthy(get(props, "networkConfiguration.assignPublicIp", False))
    if not is_unknown(assign) and assign:
        yield (
            "networkConfiguration.assignPublicIp is true: tasks get public IPs. Run them in "
            "private subnets (FargateApp default: assign_public_ip false)."
        )


def _latest_platform(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    version = get(props, "platformVersion")
    if version is None or is_unknown(version):
        return
    if str(version).upper() != "LATEST":
        yield f"platformVersion is {version!r}; use LATEST (or leave it unset)."


def _circuit_breaker(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    controller = get(props, "deploymentController.type", "ECS")
    if is_unknown(controller) or controller != "ECS":
        return  # CODE_DEPLOY and EXTERNAL controllers have no circuit breaker
    breaker = get(props, "deploymentCircuitBreaker")
    if is_unknown(breaker):
        return
    enable = truthy(get(props, "deploymentCircuitBreaker.enable", False))
    rollback = truthy(get(props, "deploymentCircuitBreaker.rollback", False))
    if is_unknown(enable) or is_unknown(rollback):
        return
    if not enable:
        yield "deploymentCircuitBreaker is not enabled: a failing deployment never stops."
    elif not rollback:
        yield "deploymentCircuitBreaker.rollback is false: a failed deployment is not rolled back."


def _containers(props: dict[str, Any]) -> list[dict[str, Any]] | Any:
    """The container definitions (a JSON string in pulumi-aws), UNKNOWN, or [] if absent."""
    try:
        containers = parse_json(get(props, "containerDefinitions"))
    except ValueError:
        return []  # the provider rejects invalid JSON itself; nothing to judge here
    if is_unknown(containers):
        return UNKNOWN
    if not isinstance(containers, list):
        return []
    return [c for c in containers if isinstance(c, dict)]


def _container_name(container: dict[str, Any], index: int) -> str:
    return str(container.get("name") or f"#{index}")


def _not_privileged(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    containers = _containers(props)
    if is_unknown(containers):
        return
    for index, container in enumerate(containers):
        if truthy(container.get("privileged", False)) is True:
            name = _container_name(container, index)
            yield f"container {name!r} runs privileged."


def _readonly_root(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if config.get("onlyInProd", True) and not config.get("prod", False):
        return
    containers = _containers(props)
    if is_unknown(containers):
        return
    for index, container in enumerate(containers):
        if truthy(container.get("readonlyRootFilesystem", False)) is not True:
            name = _container_name(container, index)
            yield (
                f"container {name!r} has a writable root filesystem "
                "(readonlyRootFilesystem is not true); FargateApp default: "
                "readonly_root_filesystem true."
            )


def _no_plaintext_secrets(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    containers = _containers(props)
    if is_unknown(containers):
        return
    patterns = config.get("secretNamePatterns") or DEFAULT_SECRET_NAME_PATTERNS
    matcher = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE)
    for index, container in enumerate(containers):
        for variable in container.get("environment") or []:
            name, value = variable.get("name"), variable.get("value")
            if isinstance(name, str) and matcher.search(name) and value not in (None, ""):
                # Never echo the value: the violation message ends up in CI logs.
                yield (
                    f"container {_container_name(container, index)!r} sets {name} as a plain "
                    "environment variable; pass it through `secrets` (Secrets Manager or SSM "
                    "parameter ARN) instead."
                )


def _logging(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    containers = _containers(props)
    if is_unknown(containers):
        return
    for index, container in enumerate(containers):
        driver = get(container, "logConfiguration.logDriver")
        if not driver:
            yield (
                f"container {_container_name(container, index)!r} has no logConfiguration "
                "(FargateApp default: awslogs to the component's log group)."
            )


def _exec_off_in_prod(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not config.get("prod", False):
        return
    enabled = truthy(get(props, "enableExecuteCommand", False))
    if not is_unknown(enabled) and enabled:
        yield (
            "enableExecuteCommand is true in production: whoever may call ecs:ExecuteCommand gets "
            "a shell in the tasks. Enable ECS Exec only to debug (FargateApp default: "
            "enable_execute_command false)."
        )


def _container_insights(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    settings = get(props, "settings", [])
    if is_unknown(settings):
        return
    values = [s.get("value") for s in settings if s.get("name") == "containerInsights"]
    if any(is_unknown(value) for value in values):
        return
    if not any(value in ("enabled", "enhanced") for value in values):
        shown = values[0] if values else "not set"
        yield f"containerInsights is {shown}; set the cluster setting to enabled."


POLICIES = [
    GuardrailResourcePolicy(
        name="ecs-service-no-public-ip",
        controls=("FSBP ECS.2", "CKV_AWS_333"),
        description="ECS services must not assign public IP addresses to their tasks.",
        resource_types=[SERVICE],
        check=_no_public_ip,
    ),
    GuardrailResourcePolicy(
        name="ecs-container-not-privileged",
        controls=("FSBP ECS.4",),
        description="ECS containers must not run privileged.",
        resource_types=[TASK_DEFINITION],
        check=_not_privileged,
    ),
    GuardrailResourcePolicy(
        name="ecs-readonly-root-filesystem",
        controls=("FSBP ECS.5", "CKV_AWS_336"),
        description="ECS containers must mount their root filesystem read-only (in production).",
        resource_types=[TASK_DEFINITION],
        check=_readonly_root,
        config={
            **PROD_CONFIG,
            "onlyInProd": {
                "type": "boolean",
                "default": True,
                "description": "Enforce only when `prod` is true (dev apps may write to disk).",
            },
        },
    ),
    GuardrailResourcePolicy(
        name="ecs-no-plaintext-secrets",
        controls=("FSBP ECS.8",),
        description="Secrets must not be passed as plain container environment variables.",
        resource_types=[TASK_DEFINITION],
        check=_no_plaintext_secrets,
        config={
            "secretNamePatterns": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_SECRET_NAME_PATTERNS,
                "description": "Case-insensitive substrings of variable names that hold secrets.",
            }
        },
    ),
    GuardrailResourcePolicy(
        name="ecs-container-logging",
        controls=("FSBP ECS.9",),
        description="Every ECS container must have a log configuration.",
        resource_types=[TASK_DEFINITION],
        check=_logging,
    ),
    GuardrailResourcePolicy(
        name="ecs-service-latest-platform",
        controls=("FSBP ECS.10", "CKV_AWS_332"),
        description="Fargate services must run on the LATEST platform version.",
        resource_types=[SERVICE],
        check=_latest_platform,
    ),
    GuardrailResourcePolicy(
        name="ecs-exec-off-in-prod",
        controls=("FA.4",),
        description="ECS services should not enable ECS Exec (a shell in running tasks) in "
        "production (local control; checkov's CKV_AWS_223/224 only ask that exec sessions be "
        "logged and encrypted once it is on).",
        resource_types=[SERVICE],
        check=_exec_off_in_prod,
        enforcement_level=EnforcementLevel.ADVISORY,
        config=PROD_CONFIG,
    ),
    GuardrailResourcePolicy(
        name="ecs-cluster-container-insights",
        controls=("FSBP ECS.12", "CKV_AWS_65"),
        description="ECS clusters must have Container Insights enabled.",
        resource_types=[CLUSTER],
        check=_container_insights,
    ),
    GuardrailResourcePolicy(
        name="ecs-service-circuit-breaker",
        controls=("FA.2",),
        description="ECS services must enable the deployment circuit breaker with rollback (ECS "
        "deployment best practice).",
        resource_types=[SERVICE],
        check=_circuit_breaker,
    ),
]

__all__ = ["POLICIES"]
