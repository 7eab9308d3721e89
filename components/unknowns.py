"""Values a run has not resolved: the engine's unknowns, and what a user's test mocks leave unset.

In a preview the engine marks values it cannot know yet as unknown, and Pulumi skips every
``apply`` over them. Mocks in the style of Pulumi's testing guide (``new_resource`` echoing the
inputs, ``call`` answering ``{}``) leave outputs such as an ARN or an invoke's region unset,
which the runtime hands over as ``None``. ``known_all`` treats both alike, so the component
builds derived values (labels, policy documents, URLs) only from values that are there.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.output import UNKNOWN


def unknown() -> pulumi.Output[Any]:
    """An output whose value is unknown, as the engine's are in a preview."""
    return pulumi.Output.from_input(UNKNOWN)


def known_all(*values: pulumi.Input[Any]) -> pulumi.Output[list[Any]]:
    """``pulumi.Output.all(*values)``, unknown when any value is unset (``None``)."""
    return pulumi.Output.all(*values).apply(
        lambda resolved: list(resolved) if all(v is not None for v in resolved) else unknown()
    )


def known_tree(value: pulumi.Input[Any]) -> pulumi.Output[Any]:
    """``pulumi.Output.from_input(value)`` of nested dicts and lists, unknown when any value in
    it is unset (``None``)."""
    return pulumi.Output.from_input(value).apply(
        lambda resolved: unknown() if _has_unset(resolved) else resolved
    )


def _has_unset(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_unset(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_unset(item) for item in value)
    return False
