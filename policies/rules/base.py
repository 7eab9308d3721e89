"""The two policy shapes every guardrail is built from, and their shared configuration.

A guardrail is a plain pulumi-policy ``ResourceValidationPolicy`` or ``StackValidationPolicy``
(so ``pulumi preview --policy-pack policies`` runs it unchanged) that also carries:

- ``controls``: the source control IDs (``"FSBP ECS.2"``, ``"CKV_AWS_333"``), repeated at the end
  of the description so the CLI shows them next to every violation;
- a check function that yields one message per violation and reads plain props
  (see :mod:`policies.rules.props`), so unknown-at-preview values never raise;
- a config schema whose ``default`` values also apply when no pack config is given.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.rules.props import get, is_unknown, plain, strings

ResourceCheck = Callable[..., Iterable[str]]
"""``check(props, config)`` yields a message per violation of one resource; a check that takes a
third parameter also gets the resource's type token (for rules over several resource shapes)."""

StackCheck = Callable[["StackView", dict[str, Any]], Iterable[tuple[str, "str | None"]]]
"""``check(stack, config)`` yields ``(message, urn)`` per violation (urn None: the stack)."""

PROD_CONFIG: dict[str, dict[str, Any]] = {
    "prod": {
        "type": "boolean",
        "default": False,
        "description": "The stack is production (FargateApp profile `prod`): enables the "
        "prod-only requirements of this rule.",
    }
}
"""Config property shared by the rules whose requirement differs in production."""


class GuardrailResourcePolicy(ResourceValidationPolicy):
    """A resource guardrail: runs ``check`` on resources of ``resource_types`` only."""

    def __init__(
        self,
        name: str,
        controls: Sequence[str],
        description: str,
        resource_types: Iterable[str] | None,
        check: ResourceCheck,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.controls = tuple(controls)
        self.resource_types = frozenset(resource_types) if resource_types is not None else None
        self._check = check
        self._wants_type = len(inspect.signature(check).parameters) >= 3
        super().__init__(
            name=name,
            description=_describe(description, self.controls),
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=PolicyConfigSchema(dict(config)) if config else None,
            tags=list(self.controls),
        )

    def applies_to(self, resource_type: str) -> bool:
        """Whether this rule looks at resources of ``resource_type``."""
        if self.resource_types is None:
            return resource_type.startswith("aws:")
        return resource_type in self.resource_types

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        config = resolve_config(self, args.get_config())
        try:
            props = plain(args.props)
            if self._wants_type:
                messages = list(self._check(props, config, args.resource_type))
            else:
                messages = list(self._check(props, config))
        except UnknownValueError:
            return  # defensive: a check read through a proxy; unknown means "not yet"
        for message in messages:
            report_violation(message, None)


class GuardrailStackPolicy(StackValidationPolicy):
    """A stack guardrail: ``check`` sees every resource, with references between them resolved."""

    def __init__(
        self,
        name: str,
        controls: Sequence[str],
        description: str,
        check: StackCheck,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.controls = tuple(controls)
        self._check = check
        super().__init__(
            name=name,
            description=_describe(description, self.controls),
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=PolicyConfigSchema(dict(config)) if config else None,
            tags=list(self.controls),
        )

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = resolve_config(self, args.get_config())
        try:
            violations = list(self._check(StackView(args.resources), config))
        except UnknownValueError:
            return
        for message, urn in violations:
            report_violation(message, urn)


Guardrail = GuardrailResourcePolicy | GuardrailStackPolicy


def resolve_config(
    policy: GuardrailResourcePolicy | GuardrailStackPolicy, given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The schema defaults of ``policy`` overlaid with the configured values."""
    schema = policy.config_schema.properties if policy.config_schema else {}
    config = {key: spec.get("default") for key, spec in schema.items()}
    for key, value in (given or {}).items():
        if key != "enforcementLevel":
            config[key] = value
    return config


def _describe(description: str, controls: Sequence[str]) -> str:
    return f"{description} [{', '.join(controls)}]"


class Node:
    """One resource of the stack, with plain props and its top-level property dependencies."""

    def __init__(self, resource: PolicyResource) -> None:
        self.resource = resource
        self.type = resource.resource_type
        self.urn = resource.urn
        self.name = resource.name
        self.props: dict[str, Any] = plain(resource.props)
        self.deps: dict[str, list[str]] = {
            key: [dep.urn for dep in deps]
            for key, deps in (resource.property_dependencies or {}).items()
        }

    def get(self, path: str, default: Any = None) -> Any:
        """Shortcut for :func:`policies.rules.props.get` on this resource's props."""
        return get(self.props, path, default)

    def identifiers(self) -> set[str]:
        """The known strings other resources use to point at this one (id, arn, name)."""
        return set(strings(self.props.get(key) for key in ("id", "arn", "name")))


class StackView:
    """The resources of a stack plus resolution of the references between them.

    A reference is resolved two ways: through the engine's property dependencies (the only way
    during a preview of new resources, whose ids are unknown) and by matching the known value
    against the id, ARN or name of another resource (the way values already known are matched,
    and the only way in the offline checker).
    """

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.nodes = [Node(resource) for resource in resources]
        self.by_urn = {node.urn: node for node in self.nodes}

    def of_type(self, *types: str) -> list[Node]:
        """The resources whose type token is one of ``types``."""
        return [node for node in self.nodes if node.type in types]

    def refs(self, node: Node, prop: str, value: Any, *types: str) -> Reference:
        """What ``value`` (read from top-level property ``prop`` of ``node``) points at."""
        found: dict[str, Node] = {}
        for urn in node.deps.get(prop, []):
            target = self.by_urn.get(urn)
            if target is not None and target.type in types:
                found[target.urn] = target
        dep_nodes = list(found.values())
        values = value if isinstance(value, (list, tuple)) else [value]
        unmatched: list[str] = []
        for item in strings(values):
            matches = [n for n in self.of_type(*types) if item in n.identifiers()]
            for match in matches:
                found[match.urn] = match
            if not matches:
                unmatched.append(item)
        # A literal matching nothing may still be a dependency whose ids we cannot see yet.
        external = [] if any(not n.identifiers() for n in dep_nodes) else unmatched
        unresolved = any(is_unknown(item) for item in values) and not dep_nodes
        return Reference(list(found.values()), external, unresolved)


class Reference:
    """Result of :meth:`StackView.refs`.

    ``nodes``: resources of the stack pointed at; ``external``: known literal values matching no
    resource of the stack (e.g. an existing security group id); ``unresolved``: some value is
    unknown and no dependency tells where it points, so a rule must not judge it.
    """

    def __init__(self, nodes: list[Node], external: list[str], unresolved: bool) -> None:
        self.nodes = nodes
        self.external = external
        self.unresolved = unresolved

    @property
    def urns(self) -> set[str]:
        """URNs of the resources pointed at."""
        return {node.urn for node in self.nodes}
