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


def _kms_in_prod(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not config.get("prod", False):
        return
    key = get(props, "kmsKeyId")
    if not is_unknown(key) and not key:
        yield (
            "kmsKeyId is not set in production: the log group is not encrypted with a "
            "customer-managed KMS key (FargateApp: kms_encryption or kms_key_arn)."
        )


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
    GuardrailResourcePolicy(
        name="log-group-kms-in-prod",
        controls=("CKV_AWS_158",),
        description="In production, log groups must be encrypted with a customer-managed KMS key "
        "(prowler cloudwatch_log_group_kms_encryption_enabled).",
        resource_types=[LOG_GROUP],
        check=_kms_in_prod,
        config=PROD_CONFIG,
    ),
]

__all__ = ["POLICIES"]
