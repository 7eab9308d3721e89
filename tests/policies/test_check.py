"""The offline checker over the real stack program: shipped stacks pass, every weakened override
is caught with its control ID, bad config files exit 2 with one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from pulumi_policy import EnforcementLevel

from components import FargateApp
from components.config import app_from_config
from policies.check import CheckResult, check_stack, main
from policies.offline import parse_pack_config

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
DEV = ROOT / "stacks" / "Pulumi.dev.yaml"
PROD = ROOT / "stacks" / "Pulumi.prod.yaml"

# What the shipped stacks are allowed to show, and why (README: "Advisories on the shipped stacks").
EXPECTED_ADVISORIES = {
    "alb-access-logs",  # no access-log bucket configured: an optional input (FSBP ELB.5)
    "sg-world-ingress",  # the public ALB's listener ports are open to 0.0.0.0/0 by design
}


def stack_file(tmp_path: Path, base: Path, **overrides: Any) -> Path:
    """A copy of ``base`` with ``fargate-app:<key>`` config overrides, as a user would write it."""
    document = yaml.safe_load(base.read_text())
    for key, value in overrides.items():
        document["config"][f"fargate-app:{key}"] = value
    path = tmp_path / "Pulumi.weakened.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def with_transform(transform: Callable[[pulumi.ResourceTransformArgs], Any]) -> Callable[[], None]:
    """The stack program with one user transform on the FargateApp (the documented way to
    override a default the component's args refuse)."""

    def program() -> None:
        name, args = app_from_config()
        FargateApp(name, args, opts=pulumi.ResourceOptions(transforms=[transform]))

    return program


def rewrite(type_: str, name_suffix: str, change: Callable[[dict], dict]) -> Callable:
    """A transform that rewrites the props of the resource of ``type_`` named ``*name_suffix``."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ == type_ and args.name.endswith(name_suffix):
            return pulumi.ResourceTransformResult(change(dict(args.props)), args.opts)
        return None

    return transform


def mandatory(result: CheckResult) -> dict[str, tuple[str, ...]]:
    """Failing mandatory policies and their control IDs."""
    return {finding.policy: finding.controls for finding in result.mandatory}


# --- shipped stacks


@pytest.mark.parametrize("stack", STACKS, ids=lambda path: path.name)
def test_shipped_stack_has_no_mandatory_violation(stack: Path) -> None:
    result = check_stack(stack)
    assert result.mandatory == []
    assert {finding.policy for finding in result.findings} <= EXPECTED_ADVISORIES
    assert result.exit_code == 0


def test_dev_stack_passes_on_the_command_line_and_lists_its_advisories(capsys) -> None:
    assert main(["--stack-config", str(DEV)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "0 mandatory, 2 advisory" in out
    assert "FSBP ELB.5" in out and "CKV_AWS_260" in out


def test_prod_stack_is_checked_as_production() -> None:
    result = check_stack(PROD)
    assert result.prod is True
    assert sorted(f.resource_name for f in result.findings if f.policy == "sg-world-ingress") == [
        "web-alb-443-0",
        "web-alb-80-0",
    ]


def test_a_prod_platform_stack_is_checked_as_production_and_passes(tmp_path: Path) -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/x"
    path = tmp_path / "Pulumi.shared-prod.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "config": {
                    "aws:region": "us-east-1",
                    "fargate-app:platform": {
                        "profile": "prod",
                        "loadBalancer": {"certificateArn": certificate},
                    },
                    "fargate-app:apps": {
                        "web": {
                            "profile": "prod",
                            "routing": {"pathPatterns": ["/*"], "priority": 9},
                        }
                    },
                }
            }
        )
    )
    result = check_stack(path)
    assert result.prod is True
    assert result.mandatory == []
    assert {f.policy for f in result.findings} <= EXPECTED_ADVISORIES


def test_an_app_stack_on_a_platform_of_another_stack_passes_and_its_ingress_is_judged() -> None:
    from tests.components.test_platform import PLAIN_PLATFORM

    def program() -> None:
        FargateApp(
            "billing",
            {
                "platform": PLAIN_PLATFORM,
                "routing": {"priority": 3, "host_headers": ["billing.example.com"]},
            },
        )

    result = check_stack(DEV, program=program)
    assert result.mandatory == []
    assert {f.policy for f in result.findings} <= EXPECTED_ADVISORIES

    def opened() -> None:
        app = FargateApp(
            "billing",
            {"platform": PLAIN_PLATFORM, "routing": {"priority": 3, "path_patterns": ["/b/*"]}},
        )
        aws.vpc.SecurityGroupIngressRule(
            "billing-from-office",
            security_group_id=app.task_security_group_id,
            description="office",
            ip_protocol="tcp",
            from_port=80,
            to_port=80,
            cidr_ipv4="198.51.100.0/24",
            tags={"app": "billing", "stack": "dev", "managed-by": "fargate-app"},
        )

    assert mandatory(check_stack(DEV, program=opened)) == {
        "ecs-task-ingress-only-from-platform-alb": ("FA.6",)
    }


def test_prod_requirements_apply_to_the_prod_stack(tmp_path: Path) -> None:
    weakened = stack_file(
        tmp_path,
        PROD,
        loadBalancer={
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
            "deletionProtection": False,
        },
        logRetentionDays=30,
    )
    failing = mandatory(check_stack(weakened))
    assert failing["alb-deletion-protection"] == ("FSBP ELB.6", "CKV_AWS_150")
    assert "FSBP CloudWatch.16" in failing["log-group-retention"]


# --- weakened overrides expressible as stack config


def test_public_ip_on_tasks_is_caught(tmp_path: Path, capsys) -> None:
    weakened = stack_file(tmp_path, DEV, assignPublicIp=True, network={"natGateways": "none"})
    assert main(["--stack-config", str(weakened)]) == 1
    out = capsys.readouterr().out
    assert "ecs-service-no-public-ip" in out and "FSBP ECS.2" in out and "FAIL" in out
    assert mandatory(check_stack(weakened)) == {
        "ecs-service-no-public-ip": ("FSBP ECS.2", "CKV_AWS_333")
    }


def test_plaintext_secret_in_environment_is_caught(tmp_path: Path) -> None:
    weakened = stack_file(
        tmp_path, DEV, environment={"LOG_LEVEL": "debug", "DB_PASSWORD": "hunter2"}
    )
    result = check_stack(weakened)
    assert mandatory(result) == {"ecs-no-plaintext-secrets": ("FSBP ECS.8",)}
    (finding,) = result.mandatory
    assert "DB_PASSWORD" in finding.message and "hunter2" not in finding.message


def test_readonly_root_filesystem_off_in_prod_is_caught(tmp_path: Path) -> None:
    weakened = stack_file(tmp_path, PROD, readonlyRootFilesystem=False)
    assert mandatory(check_stack(weakened)) == {
        "ecs-readonly-root-filesystem": ("FSBP ECS.5", "CKV_AWS_336")
    }


def test_flow_logs_off_in_prod_are_caught(tmp_path: Path) -> None:
    weakened = stack_file(tmp_path, PROD, network={"flowLogs": False})
    assert mandatory(check_stack(weakened)) == {"vpc-flow-logs": ("FSBP EC2.6", "CKV2_AWS_11")}


def test_readonly_root_filesystem_off_in_dev_is_allowed() -> None:
    config = yaml.safe_load(DEV.read_text())["config"]
    assert config["fargate-app:readonlyRootFilesystem"] is False
    assert check_stack(DEV).mandatory == []


# --- weakened overrides the component refuses: a user transform on the FargateApp


def test_task_port_open_to_a_cidr_is_caught(tmp_path: Path) -> None:
    def open_to(cidr: str) -> Callable:
        return rewrite(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "-from-alb",
            lambda props: {
                **{k: v for k, v in props.items() if k != "referencedSecurityGroupId"},
                "cidrIpv4": cidr,
            },
        )

    dev = check_stack(DEV, program=with_transform(open_to("10.0.0.0/16")))
    assert mandatory(dev) == {"ecs-task-ingress-only-from-alb": ("FA.1",)}
    assert "accepts port 80 from CIDR 10.0.0.0/16" in dev.mandatory[0].message

    prod = check_stack(PROD, program=with_transform(open_to("0.0.0.0/0")))  # port 8080
    failing = mandatory(prod)
    assert set(failing) == {"ecs-task-ingress-only-from-alb", "sg-world-open-ports"}
    (world,) = [f for f in prod.mandatory if f.policy == "sg-world-open-ports"]
    assert world.message.startswith("[FSBP EC2.19] rule: port 8080 open to 0.0.0.0/0")


def test_mutable_ecr_tags_are_caught() -> None:
    transform = rewrite(
        "aws:ecr/repository:Repository", "-repo", lambda p: {**p, "imageTagMutability": "MUTABLE"}
    )
    result = check_stack(DEV, program=with_transform(transform))
    assert mandatory(result) == {"ecr-immutable-tags": ("FSBP ECR.2", "CKV_AWS_51")}
    assert result.exit_code == 1


def test_circuit_breaker_off_is_caught() -> None:
    transform = rewrite(
        "aws:ecs/service:Service",
        "-service",
        lambda p: {**p, "deploymentCircuitBreaker": {"enable": False, "rollback": False}},
    )
    result = check_stack(DEV, program=with_transform(transform))
    assert mandatory(result) == {"ecs-service-circuit-breaker": ("FA.2",)}


def test_a_transform_that_changes_nothing_keeps_the_stack_clean() -> None:
    result = check_stack(DEV, program=with_transform(lambda args: None))
    assert result.mandatory == []


# --- pack config: enforcement level per rule


def test_enforcement_level_is_configurable_per_rule(tmp_path: Path, capsys) -> None:
    weakened = stack_file(tmp_path, DEV, assignPublicIp=True, network={"natGateways": "none"})
    advisory = tmp_path / "advisory.json"
    advisory.write_text('{"ecs-service-no-public-ip": {"enforcementLevel": "advisory"}}')
    assert main(["--stack-config", str(weakened), "--policy-config", str(advisory)]) == 0
    assert "ecs-service-no-public-ip" in capsys.readouterr().out
    disabled = tmp_path / "disabled.json"
    disabled.write_text('{"ecs-service-no-public-ip": "disabled", "all": "mandatory"}')
    assert main(["--stack-config", str(weakened), "--policy-config", str(disabled)]) == 1
    out = capsys.readouterr().out
    # "all" raised the advisories to mandatory; the disabled rule is silent.
    assert "ecs-service-no-public-ip" not in out and "alb-access-logs" in out


# --- bad input: exit 2, one line, no traceback


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("config: [unclosed", "not valid YAML at line 1"),
        ("config:\n  fargate-app:cpuu: 512\n", "config fargate-app:cpuu: unknown key; allowed:"),
        ("config:\n  fargate-app:cpu: 300\n", "FargateApp cpu: 300 is not allowed"),
    ],
)
def test_bad_stack_config_exits_2_with_one_line(tmp_path: Path, capsys, content, expected) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    if content is not None:
        path.write_text(content)
    assert main(["--stack-config", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "not valid JSON at line 1"),
        ('{"no-such-rule": "advisory"}', "unknown policy 'no-such-rule'; allowed: all,"),
        ('{"alb-tls-policy": "loud"}', "alb-tls-policy: 'loud' is not allowed; allowed: advisory"),
        ('{"alb-tls-policy": {"ciphers": []}}', "alb-tls-policy.ciphers: unknown property"),
        (
            '{"required-tags": {"requiredTags": "app"}}',
            "requiredTags: 'app' is not allowed; expected array",
        ),
    ],
)
def test_bad_policy_config_exits_2_with_one_line(tmp_path: Path, capsys, content, expected) -> None:
    path = tmp_path / "pack.json"
    path.write_text(content)
    assert main(["--stack-config", str(DEV), "--policy-config", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_remediate_level_is_reported_as_mandatory(tmp_path: Path) -> None:
    config = parse_pack_config({"alb-access-logs": "remediate"})
    result = check_stack(DEV, config)
    levels = {f.policy: f.level for f in result.findings}
    assert levels["alb-access-logs"] == EnforcementLevel.MANDATORY
    assert result.exit_code == 1


def test_prod_passes_the_new_controls_and_each_one_switched_off_is_caught(tmp_path: Path) -> None:
    assert not {"alb-access-logs", "alb-access-logs-in-prod"} & {
        finding.policy for finding in check_stack(PROD).findings
    }
    weakened = stack_file(
        tmp_path,
        PROD,
        kmsEncryption=False,
        waf={"enabled": False},
        loadBalancer={
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
            "accessLogs": False,
        },
    )
    result = check_stack(weakened)
    assert mandatory(result) == {
        "alb-access-logs-in-prod": ("FSBP ELB.5", "CKV_AWS_91"),
        "alb-waf-in-prod": ("FSBP ELB.16", "CKV2_AWS_28"),
        "ecr-kms-in-prod": ("CKV_AWS_136",),
        "log-group-kms-in-prod": ("CKV_AWS_158",),
    }
    assert sorted(f.resource_name for f in result.mandatory if f.policy.startswith("log-")) == [
        "web-flow-logs",
        "web-logs",
    ]


def test_the_managed_execution_policy_added_back_by_a_transform_is_caught() -> None:
    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ == "aws:iam/role:Role" and args.name.endswith("-execution"):
            props = dict(args.props)
            props["managedPolicyArns"] = [
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            ]
            return pulumi.ResourceTransformResult(props, args.opts)
        return None

    result = check_stack(DEV, program=with_transform(transform))
    assert mandatory(result) == {"iam-execution-role-scoped": ("CKV_AWS_355", "CKV_AWS_290")}


def test_a_prod_platform_with_its_apps_has_no_mandatory_violation(tmp_path, capsys):
    """The shipped platform stack, switched to prod: WAF, access logs, KMS-encrypted flow logs
    and NACLs come with the shared network and load balancer, so the prod pack passes."""
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.platform.yaml").read_text())
    config = document["config"]
    certificate = (
        "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    )
    config["fargate-app:platform"] = {
        "profile": "prod",
        "loadBalancer": {"certificateArn": certificate},
    }
    for app in config["fargate-app:apps"].values():
        app.pop("image")
        app.pop("readonlyRootFilesystem")
        app.update({"profile": "prod", "imageTag": "1.0.0"})
    stack = tmp_path / "Pulumi.platform-prod.yaml"
    stack.write_text(yaml.safe_dump(document))
    prod_pack = str(ROOT / "policies" / "prod.json")
    assert main(["--stack-config", str(stack), "--policy-config", prod_pack]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"PASS {stack}: 0 mandatory, 2 advisory violation(s);")
    assert summary.endswith("(prod).")
