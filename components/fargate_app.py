"""FargateApp: a containerized web app on AWS Fargate behind an ALB, as one component."""

import typing
from collections.abc import Sequence
from typing import Any, Optional

import pulumi

from contract import MANAGED_BY_TAG, ReconcileTarget, reconcile_target

from .args import FargateAppArgs
from .cluster import ExistingCluster
from .component import output_names
from .encryption import encryption_key_arn
from .load_balancer import LoadBalancer, allow_to, target_group
from .naming import flow_log_group_name, log_group_name
from .network import provision_network
from .registry import Registry
from .routing import listener_rule
from .service import Service
from .settings import AppSettings, RoutingSettings
from .unknowns import known_all
from .validation import check_app_name, claim_priority, resolve_settings

__all__ = ["OUTPUT_NAMES", "FargateApp", "ReconcileTarget"]


class FargateApp(pulumi.ComponentResource):
    """A web app on AWS Fargate, the way a PaaS runs one: a VPC, an ECR repository, an ECS
    cluster, task definition and service behind an Application Load Balancer, secure by default.
    Returns the URL. Given a FargatePlatform's `platform`, it shares the platform's VPC, cluster
    and load balancer and adds only its own pieces and a listener rule."""

    url: pulumi.Output[str]
    """URL of the app: scheme plus the load balancer's DNS name."""
    load_balancer_dns_name: pulumi.Output[str]
    """DNS name of the load balancer."""
    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    cluster_name: pulumi.Output[str]
    """Name of the ECS cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the ECS cluster."""
    repository_url: pulumi.Output[str]
    """URL of the ECR repository to push images to."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the task definition revision the service runs."""
    target_group_arn: pulumi.Output[str]
    """ARN of the target group in front of the tasks."""
    log_group_name: pulumi.Output[str]
    """CloudWatch log group of the container."""
    vpc_id: pulumi.Output[str]
    """VPC the app runs in."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets (load balancer)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets (tasks)."""
    task_role_arn: pulumi.Output[str]
    """ARN of the role the application code runs as; attach policies to extend what it may do."""
    task_role_name: pulumi.Output[str]
    """Name of the task role (for `aws.iam.RolePolicyAttachment`)."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the role ECS uses to pull the image, write logs and read the secrets."""
    execution_role_name: pulumi.Output[str]
    """Name of the execution role (to let ECS read more, e.g. a private registry's credentials)."""
    task_security_group_id: pulumi.Output[str]
    """Security group of the tasks; add egress rules to let them reach other services."""
    load_balancer_security_group_id: pulumi.Output[str]
    """Security group of the load balancer."""
    listener_arns: pulumi.Output[list[str]]
    """ARNs of the load balancer's listeners (HTTPS first when there is a certificate, then
    HTTP), for adding listener rules."""
    reconcile: pulumi.Output[ReconcileTarget]
    """What the reconciler checks: cluster, service, region, desired/min/max count, target group."""

    def __init__(
        self,
        name: str,
        args: FargateAppArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        check_app_name(name)  # these raise before anything is registered
        settings = resolve_settings(args)
        if settings.routing is not None:
            claim_priority(name, settings.routing.priority)
        super().__init__("fargate-app:index:FargateApp", name, None, opts)
        tags = {**settings.tags, "app": name, "stack": pulumi.get_stack()}
        tags[MANAGED_BY_TAG[0]] = MANAGED_BY_TAG[1]
        child = pulumi.ResourceOptions(parent=self)
        if settings.platform is None:
            self._on_its_own(name, settings, tags, child)
        else:
            self._in_platform(name, settings, tags, child)
        self.register_outputs({key: getattr(self, key) for key in OUTPUT_NAMES})

    def _on_its_own(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """The app with its own network (or the VPC brought along), cluster and load balancer."""
        kms_key_arn = self._kms_key(name, settings, tags, child)
        self._network(name, settings, tags, child, kms_key_arn)
        registry = Registry(name, settings.registry, tags, opts=child, kms_key_arn=kms_key_arn)
        load_balancer = LoadBalancer(
            name,
            settings.load_balancer,
            vpc_id=self.vpc_id,
            subnet_ids=self.private_subnet_ids
            if settings.load_balancer.internal
            else self.public_subnet_ids,
            tags=tags,
            opts=child,
        )
        service = self._service(
            name,
            settings,
            registry,
            load_balancer.security_group_id,
            load_balancer.target_group_arn,
            load_balancer.request_count_label,
            tags,
            load_balancer.listeners,
            child,
            kms_key_arn,
        )
        # The rule was the Service's child before the load balancer owned it: keep its URN.
        load_balancer.allow_to(
            f"{name}-alb-to-tasks",
            service.security_group_id,
            settings.service.container_port,
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=service)]),
        )
        self._outputs(settings, registry, service, load_balancer.target_group_arn)
        self.url = load_balancer.url
        self.load_balancer_dns_name = load_balancer.dns_name
        self.load_balancer_security_group_id = load_balancer.security_group_id
        self.listener_arns = pulumi.Output.all(*[item.arn for item in load_balancer.listeners])

    def _in_platform(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """The app in a shared platform: its repository, target group, listener rule, service
        (in the platform's cluster) and the platform load balancer's egress to its tasks."""
        platform = SharedPlatformView(settings.platform)
        routing = typing.cast(RoutingSettings, settings.routing)
        port = settings.service.container_port
        self.vpc_id = platform["vpc_id"]
        self.public_subnet_ids = platform["public_subnet_ids"]
        self.private_subnet_ids = platform["private_subnet_ids"]
        kms_key_arn = self._kms_key(name, settings, tags, child)
        registry = Registry(name, settings.registry, tags, opts=child, kms_key_arn=kms_key_arn)
        group = target_group(name, settings.load_balancer, self.vpc_id, tags, child)
        rule = listener_rule(name, routing, platform.rule_listener_arn, group.arn, tags, child)
        service = self._service(
            name,
            settings,
            registry,
            platform["load_balancer_security_group_id"],
            group.arn,
            known_all(platform["load_balancer_arn"], group.arn_suffix).apply(
                lambda parts: f"{load_balancer_arn_suffix(parts[0])}/{parts[1]}"
            ),
            tags,
            [rule],
            child,
            kms_key_arn,
            ExistingCluster(name=platform["cluster_name"], arn=platform["cluster_arn"]),
        )
        allow_to(
            f"{name}-alb-to-tasks",
            platform["load_balancer_security_group_id"],
            service.security_group_id,
            port,
            tags,
            child,
        )
        self._outputs(settings, registry, service, group.arn)
        self.url = platform.url
        self.load_balancer_dns_name = platform["load_balancer_dns_name"]
        self.load_balancer_security_group_id = platform["load_balancer_security_group_id"]
        self.listener_arns = platform.listener_arns

    def _kms_key(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> Optional[pulumi.Input[str]]:
        """The key that encrypts the app's log groups and repository: the one given, a new one
        scoped to those log groups, or None (AWS-managed encryption)."""
        log_groups = [log_group_name(name)]
        own_network = settings.platform is None and not settings.network.bring_your_own
        if own_network and settings.network.flow_logs:
            log_groups.append(flow_log_group_name(name))
        return encryption_key_arn(
            name,
            enabled=settings.kms_encryption,
            given_key_arn=settings.kms_key_arn,
            log_groups=log_groups,
            tags=tags,
            opts=child,
        )

    def _network(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
        kms_key_arn: Optional[pulumi.Input[str]],
    ) -> None:
        """Sets ``vpc_id`` and the subnet ids: of a new Network, or of the VPC brought along."""
        network = provision_network(name, settings.network, tags, child, kms_key_arn=kms_key_arn)
        self.vpc_id = network.vpc_id
        self.public_subnet_ids = network.public_subnet_ids
        self.private_subnet_ids = network.private_subnet_ids

    def _service(
        self,
        name: str,
        settings: AppSettings,
        registry: Registry,
        load_balancer_security_group_id: pulumi.Input[str],
        target_group_arn: pulumi.Input[str],
        request_count_label: pulumi.Input[str],
        tags: dict[str, str],
        depends_on: Sequence[pulumi.Resource],
        child: pulumi.ResourceOptions,
        kms_key_arn: Optional[pulumi.Input[str]],
        cluster: Optional[ExistingCluster] = None,
    ) -> Service:
        """The Service, its tasks in the target group (private subnets unless they get public
        IPs), waiting for ``depends_on`` (what attaches the target group to the listeners)."""
        return Service(
            name,
            settings.service,
            image=_image(settings, registry),
            vpc_id=self.vpc_id,
            subnet_ids=self.public_subnet_ids
            if settings.service.assign_public_ip
            else self.private_subnet_ids,
            load_balancer_security_group_id=load_balancer_security_group_id,
            target_group_arn=target_group_arn,
            request_count_label=request_count_label,
            tags=tags,
            service_depends_on=depends_on,
            opts=child,
            cluster=cluster,
            kms_key_arn=kms_key_arn,
            image_repository_arn=registry.repository_arn
            if settings.service.image is None
            else None,
        )

    def _outputs(
        self,
        settings: AppSettings,
        registry: Registry,
        service: Service,
        target_group_arn: pulumi.Output[str],
    ) -> None:
        """Sets every declared output but the network's and the load balancer's."""
        self.service_name = service.service_name
        self.service_arn = service.service_arn
        self.cluster_name = service.cluster_name
        self.cluster_arn = service.cluster_arn
        self.repository_url = registry.repository_url
        self.task_definition_arn = service.task_definition_arn
        self.target_group_arn = target_group_arn
        self.log_group_name = service.log_group_name
        self.task_role_arn = service.task_role_arn
        self.task_role_name = service.task_role_name
        self.execution_role_arn = service.execution_role_arn
        self.execution_role_name = service.execution_role_name
        self.task_security_group_id = service.security_group_id
        scaling = settings.service.autoscaling
        desired = settings.service.desired_count
        self.reconcile = known_all(
            service.cluster_name,
            service.service_name,
            target_group_arn,
            service.region,
        ).apply(
            lambda values: reconcile_target(
                cluster=values[0],
                service=values[1],
                region=values[3],
                desired_count=desired,
                min_count=scaling.min_count if scaling else None,
                max_count=scaling.max_count if scaling else None,
                target_group_arn=values[2],
            )
        )


class SharedPlatformView:
    """A FargateApp's ``platform`` arg (values, or an Output such as a StackReference's), read
    key by key as Outputs."""

    def __init__(self, platform: pulumi.Input[Any]) -> None:
        self._platform = pulumi.Output.from_input(platform)

    def __getitem__(self, key: str) -> pulumi.Output[Any]:
        return self._platform.apply(lambda platform: platform[key])

    @property
    def rule_listener_arn(self) -> pulumi.Output[str]:
        """The listener apps' rules go on: HTTPS when the platform has it, else HTTP."""
        return self._platform.apply(
            lambda platform: platform.get("https_listener_arn") or platform["http_listener_arn"]
        )

    @property
    def listener_arns(self) -> pulumi.Output[list[str]]:
        """HTTPS first when present, then HTTP (as a FargateApp's own)."""
        return self._platform.apply(
            lambda platform: [
                arn
                for arn in (platform.get("https_listener_arn"), platform["http_listener_arn"])
                if arn
            ]
        )

    @property
    def url(self) -> pulumi.Output[str]:
        """Scheme (https with an HTTPS listener) plus the load balancer's DNS name."""
        return self._platform.apply(
            lambda platform: (
                f"{'https' if platform.get('https_listener_arn') else 'http'}://"
                f"{platform['load_balancer_dns_name']}"
            )
        )


def load_balancer_arn_suffix(arn: str) -> str:
    """``app/<name>/<id>`` of a load balancer ARN: the CloudWatch dimension (``arn_suffix``)."""
    return arn.split(":loadbalancer/", 1)[-1]


def _image(settings: AppSettings, registry: Registry) -> pulumi.Input[str]:
    """The image given, or the component's repository URL with ``image_tag``."""
    if settings.service.image is not None:
        return settings.service.image
    tag = settings.image_tag
    return known_all(registry.repository_url).apply(lambda parts: f"{parts[0]}:{tag}")


OUTPUT_NAMES: tuple[str, ...] = output_names(FargateApp)
