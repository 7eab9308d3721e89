"""Existing stacks are not replaced: every URN a stack had before keeps a resource.

``baseline/urns-<stack>.json`` holds the URNs of every resource of the dev, prod and localstack
stacks before the component was restructured. Each must still be registered, or be an alias of
the resource that replaces it, so `pulumi up` updates in place instead of deleting and recreating.
"""

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.mocks import AwsLikeMocks
from components.program import run_program

from .conftest import deploy_stack

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).resolve().parent / "baseline"
STACKS = ("dev", "prod", "localstack")
#: Resources removed on purpose (their URN names no resource any more, and `pulumi up` deletes
#: them), by (type, logical name), with the reason. None of them is replaced by a resource of
#: another URN, so nothing the stack runs on is recreated.
REMOVED: dict[tuple[str, str], str] = {
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "web-execution"): (
        "issue 13: the execution role no longer carries AmazonECSTaskExecutionRolePolicy "
        "(ECR pulls and log writes on Resource *); the inline policy web-execution grants them "
        "on the app's repository and log group only. The role itself is kept."
    ),
}


def _removed(urn: str) -> bool:
    type_and_name = urn.rsplit("$", 1)[-1]
    type_, name = type_and_name.rsplit("::", 1)
    return (type_, name) in REMOVED


@pytest.mark.parametrize("stack", STACKS)
def test_every_baseline_urn_is_still_registered_or_aliased(stack):
    baseline = json.loads((BASELINE / f"urns-{stack}.json").read_text())
    result = deploy_stack(ROOT / f"stacks/Pulumi.{stack}.yaml")
    registered = {resource.urn for resource in result.resources}
    aliased = {alias for resource in result.resources for alias in resource.aliases}
    lost = [urn for urn in baseline if urn not in registered | aliased and not _removed(urn)]
    assert lost == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_intentionally_removed_urn_is_in_the_baseline_and_gone(stack):
    baseline = json.loads((BASELINE / f"urns-{stack}.json").read_text())
    result = deploy_stack(ROOT / f"stacks/Pulumi.{stack}.yaml")
    registered = {resource.urn for resource in result.resources}
    removed = [urn for urn in baseline if _removed(urn)]
    assert len(removed) == len(REMOVED)
    assert [urn for urn in removed if urn in registered] == []


@pytest.mark.parametrize("stack", STACKS)
def test_aliases_are_only_for_urns_no_resource_still_has(stack):
    result = deploy_stack(ROOT / f"stacks/Pulumi.{stack}.yaml")
    registered = {resource.urn for resource in result.resources}
    clashes = [
        (resource.urn, alias)
        for resource in result.resources
        for alias in resource.aliases
        if alias in registered
    ]
    assert clashes == []


def _group_urn(parent_name: str, with_alias: bool) -> tuple[str, tuple[str, ...]]:
    """Register a security group under parent ``parent_name`` (aliased from parent ``old``)."""

    def program() -> None:
        old = pulumi.ComponentResource("test:index:Old", "old")
        new = pulumi.ComponentResource("test:index:New", "new")
        parent = old if parent_name == "old" else new
        aliases = [pulumi.Alias(parent=old)] if with_alias else None
        aws.ec2.SecurityGroup("group", opts=pulumi.ResourceOptions(parent=parent, aliases=aliases))

    result = run_program(None, AwsLikeMocks(), program=program, stack="alias")
    group = result.one("aws:ec2/securityGroup:SecurityGroup")
    return group.urn, group.aliases


def test_an_alias_to_a_former_parent_records_the_urn_the_resource_had_there():
    old_urn, old_aliases = _group_urn("old", with_alias=False)
    new_urn, new_aliases = _group_urn("new", with_alias=True)
    assert old_aliases == ()
    assert new_urn != old_urn
    assert new_aliases == (old_urn,)
