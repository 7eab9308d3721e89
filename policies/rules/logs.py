"""CloudWatch Logs guardrails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.rules.base import PROD_CONFIG, GuardrailResourcePolicy
from policies.rules.props import get, is_unknown

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _retention(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    days = get(props, "retentionInDays", 0)
    if is_unknown(days):
        return
    if not days:
        yield "retentionInDays is not set: the logs never expire."
        return
    minimum = int(config.get("prodMinimumDays") or 0)
    if config.get("prod", False) and int(days) < minimum:
        yield f"retentionInDays is {days}; production keeps logs at least {minimum} days."


POLICIES = [
    GuardrailResourcePolicy(
        name="log-group-retention",
        controls=("CKV_AWS_66", "CKV_AWS_338", "FSBP CloudWatch.16"),
        description="Log groups must set a retention (never 'never expire'); in production at "
        "least `prodMinimumDays`.",
        resource_types=[LOG_GROUP],
        check=_retention,
        config={
            **PROD_CONFIG,
            "prodMinimumDays": {
                "type": "integer",
                "default": 365,
                "description": "Least retention in days when `prod` is true (CloudWatch.16: 365).",
            },
        },
    ),
]

__all__ = ["POLICIES"]
