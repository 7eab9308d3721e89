"""Any app name works: every physical name the component registers satisfies AWS's rule for it.

An auto-named resource's physical name is its logical name plus Pulumi's 8-character suffix.
"""

import pytest

from components import FargateAppConfigError
from components.mocks import AwsLikeMocks
from components.name_rules import (
    APP_NAME,
    AUTONAME_EXAMPLE_SUFFIX,
    AUTONAMED,
    ECR_REPOSITORY,
    IAM_ROLE,
    IAM_ROLE_DESCRIPTION,
    LOAD_BALANCER,
    LOG_GROUP,
    NAME_RULES,
    SECURITY_GROUP,
    SECURITY_GROUP_DESCRIPTION,
    TARGET_GROUP,
)

from .conftest import deploy

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0000"
EVERY_NAMED_RESOURCE = {
    "profile": "prod",
    "secrets": {"DATABASE_URL": SECRET},
    "load_balancer": {"certificate_arn": CERTIFICATE},
    "network": {"flow_logs": True, "vpc_endpoints": True},
    "task_role_statements": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    ],
    "enable_execute_command": True,
}
AWKWARD_NAMES = [
    "a" * 64,
    "b" * APP_NAME.max_length,
    "x" * 47,
    "my app",
    "sg-web",
    "SG-Web",
    "WebApp",
    "web.app",
    "web_app",
    "_web_",
    "ñandú-café",
    "应用",
    "internal-web",
    "a",
    "team/web@v2",
    "-web-",
    "web..app--x",
]


@pytest.mark.parametrize(
    ("rule", "name", "allowed"),
    [
        (IAM_ROLE, "a" * 64, True),
        (IAM_ROLE, "a" * 65, False),
        (IAM_ROLE, "my app", False),
        (IAM_ROLE, "web+=,.@-_1", True),
        (IAM_ROLE, "ñandú", False),
        (SECURITY_GROUP, "sg-web", False),
        (SECURITY_GROUP, "SG-web", False),
        (SECURITY_GROUP, "web sg (alb) #1", True),
        (SECURITY_GROUP, "caf\u00e9", False),
        (SECURITY_GROUP_DESCRIPTION, "ALB of web: listener ports", True),
        (ECR_REPOSITORY, "and--caf--dev", False),
        (ECR_REPOSITORY, "team/web-dev", True),
        (ECR_REPOSITORY, "Web", False),
        (ECR_REPOSITORY, "a", False),
        (ECR_REPOSITORY, "a.b_c-d/e", True),
        (LOG_GROUP, "/ecs/web-dev", True),
        (LOG_GROUP, "/ecs/web dev", False),
        (LOAD_BALANCER, "internal-web", False),
        (LOAD_BALANCER, "web-" + "a" * 28, True),
        (LOAD_BALANCER, "web-" + "a" * 29, False),
        (TARGET_GROUP, "-web", False),
        (TARGET_GROUP, "web--tg", False),
        (IAM_ROLE_DESCRIPTION, "Role of ñandú", True),
        (IAM_ROLE_DESCRIPTION, "Role of 应用", False),
    ],
)
def test_each_rule_accepts_and_refuses_what_aws_documents(rule, name, allowed):
    assert rule.allows(name) is allowed


def physical_names(result):
    """(type, property, logical name, physical name) of every name the rules cover."""
    found = []
    for resource in result.resources:
        for (type_, prop), _rule in NAME_RULES.items():
            if resource.type_ != type_:
                continue
            value = resource.inputs.get(prop)
            if value is None and prop == "name" and type_ in AUTONAMED:
                value = resource.name + AUTONAME_EXAMPLE_SUFFIX
            if value is not None:
                found.append((type_, prop, resource.name, value))
    return found


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_every_physical_name_of_an_awkward_app_name_satisfies_its_aws_rule(name):
    result = deploy(EVERY_NAMED_RESOURCE, name=name)
    names = physical_names(result)
    assert {(type_, prop) for type_, prop, _, _ in names} == set(NAME_RULES)
    refused = [
        (type_, prop, value, NAME_RULES[type_, prop].problems(value))
        for type_, prop, _, value in names
        if not NAME_RULES[type_, prop].allows(value)
    ]
    assert refused == []


def test_a_name_is_kept_while_it_fits_and_made_to_fit_past_the_limit():
    # "<name>-execution-<7 hex>" is 64 characters for a 46-character name.
    fits = deploy({}, name="a" * 46).one("aws:iam/role:Role", "-execution")
    too_long = deploy({}, name="a" * 47).one("aws:iam/role:Role", "-execution")
    assert "name" not in fits.inputs
    assert len(too_long.inputs["name"]) == IAM_ROLE.max_length
    assert too_long.inputs["name"].startswith("a" * 47 + "-execu")


def test_a_forbidden_prefix_or_alphabet_gets_a_derived_name_and_description():
    result = deploy({}, name="sg-ñandú")
    group = result.one("aws:ec2/securityGroup:SecurityGroup", "-alb")
    assert group.inputs["name"].startswith("xsg-nandu-alb-")
    assert group.inputs["description"] == (
        "ALB of sg-nandu: listener ports from the allowed CIDRs only"
    )
    repository = result.one("aws:ecr/repository:Repository")
    assert repository.inputs["name"].startswith("sg-nandu-test-")


def test_derived_names_of_names_that_sanitize_alike_differ():
    accented = deploy({}, name="ñandú-café").one("aws:ecr/repository:Repository")
    plain = deploy({}, name="nandu-cafe").one("aws:ecr/repository:Repository")
    assert plain.inputs["name"] == "nandu-cafe-test"
    assert accented.inputs["name"] != plain.inputs["name"]
    assert ECR_REPOSITORY.allows(accented.inputs["name"])


def test_an_app_name_valid_today_keeps_every_name_it_had():
    result = deploy(EVERY_NAMED_RESOURCE, name="web", stack="dev")
    auto_named = [r.name for r in result.resources if r.type_ in AUTONAMED]
    assert auto_named and all(
        "name" not in r.inputs for r in result.resources if r.type_ in AUTONAMED
    )
    assert result.one("aws:ecr/repository:Repository").inputs["name"] == "web-dev"
    assert result.one("aws:ecs/cluster:Cluster").inputs["name"] == "web-dev"
    assert result.one("aws:ecs/service:Service").inputs["name"] == "web"
    assert (
        result.one("aws:cloudwatch/logGroup:LogGroup", "web-logs").inputs["name"] == "/ecs/web-dev"
    )
    group = result.one("aws:ec2/securityGroup:SecurityGroup", "-tasks")
    assert group.inputs["description"] == "Tasks of web: container port from the load balancer only"


class _CountingMocks(AwsLikeMocks):
    def __init__(self) -> None:
        super().__init__()
        self.registered: list[str] = []

    def new_resource(self, args):
        self.registered.append(args.name)
        return super().new_resource(args)


@pytest.mark.parametrize(
    "name", ["", "b" * (APP_NAME.max_length + 1), "web!", "tab\there", "a'b", "x#1"]
)
def test_a_name_aws_cannot_take_is_a_one_line_error_before_anything_is_registered(name):
    mocks = _CountingMocks()
    with pytest.raises(FargateAppConfigError) as error:
        deploy({}, name=name, mocks=mocks)
    message = str(error.value)
    assert message.startswith(f"FargateApp name: {name!r} is not allowed; expected 1 to 128 ")
    assert "\n" not in message
    assert mocks.registered == []
