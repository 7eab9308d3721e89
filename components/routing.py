"""Routing on a shared platform's load balancer: AWS's limits on listener rules (one home for
validation, docs and the policy pack) and the listener rule an app adds.

Limits from the ELB User Guide ("Condition types for listener rules", "Add a listener rule"):
up to 3 match values per condition and 5 per rule; host headers and path patterns of at most
128 characters from fixed alphabets; priorities 1 to 50000.
"""

from __future__ import annotations

import re
from typing import Optional

import pulumi
import pulumi_aws as aws

from .settings import RoutingSettings

RULE_PRIORITY_RANGE = (1, 50000)
MAX_VALUES_PER_CONDITION = 3
MAX_VALUES_PER_RULE = 5
CONDITION_VALUE_MAX = 128

#: Letters, digits, ``-_.`` and the wildcards; at least one ``.``; only letters after the last.
HOST_HEADER = re.compile(r"^[A-Za-z0-9_.*?-]*\.[A-Za-z]+$")
HOST_HEADER_TEXT = (
    "letters, digits, - _ . and the wildcards * ?, with a '.' and only letters after the last '.'"
)
#: Case-sensitive; ``&`` as AWS writes it in patterns (``&amp;`` in XML) is a plain ``&`` here.
PATH_PATTERN = re.compile(r"""^[A-Za-z0-9_\-.$/~"'@:+&*?]+$""")
PATH_PATTERN_TEXT = "letters, digits, _ - . $ / ~ \" ' @ : + & and the wildcards * ?"


def rule_conditions(routing: RoutingSettings) -> list[dict[str, object]]:
    """The listener rule's conditions: one per kind given (host headers, path patterns)."""
    conditions: list[dict[str, object]] = []
    if routing.host_headers:
        conditions.append({"host_header": {"values": list(routing.host_headers)}})
    if routing.path_patterns:
        conditions.append({"path_pattern": {"values": list(routing.path_patterns)}})
    return conditions


def listener_rule(
    name: str,
    routing: RoutingSettings,
    listener_arn: pulumi.Input[str],
    target_group_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: Optional[pulumi.ResourceOptions] = None,
) -> aws.lb.ListenerRule:
    """Forward the requests ``routing`` matches on ``listener_arn`` to ``target_group_arn``."""
    return aws.lb.ListenerRule(
        f"{name}-rule",
        listener_arn=listener_arn,
        priority=routing.priority,
        conditions=rule_conditions(routing),
        actions=[{"type": "forward", "target_group_arn": target_group_arn}],
        tags=tags,
        opts=opts,
    )
