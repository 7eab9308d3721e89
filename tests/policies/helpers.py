"""Helpers for policy tests: build the validation args the engine would pass, run one policy."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from policies.rules import policy_named

UB, UN, US, UA, UO = (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_OBJECT_VALUE,
)
"""The engine's unknown-at-preview sentinels (boolean, number, string, array, object)."""

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def urn(resource_type: str, name: str) -> str:
    """A URN shaped like the engine's for a top-level resource of the test stack."""
    return f"urn:pulumi:test::fargate-app::{resource_type}::{name}"


def resource_violations(
    policy: str, resource_type: str, props: dict[str, Any], config: dict[str, Any] | None = None
) -> list[str]:
    """Messages ``policy`` reports for one resource, with props proxied as in a preview."""
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(props),
        urn(resource_type, "subject"),
        "subject",
        OPTIONS,
        None,
        config,
    )
    messages: list[str] = []
    policy_named(policy).validate(args, lambda message, _urn=None: messages.append(message))
    return messages


def res(
    resource_type: str, name: str, props: dict[str, Any], deps: dict[str, list[str]] | None = None
) -> tuple[str, str, dict[str, Any], dict[str, list[str]]]:
    """A stack resource spec: type, logical name, output props, property dependencies (names)."""
    return (resource_type, name, props, deps or {})


def stack_violations(
    policy: str, specs: list[tuple], config: dict[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """``(message, resource name)`` pairs ``policy`` reports for a stack built from ``specs``."""
    resources = {
        name: PolicyResource(
            resource_type,
            unknown_checking_proxy(props),
            urn(resource_type, name),
            name,
            OPTIONS,
            None,
            None,
            [],
            {},
        )
        for resource_type, name, props, _deps in specs
    }
    for _type, name, _props, deps in specs:
        resources[name].property_dependencies = {
            key: [resources[target] for target in targets] for key, targets in deps.items()
        }
    names = {resource.urn: name for name, resource in resources.items()}
    reported: list[tuple[str, str | None]] = []
    policy_named(policy).validate(
        StackValidationArgs(list(resources.values()), config),
        lambda message, found=None: reported.append((message, names.get(found or ""))),
    )
    return reported
