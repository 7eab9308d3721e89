"""Semantics of individual resource rules beyond the compliant/violating/unknown triple:
AWS defaults for absent properties, config knobs, prod-only requirements, message contents."""

from __future__ import annotations

import json

import pytest

from .helpers import US, resource_violations
from .test_resource_rules import (
    CLUSTER,
    INGRESS,
    LB,
    LISTENER,
    LOG_GROUP,
    REPO,
    SERVICE,
    SG,
    TASK,
    VPC,
    containers,
    document,
)

LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


# --- absent properties follow the AWS default, which decides compliance


@pytest.mark.parametrize(
    ("policy", "type_", "props", "expected"),
    [
        ("ecr-immutable-tags", REPO, {}, "imageTagMutability is MUTABLE"),
        ("ecr-scan-on-push", REPO, {}, "scanOnPush is not true"),
        ("alb-drop-invalid-headers", LB, {}, "dropInvalidHeaderFields is not true"),
        ("ecs-cluster-container-insights", CLUSTER, {}, "containerInsights is not set"),
        ("ecs-service-circuit-breaker", SERVICE, {}, "is not enabled"),
        ("log-group-retention", LOG_GROUP, {"retentionInDays": 0}, "never expire"),
        ("alb-tls-policy", LISTENER, {"protocol": "HTTPS"}, "has no sslPolicy"),
    ],
)
def test_absent_property_with_a_non_compliant_aws_default_is_reported(
    policy, type_, props, expected
) -> None:
    messages = resource_violations(policy, type_, props)
    assert len(messages) == 1 and expected in messages[0]


@pytest.mark.parametrize(
    ("policy", "type_"),
    [
        ("ecs-service-no-public-ip", SERVICE),
        ("ecs-service-latest-platform", SERVICE),
        ("alb-desync-mitigation", LB),
        ("subnet-no-public-ip-on-launch", "aws:ec2/subnet:Subnet"),
    ],
)
def test_absent_property_with_a_compliant_aws_default_passes(policy, type_) -> None:
    assert resource_violations(policy, type_, {}) == []


# --- ECS


def test_readonly_root_filesystem_is_not_required_outside_prod_by_default() -> None:
    props = {"containerDefinitions": containers(readonlyRootFilesystem=False)}
    assert resource_violations("ecs-readonly-root-filesystem", TASK, props) == []
    assert resource_violations("ecs-readonly-root-filesystem", TASK, props, {"onlyInProd": False})


def test_readonly_root_filesystem_absent_is_writable_in_prod() -> None:
    props = {"containerDefinitions": containers()}
    assert resource_violations("ecs-readonly-root-filesystem", TASK, props, {"prod": True})


def test_plaintext_secret_message_never_contains_the_value() -> None:
    props = {
        "containerDefinitions": containers(environment=[{"name": "API_KEY", "value": "s3cr3t"}])
    }
    (message,) = resource_violations("ecs-no-plaintext-secrets", TASK, props)
    assert "API_KEY" in message and "s3cr3t" not in message


@pytest.mark.parametrize(
    "name", ["db_password", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "STRIPE_APIKEY", "CREDENTIALS"]
)
def test_plaintext_secret_names_match_case_insensitively(name) -> None:
    props = {"containerDefinitions": containers(environment=[{"name": name, "value": "v"}])}
    assert resource_violations("ecs-no-plaintext-secrets", TASK, props)


def test_plaintext_secret_patterns_are_configurable_and_empty_values_pass() -> None:
    props = {
        "containerDefinitions": containers(
            environment=[
                {"name": "SIGNING_SALT", "value": "v"},
                {"name": "DB_PASSWORD", "value": ""},
            ]
        )
    }
    assert resource_violations("ecs-no-plaintext-secrets", TASK, props) == []
    config = {"secretNamePatterns": ["SALT"]}
    assert len(resource_violations("ecs-no-plaintext-secrets", TASK, props, config)) == 1


def test_every_container_is_checked() -> None:
    definitions = json.dumps(
        [{"name": "app", "privileged": False}, {"name": "sidecar", "privileged": True}]
    )
    messages = resource_violations(
        "ecs-container-not-privileged", TASK, {"containerDefinitions": definitions}
    )
    assert messages == ["container 'sidecar' runs privileged."]


def test_circuit_breaker_without_rollback_is_reported() -> None:
    props = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    assert resource_violations("ecs-service-circuit-breaker", SERVICE, props) == [
        "deploymentCircuitBreaker.rollback is false: a failed deployment is not rolled back."
    ]


def test_circuit_breaker_is_not_required_for_external_deployment_controllers() -> None:
    props = {"deploymentController": {"type": "CODE_DEPLOY"}}
    assert resource_violations("ecs-service-circuit-breaker", SERVICE, props) == []


# --- ALB


def test_deletion_protection_is_not_required_outside_prod() -> None:
    assert (
        resource_violations("alb-deletion-protection", LB, {"enableDeletionProtection": False})
        == []
    )


def test_tls_policy_allow_list_is_configurable() -> None:
    props = {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"}
    config = {"allowedSslPolicies": ["ELBSecurityPolicy-TLS13-1-3-2021-06"]}
    (message,) = resource_violations("alb-tls-policy", LISTENER, props, config)
    assert "use one of: ELBSecurityPolicy-TLS13-1-3-2021-06" in message


def test_tls_policy_does_not_apply_to_http_listeners() -> None:
    assert resource_violations("alb-tls-policy", LISTENER, {"protocol": "HTTP", "port": 80}) == []


def test_network_load_balancers_are_not_judged_on_alb_only_settings() -> None:
    props = {"loadBalancerType": "network", "dropInvalidHeaderFields": False}
    assert resource_violations("alb-drop-invalid-headers", LB, props) == []


# --- security groups


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443, "cidrIpv4": "0.0.0.0/0"},
            "[FSBP EC2.18] rule: port 8443 open to 0.0.0.0/0; only 80, 443 may be open",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv6": "::/0"},
            "[FSBP EC2.19] rule: port 5432 open to ::/0 includes high-risk port(s) 5432.",
        ),
        (
            {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
            "[FSBP EC2.19] rule: all ports open to 0.0.0.0/0 includes high-risk port(s)",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 1, "toPort": 1000, "cidrIpv4": "0.0.0.0/0"},
            "[FSBP EC2.19] rule: ports 1-1000 open to 0.0.0.0/0 includes high-risk port(s) 20, 21",
        ),
    ],
)
def test_world_open_ports_name_the_control(rule, expected) -> None:
    (message,) = resource_violations("sg-world-open-ports", INGRESS, rule)
    assert message.startswith(expected)


def test_world_open_ports_from_a_private_cidr_pass() -> None:
    rule = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "10.0.0.0/8"}
    assert resource_violations("sg-world-open-ports", INGRESS, rule) == []


def test_world_open_ports_authorized_list_is_configurable() -> None:
    rule = {"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "0.0.0.0/0"}
    config = {"authorizedWorldPorts": [443]}
    (message,) = resource_violations("sg-world-open-ports", INGRESS, rule, config)
    assert "[FSBP EC2.18]" in message


def test_world_open_ports_inline_and_legacy_rules_are_checked() -> None:
    inline = {
        "description": "d",
        "ingress": [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
            {"protocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrBlocks": ["0.0.0.0/0"]},
        ],
    }
    (message,) = resource_violations("sg-world-open-ports", SG, inline)
    assert message.startswith("[FSBP EC2.19] ingress[1]: port 3389")
    legacy = {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert resource_violations("sg-world-open-ports", LEGACY_RULE, legacy)
    assert (
        resource_violations("sg-world-open-ports", LEGACY_RULE, {**legacy, "type": "egress"}) == []
    )


def test_icmp_from_the_world_is_not_a_port_violation() -> None:
    rule = {"ipProtocol": "icmp", "fromPort": 8, "toPort": 0, "cidrIpv4": "0.0.0.0/0"}
    assert resource_violations("sg-world-open-ports", INGRESS, rule) == []


def test_security_group_inline_rules_need_descriptions() -> None:
    props = {"description": "tasks", "egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]}
    assert resource_violations("sg-descriptions", SG, props) == ["egress[0] has no description."]


# --- IAM


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            "[FSBP IAM.21] policy statement 0 allows service-wide wildcards: s3:*.",
        ),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            "[CKV_AWS_355] policy statement 0 grants s3:GetObject on every resource (*)",
        ),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"},
            "[FSBP IAM.1] policy statement 0 allows NotAction",
        ),
    ],
)
def test_wildcard_statements_name_the_control(statement, expected) -> None:
    (message,) = resource_violations(
        "iam-no-wildcards", "aws:iam/policy:Policy", {"policy": document(statement)}
    )
    assert message.startswith(expected)


def test_wildcard_resource_is_allowed_for_actions_without_resource_level_permissions() -> None:
    statement = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    props = {"policy": document(statement)}
    assert resource_violations("iam-no-wildcards", "aws:iam/rolePolicy:RolePolicy", props) == []


def test_deny_statements_may_use_wildcards() -> None:
    props = {"policy": document({"Effect": "Deny", "Action": "*", "Resource": "*"})}
    assert resource_violations("iam-no-wildcards", "aws:iam/rolePolicy:RolePolicy", props) == []


def test_role_inline_policies_and_admin_attachments_are_checked() -> None:
    inline = {
        "inlinePolicies": [{"name": "app", "policy": document({"Action": "*", "Resource": "*"})}]
    }
    messages = resource_violations("iam-no-wildcards", ROLE, inline)
    assert messages[0].startswith("[FSBP IAM.1] inline policy app statement 0 allows every action")
    admin = {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "role": "r"}
    assert resource_violations("iam-no-wildcards", ATTACHMENT, admin) == [
        "[FSBP IAM.1] attaches the AWS managed policy AdministratorAccess."
    ]
    execution = {
        "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    }
    assert resource_violations("iam-no-wildcards", ATTACHMENT, execution) == []


def test_policy_that_is_not_json_is_reported() -> None:
    (message,) = resource_violations(
        "iam-no-wildcards", "aws:iam/policy:Policy", {"policy": "{oops"}
    )
    assert message.startswith("policy is not valid JSON")


# --- logs and tags


def test_prod_log_retention_must_reach_the_minimum() -> None:
    assert resource_violations("log-group-retention", LOG_GROUP, {"retentionInDays": 30}) == []
    (message,) = resource_violations(
        "log-group-retention", LOG_GROUP, {"retentionInDays": 30}, {"prod": True}
    )
    assert message == "retentionInDays is 30; production keeps logs at least 365 days."
    assert (
        resource_violations(
            "log-group-retention", LOG_GROUP, {"retentionInDays": 400}, {"prod": True}
        )
        == []
    )


def test_required_tags_come_from_config_and_need_a_value() -> None:
    props = {"tags": {"app": "web", "stack": "dev", "managed-by": "fargate-app", "owner": " "}}
    assert resource_violations("required-tags", VPC, props) == []
    (message,) = resource_violations("required-tags", VPC, props, {"requiredTags": ["owner"]})
    assert message == "missing required tag(s): owner."


def test_required_tags_accept_provider_default_tags_and_skip_non_taggable_types() -> None:
    assert (
        resource_violations(
            "required-tags",
            VPC,
            {"tags": {}, "tagsAll": {"app": "a", "stack": "s", "managed-by": "m"}},
        )
        == []
    )
    assert resource_violations("required-tags", VPC, {"tags": {}, "tagsAll": US}) == []
    assert resource_violations("required-tags", "aws:ec2/route:Route", {}) == []
    assert resource_violations("required-tags", "fargate-app:index:FargateApp", {}) == []
