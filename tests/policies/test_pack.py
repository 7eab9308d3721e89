"""The pack as Pulumi loads it: metadata of every policy, ``__main__.py`` building the pack, and
the analyzer protocol (pulumi-policy's servicer driven directly, without starting its server)."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies.rules import ALL_POLICIES, GuardrailResourcePolicy, policy_named

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
CONTROL_ID = re.compile(r"^(FSBP [A-Za-z0-9]+\.\d+|CKV2?_AWS_\d+|FA\.\d+)$")


def test_policy_names_are_unique_and_pulumi_valid() -> None:
    names = [policy.name for policy in ALL_POLICIES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in names)


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda policy: policy.name)
def test_every_policy_names_its_controls_in_its_description(policy) -> None:
    assert policy.controls and all(CONTROL_ID.match(control) for control in policy.controls)
    assert policy.description.endswith(f"[{', '.join(policy.controls)}]")
    assert policy.tags == list(policy.controls)
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)


@pytest.mark.parametrize(
    "policy", [p for p in ALL_POLICIES if p.config_schema], ids=lambda policy: policy.name
)
def test_config_schema_properties_are_typed_documented_and_defaulted(policy) -> None:
    for name, spec in policy.config_schema.properties.items():
        assert {"type", "default", "description"} <= spec.keys(), name


def test_pack_config_schema_covers_tls_policies_required_tags_and_prod() -> None:
    def schema(name: str) -> dict[str, Any]:
        return policy_named(name).config_schema.properties

    assert schema("alb-tls-policy")["allowedSslPolicies"]["default"] == [
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    ]
    assert schema("required-tags")["requiredTags"]["default"] == ["app", "stack", "managed-by"]
    prod_aware = {
        p.name for p in ALL_POLICIES if p.config_schema and "prod" in p.config_schema.properties
    }
    assert prod_aware == {
        "alb-access-logs-in-prod",
        "alb-deletion-protection",
        "alb-http-redirects-to-https",
        "alb-waf-in-prod",
        "ecr-kms-in-prod",
        "log-group-kms-in-prod",
        "ecs-exec-off-in-prod",
        "ecs-readonly-root-filesystem",
        "log-group-retention",
        "vpc-flow-logs",
    }


def test_only_the_access_log_world_ingress_and_ecs_exec_rules_are_advisory_by_default() -> None:
    advisory = {p.name for p in ALL_POLICIES if p.enforcement_level == EnforcementLevel.ADVISORY}
    assert advisory == {"alb-access-logs", "sg-world-ingress", "ecs-exec-off-in-prod"}


def test_main_builds_one_pack_with_every_policy(monkeypatch) -> None:
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    (pack,) = built
    assert pack["name"] == "fargate-app-guardrails"
    assert [p.name for p in pack["policies"]] == [p.name for p in ALL_POLICIES]


def test_importing_the_package_and_its_modules_never_starts_the_pack_server() -> None:
    code = "import policies, policies.rules, policies.check, policies.offline, policies.mocks"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # a started pack prints its gRPC port


def test_pulumi_policy_yaml_runs_python_in_the_project_virtualenv() -> None:
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    virtualenv = (PACK_DIR / manifest["runtime"]["options"]["virtualenv"]).resolve()
    assert virtualenv == ROOT / ".venv"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])


# --- the analyzer protocol, as `pulumi preview --policy-pack policies` drives it


def servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(
        "fargate-app-guardrails", "0.1.0", list(ALL_POLICIES), EnforcementLevel.MANDATORY
    )


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def analyze(analyzer: _PolicyAnalyzerServicer, type_: str, props: dict[str, Any]) -> list:
    request = proto.AnalyzeRequest(
        type=type_,
        properties=struct(props),
        urn=f"urn:pulumi:dev::fargate-app::{type_}::r",
        name="r",
    )
    return list(analyzer.Analyze(request, None).diagnostics)


def test_analyzer_info_lists_every_policy_with_level_and_config_schema() -> None:
    info = servicer().GetAnalyzerInfo(None, None)
    by_name = {policy.name: policy for policy in info.policies}
    assert set(by_name) == {p.name for p in ALL_POLICIES}
    assert by_name["alb-access-logs"].enforcementLevel == proto.ADVISORY
    assert by_name["ecs-service-no-public-ip"].enforcementLevel == proto.MANDATORY
    assert "allowedSslPolicies" in by_name["alb-tls-policy"].configSchema.properties
    assert by_name["ecr-immutable-tags"].policy_type == proto.PolicyType.POLICY_TYPE_RESOURCE
    assert by_name["ecr-lifecycle-policy"].policy_type == proto.PolicyType.POLICY_TYPE_STACK


def test_engine_analyze_reports_a_violation_with_description_and_controls() -> None:
    diagnostics = analyze(
        servicer(),
        "aws:ecs/service:Service",
        {"networkConfiguration": {"assignPublicIp": True, "subnets": ["subnet-1"]}},
    )
    (diagnostic,) = [d for d in diagnostics if d.policyName == "ecs-service-no-public-ip"]
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "[FSBP ECS.2, CKV_AWS_333]" in diagnostic.message
    assert "assignPublicIp is true" in diagnostic.message


def test_engine_analyze_with_unknown_values_reports_nothing() -> None:
    diagnostics = analyze(
        servicer(),
        "aws:ecs/service:Service",
        {
            "networkConfiguration": {"assignPublicIp": UNKNOWN_BOOLEAN_VALUE},
            "deploymentCircuitBreaker": {"enable": UNKNOWN_BOOLEAN_VALUE, "rollback": True},
            "tags": {"app": "web", "stack": "dev", "managed-by": "fargate-app"},
        },
    )
    assert diagnostics == []


def test_engine_configure_sets_level_and_properties_per_policy() -> None:
    analyzer = servicer()
    analyzer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "ecs-service-no-public-ip": proto.PolicyConfig(enforcementLevel=proto.ADVISORY),
                "alb-deletion-protection": proto.PolicyConfig(
                    enforcementLevel=proto.MANDATORY, properties=struct({"prod": True})
                ),
            }
        ),
        None,
    )
    public = analyze(
        analyzer, "aws:ecs/service:Service", {"networkConfiguration": {"assignPublicIp": True}}
    )
    assert [d.enforcementLevel for d in public if d.policyName == "ecs-service-no-public-ip"] == [
        proto.ADVISORY
    ]
    unprotected = analyze(
        analyzer, "aws:lb/loadBalancer:LoadBalancer", {"enableDeletionProtection": False}
    )
    assert "alb-deletion-protection" in {d.policyName for d in unprotected}


def test_engine_analyze_stack_follows_property_dependencies() -> None:
    def resource(
        type_: str, name: str, props: dict[str, Any], deps: dict[str, list[str]] | None = None
    ):
        return proto.AnalyzerResource(
            type=type_,
            name=name,
            urn=f"urn:pulumi:dev::fargate-app::{type_}::{name}",
            properties=struct(props),
            propertyDependencies={
                key: proto.AnalyzerPropertyDependencies(
                    urns=[f"urn:pulumi:dev::fargate-app::{t}::{n}" for t, n in targets]
                )
                for key, targets in (deps or {}).items()
            },
        )

    role = "aws:iam/role:Role"
    task = "aws:ecs/taskDefinition:TaskDefinition"
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    request = proto.AnalyzeStackRequest(
        resources=[
            resource(role, "execution", {"arn": unknown}),
            resource(
                task,
                "task",
                {"executionRoleArn": unknown, "taskRoleArn": unknown},
                {"executionRoleArn": [(role, "execution")], "taskRoleArn": [(role, "execution")]},
            ),
        ]
    )
    diagnostics = servicer().AnalyzeStack(request, None).diagnostics
    assert [(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in diagnostics] == [
        ("iam-distinct-task-roles", "task")
    ]


def test_resource_policies_are_plain_pulumi_policy_objects() -> None:
    for policy in ALL_POLICIES:
        assert isinstance(
            policy, (pulumi_policy.ResourceValidationPolicy, pulumi_policy.StackValidationPolicy)
        )
    assert all(
        isinstance(p, pulumi_policy.ResourceValidationPolicy)
        for p in ALL_POLICIES
        if isinstance(p, GuardrailResourcePolicy)
    )


def test_pack_serves_the_analyzer_protocol_when_pulumi_starts_it(tmp_path: Path) -> None:
    """Start the pack exactly as Pulumi's policy host does (``python -m pulumi.policy <engine>
    <pack dir>`` from another directory), then ask it over gRPC what it enforces and analyze one
    violating resource."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "fargate-app-guardrails"
            assert {p.name for p in info.policies} == {p.name for p in ALL_POLICIES}
            response = stub.Analyze(
                proto.AnalyzeRequest(
                    type="aws:ecr/repository:Repository",
                    properties=struct({"imageTagMutability": "MUTABLE", "tags": {}}),
                    urn="urn:pulumi:dev::fargate-app::aws:ecr/repository:Repository::repo",
                    name="repo",
                ),
                timeout=30,
            )
        by_policy = {d.policyName: d for d in response.diagnostics}
        assert set(by_policy) == {"ecr-immutable-tags", "ecr-scan-on-push", "required-tags"}
        assert "[FSBP ECR.2, CKV_AWS_51]" in by_policy["ecr-immutable-tags"].message
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
