"""The diff of one registration against the state, and the plan of a whole deploy.

Each registration is one step, as the Pulumi engine decides it: ``same`` (no change: answered
from the state, no API call), ``create``, ``update`` (in place), ``replace`` (a new resource,
then the old one deleted, or the old one first when it is named explicitly) or ``delete`` (in
the state, no longer registered). Changes are found by comparing the registered inputs with the
inputs in the state, after ``ignoreChanges`` (an ignored property keeps its old value, as in the
engine); ``localcloud.deploy.schema`` says which properties force a replacement.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pulumi

from localcloud.deploy.schema import SCHEMAS
from localcloud.deploy.state import ResourceState
from localcloud.errors import LocalCloudError

#: How a preview shows an input that is not known before the apply (a replaced resource's id).
UNKNOWN = "[unknown]"

#: Plan symbols, as ``pulumi preview`` prints them.
SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}
#: Count lines of the plan summary, in ``pulumi preview``'s order.
COUNT_WORDS = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
}


@dataclass(frozen=True)
class Step:
    """What one deploy does to one resource."""

    kind: str
    type_: str
    urn: str
    changed: tuple[str, ...] = ()
    delete_first: bool = False
    inputs: dict[str, Any] = field(default_factory=dict, compare=False)
    """The inputs to apply (the registered ones, ignored properties kept at their old value)."""

    @property
    def name(self) -> str:
        """The logical name (the last part of the URN)."""
        return self.urn.rsplit("::", 1)[-1]


class UnsupportedChange(LocalCloudError):
    """A change the local cloud cannot apply (raised while planning, before any change)."""


def diff(
    type_: str,
    urn: str,
    old: ResourceState | None,
    inputs: dict[str, Any],
    ignore_changes: tuple[str, ...] = (),
    custom: bool = True,
) -> Step:
    """The step that takes *old* (None: not deployed) to the registered *inputs*."""
    if old is None:
        return Step("create", type_, urn, inputs=dict(inputs))
    effective = dict(inputs)
    for path in ignore_changes:
        key = path.split(".", 1)[0].split("[", 1)[0]
        if key in old.inputs:
            effective[key] = old.inputs[key]
        else:
            effective.pop(key, None)
    changed = tuple(
        sorted(
            key
            for key in set(old.inputs) | set(effective)
            if comparable(old.inputs.get(key)) != comparable(effective.get(key))
        )
    )
    if not changed:
        return Step("same", type_, urn, inputs=effective)
    if not custom:  # a component: its children carry the changes
        return Step("same", type_, urn, inputs=effective)
    schema = SCHEMAS.get(type_)
    if schema is None:
        raise UnsupportedChange(
            f"{type_} {old.name}: the local cloud cannot change {changed[0]} (no schema for "
            "this type in localcloud/deploy/schema.py)"
        )
    if set(changed) & schema.replace_on:
        named = bool(schema.named_by and effective.get(schema.named_by))
        return Step("replace", type_, urn, changed, delete_first=named, inputs=effective)
    unsupported = [k for k in changed if k not in schema.update | schema.provider_only]
    if unsupported:
        raise UnsupportedChange(
            f"{type_} {old.name}: the local cloud cannot change {unsupported[0]} in place "
            f"(it updates {', '.join(sorted(schema.update)) or 'nothing'}; see "
            "localcloud/deploy/schema.py)"
        )
    return Step("update", type_, urn, changed, inputs=effective)


def comparable(value: Any) -> Any:
    """*value* as JSON would carry it (numbers, lists, maps), unknowns as ``UNKNOWN``."""
    return json.loads(json.dumps(known(value), sort_keys=True, default=str))


def known(value: Any) -> Any:
    """*value* with every not-yet-known part (``pulumi.output.Unknown``) as ``UNKNOWN``."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: known(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [known(item) for item in value]
    return value


def has_unknowns(value: Any) -> bool:
    """Whether any part of *value* is not known yet (a preview of a replaced dependency)."""
    return UNKNOWN in json.dumps(known(value), default=str)


@dataclass
class Plan:
    """The steps of one deploy (or destroy), in the order they will be taken."""

    stack: str
    steps: list[Step] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Steps per kind (``same`` included)."""
        return Counter(step.kind for step in self.steps)

    @property
    def changes(self) -> list[Step]:
        """The steps that change something."""
        return [step for step in self.steps if step.kind != "same"]

    def render(self, verb: str = "update") -> str:
        """The plan as ``pulumi preview`` prints it: a line per change, then the counts."""
        lines = [f"Previewing {verb} ({self.stack}):", ""]
        changes = self.changes
        width = max((len(step.type_) for step in changes), default=0)
        for step in changes:
            line = f" {SYMBOLS[step.kind]:<3} {step.type_:<{width}}  {step.name}  {step.kind}"
            if step.changed:
                line += "  [diff: " + " ".join(f"~{key}" for key in step.changed) + "]"
            lines.append(line)
        if not changes:
            lines.append(" no changes")
        counts = self.counts()
        lines += ["", "Resources:"]
        for kind, words in COUNT_WORDS.items():
            if counts[kind]:
                lines.append(f"    {SYMBOLS[kind]} {counts[kind]} {words}")
        if counts["same"]:
            lines.append(f"    {counts['same']} unchanged")
        return "\n".join(lines)
