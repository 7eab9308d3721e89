"""FargateApp: a secure-by-default web app on AWS Fargate as one Pulumi component.

``from components import FargateApp, FargateAppArgs``; ``FargatePlatform`` shares one network,
cluster and load balancer among many apps (``FargateApp``'s ``platform``). The sub-components
``Network``, ``Registry``, ``LoadBalancer``, ``Service`` and ``EncryptionKey`` can be used on
their own with the settings dataclasses from ``components.settings``.
"""

from .args import (
    AutoscalingArgs,
    FargateAppArgs,
    FargatePlatformArgs,
    LoadBalancerArgs,
    NetworkArgs,
    RoutingArgs,
    SharedPlatform,
    WafArgs,
)
from .encryption import EncryptionKey
from .fargate_app import OUTPUT_NAMES, FargateApp, ReconcileTarget
from .load_balancer import LoadBalancer
from .network import Network
from .platform import PLATFORM_OUTPUT_NAMES, FargatePlatform
from .registry import Registry
from .service import Service
from .validation import FargateAppConfigError, resolve_settings

__all__ = [
    "OUTPUT_NAMES",
    "PLATFORM_OUTPUT_NAMES",
    "AutoscalingArgs",
    "EncryptionKey",
    "FargateApp",
    "FargateAppArgs",
    "FargateAppConfigError",
    "FargatePlatform",
    "FargatePlatformArgs",
    "LoadBalancer",
    "LoadBalancerArgs",
    "Network",
    "NetworkArgs",
    "ReconcileTarget",
    "Registry",
    "RoutingArgs",
    "Service",
    "SharedPlatform",
    "WafArgs",
    "resolve_settings",
]
