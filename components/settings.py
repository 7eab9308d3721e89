"""Resolved settings: every FargateApp arg validated, with profile defaults applied.

The sub-components (Network, Registry, LoadBalancer, Service) take these dataclasses, so each can
be used on its own with explicit settings.

These dataclasses are the one home of every default that does not depend on the profile:
validation (``resolve_settings``), the docs (``Pulumi.yaml``'s config defaults) and a test of
the args' docstrings read them. A default the profile sets comes from ``PROFILES`` (here: the
default profile's value, for a sub-component used on its own).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Optional

import pulumi

from .profiles import DEFAULT_PROFILE, PROFILES

_PROFILE = PROFILES[DEFAULT_PROFILE]
_CONTAINER_PORT = 80  # the service's and the target group's, which must agree


@dataclass(frozen=True)
class NetworkSettings:
    """A new VPC (``vpc_id`` unset) or an existing one."""

    cidr_block: str = "10.0.0.0/16"
    az_count: int = _PROFILE.az_count
    nat_gateways: str = _PROFILE.nat_gateways
    vpc_endpoints: bool = False
    with_secrets_endpoints: bool = False
    flow_logs: bool = _PROFILE.flow_logs
    flow_log_retention_days: int = _PROFILE.log_retention_days
    vpc_id: Optional[pulumi.Input[str]] = None
    public_subnet_ids: tuple[pulumi.Input[str], ...] = ()
    private_subnet_ids: tuple[pulumi.Input[str], ...] = ()

    @property
    def bring_your_own(self) -> bool:
        """True when an existing VPC is used and no network resource is created."""
        return self.vpc_id is not None


#: WAFv2's smallest rate-based rule limit (requests per evaluation window per IP).
WAF_RATE_LIMIT_MIN, WAF_RATE_LIMIT_MAX = 10, 2_000_000_000


@dataclass(frozen=True)
class WafSettings:
    """The WAFv2 web ACL in front of the ALB: the component's own, or ``web_acl_arn``."""

    enabled: bool = _PROFILE.waf
    web_acl_arn: Optional[pulumi.Input[str]] = None
    rate_limit: int = 2000
    """Requests per 5 minutes from one IP before the rate-based rule blocks it."""


@dataclass(frozen=True)
class LoadBalancerSettings:
    """The ALB, its listeners and its target group."""

    container_port: int = _CONTAINER_PORT
    health_check_path: str = "/"
    internal: bool = False
    certificate_arn: Optional[pulumi.Input[str]] = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    allowed_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    idle_timeout: int = 60
    deregistration_delay: int = 30
    deletion_protection: bool = _PROFILE.deletion_protection
    access_logs: bool = _PROFILE.access_logs
    access_logs_bucket: Optional[str] = None
    """Given: access logs go there (whatever ``access_logs`` says); unset with ``access_logs``
    on: the component creates the bucket."""
    access_logs_retention_days: int = _PROFILE.log_retention_days
    force_destroy_access_logs: bool = _PROFILE.force_destroy_access_logs
    waf: WafSettings = WafSettings()

    @property
    def listener_ports(self) -> tuple[int, ...]:
        """Ports the ALB listens on: 80, plus 443 when a certificate is given."""
        return (80, 443) if self.certificate_arn is not None else (80,)


#: Without ``max_count``, autoscaling may grow to this many times ``min_count``.
MAX_COUNT_PER_MIN_COUNT = 4


@dataclass(frozen=True)
class AutoscalingSettings:
    """Target-tracking scaling between ``min_count`` and ``max_count``."""

    min_count: int
    max_count: int
    cpu_target: Optional[float] = 70.0
    """Tracked when no target is given at all."""
    memory_target: Optional[float] = None
    requests_per_target: Optional[int] = None


@dataclass(frozen=True)
class PortMapping:
    """A port a sidecar listens on."""

    container_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class ContainerDependency:
    """A container that must reach ``condition`` before the dependent one starts."""

    container_name: str
    condition: str


@dataclass(frozen=True)
class SidecarSettings:
    """A container beside the app's in the same task."""

    name: str
    image: pulumi.Input[str]
    essential: bool = True
    command: tuple[str, ...] = ()
    entry_point: tuple[str, ...] = ()
    port_mappings: tuple[PortMapping, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    health_check_command: tuple[str, ...] = ()
    depends_on: tuple[ContainerDependency, ...] = ()
    cpu: Optional[int] = None
    memory: Optional[int] = None
    readonly_root_filesystem: bool = True
    stop_timeout: Optional[int] = None


@dataclass(frozen=True)
class ServiceSettings:
    """The cluster, task definition, roles, log group and ECS service."""

    container_port: int = _CONTAINER_PORT
    cpu: int = 256
    memory: int = 512
    cpu_architecture: str = "X86_64"
    desired_count: int = _PROFILE.desired_count
    image: Optional[pulumi.Input[str]] = None
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    health_check_command: tuple[str, ...] = ()
    readonly_root_filesystem: bool = True
    log_retention_days: int = _PROFILE.log_retention_days
    assign_public_ip: bool = False
    spot: bool = False
    """Standalone, a service runs on FARGATE; a FargateApp follows its profile."""
    autoscaling: Optional[AutoscalingSettings] = None
    task_role_policy_arns: tuple[pulumi.Input[str], ...] = ()
    task_role_statements: tuple[dict[str, Any], ...] = ()
    sidecars: tuple[SidecarSettings, ...] = ()
    enable_execute_command: bool = False
    ephemeral_storage_gib: Optional[int] = None
    """Unset: Fargate's 20 GiB."""
    stop_timeout: Optional[int] = None
    """Unset: Fargate's 30 s."""

    @property
    def secret_arns(self) -> tuple[pulumi.Input[str], ...]:
        """Every secret ARN of the task, the app's and its sidecars': what the execution role
        may read."""
        arns = list(self.secrets.values())
        for sidecar in self.sidecars:
            arns += sidecar.secrets.values()
        return tuple(arns)


@dataclass(frozen=True)
class RegistrySettings:
    """The ECR repository and its lifecycle policy."""

    images_kept: int = _PROFILE.images_kept
    force_delete: bool = False
    """Standalone, a registry keeps its images on destroy; a FargateApp follows its profile."""


@dataclass(frozen=True)
class RoutingSettings:
    """An app's listener rule on a shared platform's load balancer."""

    priority: int
    host_headers: tuple[str, ...] = ()
    path_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppSettings:
    """Everything a FargateApp builds, resolved from its args and profile."""

    network: NetworkSettings
    registry: RegistrySettings
    load_balancer: LoadBalancerSettings
    service: ServiceSettings
    tags: dict[str, str] = field(default_factory=dict)
    profile: str = DEFAULT_PROFILE
    image_tag: str = "latest"
    kms_encryption: bool = _PROFILE.kms_encryption
    kms_key_arn: Optional[pulumi.Input[str]] = None
    """Unset with ``kms_encryption`` on: the component creates the key."""

    @property
    def creates_kms_key(self) -> bool:
        """True when the component creates its own KMS key."""
        return self.kms_encryption and self.kms_key_arn is None

    platform: Optional[pulumi.Input[Any]] = None
    """The shared platform the app is deployed into (values or an Output); None: its own."""
    routing: Optional[RoutingSettings] = None
    """Set exactly when ``platform`` is."""


@dataclass(frozen=True)
class PlatformSettings:
    """Everything a FargatePlatform builds, resolved from its args and profile."""

    network: NetworkSettings
    load_balancer: LoadBalancerSettings
    tags: dict[str, str] = field(default_factory=dict)
    profile: str = DEFAULT_PROFILE
    kms_encryption: bool = _PROFILE.kms_encryption
    kms_key_arn: Optional[pulumi.Input[str]] = None
    """Unset with ``kms_encryption`` on: the platform creates the key for its flow logs."""


def field_default(name: str, *settings: type) -> Any:
    """The default of field ``name`` in the first of the ``settings`` dataclasses that has one
    (``None`` when none does, or when its default is made by a factory)."""
    for cls in settings:
        for item in fields(cls):
            if item.name == name and item.default is not MISSING:
                return item.default
    return None
