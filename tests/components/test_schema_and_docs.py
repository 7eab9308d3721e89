"""The Pulumi package schema the SDK's analyzer derives, and the docs generated from it."""

import functools
import json
from pathlib import Path

import yaml
from pulumi.provider.experimental.component import ComponentProvider

from components import FargateApp, FargatePlatform
from components.config import camel_case
from components.docs import args_table, config_schema

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _schema_text() -> str:
    provider = ComponentProvider([FargateApp, FargatePlatform], "fargate-app", version="0.1.0")
    return provider.schema  # what `pulumi package get-schema` would return


def _schema():
    return json.loads(_schema_text())  # a fresh copy for each test


def test_analyzer_derives_a_schema_for_other_languages():
    schema = _schema()
    resource = schema["resources"]["fargate-app:index:FargateApp"]
    assert resource["isComponent"] is True
    inputs = resource["inputProperties"]
    assert {
        "image",
        "containerPort",
        "cpu",
        "memory",
        "cpuArchitecture",
        "desiredCount",
        "environment",
        "secrets",
        "healthCheckPath",
        "healthCheckCommand",
        "readonlyRootFilesystem",
        "logRetentionDays",
        "profile",
        "tags",
        "network",
        "loadBalancer",
        "autoscaling",
    } <= set(inputs)
    assert inputs["cpu"]["type"] == "integer"
    assert "Fargate pair" in inputs["memory"]["description"]
    assert inputs["network"]["$ref"] == "#/types/fargate-app:index:NetworkArgs"
    network = schema["types"]["fargate-app:index:NetworkArgs"]["properties"]
    assert {"cidrBlock", "azCount", "natGateways", "vpcId"} <= set(network)
    outputs = resource["properties"]
    assert {"url", "serviceArn", "reconcile", "privateSubnetIds"} <= set(outputs)
    assert set(resource.get("required", [])) >= {"url", "reconcile"}


def test_analyzer_schema_has_the_platform_and_the_apps_platform_and_routing_inputs():
    schema = _schema()
    platform = schema["resources"]["fargate-app:index:FargatePlatform"]
    assert platform["isComponent"] is True
    assert set(platform["inputProperties"]) == {
        "profile",
        "network",
        "loadBalancer",
        "logRetentionDays",
        "tags",
        "waf",
        "kmsEncryption",
        "kmsKeyArn",
    }
    assert platform["inputProperties"]["network"]["$ref"] == "#/types/fargate-app:index:NetworkArgs"
    assert platform["properties"]["platform"]["$ref"] == "#/types/fargate-app:index:SharedPlatform"
    shared = schema["types"]["fargate-app:index:SharedPlatform"]
    assert set(shared["properties"]) == {
        "vpcId",
        "publicSubnetIds",
        "privateSubnetIds",
        "clusterName",
        "clusterArn",
        "loadBalancerArn",
        "loadBalancerDnsName",
        "loadBalancerSecurityGroupId",
        "httpListenerArn",
        "httpsListenerArn",
        "region",
    }
    assert "httpsListenerArn" not in shared.get("required", [])
    assert "httpListenerArn" in shared["required"]
    app_inputs = schema["resources"]["fargate-app:index:FargateApp"]["inputProperties"]
    assert app_inputs["platform"]["$ref"] == "#/types/fargate-app:index:SharedPlatform"
    assert app_inputs["routing"]["$ref"] == "#/types/fargate-app:index:RoutingArgs"
    routing = schema["types"]["fargate-app:index:RoutingArgs"]
    assert set(routing["properties"]) == {"hostHeaders", "pathPatterns", "priority"}
    assert routing["required"] == ["priority"]


def test_readme_documents_every_platform_arg_with_its_stack_config_key():
    from components.args import FargatePlatformArgs

    table = args_table(FargatePlatform, "fargate-app:platform.")
    for key in FargatePlatformArgs.__annotations__:
        assert f"| `{key}` | `fargate-app:platform.{camel_case(key)}` |" in table
    assert "| `network.cidr_block` | `platform.network.cidrBlock` |" in table
    readme = (ROOT / "README.md").read_text()
    assert table in readme


def test_plugin_manifest_and_entry_point_exist():
    manifest = yaml.safe_load((ROOT / "components/PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    entry = (ROOT / "components/__main__.py").read_text()
    assert 'component_provider_host([FargateApp, FargatePlatform], name="fargate-app"' in entry


def test_generated_docs_are_up_to_date(capsys):
    from components import docs

    assert docs.main(["--check"]) == 0, capsys.readouterr().err  # what `make docs` writes


def test_readme_table_covers_every_arg_and_project_config_every_simple_one():
    from components.args import FargateAppArgs

    table = args_table()
    schema = config_schema()
    objects = {"network", "loadBalancer", "autoscaling", "waf", "environment", "secrets", "tags"}
    objects |= {"sidecars", "taskRoleStatements"}  # lists of objects: no such project type
    objects |= {"platform", "routing"}
    for key in FargateAppArgs.__annotations__:
        assert f"| `{key}` |" in table
        assert (camel_case(key) in schema) != (camel_case(key) in objects), key
    # Pulumi's project schema (sdk/go/common/workspace/project.json): every declaration has a
    # type among string, integer, boolean, array, and arrays name their items.
    for key, entry in schema.items():
        assert entry["type"] in {"string", "integer", "boolean", "array"}, key
        assert entry["type"] != "array" or entry["items"] == {"type": "string"}, key
        assert set(entry) <= {"type", "items", "description", "default", "secret"}, key
    assert schema["cpu"] == {
        "type": "integer",
        "description": schema["cpu"]["description"],
        "default": 256,
    }
    assert "default" not in schema["desiredCount"]  # profile-dependent: never a static default
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "fargate-app" and project["stackConfigDir"] == "stacks"
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": ".venv"}
    assert project["config"] == schema
