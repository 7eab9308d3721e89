"""Tags on every taggable resource; the component's outputs, including `reconcile`."""

import importlib
import inspect

import pytest

from .conftest import deploy

REQUIRED = {"app": "web", "stack": "test", "managed-by": "fargate-app"}
FULL = {
    "profile": "prod",
    "secrets": {"DB": "arn:aws:ssm:us-east-1:123456789012:parameter/db"},
    "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
    "autoscaling": {"min_count": 2, "max_count": 4, "requests_per_target": 100},
    "network": {"vpc_endpoints": True},
    "tags": {"team": "platform"},
}


def _accepts_tags(type_token: str) -> bool:
    """True when the pulumi-aws resource class for ``type_token`` takes a ``tags`` input."""
    package, module_path, _ = type_token.split(":")
    module, class_name = module_path.split("/")[0], type_token.rsplit(":", 1)[1]
    cls = getattr(importlib.import_module(f"pulumi_aws.{module}"), class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_carries_the_standard_and_user_tags(app):
    result = app(FULL)
    custom = [r for r in result.resources if r.custom]
    taggable = [r for r in custom if _accepts_tags(r.type_)]
    assert len(taggable) >= 25
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert {**REQUIRED, "team": "platform"}.items() <= tags.items(), resource.name
    untaggable = {r.type_ for r in custom} - {r.type_ for r in taggable}
    assert "aws:ec2/route:Route" in untaggable  # the introspection really tells them apart


def test_component_tree_is_parented_for_a_readable_preview(app):
    result = app(FULL)
    (root,) = result.of_type("fargate-app:index:FargateApp")
    children = {r.type_ for r in result.children_of(root)}
    assert children == {
        "fargate-app:index:EncryptionKey",
        "fargate-app:index:Network",
        "fargate-app:index:Registry",
        "fargate-app:index:LoadBalancer",
        "fargate-app:index:Service",
    }
    assert all(r.parent_urn for r in result.resources if r.custom)
    assert not [r for r in result.resources if r.custom and r.parent_urn == root.urn]


def _exported(args):
    """The stack outputs of a program exporting every output of FargateApp("web", args)."""
    return deploy(args).outputs


def test_outputs_and_reconcile_with_autoscaling():
    outputs = _exported(FULL)
    assert outputs["url"].startswith("https://") and outputs["url"].endswith(".elb.amazonaws.com")
    assert outputs["url"] == f"https://{outputs['load_balancer_dns_name']}"
    assert outputs["cluster_name"] == "web-test" and outputs["service_name"] == "web"
    assert outputs["service_arn"].endswith(":service/web")
    assert len(outputs["public_subnet_ids"]) == len(outputs["private_subnet_ids"]) == 3
    assert outputs["log_group_name"] == "/ecs/web-test"
    assert outputs["reconcile"] == {
        "cluster": "web-test",
        "service": "web",
        "region": "us-east-1",
        "desired_count": 2,
        "min_count": 2,
        "max_count": 4,
        "target_group_arn": outputs["target_group_arn"],
    }


@pytest.mark.parametrize("desired", [1, 3])
def test_reconcile_min_and_max_equal_desired_without_autoscaling(desired):
    outputs = _exported({"desired_count": desired})
    assert outputs["url"].startswith("http://")
    reconcile = outputs["reconcile"]
    assert reconcile["desired_count"] == reconcile["min_count"] == reconcile["max_count"] == desired


def test_reconcile_output_has_the_contract_shape_and_the_name_is_re_exported():
    import contract
    from components import ReconcileTarget

    assert ReconcileTarget is contract.ReconcileTarget
    reconcile = _exported({})["reconcile"]
    assert set(reconcile) == set(contract.ReconcileTarget.__annotations__)
    assert contract.MANAGED_BY_TAG == ("managed-by", REQUIRED["managed-by"])
