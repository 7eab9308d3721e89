"""Each component owns its resources and declares what it exposes; sub-components stand alone."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest

from components import EncryptionKey, LoadBalancer, Network, Registry, Service
from components.component import output_names
from components.docs import attribute_docstrings
from components.fargate_app import FargateApp
from components.mocks import AwsLikeMocks
from components.program import ProgramResult, run_program
from components.settings import (
    LoadBalancerSettings,
    NetworkSettings,
    RegistrySettings,
    ServiceSettings,
)

EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
FULL = {
    "profile": "prod",
    "secrets": {"DB": "arn:aws:ssm:us-east-1:123456789012:parameter/db"},
    "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
    "autoscaling": {"min_count": 2, "max_count": 4},
    "network": {"vpc_endpoints": True},
}
#: Public attributes every Pulumi resource has; not outputs of ours.
PULUMI_ATTRIBUTES = {"urn", "id"}


@functools.cache
def _standalone() -> tuple[ProgramResult, dict[str, pulumi.ComponentResource]]:
    """The four sub-components wired by hand, without a FargateApp (run once: the tests only
    read what it registered and built)."""
    built: dict[str, Any] = {}

    def program() -> None:
        network = Network("solo", NetworkSettings())
        registry = Registry("solo", RegistrySettings())
        load_balancer = LoadBalancer(
            "solo", LoadBalancerSettings(), network.vpc_id, network.public_subnet_ids
        )
        service = Service(
            "solo",
            ServiceSettings(),
            image=pulumi.Output.concat(registry.repository_url, ":v1"),
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            load_balancer_security_group_id=load_balancer.security_group_id,
            target_group_arn=load_balancer.target_group_arn,
            service_depends_on=load_balancer.listeners,
        )
        load_balancer.allow_to("solo-to-tasks", service.security_group_id, 80)
        built.update(network=network, registry=registry, lb=load_balancer, service=service)

    return run_program(None, AwsLikeMocks(), program=program, stack="solo"), built


def test_every_declared_output_is_registered_by_each_component(app):
    result = app(FULL)
    components = [r for r in result.resources if not r.custom]
    classes = {
        cls.__name__: cls
        for cls in (FargateApp, EncryptionKey, Network, Registry, LoadBalancer, Service)
    }
    assert {r.type_.rsplit(":", 1)[-1] for r in components} == set(classes)
    for component in components:
        declared = output_names(classes[component.type_.rsplit(":", 1)[-1]])
        assert result.component_outputs[component.urn] == set(declared), component.type_


def test_components_expose_only_declared_attributes():
    _, built = _standalone()
    for component in built.values():
        public = {key for key in vars(component) if not key.startswith("_")}
        assert public - PULUMI_ATTRIBUTES == set(output_names(type(component))), component


def test_the_load_balancer_owns_its_egress_rule_keeping_the_urn_it_had_under_the_service(app):
    result = app({"container_port": 3000})
    rule = result.one(EGRESS, "web-alb-to-tasks")
    (load_balancer,) = result.of_type("fargate-app:index:LoadBalancer")
    (service,) = result.of_type("fargate-app:index:Service")
    assert rule.parent_urn == load_balancer.urn
    assert rule.aliases == (
        f"urn:pulumi:test::fargate-app::fargate-app:index:Service${EGRESS}::web-alb-to-tasks",
    )
    alb_group = result.one(SG, "web-alb")
    assert not [
        r for r in result.children_of(service) if r.inputs.get("securityGroupId") == alb_group.id
    ]


def test_sub_components_stand_alone_and_allow_to_opens_the_path_to_the_tasks():
    result, _ = _standalone()
    alb_group, tasks_group = result.one(SG, "solo-alb"), result.one(SG, "solo-tasks")
    rule = result.one(EGRESS, "solo-to-tasks")
    (load_balancer,) = result.of_type("fargate-app:index:LoadBalancer")
    assert rule.parent_urn == load_balancer.urn
    assert rule.inputs["securityGroupId"] == alb_group.id
    assert rule.inputs["referencedSecurityGroupId"] == tasks_group.id
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        80,
        80,
        "tcp",
    )
    assert result.one("aws:ecs/service:Service").inputs["name"] == "solo"


@pytest.mark.parametrize("component", [FargateApp, Network, Registry, LoadBalancer, Service])
def test_every_declared_output_is_documented(component):
    documented = attribute_docstrings(component)
    assert all(documented.get(name) for name in output_names(component))


def test_app_exports_the_roles_and_security_groups_needed_to_extend_it(app):
    result = app({})  # a program exporting every output of FargateApp("web", {})
    assert set(result.outputs) == set(output_names(FargateApp))
    outputs = result.outputs
    task_role = result.one("aws:iam/role:Role", "web-task")
    task_definition = result.one("aws:ecs/taskDefinition:TaskDefinition")
    assert outputs["task_role_arn"] == task_role.outputs["arn"]
    assert outputs["task_role_arn"] == task_definition.inputs["taskRoleArn"]
    assert outputs["task_role_name"] == task_role.outputs["name"]
    assert outputs["execution_role_arn"] == task_definition.inputs["executionRoleArn"]
    assert outputs["execution_role_arn"] != outputs["task_role_arn"]
    assert outputs["task_security_group_id"] == result.one(SG, "web-tasks").id
    assert outputs["load_balancer_security_group_id"] == result.one(SG, "web-alb").id
