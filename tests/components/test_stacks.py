"""The program (`__main__.py`) under mocks with each stack file, and config-key checking."""

import json
from pathlib import Path

import pytest

from components import FargateAppConfigError
from components.mocks import AwsLikeMocks
from components.program import StackConfigError, load_stack_config, run_program

from .conftest import deploy_stack

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_there_are_dev_prod_and_localstack_stacks():
    assert {p.name for p in STACK_FILES} >= {
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.localstack.yaml",
    }


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_each_stack_runs_and_exports_url_and_reconcile(stack_file):
    result = deploy_stack(stack_file)
    outputs = result.outputs
    assert outputs["url"].startswith(("http://", "https://"))
    reconcile = outputs["reconcile"]
    entries = reconcile if isinstance(reconcile, list) else [reconcile]  # a platform: one per app
    for entry in entries:
        assert set(entry) == {
            "cluster",
            "service",
            "region",
            "desired_count",
            "min_count",
            "max_count",
            "target_group_arn",
        }
        assert entry["min_count"] <= entry["desired_count"] <= entry["max_count"]
    assert len(result.of_type("aws:ecs/service:Service")) == len(entries)


def test_prod_stack_is_https_multi_az_and_autoscaled():
    result = deploy_stack(ROOT / "stacks/Pulumi.prod.yaml")
    assert result.outputs["url"].startswith("https://")
    assert len(result.outputs["private_subnet_ids"]) == 3
    assert len(result.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert result.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"]
    assert (result.outputs["reconcile"]["min_count"], result.outputs["reconcile"]["max_count"]) == (
        2,
        10,
    )


def test_localstack_stack_points_every_service_at_port_4566():
    config = load_stack_config(ROOT / "stacks/Pulumi.localstack.yaml").config
    (endpoints,) = config["aws:endpoints"]
    services = {
        "ec2",
        "ecr",
        "ecs",
        "elbv2",
        "iam",
        "cloudwatchlogs",
        "applicationautoscaling",
        "sts",
    }
    assert services <= set(endpoints)
    assert set(endpoints.values()) == {"http://localhost:4566"}
    assert config["aws:skipCredentialsValidation"] is True
    assert config["aws:skipRequestingAccountId"] is True
    assert config["aws:skipMetadataApiCheck"] is True
    assert config["aws:maxRetries"] <= 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"fargate-app:cpuu": "512"}, "config fargate-app:cpuu: unknown key; allowed: "),
        (
            {"fargate-app:loadBalancer": '{"certArn": "x"}'},
            "config fargate-app:loadBalancer.certArn: unknown key; allowed: accessLogs, access",
        ),
        ({"fargate-app:memory": "3000"}, "FargateApp memory: 3000 is not allowed"),
        (
            {"fargate-app:network": '"10.0.0.0/16"'},
            "config fargate-app:network: '10.0.0.0/16' is not allowed; expected an object",
        ),
    ],
)
def test_config_typos_and_bad_values_are_errors(config, message):
    with pytest.raises(FargateAppConfigError) as caught:
        run_program(ROOT / "stacks/Pulumi.dev.yaml", AwsLikeMocks(), config=config)
    assert message in str(caught.value)


def test_config_values_arrive_typed_like_the_engine_sends_them():
    """The engine sends strings: numbers and objects are parsed, string args stay strings."""
    result = deploy_stack(
        ROOT / "stacks/Pulumi.dev.yaml",
        config={
            "fargate-app:cpu": "1024",
            "fargate-app:memory": "2048",
            "fargate-app:image": "12345",
            "fargate-app:environment": '{"RETRIES": "3"}',
            "fargate-app:healthCheckCommand": '["CMD", "true"]',
        },
    )
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("1024", "2048")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    assert container["image"] == "12345"
    assert container["environment"] == [{"name": "RETRIES", "value": "3"}]
    assert container["healthCheck"]["command"] == ["CMD", "true"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("Pulumi.x.yaml", "config: [1, 2]", "expected a mapping with a 'config' mapping"),
        ("Pulumi.x.yaml", "config: {cpu: 1}", "config key 'cpu' must be namespaced"),
        ("Pulumi.x.yaml", "config: {a: [", "not valid YAML at line"),
        ("Pulumi.x.yaml", "config: {'aws:secretKey': {secure: AAE=}}", "encrypted secret"),
        ("stack.yaml", "config: {}", "expected a file named Pulumi.<stack>.yaml"),
    ],
)
def test_bad_stack_files_give_one_line_errors(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_missing_stack_file_is_a_one_line_error(tmp_path):
    with pytest.raises(StackConfigError, match="cannot read"):
        load_stack_config(tmp_path / "Pulumi.nope.yaml")


def test_a_users_own_project_runs_with_its_name_program_and_local_modules(tmp_path):
    """A stack file of another project: its Pulumi.yaml names the project and the program."""
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\nmain: infra/\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "settings.py").write_text("APP = {'cpu': 512, 'memory': 1024}\n")
    (tmp_path / "infra" / "__main__.py").write_text(
        "import pulumi\n"
        "from settings import APP\n"
        "from components import FargateApp\n"
        "app = FargateApp(pulumi.Config().require('app'), APP)\n"
        "pulumi.export('project', pulumi.get_project())\n"
        "pulumi.export('cluster', app.cluster_name)\n"
    )
    (tmp_path / "Pulumi.staging.yaml").write_text("config:\n  shop:app: storefront\n")
    result = run_program(tmp_path / "Pulumi.staging.yaml", AwsLikeMocks())
    assert result.outputs == {"project": "shop", "cluster": "storefront-staging"}
    task = result.one("aws:ecs/taskDefinition:TaskDefinition")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
