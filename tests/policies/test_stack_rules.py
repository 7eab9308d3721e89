"""Every stack policy: a compliant stack, a violating one and one whose references are unknown at
preview (StackValidationArgs built directly, props proxied like the engine does)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies.rules import ALL_POLICIES, GuardrailStackPolicy

from .helpers import US, res, stack_violations

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/web/1"

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"
ECS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ACCOUNT_TRUST = ECS_TRUST.replace(
    '{"Service": "ecs-tasks.amazonaws.com"}', '{"AWS": "arn:aws:iam::210987654321:root"}'
)
LIFECYCLE_DOC = json.dumps({"rules": [{"rulePriority": 1, "action": {"type": "expire"}}]})
FORWARD = [{"type": "forward", "targetGroupArn": "arn:tg"}]
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}]


def task_network(rule: dict[str, Any], ids_known: bool = True) -> list[tuple]:
    """An ALB, its SG, a load-balanced service with its task SG, and one task ingress rule."""
    alb_sg, task_sg = ("sg-alb", "sg-task") if ids_known else (US, US)
    return [
        res(SG, "alb-sg", {"id": alb_sg, "description": "alb"}),
        res(SG, "task-sg", {"id": task_sg, "description": "tasks"}),
        res(
            LB, "alb", {"arn": ALB_ARN, "securityGroups": [alb_sg]}, {"securityGroups": ["alb-sg"]}
        ),
        res(
            SERVICE,
            "service",
            {
                "loadBalancers": [{"containerPort": 80, "targetGroupArn": "arn:tg"}],
                "networkConfiguration": {"securityGroups": [task_sg], "subnets": ["subnet-1"]},
            },
            {"networkConfiguration": ["task-sg"]},
        ),
        res(
            INGRESS,
            "task-in",
            {
                "securityGroupId": task_sg,
                "ipProtocol": "tcp",
                "fromPort": 80,
                "toPort": 80,
                **rule,
            },
            {
                "securityGroupId": ["task-sg"],
                **(
                    {"referencedSecurityGroupId": ["alb-sg"]}
                    if "referencedSecurityGroupId" in rule
                    else {}
                ),
            },
        ),
    ]


def platform_app(rule: dict[str, Any], platform_group: str = "sg-platform-alb") -> list[tuple]:
    """An app stack deploying into a platform of another stack: its listener rule, service, task
    security group, the platform ALB group's egress rule to it and one task ingress rule."""
    return [
        res(SG, "task-sg", {"id": "sg-task", "description": "tasks"}),
        res(
            LISTENER_RULE,
            "rule",
            {
                "listenerArn": "arn:aws:elasticloadbalancing:listener/app/shared/1/2",
                "conditions": [{"pathPattern": {"values": ["/*"]}}],
                "actions": FORWARD,
            },
        ),
        res(
            SERVICE,
            "service",
            {
                "loadBalancers": [{"containerPort": 80, "targetGroupArn": "arn:tg"}],
                "networkConfiguration": {"securityGroups": ["sg-task"], "subnets": ["subnet-1"]},
            },
            {"networkConfiguration": ["task-sg"]},
        ),
        res(
            EGRESS,
            "alb-to-tasks",
            {
                "securityGroupId": platform_group,
                "referencedSecurityGroupId": "sg-task",
                "ipProtocol": "tcp",
                "fromPort": 80,
                "toPort": 80,
            },
            {"referencedSecurityGroupId": ["task-sg"]},
        ),
        res(
            INGRESS,
            "task-in",
            {
                "securityGroupId": "sg-task",
                "ipProtocol": "tcp",
                "fromPort": 80,
                "toPort": 80,
                **rule,
            },
            {"securityGroupId": ["task-sg"]},
        ),
    ]


def task_roles(execution: str, task: str, trust: str = ECS_TRUST, deps: bool = False) -> list:
    return [
        res(ROLE, "execution", {"arn": "arn:aws:iam::1:role/exec", "assumeRolePolicy": ECS_TRUST}),
        res(ROLE, "task-role", {"arn": "arn:aws:iam::1:role/task", "assumeRolePolicy": trust}),
        res(
            TASK,
            "task",
            {"executionRoleArn": execution, "taskRoleArn": task},
            {"executionRoleArn": ["execution"], "taskRoleArn": ["execution"]} if deps else None,
        ),
    ]


def nacl_network(first_ingress: dict[str, Any], acl_id: Any = "acl-1") -> list[tuple]:
    """A VPC whose default network ACL has ``first_ingress`` before a deny of SSH and RDP and an
    allow-all (IPv4)."""
    ingress = [
        {"ruleNo": 50, **first_ingress},
        *(
            {"ruleNo": 100 + i, "action": "deny", "protocol": "tcp", "fromPort": port}
            | {"toPort": port, "cidrBlock": "0.0.0.0/0"}
            for i, port in enumerate((22, 3389))
        ),
        {"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0}
        | {"cidrBlock": "0.0.0.0/0"},
    ]
    return [
        res(VPC, "vpc", {"id": "vpc-1", "defaultNetworkAclId": "acl-1"}),
        res(DEFAULT_NACL, "default-nacl", {"defaultNetworkAclId": acl_id, "ingress": ingress}),
    ]


INTRA_VPC = {"action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0}
INTRA_VPC |= {"cidrBlock": "10.0.0.0/16"}


def guarded_alb(resource_arn: Any) -> list[tuple]:
    return [
        res(LB, "alb", {"arn": ALB_ARN, "loadBalancerType": "application", "internal": False}),
        res(WAF_ASSOCIATION, "waf", {"resourceArn": resource_arn, "webAclArn": WEB_ACL_ARN}),
    ]


def execution_grants(policy_arn: Any, document: Any = None) -> list[tuple]:
    """Task roles plus, on the execution role (through the engine's dependencies), an
    attachment and an inline policy."""
    inline = document or json.dumps({"Statement": [SCOPED_PULL]})
    return [
        *task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/task"),
        res(
            ATTACHMENT,
            "exec-managed",
            {"role": "exec", "policyArn": policy_arn},
            {"role": ["execution"]},
        ),
        res(
            ROLE_POLICY, "exec-inline", {"role": "exec", "policy": inline}, {"role": ["execution"]}
        ),
    ]


SCOPED_PULL = {
    "Effect": "Allow",
    "Action": ["ecr:BatchGetImage"],
    "Resource": ["arn:aws:ecr:us-east-1:1:repository/web"],
}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
MANAGED_EXECUTION = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def listeners(http_actions: list, with_https: bool = True, alb_arn: str = ALB_ARN) -> list:
    specs = [
        res(LB, "alb", {"arn": ALB_ARN, "loadBalancerType": "application", "internal": False}),
        res(
            LISTENER,
            "http",
            {
                "loadBalancerArn": alb_arn,
                "protocol": "HTTP",
                "port": 80,
                "defaultActions": http_actions,
            },
        ),
    ]
    if with_https:
        specs.append(
            res(
                LISTENER,
                "https",
                {
                    "loadBalancerArn": alb_arn,
                    "protocol": "HTTPS",
                    "port": 443,
                    "defaultActions": FORWARD,
                },
            )
        )
    return specs


@dataclass
class Case:
    policy: str
    compliant: list[tuple]
    violating: list[tuple]
    unknown: list[tuple]
    expect: str
    culprit: str | None
    config: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "ecs-task-ingress-only-from-platform-alb",
        platform_app({"referencedSecurityGroupId": "sg-platform-alb"}),
        platform_app({"referencedSecurityGroupId": "sg-0someoneelse"}),
        platform_app({"referencedSecurityGroupId": "sg-0someoneelse"}, platform_group=US),
        "accepts port 80 from sg-0someoneelse (task-in rule), which is not the load balancer's",
        "task-in",
    ),
    Case(
        "ecs-task-ingress-only-from-alb",
        task_network({"referencedSecurityGroupId": "sg-alb"}),
        task_network({"cidrIpv4": "10.0.0.0/16"}),
        task_network({"cidrIpv4": US}, ids_known=False),
        "accepts port 80 from CIDR 10.0.0.0/16",
        "task-in",
    ),
    Case(
        "ecr-lifecycle-policy",
        [
            res(REPO, "repo", {"name": "web", "arn": "arn:repo"}),
            res(LIFECYCLE, "lifecycle", {"repository": "web", "policy": LIFECYCLE_DOC}),
        ],
        [
            res(REPO, "repo", {"name": "web", "arn": "arn:repo"}),
            res(REPO, "other", {"name": "other", "arn": "arn:other"}),
            res(LIFECYCLE, "lifecycle", {"repository": "other", "policy": LIFECYCLE_DOC}),
        ],
        [
            res(REPO, "repo", {"name": US, "arn": US}),
            res(LIFECYCLE, "lifecycle", {"repository": US, "policy": LIFECYCLE_DOC}),
        ],
        "repository 'repo' has no lifecycle policy",
        "repo",
    ),
    Case(
        "vpc-default-security-group-closed",
        [res(VPC, "vpc", {"id": "vpc-1"}), res(DEFAULT_SG, "default", {"vpcId": "vpc-1"})],
        [res(VPC, "vpc", {"id": "vpc-1"})],
        [res(VPC, "vpc", {"id": US}), res(DEFAULT_SG, "default", {"vpcId": US})],
        "leaves its default security group with AWS's default rules",
        "vpc",
    ),
    Case(
        "vpc-flow-logs",
        [res(VPC, "vpc", {"id": "vpc-1"}), res(FLOW_LOG, "flow", {"vpcId": "vpc-1"})],
        [
            res(VPC, "vpc", {"id": "vpc-1"}),
            res(VPC, "other", {"id": "vpc-2"}),
            res(FLOW_LOG, "flow", {"vpcId": "vpc-2"}),
        ],
        [res(VPC, "vpc", {"id": US}), res(FLOW_LOG, "flow", {"vpcId": US})],
        "VPC 'vpc' has no flow log in production",
        "vpc",
        config={"prod": True},
    ),
    Case(
        "alb-http-redirects-to-https",
        listeners(REDIRECT),
        listeners(FORWARD),
        listeners(FORWARD, alb_arn=US),
        "HTTP listener 'http' does not only redirect to HTTPS",
        "http",
    ),
    Case(
        "iam-distinct-task-roles",
        task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/task"),
        task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/exec"),
        task_roles(US, US),
        "uses the same role as execution role and task role",
        "task",
    ),
    Case(
        "iam-ecs-task-trust",
        task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/task"),
        task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/task", ACCOUNT_TRUST),
        task_roles("arn:aws:iam::1:role/exec", "arn:aws:iam::1:role/task", US),
        "[CKV_AWS_61] role 'task-role' trust statement 0 trusts AWS:arn:aws:iam::210987654321:root",
        "task-role",
    ),
    Case(
        "vpc-default-nacl-no-admin-ports",
        nacl_network(INTRA_VPC),
        nacl_network({**INTRA_VPC, "cidrBlock": "0.0.0.0/0", "protocol": "tcp", "toPort": 22}),
        nacl_network({**INTRA_VPC, "cidrBlock": US}, acl_id=US),
        "network ACL 'default-nacl' admits port 22 from 0.0.0.0/0",
        "default-nacl",
    ),
    Case(
        "alb-waf-in-prod",
        guarded_alb(ALB_ARN),
        guarded_alb("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/2"),
        guarded_alb(US),
        "internet-facing load balancer 'alb' has no WAF web ACL in production",
        "alb",
        {"prod": True},
    ),
    Case(
        "iam-execution-role-scoped",
        execution_grants(READ_ONLY),
        execution_grants(MANAGED_EXECUTION),
        execution_grants(US, US),
        "execution role 'execution' carries AmazonECSTaskExecutionRolePolicy",
        "exec-managed",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_compliant_stack_passes(case: Case) -> None:
    assert stack_violations(case.policy, case.compliant, case.config) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_violating_stack_is_reported_on_the_culprit(case: Case) -> None:
    reported = stack_violations(case.policy, case.violating, case.config)
    assert len(reported) == 1, reported
    message, culprit = reported[0]
    assert case.expect in message
    assert culprit == case.culprit


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_unknown_references_are_no_violation(case: Case) -> None:
    assert stack_violations(case.policy, case.unknown, case.config) == []


def test_platform_app_task_ingress_from_a_cidr_is_reported() -> None:
    reported = stack_violations(
        "ecs-task-ingress-only-from-platform-alb", platform_app({"cidrIpv4": "0.0.0.0/0"})
    )
    assert [culprit for _, culprit in reported] == ["task-in"]
    assert "from CIDR 0.0.0.0/0" in reported[0][0]


def test_platform_rule_leaves_stacks_with_their_own_load_balancer_to_the_alb_rule() -> None:
    specs = task_network({"referencedSecurityGroupId": "sg-alb"})
    specs.append(res(LISTENER_RULE, "rule", {"conditions": [], "actions": FORWARD}))
    assert stack_violations("ecs-task-ingress-only-from-platform-alb", specs) == []


def test_every_stack_policy_has_a_case() -> None:
    stack_policies = {p.name for p in ALL_POLICIES if isinstance(p, GuardrailStackPolicy)}
    assert stack_policies == {case.policy for case in CASES}


# --- references resolved through the engine's property dependencies (preview of new resources)


def test_task_ingress_from_cidr_is_caught_through_dependencies_when_ids_are_unknown() -> None:
    reported = stack_violations(
        "ecs-task-ingress-only-from-alb", task_network({"cidrIpv4": "0.0.0.0/0"}, ids_known=False)
    )
    assert [culprit for _, culprit in reported] == ["task-in"]
    assert "from CIDR 0.0.0.0/0" in reported[0][0]


def test_task_ingress_from_alb_passes_through_dependencies_when_ids_are_unknown() -> None:
    specs = task_network({"referencedSecurityGroupId": US}, ids_known=False)
    assert stack_violations("ecs-task-ingress-only-from-alb", specs) == []


def test_same_role_is_caught_through_dependencies_when_arns_are_unknown() -> None:
    reported = stack_violations("iam-distinct-task-roles", task_roles(US, US, deps=True))
    assert [culprit for _, culprit in reported] == ["task"]


# --- rule details


def test_task_ingress_from_another_security_group_is_reported() -> None:
    specs = task_network({"referencedSecurityGroupId": "sg-bastion"})
    (message, culprit), *rest = stack_violations("ecs-task-ingress-only-from-alb", specs)
    assert not rest and culprit == "task-in"
    assert "from sg-bastion" in message and "not the load balancer's security group" in message


def test_task_ingress_inline_cidr_on_the_task_group_is_reported() -> None:
    specs = task_network({"referencedSecurityGroupId": "sg-alb"})
    specs[1] = res(
        SG,
        "task-sg",
        {
            "id": "sg-task",
            "description": "tasks",
            "ingress": [
                {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}
            ],
        },
    )
    reported = stack_violations("ecs-task-ingress-only-from-alb", specs)
    assert [culprit for _, culprit in reported] == ["task-sg"]


def test_task_ingress_legacy_rule_from_cidr_is_reported() -> None:
    specs = task_network({"referencedSecurityGroupId": "sg-alb"})
    specs.append(
        res(
            LEGACY_RULE,
            "legacy",
            {
                "type": "ingress",
                "securityGroupId": "sg-task",
                "protocol": "tcp",
                "fromPort": 80,
                "toPort": 80,
                "cidrBlocks": ["192.168.0.0/16"],
            },
        )
    )
    reported = stack_violations("ecs-task-ingress-only-from-alb", specs)
    assert [culprit for _, culprit in reported] == ["legacy"]


def test_task_ingress_rule_is_not_applicable_without_a_load_balancer() -> None:
    specs = [spec for spec in task_network({"cidrIpv4": "10.0.0.0/8"}) if spec[0] != LB]
    assert stack_violations("ecs-task-ingress-only-from-alb", specs) == []


def test_default_security_group_with_rules_is_reported() -> None:
    specs = [
        res(VPC, "vpc", {"id": "vpc-1"}),
        res(
            DEFAULT_SG,
            "default",
            {"vpcId": "vpc-1", "ingress": [{"protocol": "-1", "self": True}], "egress": []},
        ),
    ]
    reported = stack_violations("vpc-default-security-group-closed", specs)
    assert reported == [
        ("default security group 'default' has 1 ingress rule(s); it must have none.", "default")
    ]


def test_lifecycle_policy_without_rules_is_reported() -> None:
    specs = [
        res(REPO, "repo", {"name": "web"}),
        res(LIFECYCLE, "lifecycle", {"repository": "web", "policy": json.dumps({"rules": []})}),
    ]
    assert stack_violations("ecr-lifecycle-policy", specs) == [
        ("lifecycle policy has no rules.", "lifecycle")
    ]


def test_http_listener_may_forward_without_a_certificate_outside_prod() -> None:
    assert (
        stack_violations("alb-http-redirects-to-https", listeners(FORWARD, with_https=False)) == []
    )


def test_public_alb_without_https_is_reported_in_prod() -> None:
    reported = stack_violations(
        "alb-http-redirects-to-https", listeners(FORWARD, with_https=False), {"prod": True}
    )
    assert [culprit for _, culprit in reported] == ["alb"]
    assert "has no HTTPS listener in production" in reported[0][0]


def test_internal_alb_without_https_passes_in_prod() -> None:
    specs = listeners(FORWARD, with_https=False)
    specs[0] = res(LB, "alb", {"arn": ALB_ARN, "internal": True})
    assert stack_violations("alb-http-redirects-to-https", specs, {"prod": True}) == []


def test_redirect_to_plain_http_is_reported() -> None:
    to_http = [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080"}}]
    reported = stack_violations("alb-http-redirects-to-https", listeners(to_http))
    assert [culprit for _, culprit in reported] == ["http"]


def test_any_role_trusting_every_principal_is_reported() -> None:
    open_trust = ECS_TRUST.replace('{"Service": "ecs-tasks.amazonaws.com"}', '"*"')
    specs = [res(ROLE, "ci", {"arn": "arn:aws:iam::1:role/ci", "assumeRolePolicy": open_trust})]
    reported = stack_violations("iam-ecs-task-trust", specs)
    assert reported == [
        ("[CKV_AWS_60] role 'ci' trust statement 0 lets any principal assume the role.", "ci")
    ]


def test_unrelated_role_may_trust_another_service() -> None:
    lambda_trust = ECS_TRUST.replace("ecs-tasks.amazonaws.com", "lambda.amazonaws.com")
    specs = [res(ROLE, "fn", {"arn": "arn:aws:iam::1:role/fn", "assumeRolePolicy": lambda_trust})]
    assert stack_violations("iam-ecs-task-trust", specs) == []


def test_task_ingress_rule_judges_services_whose_load_balancers_are_unknown() -> None:
    specs = task_network({"cidrIpv4": "10.0.0.0/16"})
    service = specs[3]
    specs[3] = res(SERVICE, "service", {**service[2], "loadBalancers": US}, service[3])
    reported = stack_violations("ecs-task-ingress-only-from-alb", specs)
    assert [culprit for _, culprit in reported] == ["task-in"]


def test_flow_logs_are_only_required_in_production() -> None:
    unlogged = [res(VPC, "vpc", {"id": "vpc-1"})]
    assert stack_violations("vpc-flow-logs", unlogged, {}) == []
    assert len(stack_violations("vpc-flow-logs", unlogged, {"prod": True})) == 1


def test_a_vpc_whose_default_network_acl_is_not_adopted_is_reported() -> None:
    (vpc, _acl) = nacl_network(INTRA_VPC)
    assert stack_violations("vpc-default-nacl-no-admin-ports", [vpc]) == [
        (
            "VPC 'vpc' leaves its default network ACL admitting everything, SSH and RDP "
            "included; adopt it with aws.ec2.DefaultNetworkAcl (FargateApp does).",
            "vpc",
        )
    ]


def test_a_deny_numbered_after_the_allow_all_does_not_count() -> None:
    allow_all = {"action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0}
    reported = stack_violations(
        "vpc-default-nacl-no-admin-ports",
        nacl_network({**allow_all, "cidrBlock": "0.0.0.0/0"}),
    )
    assert [message for message, _ in reported] == [
        "network ACL 'default-nacl' admits port 22 from 0.0.0.0/0; deny it with a rule "
        "numbered before any allow.",
        "network ACL 'default-nacl' admits port 3389 from 0.0.0.0/0; deny it with a rule "
        "numbered before any allow.",
    ]


def test_an_execution_policy_granting_more_than_the_ecr_login_on_everything_is_reported() -> None:
    document = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"},
            ]
        }
    )
    assert stack_violations("iam-execution-role-scoped", execution_grants(READ_ONLY, document)) == [
        (
            "execution role policy 'exec-inline' grants logs:PutLogEvents on every resource "
            "(*); only ecr:GetAuthorizationToken needs that.",
            "exec-inline",
        )
    ]


def test_waf_is_not_required_outside_prod_nor_on_an_internal_alb() -> None:
    unguarded = guarded_alb("arn:other")
    assert stack_violations("alb-waf-in-prod", unguarded) == []
    internal = [res(LB, "alb", {"arn": ALB_ARN, "internal": True}), unguarded[1]]
    assert stack_violations("alb-waf-in-prod", internal, {"prod": True}) == []
