"""Validate FargateApp args and resolve them, with profile defaults, into ``AppSettings``.

Runs before any resource is registered. Every error is a ``ValueError`` whose one-line message
names the field, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import typing
import weakref
from collections.abc import Mapping
from typing import Any, Optional

import pulumi

from .args import (
    AutoscalingArgs,
    ContainerDependencyArgs,
    FargateAppArgs,
    FargatePlatformArgs,
    LoadBalancerArgs,
    NetworkArgs,
    PolicyStatementArgs,
    PortMappingArgs,
    SharedPlatform,
    SidecarArgs,
    WafArgs,
)
from .arns import ACCOUNT, PARTITION, PRIVATE_ECR_IMAGE, REGION
from .containers import CONTAINER_NAME
from .fargate_limits import (
    COMPLIANT_SSL_POLICIES,
    CONTAINER_DEPENDENCY_CONDITIONS,
    CPU_ARCHITECTURES,
    EPHEMERAL_STORAGE_GIB_RANGE,
    EXIT_CONDITIONS,
    FARGATE_MEMORY_BY_CPU,
    LOG_RETENTION_DAYS,
    MAX_STOP_TIMEOUT_SECONDS,
    NAT_STRATEGIES,
    POLICY_STATEMENT_EFFECTS,
    PORT_PROTOCOLS,
)
from .name_rules import APP_NAME
from .profiles import PROFILES
from .routing import (
    CONDITION_VALUE_MAX,
    HOST_HEADER,
    HOST_HEADER_TEXT,
    MAX_VALUES_PER_CONDITION,
    MAX_VALUES_PER_RULE,
    PATH_PATTERN,
    PATH_PATTERN_TEXT,
    RULE_PRIORITY_RANGE,
)
from .settings import (
    MAX_COUNT_PER_MIN_COUNT,
    WAF_RATE_LIMIT_MAX,
    WAF_RATE_LIMIT_MIN,
    AppSettings,
    AutoscalingSettings,
    ContainerDependency,
    LoadBalancerSettings,
    NetworkSettings,
    PlatformSettings,
    PortMapping,
    RegistrySettings,
    RoutingSettings,
    ServiceSettings,
    SidecarSettings,
    WafSettings,
)

SECRET_ARN = re.compile(
    rf"^arn:{PARTITION}:(secretsmanager:{REGION}:{ACCOUNT}:secret:.+"
    rf"|ssm:{REGION}:{ACCOUNT}:parameter/.+)$"
)
KMS_KEY_ARN = re.compile(
    rf"^arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/"
    r"(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
"""A KMS key ARN (not an alias: CloudWatch Logs takes key ARNs only)."""
WEB_ACL_ARN = re.compile(
    rf"^arn:{PARTITION}:wafv2:{REGION}:{ACCOUNT}:regional/webacl/[\w-]{{1,128}}/[0-9a-f-]{{36}}$"
)
"""A REGIONAL WAFv2 web ACL ARN (the scope an ALB can be associated with)."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TAG_KEY_MAX, TAG_VALUE_MAX = 128, 256
SMALLEST_VPC_PREFIX, LARGEST_VPC_PREFIX = 24, 16
SUBNET_PREFIX_BITS = 3  # 8 equal slots: public subnets in 0-2, private in 4-6


class FargateAppConfigError(ValueError, pulumi.RunError):
    """A FargateApp arg is invalid; the message names the field, the value and what is allowed.

    A ``pulumi.RunError``, so `pulumi up` prints the message without a traceback.
    """


def _fail(field: str, value: Any, allowed: str) -> typing.NoReturn:
    raise FargateAppConfigError(f"FargateApp {field}: {value!r} is not allowed; {allowed}")


def _is_known(value: Any) -> bool:
    """True for plain values; Outputs and awaitables are checked by AWS at deploy time instead."""
    return not isinstance(value, pulumi.Output) and not hasattr(value, "__await__")


def check_keys(args: Mapping[str, Any], schema: type, path: str = "") -> None:
    """Reject keys that are not in ``schema`` (a TypedDict), recursing into nested groups."""
    if not isinstance(args, Mapping):
        _fail(path.rstrip(".") or "args", args, "expected a mapping of settings")
    hints = annotations_of(schema)
    for key, value in args.items():
        if key not in hints:
            allowed = ", ".join(sorted(hints))
            raise FargateAppConfigError(
                f"FargateApp {path}{key}: unknown setting; allowed keys: {allowed}"
            )
        nested = typed_dict_of(hints[key])
        if nested is not None and value is not None and _is_known(value):
            check_keys(value, nested, f"{path}{key}.")


def annotations_of(typed_dict: type) -> dict[str, Any]:
    """Keys of a TypedDict (including inherited ones) with their unevaluated annotations."""
    return dict(typed_dict.__annotations__)


def typed_dict_of(hint: Any) -> Optional[type]:
    """The TypedDict inside ``hint`` (``NetworkArgs`` for ``NotRequired[NetworkArgs]``), if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if typing.is_typeddict(candidate):
            return candidate
    return None


def _int(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(field, value, f"expected a whole number from {low} to {high}")
    return value


def _number(field: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
        _fail(field, value, f"expected a number greater than {low:g} and at most {high:g}")
    return float(value)


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(field, value, "expected true or false")
    return value


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        _fail(field, value, f"expected one of {', '.join(choices)}")
    return value


def _str_map(field: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        _fail(field, value, "expected a mapping of names to values")
    return dict(value)


def _cidr(field: str, value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        _fail(field, value, "expected a CIDR block such as 10.0.0.0/16 with no host bits set")


# -- groups --------------------------------------------------------------------------------------

NEW_VPC_KEYS = ("cidr_block", "az_count", "nat_gateways", "vpc_endpoints", "flow_logs")
BRING_YOUR_OWN_KEYS = ("vpc_id", "public_subnet_ids", "private_subnet_ids")


def _network(
    args: NetworkArgs, profile: str, uses_secrets: bool, log_retention_days: int
) -> NetworkSettings:
    if any(args.get(key) is not None for key in BRING_YOUR_OWN_KEYS):
        return _existing_network(args)
    defaults = PROFILES[profile]
    az_count = args.get("az_count", defaults.az_count)
    if az_count not in (2, 3) or isinstance(az_count, bool):
        _fail("network.az_count", az_count, "expected 2 or 3")
    endpoints = _bool(
        "network.vpc_endpoints", args.get("vpc_endpoints", NetworkSettings.vpc_endpoints)
    )
    return NetworkSettings(
        cidr_block=_vpc_cidr(args.get("cidr_block", NetworkSettings.cidr_block), az_count),
        az_count=az_count,
        nat_gateways=_choice(
            "network.nat_gateways", args.get("nat_gateways", defaults.nat_gateways), NAT_STRATEGIES
        ),
        vpc_endpoints=endpoints,
        with_secrets_endpoints=endpoints and uses_secrets,
        flow_logs=_bool("network.flow_logs", args.get("flow_logs", defaults.flow_logs)),
        flow_log_retention_days=log_retention_days,
    )


def _existing_network(args: NetworkArgs) -> NetworkSettings:
    missing = [key for key in BRING_YOUR_OWN_KEYS if args.get(key) is None]
    if missing:
        _fail(
            f"network.{missing[0]}", None, f"bring-your-own VPC needs all of {BRING_YOUR_OWN_KEYS}"
        )
    new_vpc_keys = [key for key in NEW_VPC_KEYS if key in args]
    if new_vpc_keys:
        _fail(
            f"network.{new_vpc_keys[0]}",
            args[new_vpc_keys[0]],
            "it only applies to a new VPC, not with network.vpc_id",
        )
    for key in ("public_subnet_ids", "private_subnet_ids"):
        ids = args[key]
        if not isinstance(ids, (list, tuple)) or len(ids) < 2:
            _fail(f"network.{key}", ids, "expected at least 2 subnet ids in distinct AZs")
    return NetworkSettings(
        vpc_id=args["vpc_id"],
        public_subnet_ids=tuple(args["public_subnet_ids"]),
        private_subnet_ids=tuple(args["private_subnet_ids"]),
    )


def _vpc_cidr(cidr_block: Any, az_count: int) -> str:
    network = _cidr("network.cidr_block", cidr_block)
    if network.version != 4:
        _fail("network.cidr_block", cidr_block, "expected an IPv4 CIDR")
    if not LARGEST_VPC_PREFIX <= network.prefixlen <= SMALLEST_VPC_PREFIX:
        _fail(
            "network.cidr_block",
            cidr_block,
            f"{2 * az_count} subnets need a /{LARGEST_VPC_PREFIX} to /{SMALLEST_VPC_PREFIX} block "
            f"(each subnet gets 1/8 of it, at least a /27)",
        )
    return str(network)


def _load_balancer(
    args: LoadBalancerArgs,
    app: FargateAppArgs,
    profile: str,
    container_port: int,
    network: NetworkSettings,
    log_retention_days: int,
) -> LoadBalancerSettings:
    internal = _bool("load_balancer.internal", args.get("internal", LoadBalancerSettings.internal))
    access_logs, bucket = _access_logs(args, profile)
    idle_timeout = args.get("idle_timeout", LoadBalancerSettings.idle_timeout)
    deletion_protection = args.get("deletion_protection", PROFILES[profile].deletion_protection)
    return LoadBalancerSettings(
        container_port=container_port,
        health_check_path=_health_check_path(app),
        internal=internal,
        certificate_arn=_certificate_arn(args, profile, internal),
        ssl_policy=_choice(
            "load_balancer.ssl_policy",
            args.get("ssl_policy", LoadBalancerSettings.ssl_policy),
            COMPLIANT_SSL_POLICIES,
        ),
        allowed_cidrs=_allowed_cidrs(args, internal, network),
        idle_timeout=_int("load_balancer.idle_timeout", idle_timeout, 1, 4000),
        deregistration_delay=_int(
            "load_balancer.deregistration_delay",
            args.get("deregistration_delay", LoadBalancerSettings.deregistration_delay),
            0,
            3600,
        ),
        deletion_protection=_bool("load_balancer.deletion_protection", deletion_protection),
        access_logs=access_logs,
        access_logs_bucket=bucket,
        access_logs_retention_days=log_retention_days,
        force_destroy_access_logs=PROFILES[profile].force_destroy_access_logs,
        waf=_waf(app.get("waf") or {}, profile, internal),
    )


def _switch(
    group: str, key: str, args: Mapping[str, Any], default: bool, own_key: str, own: Any
) -> bool:
    """A control's on/off ``key`` (``default`` unless given); bringing one's own resource
    (``own``, the value of ``own_key``) turns it on, and switching it off then is an error."""
    enabled = _bool(f"{group}{key}", args.get(key, default or own is not None))
    if own is not None and not enabled:
        _fail(f"{group}{key}", False, f"{group}{own_key} is set: remove it or set {key}: true")
    return enabled


def _arn(field: str, value: Any, pattern: re.Pattern[str], expected: str) -> Any:
    """``value`` if unset, not known yet (checked by AWS) or matching ``pattern``."""
    if value is not None and _is_known(value):
        if not (isinstance(value, str) and pattern.match(value)):
            _fail(field, value, expected)
    return value


def _access_logs(args: LoadBalancerArgs, profile: str) -> tuple[bool, Optional[str]]:
    """Whether the ALB writes access logs, and to which bucket (None: the component's)."""
    bucket = args.get("access_logs_bucket", LoadBalancerSettings.access_logs_bucket)
    if bucket is not None and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", str(bucket)):
        _fail("load_balancer.access_logs_bucket", bucket, "expected an S3 bucket name")
    enabled = _switch(
        "load_balancer.",
        "access_logs",
        args,
        PROFILES[profile].access_logs,
        "access_logs_bucket",
        bucket,
    )
    return enabled, bucket


def _waf(args: WafArgs, profile: str, internal: bool) -> WafSettings:
    """The web ACL settings; on by profile for an internet-facing ALB, or when one is given."""
    check_keys(args, WafArgs, "waf.")
    web_acl_arn = _arn(
        "waf.web_acl_arn",
        args.get("web_acl_arn", WafSettings.web_acl_arn),
        WEB_ACL_ARN,
        "expected a REGIONAL WAFv2 web ACL ARN "
        "(arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)",
    )
    default = PROFILES[profile].waf and not internal
    enabled = _switch("waf.", "enabled", args, default, "web_acl_arn", web_acl_arn)
    rate_limit = _int(
        "waf.rate_limit",
        args.get("rate_limit", WafSettings.rate_limit),
        WAF_RATE_LIMIT_MIN,
        WAF_RATE_LIMIT_MAX,
    )
    return WafSettings(enabled=enabled, web_acl_arn=web_acl_arn, rate_limit=rate_limit)


def _encryption(args: FargateAppArgs, profile: str) -> tuple[bool, Optional[pulumi.Input[str]]]:
    """Whether a customer-managed KMS key encrypts the logs and the repository, and which."""
    key_arn = _arn(
        "kms_key_arn",
        args.get("kms_key_arn", AppSettings.kms_key_arn),
        KMS_KEY_ARN,
        "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias",
    )
    default = PROFILES[profile].kms_encryption
    enabled = _switch("", "kms_encryption", args, default, "kms_key_arn", key_arn)
    return enabled, key_arn


def _certificate_arn(
    args: LoadBalancerArgs, profile: str, internal: bool
) -> Optional[pulumi.Input[str]]:
    certificate_arn = args.get("certificate_arn", LoadBalancerSettings.certificate_arn)
    if certificate_arn is not None and _is_known(certificate_arn):
        if not re.match(r"^arn:aws[a-z-]*:(acm|iam):", str(certificate_arn)):
            _fail(
                "load_balancer.certificate_arn",
                certificate_arn,
                "expected an ACM (or IAM server) certificate ARN",
            )
    if PROFILES[profile].https_required and not internal and certificate_arn is None:
        _fail(
            "load_balancer.certificate_arn",
            None,
            f"profile {profile!r} requires HTTPS for an internet-facing load balancer: "
            "set load_balancer.certificate_arn or load_balancer.internal: true",
        )
    return certificate_arn


def _allowed_cidrs(
    args: LoadBalancerArgs, internal: bool, network: NetworkSettings
) -> tuple[str, ...]:
    # An internal ALB in a VPC we create only needs to admit that VPC.
    default_cidrs = (
        [network.cidr_block]
        if internal and not network.bring_your_own
        else list(LoadBalancerSettings.allowed_cidrs)
    )
    allowed = args.get("allowed_cidrs", default_cidrs)
    if not isinstance(allowed, (list, tuple)) or not allowed:
        _fail("load_balancer.allowed_cidrs", allowed, "expected a non-empty list of CIDR blocks")
    return tuple(str(_cidr("load_balancer.allowed_cidrs", cidr)) for cidr in allowed)


def _health_check_path(args: FargateAppArgs) -> str:
    path = args.get("health_check_path", LoadBalancerSettings.health_check_path)
    if not isinstance(path, str) or not path.startswith("/"):
        _fail("health_check_path", path, "expected a path starting with '/'")
    if len(path) > 1024:
        _fail("health_check_path", path, "expected at most 1024 characters")
    return path


def _service(args: FargateAppArgs, profile: str) -> ServiceSettings:
    defaults = PROFILES[profile]
    container_port = args.get("container_port", ServiceSettings.container_port)
    cpu, memory = _task_size(args)
    architecture, spot = _capacity(args, defaults.spot)
    desired, autoscaling = _counts(args, defaults.desired_count)
    environment, secrets = _environment(args)
    readonly = args.get("readonly_root_filesystem", ServiceSettings.readonly_root_filesystem)
    public_ip = args.get("assign_public_ip", ServiceSettings.assign_public_ip)
    service = ServiceSettings(
        container_port=_int("container_port", container_port, 1, 65535),
        cpu=cpu,
        memory=memory,
        cpu_architecture=architecture,
        desired_count=desired,
        image=_image(args),
        environment=environment,
        secrets=secrets,
        health_check_command=_health_check_command(args),
        readonly_root_filesystem=_bool("readonly_root_filesystem", readonly),
        log_retention_days=_log_retention(args, defaults.log_retention_days),
        assign_public_ip=_bool("assign_public_ip", public_ip),
        spot=spot,
        autoscaling=autoscaling,
    )
    return _with_extensions(args, service)


def _task_size(args: FargateAppArgs) -> tuple[int, int]:
    cpu = args.get("cpu", ServiceSettings.cpu)
    if cpu not in FARGATE_MEMORY_BY_CPU or isinstance(cpu, bool):
        _fail("cpu", cpu, f"expected one of {', '.join(map(str, FARGATE_MEMORY_BY_CPU))}")
    memory = args.get("memory", ServiceSettings.memory)
    if memory not in FARGATE_MEMORY_BY_CPU[cpu] or isinstance(memory, bool):
        allowed = FARGATE_MEMORY_BY_CPU[cpu]
        _fail(
            "memory",
            memory,
            f"with cpu {cpu} Fargate allows {allowed[0]} to {allowed[-1]} MiB in steps of "
            f"{allowed[1] - allowed[0]} ({', '.join(map(str, allowed))})"
            if len(allowed) > 3
            else f"with cpu {cpu} Fargate allows {', '.join(map(str, allowed))} MiB",
        )
    return cpu, memory


def _capacity(args: FargateAppArgs, profile_spot: bool) -> tuple[str, bool]:
    """CPU architecture and whether to run on FARGATE_SPOT (which has no ARM64)."""
    architecture = _choice(
        "cpu_architecture",
        args.get("cpu_architecture", ServiceSettings.cpu_architecture),
        CPU_ARCHITECTURES,
    )
    if "spot" not in args:
        return architecture, profile_spot and architecture == "X86_64"
    spot = _bool("spot", args["spot"])
    if spot and architecture == "ARM64":
        _fail("spot", True, "FARGATE_SPOT does not run ARM64 tasks; use X86_64 or spot: false")
    return architecture, spot


def _counts(
    args: FargateAppArgs, profile_desired: int
) -> tuple[int, Optional[AutoscalingSettings]]:
    """The desired count and the autoscaling range; an unset count starts within the range."""
    desired_given = "desired_count" in args
    desired = _int("desired_count", args.get("desired_count", profile_desired), 0, 5000)
    if args.get("autoscaling") is None:
        return desired, None
    autoscaling = _autoscaling(args["autoscaling"], desired, desired_given)
    if not desired_given:
        desired = min(max(desired, autoscaling.min_count), autoscaling.max_count)
    return desired, autoscaling


def _autoscaling(args: AutoscalingArgs, desired: int, desired_given: bool) -> AutoscalingSettings:
    min_count = _int("autoscaling.min_count", args.get("min_count", desired), 0, 5000)
    max_count = _int(
        "autoscaling.max_count",
        args.get("max_count", max(MAX_COUNT_PER_MIN_COUNT * min_count, 1)),
        1,
        5000,
    )
    if min_count > max_count:
        _fail(
            "autoscaling.min_count",
            min_count,
            f"expected at most autoscaling.max_count ({max_count})",
        )
    if desired_given and not min_count <= desired <= max_count:
        _fail(
            "desired_count",
            desired,
            f"expected a value within autoscaling [{min_count}, {max_count}]",
        )
    targets = {key: args.get(key) for key in ("cpu_target", "memory_target", "requests_per_target")}
    if all(value is None for value in targets.values()):
        targets["cpu_target"] = AutoscalingSettings.cpu_target
    for key in ("cpu_target", "memory_target"):
        if targets[key] is not None:
            targets[key] = _number(f"autoscaling.{key}", targets[key], 0, 100)
    if targets["requests_per_target"] is not None:
        _int("autoscaling.requests_per_target", targets["requests_per_target"], 1, 1_000_000)
    return AutoscalingSettings(min_count=min_count, max_count=max_count, **targets)


def _environment(args: FargateAppArgs) -> tuple[dict[str, str], dict[str, pulumi.Input[str]]]:
    environment = _str_map("environment", args.get("environment", {}))
    secrets = _str_map("secrets", args.get("secrets", {}))
    for group, values in (("environment", environment), ("secrets", secrets)):
        for name in values:
            if not isinstance(name, str) or not ENV_NAME.match(name):
                _fail(f"{group}", name, "variable names must match [A-Za-z_][A-Za-z0-9_]*")
    for name, value in environment.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            _fail(f"environment.{name}", value, "expected a string (or number) value")
    for name, arn in secrets.items():
        if _is_known(arn) and not (isinstance(arn, str) and SECRET_ARN.match(arn)):
            _fail(
                f"secrets.{name}",
                arn,
                "expected a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...) "
                "or an SSM parameter ARN (arn:aws:ssm:...:parameter/...)",
            )
    clash = sorted(set(environment) & set(secrets))
    if clash:
        _fail(f"secrets.{clash[0]}", clash[0], "a name may be in environment or secrets, not both")
    return {k: str(v) for k, v in environment.items()}, secrets


def _health_check_command(args: FargateAppArgs) -> tuple[str, ...]:
    command = args.get("health_check_command")
    if command is not None and (
        not isinstance(command, (list, tuple))
        or not command
        or command[0] not in ("CMD", "CMD-SHELL", "NONE")
    ):
        _fail(
            "health_check_command",
            command,
            'expected a list starting with "CMD" or "CMD-SHELL", e.g. '
            '["CMD-SHELL", "curl -f http://localhost/ || exit 1"]',
        )
    return tuple(command or ServiceSettings.health_check_command)


def _log_retention(args: FargateAppArgs, profile_retention: int) -> int:
    retention = args.get("log_retention_days", profile_retention)
    if retention not in LOG_RETENTION_DAYS or isinstance(retention, bool):
        _fail(
            "log_retention_days",
            retention,
            f"expected one of CloudWatch's values: {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    return retention


def _image_tag(args: FargateAppArgs) -> str:
    image_tag = args.get("image_tag", AppSettings.image_tag)
    if not isinstance(image_tag, str) or not re.match(
        r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", image_tag
    ):
        _fail("image_tag", image_tag, "expected an image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
    return image_tag


def _image(args: FargateAppArgs) -> Optional[pulumi.Input[str]]:
    image = args.get("image", ServiceSettings.image)
    if image is not None and _is_known(image) and (not isinstance(image, str) or not image.strip()):
        _fail("image", image, "expected an image reference such as nginx:1.27 or an ECR URL")
    return image


def _check_outbound_path(network: NetworkSettings, assign_public_ip: bool) -> None:
    """Tasks in a new VPC need NAT, VPC endpoints or public IPs (only without NAT) to start."""
    if network.bring_your_own:
        return
    if assign_public_ip and network.nat_gateways != "none":
        _fail(
            "assign_public_ip",
            True,
            "public IPs on tasks are only for network.nat_gateways: none (FSBP ECS.2)",
        )
    if network.nat_gateways == "none" and not (network.vpc_endpoints or assign_public_ip):
        _fail(
            "network.nat_gateways",
            "none",
            "without NAT, tasks cannot reach ECR, S3 and CloudWatch Logs: also set "
            "network.vpc_endpoints: true (private endpoints) or assign_public_ip: true "
            "(tasks in public subnets)",
        )


def _check_image_reachable(network: NetworkSettings, service: ServiceSettings) -> None:
    """Without NAT and public IPs, tasks reach only the private ECR behind the VPC endpoints."""
    image = service.image
    private_only = (
        not network.bring_your_own
        and network.nat_gateways == "none"
        and not service.assign_public_ip
    )
    if private_only and image is not None and _is_known(image):
        if not PRIVATE_ECR_IMAGE.match(str(image)):
            _fail(
                "image",
                image,
                "with network.nat_gateways: none, tasks pull only from this account's private "
                "ECR through the VPC endpoints (ECR Public, Docker Hub and other registries are "
                "unreachable): push the image to the app's repository and leave image unset, "
                "use <account>.dkr.ecr.<region>.amazonaws.com/..., or set network.nat_gateways",
            )


def _tags(args: FargateAppArgs) -> dict[str, str]:
    tags = _str_map("tags", args.get("tags", {}))
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX or key.startswith("aws:"):
            _fail("tags", key, f"tag keys are 1 to {TAG_KEY_MAX} characters, not starting 'aws:'")
        if not isinstance(value, str) or len(value) > TAG_VALUE_MAX:
            _fail(f"tags.{key}", value, f"tag values are strings of at most {TAG_VALUE_MAX} chars")
    return tags


def check_app_name(name: Any) -> str:
    """The FargateApp's name, if AWS accepts it in every name derived from it and as a tag."""
    if not isinstance(name, str) or not APP_NAME.allows(name):
        _fail(
            "name",
            name,
            f"expected {APP_NAME.min_length} to {APP_NAME.max_length} letters, digits, spaces "
            "or _.:/=+-@ (the name is every resource's app tag)",
        )
    return name


# -- what importing teams add: task role permissions, sidecars, exec, storage, stop timeout ----

POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[A-Za-z0-9+=,.@_/-]+$")
IAM_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")
STATEMENT_SID = re.compile(r"^[A-Za-z0-9]+$")
CONTAINER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SMALLEST_CONTAINER_MEMORY_MIB = 6  # Docker's floor for a container memory limit


def _with_extensions(args: FargateAppArgs, service: ServiceSettings) -> ServiceSettings:
    """``service`` with the task role's permissions, the sidecars, ECS Exec, the ephemeral
    storage and the stop timeout validated from ``args``."""
    storage_low, storage_high = EPHEMERAL_STORAGE_GIB_RANGE
    exec_enabled = args.get("enable_execute_command", ServiceSettings.enable_execute_command)
    return dataclasses.replace(
        service,
        task_role_policy_arns=_task_role_policy_arns(args.get("task_role_policy_arns")),
        task_role_statements=_task_role_statements(args.get("task_role_statements")),
        sidecars=_sidecars(args.get("sidecars"), service),
        enable_execute_command=_bool("enable_execute_command", exec_enabled),
        ephemeral_storage_gib=_optional_int(
            "ephemeral_storage_gib", args.get("ephemeral_storage_gib"), storage_low, storage_high
        ),
        stop_timeout=_optional_int(
            "stop_timeout", args.get("stop_timeout"), 1, MAX_STOP_TIMEOUT_SECONDS
        ),
    )


def _optional_int(field: str, value: Any, low: int, high: int) -> Optional[int]:
    return None if value is None else _int(field, value, low, high)


def _list(field: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        _fail(field, value, "expected a list")
    return list(value)


def _strings(field: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty strings."""
    items = _list(field, value)
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            _fail(f"{field}[{index}]", item, "expected a non-empty string")
    return tuple(items)


def _within(path: str, check: Any, *args: Any) -> Any:
    """Run a top-level ``check`` on a nested group, its errors naming the field under ``path``
    (``sidecars[0].`` + ``secrets.DB``)."""
    try:
        return check(*args)
    except FargateAppConfigError as error:
        message = str(error).replace("FargateApp ", f"FargateApp {path}", 1)
        raise FargateAppConfigError(message) from None


def _task_role_policy_arns(value: Any) -> tuple[pulumi.Input[str], ...]:
    arns = _list("task_role_policy_arns", value)
    for index, arn in enumerate(arns):
        if _is_known(arn) and not (isinstance(arn, str) and POLICY_ARN.match(arn)):
            _fail(
                f"task_role_policy_arns[{index}]",
                arn,
                "expected a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess "
                "or arn:aws:iam::123456789012:policy/my-policy",
            )
        if _is_known(arn) and arns.index(arn) != index:
            _fail(f"task_role_policy_arns[{index}]", arn, "each policy may be attached once")
    return tuple(arns)


def _task_role_statements(value: Any) -> tuple[dict[str, Any], ...]:
    return tuple(
        _statement(f"task_role_statements[{index}]", statement)
        for index, statement in enumerate(_list("task_role_statements", value))
    )


def _statement(field: str, statement: Any) -> dict[str, Any]:
    """One IAM statement: Effect, one of Action/NotAction, one of Resource/NotResource, optional
    Sid and Condition. Action lists are returned as lists."""
    check_keys(statement, PolicyStatementArgs, f"{field}.")
    _choice(f"{field}.Effect", statement.get("Effect"), POLICY_STATEMENT_EFFECTS)
    checked: dict[str, Any] = {}
    if "Sid" in statement:
        sid = statement["Sid"]
        if not isinstance(sid, str) or not STATEMENT_SID.match(sid):
            _fail(f"{field}.Sid", sid, "expected letters and digits only")
        checked["Sid"] = sid
    checked["Effect"] = statement["Effect"]
    action_key = _exactly_one(field, statement, ("Action", "NotAction"))
    actions = statement[action_key]
    actions = _strings(f"{field}.{action_key}", [actions] if isinstance(actions, str) else actions)
    for index, action in enumerate(actions):
        if not IAM_ACTION.match(action):
            _fail(
                f"{field}.{action_key}[{index}]",
                action,
                "expected service:Action, e.g. s3:GetObject",
            )
    checked[action_key] = list(actions)
    resource_key = _exactly_one(field, statement, ("Resource", "NotResource"))
    resources = statement[resource_key]
    resources = [resources] if isinstance(resources, str) or not _is_known(resources) else resources
    for index, resource in enumerate(_list(f"{field}.{resource_key}", resources)):
        if _is_known(resource) and not (
            isinstance(resource, str) and (resource == "*" or resource.startswith("arn:"))
        ):
            _fail(f"{field}.{resource_key}[{index}]", resource, 'expected an ARN or "*"')
    checked[resource_key] = list(resources)
    if "Condition" in statement:
        condition = statement["Condition"]
        if not isinstance(condition, Mapping) or not all(
            isinstance(operator, str) and isinstance(keys, Mapping)
            for operator, keys in condition.items()
        ):
            _fail(
                f"{field}.Condition",
                condition,
                'expected operator to key to value(s), e.g. {"StringEquals": {"aws:SourceVpc": '
                '"vpc-1"}}',
            )
        checked["Condition"] = dict(condition)
    return checked


def _exactly_one(field: str, statement: Mapping[str, Any], keys: tuple[str, str]) -> str:
    """Which of ``keys`` (such as Action and NotAction) the statement has; both or none fail."""
    present = [key for key in keys if key in statement]
    if len(present) == 1:
        return present[0]
    named = present[-1] if present else keys[0]
    _fail(
        f"{field}.{named}",
        statement.get(named),
        f"a statement needs exactly one of {keys[0]} and {keys[1]}",
    )


def _sidecars(value: Any, service: ServiceSettings) -> tuple[SidecarSettings, ...]:
    sidecars = tuple(
        _sidecar(f"sidecars[{index}].", item, service)
        for index, item in enumerate(_list("sidecars", value))
    )
    _check_sidecar_names(sidecars)
    _check_ports(sidecars, service.container_port)
    _check_sidecar_sizes(sidecars, service)
    _check_dependencies(sidecars, service)
    return sidecars


def _sidecar(path: str, args: Any, service: ServiceSettings) -> SidecarSettings:
    check_keys(args, SidecarArgs, path)
    name = args.get("name")
    if not isinstance(name, str) or not CONTAINER_NAME_PATTERN.match(name):
        _fail(f"{path}name", name, "expected 1 to 255 letters, digits, '-' and '_'")
    image = _within(path, _image, args)
    if image is None:
        _fail(f"{path}image", None, "a sidecar needs an image")
    environment, secrets = _within(path, _environment, args)
    stop_timeout = args.get("stop_timeout", SidecarSettings.stop_timeout)
    readonly = args.get("readonly_root_filesystem", SidecarSettings.readonly_root_filesystem)
    return SidecarSettings(
        name=name,
        image=image,
        essential=_bool(f"{path}essential", args.get("essential", SidecarSettings.essential)),
        command=_strings(f"{path}command", args.get("command")),
        entry_point=_strings(f"{path}entry_point", args.get("entry_point")),
        port_mappings=_port_mappings(f"{path}port_mappings", args.get("port_mappings")),
        environment=environment,
        secrets=secrets,
        health_check_command=_within(path, _health_check_command, args),
        depends_on=_depends_on(f"{path}depends_on", args.get("depends_on")),
        cpu=_optional_int(f"{path}cpu", args.get("cpu"), 0, service.cpu),
        memory=_optional_int(
            f"{path}memory", args.get("memory"), SMALLEST_CONTAINER_MEMORY_MIB, service.memory
        ),
        readonly_root_filesystem=_bool(f"{path}readonly_root_filesystem", readonly),
        stop_timeout=_optional_int(
            f"{path}stop_timeout", stop_timeout, 1, MAX_STOP_TIMEOUT_SECONDS
        ),
    )


def _port_mappings(field: str, value: Any) -> tuple[PortMapping, ...]:
    mappings = []
    for index, item in enumerate(_list(field, value)):
        where = f"{field}[{index}]"
        check_keys(item, PortMappingArgs, f"{where}.")
        mappings.append(
            PortMapping(
                container_port=_int(
                    f"{where}.container_port", item.get("container_port"), 1, 65535
                ),
                protocol=_choice(
                    f"{where}.protocol", item.get("protocol", PortMapping.protocol), PORT_PROTOCOLS
                ),
            )
        )
    return tuple(mappings)


def _depends_on(field: str, value: Any) -> tuple[ContainerDependency, ...]:
    dependencies = []
    for index, item in enumerate(_list(field, value)):
        where = f"{field}[{index}]"
        check_keys(item, ContainerDependencyArgs, f"{where}.")
        name = item.get("container_name")
        if not isinstance(name, str) or not name:
            _fail(f"{where}.container_name", name, "expected the name of a container of the task")
        condition = _choice(
            f"{where}.condition", item.get("condition"), CONTAINER_DEPENDENCY_CONDITIONS
        )
        dependencies.append(ContainerDependency(container_name=name, condition=condition))
    return tuple(dependencies)


def _check_sidecar_names(sidecars: tuple[SidecarSettings, ...]) -> None:
    seen = {CONTAINER_NAME}
    for index, sidecar in enumerate(sidecars):
        if sidecar.name in seen:
            taken = "the app's container" if sidecar.name == CONTAINER_NAME else "another sidecar"
            _fail(f"sidecars[{index}].name", sidecar.name, f"the name is taken by {taken}")
        seen.add(sidecar.name)


def _check_ports(sidecars: tuple[SidecarSettings, ...], container_port: int) -> None:
    """Containers of an awsvpc task share one network namespace: every port once."""
    owners = {container_port: "the app's container_port"}
    for index, sidecar in enumerate(sidecars):
        for port_index, mapping in enumerate(sidecar.port_mappings):
            field = f"sidecars[{index}].port_mappings[{port_index}].container_port"
            if mapping.container_port in owners:
                _fail(
                    field, mapping.container_port, f"the port is {owners[mapping.container_port]}"
                )
            owners[mapping.container_port] = f"sidecar {sidecar.name!r}'s"


def _check_sidecar_sizes(sidecars: tuple[SidecarSettings, ...], service: ServiceSettings) -> None:
    """The sidecars' reservations leave the app's container room within the task size."""
    cpu = sum(sidecar.cpu or 0 for sidecar in sidecars)
    if cpu > service.cpu:
        _fail(
            "sidecars",
            f"cpu {cpu}",
            f"the sidecars' cpu may add up to the task's cpu ({service.cpu}) at most",
        )
    memory = sum(sidecar.memory or 0 for sidecar in sidecars)
    if memory >= service.memory:
        _fail(
            "sidecars",
            f"memory {memory}",
            f"the sidecars' memory must add up to less than the task's ({service.memory} MiB)",
        )


def _check_dependencies(sidecars: tuple[SidecarSettings, ...], service: ServiceSettings) -> None:
    """Each dependency names another container of the task, in a condition it can reach."""
    essential = {CONTAINER_NAME: True, **{s.name: s.essential for s in sidecars}}
    health_checked = {
        CONTAINER_NAME: bool(service.health_check_command),
        **{s.name: bool(s.health_check_command) for s in sidecars},
    }
    for index, sidecar in enumerate(sidecars):
        for dep_index, dependency in enumerate(sidecar.depends_on):
            field = f"sidecars[{index}].depends_on[{dep_index}]"
            target = dependency.container_name
            if target not in essential or target == sidecar.name:
                others = ", ".join(name for name in essential if name != sidecar.name)
                _fail(
                    f"{field}.container_name",
                    target,
                    f"expected another container of the task: {others}",
                )
            if dependency.condition in EXIT_CONDITIONS and essential[target]:
                _fail(
                    f"{field}.condition",
                    dependency.condition,
                    f"{target!r} is essential and never exits; use START or HEALTHY, or make it "
                    "essential: false",
                )
            if dependency.condition == "HEALTHY" and not health_checked[target]:
                _fail(
                    f"{field}.condition",
                    "HEALTHY",
                    f"{target!r} has no health_check_command to become healthy with",
                )


# -- a shared platform: the app's place in it, and the platform's own args ----------------------

#: Args that give an app its own network or load balancer: not with ``platform``.
OWN_INFRASTRUCTURE_KEYS = ("network", "load_balancer")
PLATFORM_KEYS = tuple(key for key in annotations_of(SharedPlatform) if key != "https_listener_arn")
_PRIORITIES: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


def _platform(args: FargateAppArgs) -> Optional[pulumi.Input[Any]]:
    """The platform the app is deployed into (None: its own infrastructure)."""
    platform = args.get("platform")
    if platform is None:
        if args.get("routing") is not None:
            _fail(
                "routing",
                args["routing"],
                "a listener rule needs platform (a FargatePlatform's `platform` output)",
            )
        return None
    for key in OWN_INFRASTRUCTURE_KEYS:
        if args.get(key) is not None:
            raise FargateAppConfigError(
                f"FargateApp platform and {key}: not allowed together; an app in a platform "
                f"uses the platform's {key.replace('_', ' ')}"
            )
    if _is_known(platform):
        if not isinstance(platform, Mapping):
            _fail("platform", platform, "expected a FargatePlatform's `platform` output")
        for key in PLATFORM_KEYS:
            if platform.get(key) is None:
                _fail(
                    f"platform.{key}",
                    None,
                    "expected a FargatePlatform's `platform` output, with "
                    + ", ".join(PLATFORM_KEYS),
                )
    return platform


def _routing(value: Any) -> RoutingSettings:
    """The app's listener rule: at least one condition, AWS's limits, a priority."""
    if value is None:
        _fail(
            "routing",
            None,
            "an app in a platform needs a listener rule: routing.path_patterns and/or "
            "routing.host_headers, and routing.priority",
        )
    low, high = RULE_PRIORITY_RANGE
    if value.get("priority") is None:
        _fail("routing.priority", None, f"expected a whole number from {low} to {high}")
    priority = _int("routing.priority", value["priority"], low, high)
    hosts = _condition_values(
        "routing.host_headers", value.get("host_headers"), HOST_HEADER, HOST_HEADER_TEXT
    )
    paths = _condition_values(
        "routing.path_patterns", value.get("path_patterns"), PATH_PATTERN, PATH_PATTERN_TEXT
    )
    if not hosts and not paths:
        _fail(
            "routing",
            dict(value),
            "expected at least one condition: routing.path_patterns or routing.host_headers",
        )
    if len(hosts) + len(paths) > MAX_VALUES_PER_RULE:
        _fail(
            "routing",
            [*hosts, *paths],
            f"a listener rule matches at most {MAX_VALUES_PER_RULE} values in total "
            "(host headers plus path patterns)",
        )
    return RoutingSettings(priority=priority, host_headers=hosts, path_patterns=paths)


def _condition_values(
    field: str, value: Any, pattern: re.Pattern[str], alphabet: str
) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_VALUES_PER_CONDITION:
        _fail(field, value, f"expected a list of 1 to {MAX_VALUES_PER_CONDITION} values")
    for item in value:
        if not isinstance(item, str) or not 1 <= len(item) <= CONDITION_VALUE_MAX:
            _fail(field, item, f"expected 1 to {CONDITION_VALUE_MAX} characters")
        if not pattern.match(item):
            _fail(field, item, f"expected {alphabet}")
    return tuple(value)


def claim_priority(app: str, priority: int) -> None:
    """Record that ``app`` uses listener rule ``priority`` in the running program; a priority
    another app of the program claimed is an error."""
    claimed = _PRIORITIES.setdefault(pulumi.runtime.get_root_resource() or _NO_ROOT, {})
    owner = claimed.setdefault(priority, app)
    if owner != app:
        _fail(
            "routing.priority",
            priority,
            f"app {owner!r} already uses it; priorities are unique among the apps of one program",
        )


class _NoRoot:
    """Key of the programs run without a root stack resource."""


_NO_ROOT = _NoRoot()


def check_unique_priorities(routings: Mapping[str, RoutingSettings]) -> None:
    """Fail on the first priority two of ``routings`` (app name to routing) share, before any
    app is created."""
    seen: dict[int, str] = {}
    for app, routing in routings.items():
        owner = seen.setdefault(routing.priority, app)
        if owner != app:
            _fail(
                f"apps.{app}.routing.priority",
                routing.priority,
                f"app {owner!r} already uses it; priorities are unique among the apps of one "
                "program",
            )


def resolve_platform_settings(args: Mapping[str, Any]) -> PlatformSettings:
    """Validate FargatePlatform ``args`` and resolve profile defaults, the way a FargateApp's
    network and load balancer are; errors name the FargatePlatform."""
    args = dict(args or {})
    try:
        check_keys(args, FargatePlatformArgs)
        profile = _choice("profile", args.get("profile", PlatformSettings.profile), tuple(PROFILES))
        network = _network(
            args.get("network") or {},
            profile,
            uses_secrets=False,
            log_retention_days=_log_retention(args, PROFILES[profile].log_retention_days),
        )
        _check_outbound_path(network, assign_public_ip=False)
        load_balancer = _load_balancer(
            args.get("load_balancer") or {},
            typing.cast(FargateAppArgs, {"waf": args.get("waf") or {}}),
            profile,
            ServiceSettings.container_port,
            network,
            network.flow_log_retention_days,
        )
        kms_encryption, kms_key_arn = _encryption(typing.cast(FargateAppArgs, args), profile)
        tags = _tags(args)
    except FargateAppConfigError as error:
        raise FargateAppConfigError(
            str(error).replace("FargateApp ", "FargatePlatform ", 1)
        ) from None
    return PlatformSettings(
        network=network,
        load_balancer=load_balancer,
        tags=tags,
        profile=profile,
        kms_encryption=kms_encryption,
        kms_key_arn=kms_key_arn,
    )


# -- entry point ---------------------------------------------------------------------------------


def resolve_settings(args: Mapping[str, Any]) -> AppSettings:
    """Validate ``args`` (a FargateAppArgs or plain dict) and resolve profile defaults."""
    args = dict(args or {})
    check_keys(args, FargateAppArgs)
    platform = _platform(args)
    routing = _routing(args.get("routing")) if platform is not None else None
    profile = _choice("profile", args.get("profile", AppSettings.profile), tuple(PROFILES))
    service = _service(args, profile)
    image_tag = _image_tag(args)
    network = _network(
        args.get("network") or {},
        profile,
        uses_secrets=bool(service.secret_arns),
        log_retention_days=service.log_retention_days,
    )
    _check_outbound_path(network, service.assign_public_ip)
    _check_image_reachable(network, service)
    kms_encryption, kms_key_arn = _encryption(args, profile)
    defaults = PROFILES[profile]
    return AppSettings(
        profile=profile,
        image_tag=image_tag,
        network=network,
        registry=RegistrySettings(
            images_kept=defaults.images_kept, force_delete=defaults.force_delete_repository
        ),
        load_balancer=_app_load_balancer(args, profile, service, network, platform),
        service=service,
        tags=_tags(args),
        kms_encryption=kms_encryption,
        kms_key_arn=kms_key_arn,
        platform=platform,
        routing=routing,
    )


def _app_load_balancer(
    args: FargateAppArgs,
    profile: str,
    service: ServiceSettings,
    network: NetworkSettings,
    platform: Optional[pulumi.Input[Any]],
) -> LoadBalancerSettings:
    """The app's own load balancer, or in a platform only its target group's port and path."""
    if platform is not None:
        return LoadBalancerSettings(
            container_port=service.container_port, health_check_path=_health_check_path(args)
        )
    return _load_balancer(
        args.get("load_balancer") or {},
        args,
        profile,
        service.container_port,
        network,
        service.log_retention_days,
    )
