"""Resolved settings: every FargateApp arg validated, with profile defaults applied.

The sub-components (Network, Registry, LoadBalancer, Service) take these dataclasses, so each can
be used on its own with explicit settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi


@dataclass(frozen=True)
class NetworkSettings:
    """A new VPC (``vpc_id`` unset) or an existing one."""

    cidr_block: str = "10.0.0.0/16"
    az_count: int = 2
    nat_gateways: str = "single"
    vpc_endpoints: bool = False
    with_secrets_endpoints: bool = False
    flow_logs: bool = False
    flow_log_retention_days: int = 7
    vpc_id: Optional[pulumi.Input[str]] = None
    public_subnet_ids: tuple[pulumi.Input[str], ...] = ()
    private_subnet_ids: tuple[pulumi.Input[str], ...] = ()

    @property
    def bring_your_own(self) -> bool:
        """True when an existing VPC is used and no network resource is created."""
        return self.vpc_id is not None


@dataclass(frozen=True)
class LoadBalancerSettings:
    """The ALB, its listeners and its target group."""

    container_port: int = 80
    health_check_path: str = "/"
    internal: bool = False
    certificate_arn: Optional[pulumi.Input[str]] = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    allowed_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    idle_timeout: int = 60
    deletion_protection: bool = False
    access_logs_bucket: Optional[str] = None

    @property
    def listener_ports(self) -> tuple[int, ...]:
        """Ports the ALB listens on: 80, plus 443 when a certificate is given."""
        return (80, 443) if self.certificate_arn is not None else (80,)


@dataclass(frozen=True)
class AutoscalingSettings:
    """Target-tracking scaling between ``min_count`` and ``max_count``."""

    min_count: int
    max_count: int
    cpu_target: Optional[float] = 70.0
    memory_target: Optional[float] = None
    requests_per_target: Optional[int] = None


@dataclass(frozen=True)
class ServiceSettings:
    """The cluster, task definition, roles, log group and ECS service."""

    container_port: int = 80
    cpu: int = 256
    memory: int = 512
    cpu_architecture: str = "X86_64"
    desired_count: int = 1
    image: Optional[pulumi.Input[str]] = None
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    health_check_command: tuple[str, ...] = ()
    readonly_root_filesystem: bool = True
    log_retention_days: int = 7
    assign_public_ip: bool = False
    spot: bool = False
    autoscaling: Optional[AutoscalingSettings] = None


@dataclass(frozen=True)
class RegistrySettings:
    """The ECR repository and its lifecycle policy."""

    images_kept: int = 10
    force_delete: bool = False


@dataclass(frozen=True)
class AppSettings:
    """Everything a FargateApp builds, resolved from its args and profile."""

    profile: str
    image_tag: str
    network: NetworkSettings
    registry: RegistrySettings
    load_balancer: LoadBalancerSettings
    service: ServiceSettings
    tags: dict[str, str]
