"""FargatePlatform and apps deployed into it, under mocks: what is shared, what each app adds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import FargateApp, FargateAppConfigError, FargatePlatform
from components.mocks import AwsLikeMocks
from components.program import ProgramResult, run_program

from .conftest import deploy_stack, shared_run

ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SERVICE = "aws:ecs/service:Service"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
#: What an app in a platform must never register: the platform owns these.
SHARED_TYPES = (
    "fargate-app:index:Network",
    "fargate-app:index:LoadBalancer",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/natGateway:NatGateway",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    "aws:lb/loadBalancer:LoadBalancer",
    LISTENER,
)
#: A platform output as another stack's StackReference hands it over: plain values.
PLAIN_PLATFORM = {
    "vpc_id": "vpc-0123456789abcdef0",
    "public_subnet_ids": ["subnet-0aaa", "subnet-0bbb"],
    "private_subnet_ids": ["subnet-0ccc", "subnet-0ddd"],
    "cluster_name": "shared-prod",
    "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/shared-prod",
    "load_balancer_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "loadbalancer/app/shared-alb/50dc6c495c0c9188",
    "load_balancer_dns_name": "shared-alb-1234.us-east-1.elb.amazonaws.com",
    "load_balancer_security_group_id": "sg-0platformalb",
    "http_listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "listener/app/shared-alb/50dc6c495c0c9188/aaaa",
    "https_listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "listener/app/shared-alb/50dc6c495c0c9188/bbbb",
    "region": "us-east-1",
}


class RecordingMocks(AwsLikeMocks):
    """AwsLikeMocks that note the type of every resource registered."""

    def __init__(self) -> None:
        super().__init__()
        self.registered: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args.typ)
        return super().new_resource(args)


def _route(path: str, priority: int) -> dict[str, Any]:
    return {"path_patterns": [path], "priority": priority}


def _run(program: Any) -> ProgramResult:
    return run_program(None, AwsLikeMocks(), program=program, stack="test")


def _platform_with_apps(
    apps: dict[str, dict[str, Any]], platform_args: dict[str, Any] | None = None
) -> ProgramResult:
    """A FargatePlatform and ``apps`` in it (the same result again for the same plain args)."""

    def program() -> None:
        platform = FargatePlatform("shared", platform_args or {})
        for name, args in apps.items():
            FargateApp(name, {"image": "nginx:1.27", **args, "platform": platform.platform})

    key = ("platform", json.dumps(apps), json.dumps(platform_args or {}))
    return shared_run(key, lambda: _run(program))


def _owned_by(result: ProgramResult, app: str, type_: str) -> list[Any]:
    """Resources of ``type_`` whose URN lies under the FargateApp ``app``."""
    (component,) = [r for r in result.of_type("fargate-app:index:FargateApp") if r.name == app]
    under = {component.urn}
    for resource in result.resources:  # registration order: parents come first
        if resource.parent_urn in under:
            under.add(resource.urn)
    return [r for r in result.of_type(type_) if r.urn in under]


def test_n_apps_share_one_vpc_cluster_load_balancer_and_set_of_listeners():
    apps = {
        "web": {"routing": _route("/*", 300)},
        "api": {"routing": _route("/api/*", 100), "container_port": 8080},
        "admin": {"routing": {"host_headers": ["admin.example.com"], "priority": 200}},
    }
    result = _platform_with_apps(apps)
    for type_ in ("aws:ec2/vpc:Vpc", "aws:ecs/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer"):
        assert len(result.of_type(type_)) == 1, type_
    (listener,) = result.of_type(LISTENER)
    assert listener.inputs["port"] == 80
    assert listener.inputs["defaultActions"] == [
        {
            "type": "fixed-response",
            "fixedResponse": {
                "contentType": "text/plain",
                "messageBody": "Not Found",
                "statusCode": "404",
            },
        }
    ]
    alb_group = result.one(SG, "shared-alb")
    cluster = result.one("aws:ecs/cluster:Cluster")
    for name, args in apps.items():
        (group,) = _owned_by(result, name, TARGET_GROUP)
        (rule,) = _owned_by(result, name, RULE)
        (service,) = _owned_by(result, name, SERVICE)
        (tasks,) = _owned_by(result, name, SG)
        routing = args["routing"]
        assert rule.inputs["listenerArn"] == listener.outputs["arn"]
        assert rule.inputs["priority"] == routing["priority"]
        expected = []
        if "host_headers" in routing:
            expected.append({"hostHeader": {"values": routing["host_headers"]}})
        if "path_patterns" in routing:
            expected.append({"pathPattern": {"values": routing["path_patterns"]}})
        assert rule.inputs["conditions"] == expected
        assert rule.inputs["actions"] == [
            {"type": "forward", "targetGroupArn": group.outputs["arn"]}
        ]
        assert service.inputs["cluster"] == cluster.outputs["arn"]
        assert service.inputs["loadBalancers"][0]["targetGroupArn"] == group.outputs["arn"]
        assert rule.urn in service.dependencies  # tasks register once the rule routes to them
        port = args.get("container_port", 80)
        ingress = [r for r in result.of_type(INGRESS) if r.inputs["securityGroupId"] == tasks.id]
        assert [
            (r.inputs.get("referencedSecurityGroupId"), r.inputs["fromPort"], r.inputs["toPort"])
            for r in ingress
        ] == [(alb_group.id, port, port)]
        assert not any(key in ingress[0].inputs for key in ("cidrIpv4", "cidrIpv6"))
        (to_tasks,) = [
            r for r in _owned_by(result, name, EGRESS) if r.name.endswith("-alb-to-tasks")
        ]
        assert to_tasks.inputs["securityGroupId"] == alb_group.id
        assert to_tasks.inputs["referencedSecurityGroupId"] == tasks.id
        assert (to_tasks.inputs["fromPort"], to_tasks.inputs["toPort"]) == (port, port)
        for type_ in SHARED_TYPES:
            assert _owned_by(result, name, type_) == [], (name, type_)


def test_services_in_the_shared_cluster_wait_for_its_capacity_providers():
    result = _platform_with_apps({"web": {"routing": _route("/*", 1)}})
    capacity = result.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.urn in result.one(SERVICE).dependencies


def test_with_https_the_rules_go_on_the_https_listener_and_http_only_redirects():
    result = _platform_with_apps(
        {"web": {"routing": _route("/*", 10)}},
        {"load_balancer": {"certificate_arn": CERTIFICATE}},
    )
    https, http = result.one(LISTENER, "-https"), result.one(LISTENER, "-http")
    assert https.inputs["defaultActions"][0]["type"] == "fixed-response"
    assert http.inputs["defaultActions"][0]["type"] == "redirect"
    assert result.one(RULE).inputs["listenerArn"] == https.outputs["arn"]


def test_platform_output_is_plain_data_with_https_listener_only_with_https():
    def program(platform_args: dict[str, Any]) -> Any:
        def run() -> None:
            pulumi.export("platform", FargatePlatform("shared", platform_args).platform)

        return run

    plain = _run(program({})).outputs["platform"]
    assert set(plain) == set(PLAIN_PLATFORM) - {"https_listener_arn"}
    assert plain["region"] == "us-east-1"
    assert plain["cluster_name"] == "shared-test"
    assert all(isinstance(value, (str, list)) for value in plain.values())
    secure = _run(program({"load_balancer": {"certificate_arn": CERTIFICATE}})).outputs["platform"]
    assert secure["https_listener_arn"] != secure["http_listener_arn"]


@pytest.mark.parametrize("as_output", [False, True], ids=["values", "output"])
def test_an_app_given_a_platform_from_another_stack_registers_no_shared_resource(as_output):
    platform = PLAIN_PLATFORM

    def program() -> None:
        given = pulumi.Output.from_input(platform) if as_output else platform
        app = FargateApp("billing", {"platform": given, "routing": _route("/billing/*", 7)})
        pulumi.export("url", app.url)
        pulumi.export("cluster_arn", app.cluster_arn)
        pulumi.export("listener_arns", app.listener_arns)

    result = _run(program)
    for type_ in SHARED_TYPES:
        assert result.of_type(type_) == [], type_
    rule = result.one(RULE)
    assert rule.inputs["listenerArn"] == PLAIN_PLATFORM["https_listener_arn"]
    service = result.one(SERVICE)
    assert service.inputs["cluster"] == PLAIN_PLATFORM["cluster_arn"]
    assert service.inputs["networkConfiguration"]["subnets"] == PLAIN_PLATFORM["private_subnet_ids"]
    assert result.one(TARGET_GROUP).inputs["vpcId"] == PLAIN_PLATFORM["vpc_id"]
    egress = result.one(EGRESS, "-alb-to-tasks")
    assert egress.inputs["securityGroupId"] == "sg-0platformalb"
    ingress = result.one(INGRESS, "-from-alb")
    assert ingress.inputs["referencedSecurityGroupId"] == "sg-0platformalb"
    assert result.outputs["url"] == "https://shared-alb-1234.us-east-1.elb.amazonaws.com"
    assert result.outputs["cluster_arn"] == PLAIN_PLATFORM["cluster_arn"]
    assert result.outputs["listener_arns"] == [
        PLAIN_PLATFORM["https_listener_arn"],
        PLAIN_PLATFORM["http_listener_arn"],
    ]


def test_requests_per_target_scaling_labels_the_platform_alb_and_the_apps_target_group():
    def program() -> None:
        FargateApp(
            "web",
            {
                "platform": PLAIN_PLATFORM,
                "routing": _route("/*", 9),
                "autoscaling": {"min_count": 1, "max_count": 3, "requests_per_target": 100},
            },
        )

    result = _run(program)
    policy = result.one("aws:appautoscaling/policy:Policy", "-scale-requests")
    label = policy.inputs["targetTrackingScalingPolicyConfiguration"][
        "predefinedMetricSpecification"
    ]["resourceLabel"]
    assert (
        label == f"app/shared-alb/50dc6c495c0c9188/{result.one(TARGET_GROUP).outputs['arnSuffix']}"
    )


def test_a_duplicate_priority_in_one_program_is_an_error_before_the_second_app_registers():
    def program() -> None:
        FargateApp("web", {"platform": PLAIN_PLATFORM, "routing": _route("/*", 5)})
        FargateApp("api", {"platform": PLAIN_PLATFORM, "routing": _route("/api/*", 5)})

    with pytest.raises(FargateAppConfigError) as error:
        _run(program)
    assert str(error.value) == (
        "FargateApp routing.priority: 5 is not allowed; app 'web' already uses it; priorities "
        "are unique among the apps of one program"
    )


def test_priorities_are_per_program_runs_do_not_leak_into_each_other():
    def program() -> None:
        FargateApp("web", {"platform": PLAIN_PLATFORM, "routing": _route("/*", 5)})

    _run(program)
    assert len(_run(program).of_type(RULE)) == 1


BAD_ROUTING = [
    (
        {"network": {"az_count": 2}, "routing": _route("/*", 1)},
        "FargateApp platform and network: not allowed together; an app in a platform uses the "
        "platform's network",
    ),
    (
        {"load_balancer": {"idle_timeout": 30}, "routing": _route("/*", 1)},
        "FargateApp platform and load_balancer: not allowed together; an app in a platform uses "
        "the platform's load balancer",
    ),
    (
        {},
        "FargateApp routing: None is not allowed; an app in a platform needs a listener rule: "
        "routing.path_patterns and/or routing.host_headers, and routing.priority",
    ),
    (
        {"routing": {"priority": 3}},
        "FargateApp routing: {'priority': 3} is not allowed; expected at least one condition: "
        "routing.path_patterns or routing.host_headers",
    ),
    (
        {"routing": {"path_patterns": ["/*"]}},
        "FargateApp routing.priority: None is not allowed; expected a whole number from 1 to 50000",
    ),
    (
        {"routing": _route("/*", 50001)},
        "FargateApp routing.priority: 50001 is not allowed; expected a whole number from 1 to "
        "50000",
    ),
    (
        {"routing": {"path_patterns": ["/a", "/b", "/c", "/d"], "priority": 1}},
        "FargateApp routing.path_patterns: ['/a', '/b', '/c', '/d'] is not allowed; expected a "
        "list of 1 to 3 values",
    ),
    (
        {
            "routing": {
                "path_patterns": ["/a", "/b", "/c"],
                "host_headers": ["a.example.com", "b.example.com", "c.example.com"],
                "priority": 1,
            }
        },
        "FargateApp routing: ['a.example.com', 'b.example.com', 'c.example.com', '/a', '/b', "
        "'/c'] is not allowed; a listener rule matches at most 5 values in total (host headers "
        "plus path patterns)",
    ),
    (
        {"routing": _route("/" + "a" * 128, 1)},
        f"FargateApp routing.path_patterns: '/{'a' * 128}' is not allowed; expected 1 to 128 "
        "characters",
    ),
    (
        {"routing": _route("/api v1/*", 1)},
        "FargateApp routing.path_patterns: '/api v1/*' is not allowed; expected letters, digits, "
        "_ - . $ / ~ \" ' @ : + & and the wildcards * ?",
    ),
    (
        {"routing": {"host_headers": ["localhost"], "priority": 1}},
        "FargateApp routing.host_headers: 'localhost' is not allowed; expected letters, digits, "
        "- _ . and the wildcards * ?, with a '.' and only letters after the last '.'",
    ),
    (
        {"routing": {"host_headers": ["example.c0m"], "priority": 1}},
        "FargateApp routing.host_headers: 'example.c0m' is not allowed; expected letters, "
        "digits, - _ . and the wildcards * ?, with a '.' and only letters after the last '.'",
    ),
    (
        {"routing": {"host_headers": [], "priority": 1}},
        "FargateApp routing.host_headers: [] is not allowed; expected a list of 1 to 3 values",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_ROUTING)
def test_bad_platform_and_routing_args_fail_with_one_line_before_anything_registers(args, message):
    mocks = RecordingMocks()
    with pytest.raises(FargateAppConfigError) as error:
        run_program(
            None,
            mocks,
            program=lambda: FargateApp("web", {"platform": PLAIN_PLATFORM, **args}),
            stack="test",
        )
    assert str(error.value) == message
    assert mocks.registered == []


def test_routing_without_a_platform_and_a_platform_missing_a_key_are_errors():
    with pytest.raises(FargateAppConfigError) as error:
        _run(lambda: FargateApp("web", {"routing": _route("/*", 1)}))
    assert str(error.value) == (
        "FargateApp routing: {'path_patterns': ['/*'], 'priority': 1} is not allowed; a listener "
        "rule needs platform (a FargatePlatform's `platform` output)"
    )
    partial = {key: value for key, value in PLAIN_PLATFORM.items() if key != "cluster_arn"}
    with pytest.raises(FargateAppConfigError, match=r"^FargateApp platform\.cluster_arn: None"):
        _run(lambda: FargateApp("web", {"platform": partial, "routing": _route("/*", 1)}))


def test_bad_platform_args_name_the_fargate_platform():
    with pytest.raises(FargateAppConfigError) as error:
        _run(lambda: FargatePlatform("shared", {"network": {"az_count": 4}}))
    assert str(error.value) == "FargatePlatform network.az_count: 4 is not allowed; expected 2 or 3"
    with pytest.raises(FargateAppConfigError, match="^FargatePlatform load_balancer.certificate"):
        _run(lambda: FargatePlatform("shared", {"profile": "prod"}))
    with pytest.raises(FargateAppConfigError, match="^FargatePlatform image: unknown setting"):
        _run(lambda: FargatePlatform("shared", {"image": "nginx"}))


def test_a_prod_app_in_a_platform_needs_no_certificate_of_its_own():
    def program() -> None:
        FargateApp(
            "web", {"platform": PLAIN_PLATFORM, "profile": "prod", "routing": _route("/*", 1)}
        )

    result = _run(program)
    assert result.one(SERVICE).inputs["desiredCount"] == 2  # prod's count, no own ALB needed


def test_a_prod_platform_gets_the_prod_controls_of_a_network_and_load_balancer():
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    args = {"profile": "prod", "load_balancer": {"certificate_arn": certificate}}
    result = _platform_with_apps({"web": {"routing": _route("/*", 1)}}, args)
    (web_acl,) = result.of_type("aws:wafv2/webAcl:WebAcl")
    association = result.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == result.one(LOAD_BALANCER).outputs["arn"]
    assert association.inputs["webAclArn"] == web_acl.outputs["arn"]
    assert result.one(LOAD_BALANCER).inputs["accessLogs"]["enabled"] is True
    (key,) = result.of_type("aws:kms/key:Key")
    flow_logs = result.one("aws:cloudwatch/logGroup:LogGroup", "-flow-logs")
    assert flow_logs.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True


def test_a_dev_platform_leaves_waf_kms_and_access_logs_off():
    result = _platform_with_apps({"web": {"routing": _route("/*", 1)}})
    assert result.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert result.of_type("aws:kms/key:Key") == []


# -- the program: a stack config with a platform and apps ----------------------------------------


def test_platform_stack_file_deploys_web_and_api_and_exports_reconcile_as_a_list():
    result = deploy_stack(ROOT / "stacks/Pulumi.platform.yaml")
    assert len(result.of_type("fargate-app:index:FargatePlatform")) == 1
    rules = {
        rule.name: (rule.inputs["priority"], rule.inputs["conditions"])
        for rule in result.of_type(RULE)
    }
    assert rules == {
        "web-rule": (200, [{"pathPattern": {"values": ["/*"]}}]),
        "api-rule": (100, [{"pathPattern": {"values": ["/api/*"]}}]),
    }
    reconcile = result.outputs["reconcile"]
    assert [(entry["service"], entry["desired_count"]) for entry in reconcile] == [
        ("web", 2),
        ("api", 1),
    ]
    assert {entry["cluster"] for entry in reconcile} == {result.outputs["platform"]["cluster_name"]}
    assert set(result.outputs["apps"]) == {"web", "api"}
    assert result.outputs["apps"]["api"]["url"] == result.outputs["url"]


def test_platform_stack_config_validates_every_app_before_registering_anything():
    config = {
        "fargate-app:platform": {},
        "fargate-app:apps": {
            "web": {"routing": {"pathPatterns": ["/*"], "priority": 7}},
            "api": {"routing": {"pathPatterns": ["/api/*"], "priority": 7}},
        },
    }
    mocks = RecordingMocks()
    with pytest.raises(FargateAppConfigError) as error:
        run_program(None, mocks, config=config, stack="shared")
    assert str(error.value) == (
        "FargateApp apps.api.routing.priority: 7 is not allowed; app 'web' already uses it; "
        "priorities are unique among the apps of one program"
    )
    assert mocks.registered == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"fargate-app:apps": {"web": {}}},
            "config fargate-app:apps: apps need a platform; also set fargate-app:platform (the "
            "FargatePlatform's args, {} for its defaults)",
        ),
        (
            {"fargate-app:platform": {}, "fargate-app:image": "nginx"},
            "config fargate-app:image: not allowed beside fargate-app:platform; give each app's "
            "args under fargate-app:apps.<app name>",
        ),
        (
            {"fargate-app:platform": {"loadBalancr": {}}},
            "config fargate-app:platform.loadBalancr: unknown key; allowed: kmsEncryption, "
            "kmsKeyArn, loadBalancer, logRetentionDays, network, profile, tags, waf",
        ),
        (
            {
                "fargate-app:platform": {},
                "fargate-app:apps": {"web": {"platform": {}, "routing": {"priority": 1}}},
            },
            "config fargate-app:apps.web.platform: not allowed; the program deploys every app "
            "into the stack's fargate-app:platform",
        ),
    ],
)
def test_platform_stack_config_errors(config, message):
    with pytest.raises(FargateAppConfigError) as error:
        run_program(None, AwsLikeMocks(), config=config, stack="shared")
    assert str(error.value) == message


def test_a_platform_only_stack_exports_platform_and_no_reconcile():
    result = run_program(None, AwsLikeMocks(), config={"fargate-app:platform": {}}, stack="shared")
    assert "reconcile" not in result.outputs
    assert result.outputs["platform"]["cluster_name"] == "platform-shared"
    assert result.of_type("fargate-app:index:FargateApp") == []
