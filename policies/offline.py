"""Run the pack's policies without the Pulumi engine, over resources captured by the mock runtime.

This mirrors what ``pulumi preview --policy-pack policies`` does with the same policies:
resource policies get each resource's inputs (wrapped in pulumi-policy's unknown-checking proxy,
with Pulumi property names), stack policies get every resource's outputs, and enforcement levels
come from the policy defaults overlaid with a pack config in the ``--policy-pack-config`` format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components.config import camel_case
from policies.rules import ALL_POLICIES
from policies.rules.base import Guardrail, GuardrailResourcePolicy, GuardrailStackPolicy
from policies.rules.props import is_unknown

# Maps whose keys are data (tag keys), not property names: never camel-cased.
_DATA_MAPS = frozenset({"tags", "tagsAll", "tags_all"})
_LEVELS = {level.value: level for level in EnforcementLevel}


class PackConfigError(ValueError):
    """A pack config file or value is not usable; the message is one line."""


@dataclass(frozen=True)
class Captured:
    """A resource as the checker sees it: Pulumi property names, unknowns as engine sentinels."""

    type_: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent_urn: str | None = None
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One violation reported by one policy."""

    policy: str
    level: EnforcementLevel
    controls: tuple[str, ...]
    message: str
    resource_type: str | None = None
    resource_name: str | None = None
    urn: str | None = None


@dataclass
class PackConfig:
    """Per-policy enforcement levels and config properties (``--policy-pack-config`` shape)."""

    levels: dict[str, EnforcementLevel] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    all_level: EnforcementLevel | None = None

    def level_of(self, policy: Guardrail) -> EnforcementLevel:
        """The effective enforcement level of ``policy``."""
        level = self.levels.get(policy.name) or self.all_level or policy.enforcement_level
        level = level or EnforcementLevel.ADVISORY
        # Like the engine: a violation of a remediate policy is reported as mandatory.
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def properties_of(self, policy: Guardrail) -> dict[str, Any]:
        """The configured properties of ``policy`` (defaults are applied by the policy)."""
        return dict(self.properties.get(policy.name, {}))

    def with_prod(self, prod: bool) -> PackConfig:
        """This config with ``prod`` set on every policy that has that property, unless the
        config already sets it explicitly."""
        properties = {name: dict(values) for name, values in self.properties.items()}
        for policy in ALL_POLICIES:
            schema = policy.config_schema.properties if policy.config_schema else {}
            if "prod" in schema:
                properties.setdefault(policy.name, {}).setdefault("prod", prod)
        return PackConfig(dict(self.levels), properties, self.all_level)


def parse_pack_config(document: Mapping[str, Any], source: str = "pack config") -> PackConfig:
    """Validate a ``{"policy-name": "mandatory" | {"enforcementLevel": ..., prop: value}}`` map."""
    known = {policy.name: policy for policy in ALL_POLICIES}
    config = PackConfig()
    for name, value in document.items():
        if name == "all":
            config.all_level = _level(value, source, name)
            continue
        if name not in known:
            raise PackConfigError(
                f"{source}: unknown policy {name!r}; allowed: all, {', '.join(sorted(known))}"
            )
        if isinstance(value, str):
            config.levels[name] = _level(value, source, name)
            continue
        if not isinstance(value, Mapping):
            raise PackConfigError(
                f"{source}: {name}: {value!r} is not allowed; expected an enforcement level or "
                "an object"
            )
        schema = known[name].config_schema
        allowed = set(schema.properties) if schema else set()
        for key, item in value.items():
            if key == "enforcementLevel":
                config.levels[name] = _level(item, source, f"{name}.enforcementLevel")
            elif key not in allowed:
                shown = ", ".join(sorted({"enforcementLevel", *allowed}))
                raise PackConfigError(f"{source}: {name}.{key}: unknown property; allowed: {shown}")
            else:
                _check_type(item, schema.properties[key], source, f"{name}.{key}")
                config.properties.setdefault(name, {})[key] = item
    return config


def load_pack_config(path: str | Path) -> PackConfig:
    """Read a JSON pack config file (the format of ``pulumi preview --policy-pack-config``)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise PackConfigError(f"{path}: cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise PackConfigError(f"{path}: not valid JSON at line {error.lineno}") from None
    if not isinstance(document, dict):
        raise PackConfigError(f"{path}: expected a JSON object keyed by policy name")
    return parse_pack_config(document, str(path))


def _level(value: Any, source: str, where: str) -> EnforcementLevel:
    if value not in _LEVELS:
        raise PackConfigError(
            f"{source}: {where}: {value!r} is not allowed; allowed: {', '.join(_LEVELS)}"
        )
    return _LEVELS[value]


_JSON_TYPES = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


def _check_type(value: Any, spec: Mapping[str, Any], source: str, where: str) -> None:
    expected = spec.get("type")
    types = _JSON_TYPES.get(expected or "", (object,))
    wrong_bool = isinstance(value, bool) and expected in ("integer", "number")
    if not isinstance(value, types) or wrong_bool:
        raise PackConfigError(f"{source}: {where}: {value!r} is not allowed; expected {expected}")


def engine_shape(value: Any, *, data_map: bool = False) -> Any:
    """Resource properties as the engine hands them to a policy: Pulumi (camelCase) property
    names at every level except inside data maps like ``tags``, and values unknown at preview
    (``pulumi.output.Unknown``) replaced by the engine's unknown sentinel."""
    if is_unknown(value) and not isinstance(value, str):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Mapping):
        return {
            (key if data_map else camel_case(key)): engine_shape(
                item, data_map=key in _DATA_MAPS and not data_map
            )
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [engine_shape(item) for item in value]
    return value


def evaluate(
    resources: Sequence[Captured],
    config: PackConfig | None = None,
    policies: Iterable[Guardrail] = ALL_POLICIES,
) -> list[Finding]:
    """Every violation of ``policies`` over ``resources``, resource policies first."""
    config = config or PackConfig()
    active = [p for p in policies if config.level_of(p) != EnforcementLevel.DISABLED]
    findings: list[Finding] = []
    for resource in resources:
        applicable = [
            policy
            for policy in active
            if isinstance(policy, GuardrailResourcePolicy) and policy.applies_to(resource.type_)
        ]
        # Shaped once per resource; each policy still gets its own proxy (the proxy copies the
        # containers it wraps), as each gets its own from the engine.
        shaped = engine_shape(resource.inputs) if applicable else {}
        for policy in applicable:
            for message in _validate_resource(policy, resource, shaped, config):
                findings.append(_finding(policy, config, message, resource, resource.urn))
    stack = _stack_resources(resources)
    by_urn = {resource.urn: resource for resource in resources}
    for policy in active:
        if not isinstance(policy, GuardrailStackPolicy):
            continue
        for message, urn in _validate_stack(policy, stack, config):
            findings.append(_finding(policy, config, message, by_urn.get(urn or ""), urn))
    return findings


def _finding(
    policy: GuardrailResourcePolicy | GuardrailStackPolicy,
    config: PackConfig,
    message: str,
    subject: Captured | None,
    urn: str | None,
) -> Finding:
    """The finding *policy* reports with *message* about *subject* (None: the stack as a whole,
    or a URN the capture does not hold)."""
    return Finding(
        policy.name,
        config.level_of(policy),
        policy.controls,
        message,
        subject.type_ if subject else None,
        subject.name if subject else None,
        urn,
    )


def _validate_resource(
    policy: GuardrailResourcePolicy,
    resource: Captured,
    shaped: dict[str, Any],
    config: PackConfig,
) -> list[str]:
    args = ResourceValidationArgs(
        resource.type_,
        unknown_checking_proxy(shaped),
        resource.urn,
        resource.name,
        _options(resource.parent_urn),
        None,
        config.properties_of(policy),
    )
    messages: list[str] = []
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def _validate_stack(
    policy: GuardrailStackPolicy, stack: list[PolicyResource], config: PackConfig
) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy.validate(
        StackValidationArgs(stack, config.properties_of(policy)),
        lambda message, urn=None: reported.append((message, urn)),
    )
    return reported


def _options(parent_urn: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent_urn)


def _stack_resources(resources: Sequence[Captured]) -> list[PolicyResource]:
    built = {
        resource.urn: PolicyResource(
            resource.type_,
            unknown_checking_proxy(engine_shape({**resource.inputs, **resource.outputs})),
            resource.urn,
            resource.name,
            _options(resource.parent_urn),
            None,
            None,
            [],
            {},
        )
        for resource in resources
    }
    for resource in resources:
        node = built[resource.urn]
        node.parent = built.get(resource.parent_urn or "")
        node.dependencies = [built[urn] for urn in resource.dependencies if urn in built]
    return list(built.values())
