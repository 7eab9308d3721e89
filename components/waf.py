"""The WAFv2 web ACL that guards an internet-facing load balancer (FSBP ELB.16, CKV2_AWS_28).

Rules, in evaluation order: a rate-based rule blocking an IP past ``rate_limit`` requests per
5 minutes (cheapest first, so a flood never reaches the managed rules), AWS's managed common rule
set (OWASP-style protections; its ``SizeRestrictions_BODY`` rule blocks request bodies over
8 KB) and its known-bad-inputs rule group. Every rule and the ACL publish CloudWatch metrics and
sampled requests.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .name_rules import WEB_ACL
from .naming import ecs_name, fit
from .settings import WafSettings

RATE_WINDOW_SECONDS = 300
"""The rate-based rule's evaluation window: the 5 minutes ``rate_limit`` counts over."""

MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
"""AWS's managed rule groups the web ACL runs (vendor ``AWS``), after the rate limit."""

RATE_RULE = "rate-limit-per-ip"


def _visibility(metric_name: str) -> dict[str, Any]:
    return {
        "cloudwatch_metrics_enabled": True,
        "sampled_requests_enabled": True,
        "metric_name": metric_name,
    }


def web_acl_rules(rate_limit: int) -> list[dict[str, Any]]:
    """The rate-based rule, then the managed rule groups, with priorities in that order."""
    rules: list[dict[str, Any]] = [
        {
            "name": RATE_RULE,
            "priority": 0,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": RATE_WINDOW_SECONDS,
                }
            },
            "visibility_config": _visibility(RATE_RULE),
        }
    ]
    for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        rules.append(
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {
                    "managed_rule_group_statement": {"vendor_name": "AWS", "name": group}
                },
                "visibility_config": _visibility(group),
            }
        )
    return rules


def web_acl(
    name: str, settings: WafSettings, tags: dict[str, str], opts: pulumi.ResourceOptions
) -> aws.wafv2.WebAcl:
    """A REGIONAL web ACL allowing by default what no rule blocks."""
    acl_name = fit(WEB_ACL, ecs_name(name))
    return aws.wafv2.WebAcl(
        f"{name}-waf",
        name=acl_name,
        scope="REGIONAL",
        description="AWS managed rules and a per-IP rate limit in front of the load balancer",
        default_action={"allow": {}},
        rules=web_acl_rules(settings.rate_limit),
        visibility_config=_visibility(acl_name),
        tags=tags,
        opts=opts,
    )
