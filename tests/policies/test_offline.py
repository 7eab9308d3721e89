"""The offline evaluation path: property shape, unknowns, mocks applying transforms, pack config."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
from pulumi.output import Unknown
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.mocks import PolicyMocks
from policies.offline import (
    Captured,
    engine_shape,
    evaluate,
    load_pack_config,
    parse_pack_config,
)
from policies.rules import ALL_POLICIES, policy_named


def test_snake_case_inputs_take_the_engine_camel_case_shape_but_tag_keys_do_not() -> None:
    snake = {
        "network_configuration": {"assign_public_ip": True, "security_groups": ["sg-1"]},
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "tags": {"cost_center": "dev", "managed-by": "fargate-app"},
    }
    camel = {
        "networkConfiguration": {"assignPublicIp": True, "securityGroups": ["sg-1"]},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "tags": {"cost_center": "dev", "managed-by": "fargate-app"},
    }
    assert engine_shape(snake) == camel
    assert engine_shape(camel) == camel


def test_mock_runtime_unknowns_become_engine_sentinels() -> None:
    shaped = engine_shape({"container_definitions": Unknown(), "list": [Unknown()]})
    assert shaped == {"containerDefinitions": UNKNOWN_STRING_VALUE, "list": [UNKNOWN_STRING_VALUE]}


def test_evaluate_treats_snake_case_and_unknown_inputs_like_the_engine() -> None:
    service = "aws:ecs/service:Service"
    tags = {"app": "web", "stack": "dev", "managed-by": "fargate-app"}
    public = Captured(
        service,
        "svc",
        "urn:svc",
        {"network_configuration": {"assign_public_ip": True}, "tags": tags},
        {},
    )
    unknown = Captured(
        service,
        "svc2",
        "urn:svc2",
        {"network_configuration": {"assign_public_ip": Unknown()}, "tags": tags},
        {},
    )
    findings = evaluate([public, unknown], policies=[policy_named("ecs-service-no-public-ip")])
    assert [(f.policy, f.resource_name, f.controls) for f in findings] == [
        ("ecs-service-no-public-ip", "svc", ("FSBP ECS.2", "CKV_AWS_333"))
    ]


def test_mocks_apply_own_then_component_then_stack_transforms_and_record_inputs() -> None:
    calls: list[str] = []

    def tag(label: str):
        def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
            calls.append(f"{label}:{args.name}")
            return pulumi.ResourceTransformResult({**args.props, label: True}, args.opts)

        return transform

    mocks = PolicyMocks()
    mocks.register_transform(tag("stack"))
    mocks.new_resource(
        pulumi.runtime.MockResourceArgs(
            "pkg:index:Comp", "app", {}, custom=False, transforms=[tag("component")]
        )
    )
    _id, outputs = mocks.new_resource(
        pulumi.runtime.MockResourceArgs(
            "aws:ecr/repository:Repository",
            "repo",
            {"name": "web"},
            custom=True,
            transforms=[tag("own")],
        )
    )
    assert calls == ["component:app", "stack:app", "own:repo", "component:repo", "stack:repo"]
    assert mocks.inputs[("aws:ecr/repository:Repository", "repo")] == {
        "name": "web",
        "own": True,
        "component": True,
        "stack": True,
    }
    assert outputs["repositoryUrl"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
    assert _id == "web" and outputs["id"] == "web"


def test_mock_identifiers_let_references_resolve() -> None:
    mocks = PolicyMocks()
    sg_id, sg = mocks.new_resource(
        pulumi.runtime.MockResourceArgs(
            "aws:ec2/securityGroup:SecurityGroup", "alb", {}, custom=True
        )
    )
    role_id, role = mocks.new_resource(
        pulumi.runtime.MockResourceArgs("aws:iam/role:Role", "exec", {"name": "exec"}, custom=True)
    )
    assert sg_id.startswith("sg-") and sg["id"] == sg_id
    assert role["arn"] == "arn:aws:iam::123456789012:role/exec" and role_id == "exec"


def test_pack_config_levels_and_properties() -> None:
    config = parse_pack_config(
        json.loads(
            '{"all": "advisory", "alb-tls-policy": {"enforcementLevel": "mandatory",'
            ' "allowedSslPolicies": ["ELBSecurityPolicy-TLS13-1-3-2021-06"]}}'
        )
    )
    assert config.level_of(policy_named("alb-tls-policy")) == EnforcementLevel.MANDATORY
    assert config.level_of(policy_named("ecr-immutable-tags")) == EnforcementLevel.ADVISORY
    assert config.properties_of(policy_named("alb-tls-policy")) == {
        "allowedSslPolicies": ["ELBSecurityPolicy-TLS13-1-3-2021-06"]
    }
    prod = config.with_prod(True)
    assert prod.properties_of(policy_named("alb-deletion-protection")) == {"prod": True}
    explicit = parse_pack_config({"alb-deletion-protection": {"prod": False}}).with_prod(True)
    assert explicit.properties_of(policy_named("alb-deletion-protection")) == {"prod": False}


def test_shipped_prod_pack_config_turns_on_every_prod_requirement() -> None:
    config = load_pack_config(Path(__file__).resolve().parents[2] / "policies" / "prod.json")
    prod_aware = {
        p.name for p in ALL_POLICIES if p.config_schema and "prod" in p.config_schema.properties
    }
    assert {name for name, props in config.properties.items() if props.get("prod")} == prod_aware
