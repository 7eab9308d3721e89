"""The plan of a deploy: one step per registration, decided as the Pulumi engine decides it."""

from __future__ import annotations

import pulumi
import pytest

from localcloud.deploy import HANDLERS, delete_order
from localcloud.deploy.deletes import DELETES
from localcloud.deploy.plan import Plan, Step, UnsupportedChange, diff
from localcloud.deploy.schema import SCHEMAS
from localcloud.deploy.state import ResourceState, StackState, load_state, save_state
from localcloud.deploy.updates import UPDATES
from localcloud.errors import LocalCloudError

SERVICE = "aws:ecs/service:Service"
URN = "urn:pulumi:dev::fargate-app::fargate-app:index:Service$aws:ecs/service:Service::web-service"


def deployed(type_: str = SERVICE, urn: str = URN, **inputs) -> ResourceState:
    return ResourceState(type=type_, urn=urn, id="id-1", inputs=inputs, outputs=dict(inputs))


def test_every_handled_type_has_a_schema_a_delete_and_its_updates():
    assert set(SCHEMAS) == set(HANDLERS) == set(DELETES)
    assert {t for t, schema in SCHEMAS.items() if schema.update} == set(UPDATES)


def test_no_change_is_same_and_numbers_compare_as_json_does():
    old = deployed(desiredCount=2.0, tags={"a": "1"})
    assert diff(SERVICE, URN, old, {"desiredCount": 2, "tags": {"a": "1"}}).kind == "same"


def test_an_updatable_change_is_an_update_naming_the_properties():
    step = diff(
        SERVICE, URN, deployed(desiredCount=2, name="web"), {"desiredCount": 3, "name": "web"}
    )
    assert (step.kind, step.changed) == ("update", ("desiredCount",))


def test_a_force_new_property_is_a_replace_named_ones_deleted_first():
    group = "aws:lb/targetGroup:TargetGroup"
    auto = diff(group, "urn:tg", deployed(group, "urn:tg", port=80), {"port": 8080})
    named = diff(
        group, "urn:tg", deployed(group, "urn:tg", port=80, name="tg"), {"port": 8080, "name": "tg"}
    )
    assert (auto.kind, auto.changed, auto.delete_first) == ("replace", ("port",), False)
    assert (named.kind, named.delete_first) == ("replace", True)


def test_ignore_changes_keeps_the_old_value_as_the_engine_does():
    step = diff(SERVICE, URN, deployed(desiredCount=5), {"desiredCount": 2}, ("desiredCount",))
    assert (step.kind, step.inputs["desiredCount"]) == ("same", 5)


def test_an_unknown_input_counts_as_changed():
    step = diff(
        SERVICE, URN, deployed(taskDefinition="arn:1"), {"taskDefinition": pulumi.output.UNKNOWN}
    )
    assert (step.kind, step.changed) == ("update", ("taskDefinition",))


def test_a_property_the_local_cloud_cannot_change_is_a_one_line_error():
    vpc = "aws:ec2/vpcEndpoint:VpcEndpoint"
    with pytest.raises(UnsupportedChange) as error:
        diff(
            vpc,
            "urn:x::web-s3",
            deployed(vpc, "urn:x::web-s3", subnetIds=["a"]),
            {"subnetIds": ["b"]},
        )
    assert str(error.value) == (
        "aws:ec2/vpcEndpoint:VpcEndpoint web-s3: the local cloud cannot change subnetIds in "
        "place (it updates tags; see localcloud/deploy/schema.py)"
    )


def test_deletes_go_dependents_first():
    vpc = ResourceState("aws:ec2/vpc:Vpc", "urn:vpc", "v", {}, {})
    subnet = ResourceState("aws:ec2/subnet:Subnet", "urn:subnet", "s", {}, {}, ("urn:vpc",))
    route = ResourceState("aws:ec2/route:Route", "urn:route", "r", {}, {}, ("urn:subnet",))
    assert [r.urn for r in delete_order([vpc, subnet, route])] == [
        "urn:route",
        "urn:subnet",
        "urn:vpc",
    ]
    assert [r.urn for r in delete_order([route, subnet, vpc])] == [
        "urn:route",
        "urn:subnet",
        "urn:vpc",
    ]


def test_the_plan_renders_like_pulumi_preview():
    plan = Plan(
        "dev",
        [
            Step("same", "aws:ec2/vpc:Vpc", "urn:x::web-vpc"),
            Step("create", "aws:ecs/cluster:Cluster", "urn:x::web-cluster"),
            Step("update", SERVICE, URN, ("desiredCount",)),
            Step("replace", "aws:ecs/taskDefinition:TaskDefinition", "urn:x::web-task", ("cpu",)),
            Step("delete", "aws:appautoscaling/target:Target", "urn:x::web-scaling"),
        ],
    )
    assert plan.render().splitlines() == [
        "Previewing update (dev):",
        "",
        " +   aws:ecs/cluster:Cluster                web-cluster  create",
        " ~   aws:ecs/service:Service                web-service  update  [diff: ~desiredCount]",
        " +-  aws:ecs/taskDefinition:TaskDefinition  web-task  replace  [diff: ~cpu]",
        " -   aws:appautoscaling/target:Target       web-scaling  delete",
        "",
        "Resources:",
        "    + 1 to create",
        "    ~ 1 to update",
        "    +- 1 to replace",
        "    - 1 to delete",
        "    1 unchanged",
    ]


def test_the_state_file_round_trips_and_a_bad_one_is_a_one_line_error(tmp_path):
    path = tmp_path / "state.json"
    state = StackState("dev", "http://127.0.0.1:1", [deployed(desiredCount=2)])
    save_state(state, path)
    assert load_state(path) == state
    assert load_state(tmp_path / "none.json") == StackState()
    path.write_text('{"version": 7}')
    with pytest.raises(LocalCloudError) as error:
        load_state(path)
    assert str(error.value) == (
        f"state file {path} is not a local cloud state (version 7); delete it to start afresh"
    )
