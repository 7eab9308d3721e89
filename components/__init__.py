"""FargateApp: a secure-by-default web app on AWS Fargate as one Pulumi component.

``from components import FargateApp, FargateAppArgs``; the sub-components ``Network``,
``Registry``, ``LoadBalancer``, ``Service`` and ``EncryptionKey`` can be used on their own with
the settings dataclasses from ``components.settings``.
"""

from .args import AutoscalingArgs, FargateAppArgs, LoadBalancerArgs, NetworkArgs, WafArgs
from .encryption import EncryptionKey
from .fargate_app import OUTPUT_NAMES, FargateApp, ReconcileTarget
from .load_balancer import LoadBalancer
from .network import Network
from .registry import Registry
from .service import Service
from .validation import FargateAppConfigError, resolve_settings

__all__ = [
    "OUTPUT_NAMES",
    "AutoscalingArgs",
    "EncryptionKey",
    "FargateApp",
    "FargateAppArgs",
    "FargateAppConfigError",
    "LoadBalancer",
    "LoadBalancerArgs",
    "Network",
    "NetworkArgs",
    "ReconcileTarget",
    "Registry",
    "Service",
    "WafArgs",
    "resolve_settings",
]
