"""FargatePlatform: the network, ECS cluster and load balancer that many FargateApps share.

Built from the same steps as a FargateApp's own (``provision_network``, ``fargate_cluster``,
``LoadBalancer`` without a target group), so whatever secures those secures the platform too.
Its ``platform`` output is plain data: an app in the same program or, through a StackReference,
in another stack deploys into it with ``FargateApp(name, {"platform": ..., "routing": ...})``.
"""

# No ``from __future__ import annotations``: the Pulumi analyzer reads the annotations.
from typing import Any, Optional

import pulumi

from contract import MANAGED_BY_TAG

from .args import FargatePlatformArgs, SharedPlatform
from .aws_context import AwsContext
from .cluster import fargate_cluster
from .component import output_names
from .encryption import encryption_key_arn
from .load_balancer import LoadBalancer
from .naming import ecs_name, flow_log_group_name
from .network import NetworkIds, provision_network
from .settings import PlatformSettings
from .validation import check_app_name, resolve_platform_settings

__all__ = ["PLATFORM_OUTPUT_NAMES", "FargatePlatform"]


class FargatePlatform(pulumi.ComponentResource):
    """What a platform team runs once for many apps: a VPC (or yours), an ECS cluster with
    Container Insights on FARGATE and FARGATE_SPOT, and one load balancer with its security group
    and listeners (HTTP, or HTTPS plus the HTTP redirect) answering 404 to what no app's listener
    rule routes."""

    platform: pulumi.Output[SharedPlatform]
    """Everything an app needs to deploy into the platform, as plain data (pass it to
    FargateApp's `platform`; export it for other stacks' StackReferences)."""
    url: pulumi.Output[str]
    """URL of the shared load balancer: scheme plus its DNS name."""
    vpc_id: pulumi.Output[str]
    """VPC of the platform."""
    cluster_name: pulumi.Output[str]
    """Name of the shared ECS cluster."""
    load_balancer_dns_name: pulumi.Output[str]
    """DNS name of the shared load balancer."""
    listener_arns: pulumi.Output[list[str]]
    """ARNs of the listeners (HTTPS first when there is a certificate, then HTTP)."""

    def __init__(
        self,
        name: str,
        args: FargatePlatformArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        check_app_name(name)  # these raise before anything is registered
        settings = resolve_platform_settings(args)
        super().__init__("fargate-app:index:FargatePlatform", name, None, opts)
        tags = {**settings.tags, "app": name, "platform": name, "stack": pulumi.get_stack()}
        tags[MANAGED_BY_TAG[0]] = MANAGED_BY_TAG[1]
        child = pulumi.ResourceOptions(parent=self)
        network = provision_network(
            name, settings.network, tags, child, kms_key_arn=self._kms_key(name, settings, tags)
        )
        cluster, capacity_providers = fargate_cluster(name, ecs_name(name), tags, child)
        load_balancer = LoadBalancer(
            name,
            settings.load_balancer,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids
            if settings.load_balancer.internal
            else network.public_subnet_ids,
            tags=tags,
            opts=child,
            with_target_group=False,
        )
        # Services in the cluster must wait for its capacity providers: the ARN carries them.
        cluster_arn = pulumi.Output.all(cluster.arn, capacity_providers.id).apply(lambda v: v[0])
        self.platform = self._platform(
            settings, network, cluster.name, cluster_arn, load_balancer, AwsContext.of(self)
        )
        self.url = load_balancer.url
        self.vpc_id = network.vpc_id
        self.cluster_name = cluster.name
        self.load_balancer_dns_name = load_balancer.dns_name
        self.listener_arns = pulumi.Output.all(*[item.arn for item in load_balancer.listeners])
        self.register_outputs({key: getattr(self, key) for key in PLATFORM_OUTPUT_NAMES})

    def _kms_key(
        self, name: str, settings: PlatformSettings, tags: dict[str, str]
    ) -> Optional[pulumi.Input[str]]:
        """The key that encrypts the flow logs' log group: the one given, a new one scoped to
        it, or None (AWS-managed encryption; also when there are no flow logs to encrypt)."""
        new_flow_logs = settings.network.flow_logs and not settings.network.bring_your_own
        return encryption_key_arn(
            name,
            enabled=settings.kms_encryption and new_flow_logs,
            given_key_arn=settings.kms_key_arn,
            log_groups=[flow_log_group_name(name)],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _platform(
        settings: PlatformSettings,
        network: NetworkIds,
        cluster_name: pulumi.Output[str],
        cluster_arn: pulumi.Output[str],
        load_balancer: LoadBalancer,
        context: AwsContext,
    ) -> pulumi.Output[SharedPlatform]:
        """The ``platform`` output: the ids, with ``https_listener_arn`` only with HTTPS."""
        https = settings.load_balancer.certificate_arn is not None
        listeners = [listener.arn for listener in load_balancer.listeners]
        parts: dict[str, pulumi.Input[Any]] = {
            "vpc_id": network.vpc_id,
            "public_subnet_ids": network.public_subnet_ids,
            "private_subnet_ids": network.private_subnet_ids,
            "cluster_name": cluster_name,
            "cluster_arn": cluster_arn,
            "load_balancer_arn": load_balancer.load_balancer_arn,
            "load_balancer_dns_name": load_balancer.dns_name,
            "load_balancer_security_group_id": load_balancer.security_group_id,
            "http_listener_arn": listeners[-1],
            "region": context.region,
        }
        if https:
            parts["https_listener_arn"] = listeners[0]
        return pulumi.Output.all(**parts).apply(lambda values: SharedPlatform(**values))


PLATFORM_OUTPUT_NAMES: tuple[str, ...] = output_names(FargatePlatform)
