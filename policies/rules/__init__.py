"""All guardrails of the pack, grouped by AWS service, importable without starting a server."""

from __future__ import annotations

from policies.rules import ecr, ecs, elb, iam, logs, network, tagging
from policies.rules.base import Guardrail, GuardrailResourcePolicy, GuardrailStackPolicy

ALL_POLICIES: list[Guardrail] = [
    *network.POLICIES,
    *ecr.POLICIES,
    *ecs.POLICIES,
    *elb.POLICIES,
    *iam.POLICIES,
    *logs.POLICIES,
    *tagging.POLICIES,
]
"""Every guardrail, in the order the pack registers them."""


def policy_named(name: str) -> Guardrail:
    """The guardrail called ``name``; ``KeyError`` naming the known ones otherwise."""
    for policy in ALL_POLICIES:
        if policy.name == name:
            return policy
    known = ", ".join(p.name for p in ALL_POLICIES)
    raise KeyError(f"unknown policy {name!r}; known: {known}")


__all__ = ["ALL_POLICIES", "GuardrailResourcePolicy", "GuardrailStackPolicy", "policy_named"]
