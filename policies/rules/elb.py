"""Application Load Balancer guardrails: the load balancer itself and its listeners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel

from components.fargate_limits import COMPLIANT_SSL_POLICIES
from components.routing import MAX_VALUES_PER_RULE
from policies.rules.base import (
    PROD_CONFIG,
    GuardrailResourcePolicy,
    GuardrailStackPolicy,
    Node,
    StackView,
)
from policies.rules.props import get, is_unknown, truthy

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
#: Condition blocks of a listener rule whose ``values`` count towards AWS's per-rule limit.
CONDITION_VALUE_BLOCKS = ("hostHeader", "pathPattern", "httpRequestMethod", "sourceIp")

DEFAULT_ALLOWED_SSL_POLICIES = list(COMPLIANT_SSL_POLICIES)
"""The component's list (one home): pass FSBP ELB.17 and checkov CKV_AWS_103; the first also
passes CKV2_AWS_74."""

DESYNC_MODES = ("defensive", "strictest")


def _is_application(props: dict[str, Any]) -> bool:
    kind = get(props, "loadBalancerType", "application")
    return not is_unknown(kind) and kind == "application"


def _drop_invalid_headers(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not _is_application(props):
        return
    drop = truthy(get(props, "dropInvalidHeaderFields", False))
    if not is_unknown(drop) and not drop:
        yield "dropInvalidHeaderFields is not true: malformed HTTP headers reach the targets."


def _access_logs(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    enabled = truthy(get(props, "accessLogs.enabled", False))
    bucket = get(props, "accessLogs.bucket")
    if is_unknown(enabled) or is_unknown(bucket):
        return
    if not (enabled and bucket):
        yield (
            "access logs are off (FargateApp: load_balancer.access_logs, or "
            "load_balancer.access_logs_bucket to bring a bucket)."
        )


def _access_logs_in_prod(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if config.get("prod", False):
        yield from _access_logs(props, config)


def _waf_in_prod(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    if not config.get("prod", False):
        return
    guarded: set[str] = set()
    undecidable = False
    for association in stack.of_type(WEB_ACL_ASSOCIATION):
        ref = stack.refs(
            association, "resourceArn", association.get("resourceArn"), *LOAD_BALANCERS
        )
        undecidable = undecidable or ref.unresolved
        guarded |= ref.urns
    for alb in stack.of_type(*LOAD_BALANCERS):
        internal = truthy(alb.get("internal", False))
        if not _is_application(alb.props) or is_unknown(internal) or internal:
            continue
        if alb.urn not in guarded and not undecidable:
            yield (
                f"internet-facing load balancer {alb.name!r} has no WAF web ACL in production "
                "(FargateApp: waf.enabled, or waf.web_acl_arn to bring one).",
                alb.urn,
            )


def _deletion_protection(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not config.get("prod", False):
        return
    protected = truthy(get(props, "enableDeletionProtection", False))
    if not is_unknown(protected) and not protected:
        yield "enableDeletionProtection is not true in production."


def _desync_mitigation(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not _is_application(props):
        return
    mode = get(props, "desyncMitigationMode", "defensive")  # AWS default: defensive
    if not is_unknown(mode) and mode not in DESYNC_MODES:
        yield f"desyncMitigationMode is {mode!r}; use defensive or strictest."


def _tls_policy(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    protocol = get(props, "protocol")
    if is_unknown(protocol) or protocol not in ("HTTPS", "TLS"):
        return
    allowed = config.get("allowedSslPolicies") or DEFAULT_ALLOWED_SSL_POLICIES
    policy = get(props, "sslPolicy")
    if is_unknown(policy):
        return
    if policy is None:
        yield (
            f"{protocol} listener has no sslPolicy, so AWS picks its current default; pin one of: "
            f"{', '.join(allowed)}."
        )
    elif policy not in allowed:
        yield f"sslPolicy {policy} is not allowed; use one of: {', '.join(allowed)}."


def _http_redirects(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    by_alb: dict[str, list[Node]] = {}
    for listener in stack.of_type(*LISTENERS):
        ref = stack.refs(
            listener, "loadBalancerArn", listener.get("loadBalancerArn"), *LOAD_BALANCERS
        )
        for alb in ref.nodes:
            by_alb.setdefault(alb.urn, []).append(listener)
    for alb in stack.of_type(*LOAD_BALANCERS):
        if not _is_application(alb.props):
            continue
        listeners = by_alb.get(alb.urn, [])
        protocols = [listener.get("protocol", "HTTP") for listener in listeners]
        if any(is_unknown(protocol) for protocol in protocols):
            continue
        if "HTTPS" in protocols:
            for listener, protocol in zip(listeners, protocols, strict=True):
                if protocol == "HTTP" and not _only_redirects_to_https(listener):
                    yield (
                        f"HTTP listener {listener.name!r} does not only redirect to HTTPS although "
                        "the load balancer has an HTTPS listener.",
                        listener.urn,
                    )
        elif config.get("prod", False) and listeners:
            internal = truthy(alb.get("internal", False))
            if not is_unknown(internal) and not internal:
                yield (
                    f"internet-facing load balancer {alb.name!r} has no HTTPS listener in "
                    "production (FargateApp: load_balancer.certificate_arn).",
                    alb.urn,
                )


def _only_redirects_to_https(listener: Node) -> bool:
    actions = listener.get("defaultActions", [])
    if is_unknown(actions):
        return True  # cannot judge at preview
    if not actions:
        return False
    for action in actions:
        if is_unknown(action):
            return True
        if get(action, "type") != "redirect":
            return False
        protocol = get(action, "redirect.protocol")
        if not is_unknown(protocol) and protocol != "HTTPS":
            return False
    return True


def _listener_rule(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    conditions = get(props, "conditions", [])
    if not is_unknown(conditions):
        if not conditions:
            yield "listener rule has no condition: it would take every request of the listener."
        else:
            yield from _condition_values(conditions)
    actions = get(props, "actions", [])
    if is_unknown(actions):
        return
    for index, action in enumerate(actions or []):
        if is_unknown(action) or get(action, "type") != "forward":
            continue
        target = get(action, "targetGroupArn")
        groups = get(action, "forward.targetGroups", [])
        if is_unknown(target) or is_unknown(groups):
            continue
        if not target and not groups:
            yield f"listener rule action {index} forwards to no target group."


def _condition_values(conditions: list[Any]) -> Iterator[str]:
    total = 0
    for condition in conditions:
        for block in CONDITION_VALUE_BLOCKS:
            values = get(condition, f"{block}.values")
            if is_unknown(values):
                return
            total += len(values or [])
    if total > MAX_VALUES_PER_RULE:
        yield (
            f"listener rule matches {total} condition values; AWS allows at most "
            f"{MAX_VALUES_PER_RULE} per rule."
        )


POLICIES = [
    GuardrailResourcePolicy(
        name="alb-listener-rule-routes",
        controls=("FA.5",),
        description="A listener rule must have at least one condition (within AWS's limit on "
        "condition values) and forward to a target group.",
        resource_types=LISTENER_RULES,
        check=_listener_rule,
    ),
    GuardrailStackPolicy(
        name="alb-http-redirects-to-https",
        controls=("FSBP ELB.1", "CKV_AWS_2"),
        description="With a certificate, the HTTP listener must only redirect to HTTPS; in "
        "production an internet-facing ALB must have an HTTPS listener.",
        check=_http_redirects,
        config=PROD_CONFIG,
    ),
    GuardrailResourcePolicy(
        name="alb-drop-invalid-headers",
        controls=("FSBP ELB.4", "CKV_AWS_131"),
        description="Application Load Balancers must drop invalid HTTP header fields.",
        resource_types=LOAD_BALANCERS,
        check=_drop_invalid_headers,
    ),
    GuardrailResourcePolicy(
        name="alb-access-logs",
        controls=("FSBP ELB.5", "CKV_AWS_91"),
        description="Load balancers should write access logs to S3.",
        resource_types=LOAD_BALANCERS,
        check=_access_logs,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    GuardrailResourcePolicy(
        name="alb-access-logs-in-prod",
        controls=("FSBP ELB.5", "CKV_AWS_91"),
        description="In production, load balancers must write access logs to S3.",
        resource_types=LOAD_BALANCERS,
        check=_access_logs_in_prod,
        config=PROD_CONFIG,
    ),
    GuardrailStackPolicy(
        name="alb-waf-in-prod",
        controls=("FSBP ELB.16", "CKV2_AWS_28"),
        description="In production, an internet-facing Application Load Balancer must be "
        "associated with a WAF web ACL.",
        check=_waf_in_prod,
        config=PROD_CONFIG,
    ),
    GuardrailResourcePolicy(
        name="alb-deletion-protection",
        controls=("FSBP ELB.6", "CKV_AWS_150"),
        description="Load balancers must have deletion protection in production.",
        resource_types=LOAD_BALANCERS,
        check=_deletion_protection,
        config=PROD_CONFIG,
    ),
    GuardrailResourcePolicy(
        name="alb-desync-mitigation",
        controls=("FSBP ELB.12", "CKV_AWS_328"),
        description="Application Load Balancers must use desync mitigation mode defensive or "
        "strictest.",
        resource_types=LOAD_BALANCERS,
        check=_desync_mitigation,
    ),
    GuardrailResourcePolicy(
        name="alb-tls-policy",
        controls=("FSBP ELB.17", "CKV_AWS_103", "CKV2_AWS_74"),
        description="HTTPS and TLS listeners must use an allowed TLS security policy.",
        resource_types=LISTENERS,
        check=_tls_policy,
        config={
            "allowedSslPolicies": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_ALLOWED_SSL_POLICIES,
                "description": "TLS security policies a listener may use.",
            }
        },
    ),
]

__all__ = ["POLICIES"]
