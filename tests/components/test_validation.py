"""Validation: every bad input is a one-line ValueError naming field, value and what is allowed,
raised before any resource is registered."""

import pytest

from components import FargateAppConfigError, resolve_settings

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"

INVALID = [
    # (args, field in message, fragment of what is allowed)
    ({"cpu": 300}, "cpu: 300", "256, 512, 1024"),
    ({"cpu": 256, "memory": 4096}, "memory: 4096", "512, 1024, 2048"),
    ({"cpu": 1024, "memory": 1024}, "memory: 1024", "2048 to 8192"),
    ({"cpu": 8192, "memory": 18432}, "memory: 18432", "16384 to 61440 MiB in steps of 4096"),
    ({"cpu": 16384, "memory": 131072}, "memory: 131072", "32768 to 122880"),
    ({"container_port": 0}, "container_port: 0", "1 to 65535"),
    ({"container_port": 70000}, "container_port: 70000", "1 to 65535"),
    ({"container_port": "80"}, "container_port: '80'", "whole number"),
    ({"desired_count": -1}, "desired_count: -1", "0 to 5000"),
    ({"autoscaling": {"min_count": -2}}, "autoscaling.min_count: -2", "0 to 5000"),
    (
        {"autoscaling": {"min_count": 5, "max_count": 2}},
        "autoscaling.min_count: 5",
        "at most autoscaling.max_count (2)",
    ),
    (
        {"desired_count": 9, "autoscaling": {"min_count": 1, "max_count": 4}},
        "desired_count: 9",
        "within autoscaling [1, 4]",
    ),
    ({"autoscaling": {"cpu_target": 150}}, "autoscaling.cpu_target: 150", "at most 100"),
    ({"network": {"az_count": 4}}, "network.az_count: 4", "2 or 3"),
    ({"network": {"az_count": 1}}, "network.az_count: 1", "2 or 3"),
    ({"network": {"cidr_block": "10.0.0.300/16"}}, "network.cidr_block", "CIDR block"),
    ({"network": {"cidr_block": "10.0.0.1/16"}}, "network.cidr_block", "no host bits"),
    ({"network": {"cidr_block": "10.0.0.0/26"}}, "network.cidr_block: '10.0.0.0/26'", "/16 to /24"),
    ({"network": {"cidr_block": "10.0.0.0/8"}}, "network.cidr_block: '10.0.0.0/8'", "/16 to /24"),
    ({"network": {"nat_gateways": "two"}}, "network.nat_gateways: 'two'", "none, single, per_az"),
    (
        {"network": {"nat_gateways": "none"}},
        "network.nat_gateways: 'none'",
        "network.vpc_endpoints: true",
    ),
    ({"network": {"vpc_id": "vpc-1"}}, "network.public_subnet_ids", "needs all of"),
    (
        {
            "network": {
                "vpc_id": "vpc-1",
                "public_subnet_ids": ["a"],
                "private_subnet_ids": ["b", "c"],
            }
        },
        "network.public_subnet_ids",
        "at least 2",
    ),
    ({"assign_public_ip": True}, "assign_public_ip: True", "nat_gateways: none"),
    ({"health_check_path": "healthz"}, "health_check_path: 'healthz'", "starting with '/'"),
    ({"secrets": {"DB": "my-password"}}, "secrets.DB: 'my-password'", "Secrets Manager secret ARN"),
    ({"secrets": {"DB": "arn:aws:s3:::bucket/key"}}, "secrets.DB", "SSM parameter ARN"),
    ({"secrets": {"1BAD": SECRET}}, "secrets: '1BAD'", "[A-Za-z_]"),
    ({"environment": {"DB": "x"}, "secrets": {"DB": SECRET}}, "secrets.DB", "not both"),
    ({"cpu_architecture": "arm"}, "cpu_architecture: 'arm'", "X86_64, ARM64"),
    ({"cpu_architecture": "ARM64", "spot": True}, "spot: True", "does not run ARM64"),
    ({"profile": "staging"}, "profile: 'staging'", "dev, prod"),
    (
        {"profile": "prod"},
        "load_balancer.certificate_arn: None",
        "requires HTTPS for an internet-facing load balancer",
    ),
    ({"load_balancer": {"certificate_arn": "not-an-arn"}}, "load_balancer.certificate_arn", "ACM"),
    (
        {"load_balancer": {"ssl_policy": "ELBSecurityPolicy-2016-08"}},
        "load_balancer.ssl_policy: 'ELBSecurityPolicy-2016-08'",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ),
    ({"load_balancer": {"allowed_cidrs": ["0.0.0.0/33"]}}, "load_balancer.allowed_cidrs", "CIDR"),
    ({"load_balancer": {"allowed_cidrs": []}}, "load_balancer.allowed_cidrs", "non-empty"),
    ({"load_balancer": {"idle_timeout": 0}}, "load_balancer.idle_timeout: 0", "1 to 4000"),
    ({"log_retention_days": 10}, "log_retention_days: 10", "1, 3, 5, 7, 14"),
    ({"image_tag": "bad tag"}, "image_tag: 'bad tag'", "image tag"),
    ({"health_check_command": ["curl"]}, "health_check_command", '"CMD-SHELL"'),
    ({"readonly_root_filesystem": "yes"}, "readonly_root_filesystem: 'yes'", "true or false"),
    ({"tags": {"aws:x": "y"}}, "tags: 'aws:x'", "not starting 'aws:'"),
    ({"cpuu": 256}, "cpuu: unknown setting", "allowed keys: "),
    ({"network": {"cidr": "10.0.0.0/16"}}, "network.cidr: unknown setting", "cidr_block"),
    (
        {"load_balancer": {"certificate": CERT}},
        "load_balancer.certificate: unknown setting",
        "certificate_arn",
    ),
    ({"autoscaling": {"max": 3}}, "autoscaling.max: unknown setting", "max_count"),
]


@pytest.mark.parametrize(("args", "field", "allowed"), INVALID, ids=[i[1] for i in INVALID])
def test_invalid_args_name_field_value_and_allowed(args, field, allowed):
    with pytest.raises(ValueError) as caught:
        resolve_settings(args)
    message = str(caught.value)
    assert isinstance(caught.value, FargateAppConfigError)
    assert "\n" not in message
    assert f"FargateApp {field}" in message
    assert allowed in message


def test_invalid_args_register_nothing():
    from components import FargateApp
    from components.mocks import AwsLikeMocks
    from components.program import run_program

    errors = []

    def program():
        try:
            FargateApp("web", {"cpu": 256, "memory": 4096, "network": {"az_count": 3}})
        except FargateAppConfigError as error:
            errors.append(str(error))

    result = run_program(None, AwsLikeMocks(), program=program)
    assert errors and "memory: 4096" in errors[0]
    assert result.resources == []


def test_az_count_larger_than_the_region_offers_is_refused(app):
    from components.mocks import AwsLikeMocks

    with pytest.raises(FargateAppConfigError, match=r"network.az_count: 3 .* has 2 available AZs"):
        app({"network": {"az_count": 3}}, mocks=AwsLikeMocks(zones=["us-east-1a", "us-east-1b"]))


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 512),
        (256, 2048),
        (512, 4096),
        (1024, 8192),
        (2048, 16384),
        (4096, 30720),
        (8192, 61440),
        (16384, 32768),
        (16384, 122880),
    ],
)
def test_every_fargate_boundary_pair_is_accepted(cpu, memory):
    settings = resolve_settings({"cpu": cpu, "memory": memory})
    assert (settings.service.cpu, settings.service.memory) == (cpu, memory)


def test_explicit_args_override_the_profile():
    settings = resolve_settings(
        {
            "profile": "prod",
            "desired_count": 1,
            "log_retention_days": 30,
            "load_balancer": {"internal": True, "deletion_protection": False},
            "network": {"az_count": 2, "nat_gateways": "single"},
        }
    )
    assert settings.service.desired_count == 1
    assert settings.service.log_retention_days == 30
    assert settings.load_balancer.deletion_protection is False
    assert (settings.network.az_count, settings.network.nat_gateways) == (2, "single")


def test_autoscaling_without_desired_count_starts_inside_the_range():
    settings = resolve_settings({"autoscaling": {"min_count": 3, "max_count": 6}})
    assert settings.service.desired_count == 3
    assert settings.service.autoscaling.cpu_target == 70.0


NAT_LESS = {"network": {"nat_gateways": "none", "vpc_endpoints": True}}
ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.0"


@pytest.mark.parametrize(
    "image",
    ["nginx:1.27", "public.ecr.aws/nginx/nginx:1.27", "ghcr.io/acme/web:1", "docker.io/web"],
)
def test_without_nat_an_image_outside_private_ecr_is_refused_with_what_to_do(image):
    with pytest.raises(FargateAppConfigError) as caught:
        resolve_settings({**NAT_LESS, "image": image})
    message = str(caught.value)
    assert message.startswith(f"FargateApp image: {image!r} is not allowed; with network.")
    assert "push the image to the app's repository and leave image unset" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "args",
    [
        {**NAT_LESS, "image": ECR_IMAGE},
        {**NAT_LESS, "image": "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1"},
        NAT_LESS,
        {"network": {"nat_gateways": "none"}, "assign_public_ip": True, "image": "nginx:1.27"},
        {"network": {"nat_gateways": "single"}, "image": "nginx:1.27"},
    ],
)
def test_images_tasks_can_reach_are_accepted(args):
    assert resolve_settings(args).service.image == args.get("image")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:ssm:useast1:123456789012:parameter/web/key",
        "arn:aws:ssm:us-east-1:12345678901:parameter/web/key",
        "arn:aws:secretsmanager:US-EAST-1:123456789012:secret:db-AbCdEf",
        "arn:aws:secretsmanager:us-east:123456789012:secret:db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:acct:secret:db-AbCdEf",
        "arn:awsx:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    ],
)
def test_a_secret_arn_with_a_malformed_partition_region_or_account_is_refused(arn):
    with pytest.raises(FargateAppConfigError, match=r"^FargateApp secrets.DB: '.*' is not allowed"):
        resolve_settings({"secrets": {"DB": arn}})


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:ssm:us-east-1:123456789012:parameter/web/key",
        "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf",
        "arn:aws-cn:ssm:cn-northwest-1:123456789012:parameter/key",
        "arn:aws:secretsmanager:ap-southeast-5:123456789012:secret:db-AbCdEf",
    ],
)
def test_secret_arns_of_every_partition_are_accepted(arn):
    assert resolve_settings({"secrets": {"DB": arn}}).service.secrets == {"DB": arn}
