"""Every resource policy: a compliant resource, a violating one and an unknown-at-preview one,
with the args built the way the engine builds them (camelCase props in the unknown proxy)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies.rules import ALL_POLICIES, GuardrailResourcePolicy

from .helpers import UB, UN, UO, US, resource_violations

SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"
REPO = "aws:ecr/repository:Repository"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
VPC = "aws:ec2/vpc:Vpc"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
ROUTE_TO_WEB = [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/web"}]
TAGS = {"app": "web", "stack": "dev", "managed-by": "fargate-app"}
PROD = {"prod": True}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def containers(**fields: Any) -> str:
    """A task's containerDefinitions JSON string with one container ``app``."""
    return json.dumps([{"name": "app", "image": "nginx:1.27", **fields}])


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Case:
    policy: str
    type_: str
    compliant: dict[str, Any]
    violating: dict[str, Any]
    unknown: dict[str, Any]
    expect: str
    """A substring of the violation message (the control ID where the rule names one)."""
    config: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "alb-listener-rule-routes",
        LISTENER_RULE,
        {"conditions": [{"pathPattern": {"values": ["/api/*"]}}], "actions": ROUTE_TO_WEB},
        {"conditions": [], "actions": ROUTE_TO_WEB},
        {"conditions": US, "actions": US},
        "listener rule has no condition",
    ),
    Case(
        "ecs-service-no-public-ip",
        SERVICE,
        {"networkConfiguration": {"assignPublicIp": False, "subnets": ["subnet-1"]}},
        {"networkConfiguration": {"assignPublicIp": True, "subnets": ["subnet-1"]}},
        {"networkConfiguration": {"assignPublicIp": UB, "subnets": [US]}},
        "assignPublicIp is true",
    ),
    Case(
        "ecs-container-not-privileged",
        TASK,
        {"containerDefinitions": containers(privileged=False)},
        {"containerDefinitions": containers(privileged=True)},
        {"containerDefinitions": US},
        "'app' runs privileged",
    ),
    Case(
        "ecs-readonly-root-filesystem",
        TASK,
        {"containerDefinitions": containers(readonlyRootFilesystem=True)},
        {"containerDefinitions": containers(readonlyRootFilesystem=False)},
        {"containerDefinitions": US},
        "writable root filesystem",
        PROD,
    ),
    Case(
        "ecs-no-plaintext-secrets",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[{"name": "LOG_LEVEL", "value": "info"}],
                secrets=[
                    {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/p"}
                ],
            )
        },
        {"containerDefinitions": containers(environment=[{"name": "DB_PASSWORD", "value": "x1"}])},
        {"containerDefinitions": US},
        "sets DB_PASSWORD as a plain environment variable",
    ),
    Case(
        "ecs-container-logging",
        TASK,
        {"containerDefinitions": containers(logConfiguration={"logDriver": "awslogs"})},
        {"containerDefinitions": containers()},
        {"containerDefinitions": US},
        "has no logConfiguration",
    ),
    Case(
        "ecs-service-latest-platform",
        SERVICE,
        {"platformVersion": "LATEST"},
        {"platformVersion": "1.3.0"},
        {"platformVersion": US},
        "platformVersion is '1.3.0'",
    ),
    Case(
        "ecs-exec-off-in-prod",
        SERVICE,
        {"enableExecuteCommand": False},
        {"enableExecuteCommand": True},
        {"enableExecuteCommand": UB},
        "enableExecuteCommand is true in production",
        PROD,
    ),
    Case(
        "ecs-cluster-container-insights",
        CLUSTER,
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
        {"settings": [{"name": "containerInsights", "value": "disabled"}]},
        {"settings": [{"name": "containerInsights", "value": US}]},
        "containerInsights is disabled",
    ),
    Case(
        "ecs-service-circuit-breaker",
        SERVICE,
        {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        {"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
        {"deploymentCircuitBreaker": {"enable": UB, "rollback": True}},
        "deploymentCircuitBreaker is not enabled",
    ),
    Case(
        "ecr-scan-on-push",
        REPO,
        {"imageScanningConfiguration": {"scanOnPush": True}},
        {"imageScanningConfiguration": {"scanOnPush": False}},
        {"imageScanningConfiguration": {"scanOnPush": UB}},
        "scanOnPush is not true",
    ),
    Case(
        "ecr-immutable-tags",
        REPO,
        {"imageTagMutability": "IMMUTABLE"},
        {"imageTagMutability": "MUTABLE"},
        {"imageTagMutability": US},
        "imageTagMutability is MUTABLE",
    ),
    Case(
        "alb-drop-invalid-headers",
        LB,
        {"loadBalancerType": "application", "dropInvalidHeaderFields": True},
        {"loadBalancerType": "application", "dropInvalidHeaderFields": False},
        {"loadBalancerType": "application", "dropInvalidHeaderFields": UB},
        "dropInvalidHeaderFields is not true",
    ),
    Case(
        "alb-access-logs",
        LB,
        {"accessLogs": {"bucket": "logs", "enabled": True}},
        {"internal": False},
        {"accessLogs": {"bucket": US, "enabled": True}},
        "access logs are off",
    ),
    Case(
        "alb-access-logs-in-prod",
        LB,
        {"accessLogs": {"bucket": "logs", "enabled": True}},
        {"accessLogs": {"bucket": "logs", "enabled": False}},
        {"accessLogs": {"bucket": "logs", "enabled": UB}},
        "access logs are off (FargateApp: load_balancer.access_logs",
        PROD,
    ),
    Case(
        "log-group-kms-in-prod",
        LOG_GROUP,
        {"retentionInDays": 365, "kmsKeyId": KEY_ARN},
        {"retentionInDays": 365},
        {"retentionInDays": 365, "kmsKeyId": US},
        "kmsKeyId is not set in production",
        PROD,
    ),
    Case(
        "ecr-kms-in-prod",
        REPO,
        {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]},
        {"encryptionConfigurations": [{"encryptionType": "AES256"}]},
        {"encryptionConfigurations": [{"encryptionType": US}]},
        "encryptionType is AES256 in production; use KMS",
        PROD,
    ),
    Case(
        "alb-deletion-protection",
        LB,
        {"enableDeletionProtection": True},
        {"enableDeletionProtection": False},
        {"enableDeletionProtection": UB},
        "enableDeletionProtection is not true in production",
        PROD,
    ),
    Case(
        "alb-desync-mitigation",
        LB,
        {"desyncMitigationMode": "defensive"},
        {"desyncMitigationMode": "monitor"},
        {"desyncMitigationMode": US},
        "desyncMitigationMode is 'monitor'",
    ),
    Case(
        "alb-tls-policy",
        LISTENER,
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"},
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-2016-08"},
        {"protocol": "HTTPS", "port": 443, "sslPolicy": US},
        "sslPolicy ELBSecurityPolicy-2016-08 is not allowed",
    ),
    Case(
        "subnet-no-public-ip-on-launch",
        SUBNET,
        {"mapPublicIpOnLaunch": False},
        {"mapPublicIpOnLaunch": True},
        {"mapPublicIpOnLaunch": UB},
        "mapPublicIpOnLaunch is true",
    ),
    Case(
        "sg-world-open-ports",
        INGRESS,
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": US},
        "[FSBP EC2.19] rule: port 22 open to 0.0.0.0/0",
    ),
    Case(
        "sg-world-ingress",
        INGRESS,
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.0.0/16"},
        {"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "0.0.0.0/0"},
        {"ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": US},
        "port 80 open to 0.0.0.0/0",
    ),
    Case(
        "sg-descriptions",
        SG,
        {"description": "ALB of web", "ingress": [{"description": "HTTPS", "protocol": "tcp"}]},
        {"description": "Managed by Pulumi"},
        {"description": US, "ingress": UO},
        "no description of its own",
    ),
    Case(
        "sg-rule-descriptions",
        INGRESS,
        {"description": "Listener port 80", "ipProtocol": "tcp"},
        {"ipProtocol": "tcp"},
        {"description": US, "ipProtocol": "tcp"},
        "rule has no description",
    ),
    Case(
        "iam-no-wildcards",
        ROLE_POLICY,
        {
            "policy": document(
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC"],
                }
            )
        },
        {"policy": document({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"})},
        {"policy": US},
        "[FSBP IAM.1] policy statement 0 allows every action (*)",
    ),
    Case(
        "log-group-retention",
        LOG_GROUP,
        {"retentionInDays": 7},
        {"name": "/ecs/web"},
        {"retentionInDays": UN},
        "the logs never expire",
    ),
    Case(
        "required-tags",
        VPC,
        {"cidrBlock": "10.0.0.0/16", "tags": TAGS},
        {"cidrBlock": "10.0.0.0/16", "tags": {"app": "web"}},
        {"cidrBlock": "10.0.0.0/16", "tags": UO},
        "missing required tag(s): stack, managed-by",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_compliant_resource_passes(case: Case) -> None:
    assert resource_violations(case.policy, case.type_, case.compliant, case.config) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_violating_resource_is_reported(case: Case) -> None:
    messages = resource_violations(case.policy, case.type_, case.violating, case.config)
    assert len(messages) == 1, messages
    assert case.expect in messages[0]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_unknown_at_preview_is_no_violation(case: Case) -> None:
    assert resource_violations(case.policy, case.type_, case.unknown, case.config) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_other_resource_types_are_ignored(case: Case) -> None:
    other = "aws:s3/bucketPolicy:BucketPolicy"  # not taggable, not inspected by any rule
    assert resource_violations(case.policy, other, case.violating, case.config) == []


def test_listener_rule_forwarding_nowhere_or_over_the_value_limit_is_reported() -> None:
    nowhere = resource_violations(
        "alb-listener-rule-routes",
        LISTENER_RULE,
        {"conditions": [{"pathPattern": {"values": ["/*"]}}], "actions": [{"type": "forward"}]},
    )
    assert nowhere == ["listener rule action 0 forwards to no target group."]
    too_many = resource_violations(
        "alb-listener-rule-routes",
        LISTENER_RULE,
        {
            "conditions": [
                {"pathPattern": {"values": ["/a", "/b", "/c"]}},
                {"hostHeader": {"values": ["a.example.com", "b.example.com", "c.example.com"]}},
            ],
            "actions": ROUTE_TO_WEB,
        },
    )
    assert too_many == ["listener rule matches 6 condition values; AWS allows at most 5 per rule."]
    weighted = resource_violations(
        "alb-listener-rule-routes",
        LISTENER_RULE,
        {
            "conditions": [{"pathPattern": {"values": ["/*"]}}],
            "actions": [{"type": "forward", "forward": {"targetGroups": [{"arn": "arn:tg"}]}}],
        },
    )
    assert weighted == []


def test_every_resource_policy_has_a_case() -> None:
    resource_policies = {p.name for p in ALL_POLICIES if isinstance(p, GuardrailResourcePolicy)}
    assert resource_policies == {case.policy for case in CASES}


def test_the_flow_log_role_policy_passes_the_wildcard_rule():
    from components.iam_documents import flow_log_write_policy

    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/web-prod/flow-logs"
    policy = flow_log_write_policy(arn)
    assert resource_violations("iam-no-wildcards", ROLE_POLICY, {"policy": policy}) == []
    # The same actions on every resource would be flagged: the rule does look at this document.
    star = json.dumps({"Statement": [{**json.loads(policy)["Statement"][1], "Resource": "*"}]})
    assert resource_violations("iam-no-wildcards", ROLE_POLICY, {"policy": star}) != []


@pytest.mark.parametrize(
    "policy", ["alb-access-logs-in-prod", "log-group-kms-in-prod", "ecr-kms-in-prod"]
)
def test_prod_only_rules_are_silent_outside_prod(policy):
    (case,) = [case for case in CASES if case.policy == policy]
    assert resource_violations(policy, case.type_, case.violating) == []


def test_the_execution_policy_passes_the_wildcard_rule_and_a_wider_one_does_not():
    from components.iam_documents import execution_policy

    repository = "arn:aws:ecr:us-east-1:123456789012:repository/web-prod"
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web-prod"
    policy = execution_policy([repository], log_group)
    assert resource_violations("iam-no-wildcards", ROLE_POLICY, {"policy": policy}) == []
    wider = policy.replace(f'["{repository}"]', '"*"')
    assert resource_violations("iam-no-wildcards", ROLE_POLICY, {"policy": wider}) == [
        "[CKV_AWS_355] policy statement PullTheTasksImages grants "
        "ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer, ecr:BatchGetImage on every "
        "resource (*); scope it to exact ARNs."
    ]
