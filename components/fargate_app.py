"""FargateApp: a containerized web app on AWS Fargate behind an ALB, as one component."""

from typing import Optional

import pulumi

from contract import MANAGED_BY_TAG, ReconcileTarget, reconcile_target

from .args import FargateAppArgs
from .component import output_names
from .encryption import EncryptionKey
from .load_balancer import LoadBalancer
from .naming import flow_log_group_name, log_group_name
from .network import Network
from .registry import Registry
from .service import Service
from .settings import AppSettings
from .unknowns import known_all
from .validation import check_app_name, resolve_settings

__all__ = ["OUTPUT_NAMES", "FargateApp", "ReconcileTarget"]


class FargateApp(pulumi.ComponentResource):
    """A web app on AWS Fargate, the way a PaaS runs one: a VPC, an ECR repository, an ECS
    cluster, task definition and service behind an Application Load Balancer, secure by default.
    Returns the URL."""

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
        super().__init__("fargate-app:index:FargateApp", name, None, opts)
        tags = {**settings.tags, "app": name, "stack": pulumi.get_stack()}
        tags[MANAGED_BY_TAG[0]] = MANAGED_BY_TAG[1]
        child = pulumi.ResourceOptions(parent=self)
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
        service = self._service(name, settings, registry, load_balancer, tags, child, kms_key_arn)
        # The rule was the Service's child before the load balancer owned it: keep its URN.
        load_balancer.allow_to(
            f"{name}-alb-to-tasks",
            service.security_group_id,
            settings.service.container_port,
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=service)]),
        )
        self._outputs(settings, registry, load_balancer, service)
        self.register_outputs({key: getattr(self, key) for key in OUTPUT_NAMES})

    def _kms_key(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> Optional[pulumi.Input[str]]:
        """The key that encrypts the log groups and the repository: the one given, a new one
        scoped to the app's log groups, or None (AWS-managed encryption)."""
        if not settings.kms_encryption:
            return None
        if settings.kms_key_arn is not None:
            return settings.kms_key_arn
        log_groups = [log_group_name(name)]
        if settings.network.flow_logs and not settings.network.bring_your_own:
            log_groups.append(flow_log_group_name(name))
        return EncryptionKey(name, log_groups, tags, opts=child).key_arn

    def _network(
        self,
        name: str,
        settings: AppSettings,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
        kms_key_arn: Optional[pulumi.Input[str]],
    ) -> None:
        """Sets ``vpc_id`` and the subnet ids: of a new Network, or of the VPC brought along."""
        if settings.network.bring_your_own:
            self.vpc_id = pulumi.Output.from_input(settings.network.vpc_id)
            self.public_subnet_ids = pulumi.Output.all(*settings.network.public_subnet_ids)
            self.private_subnet_ids = pulumi.Output.all(*settings.network.private_subnet_ids)
            return
        network = Network(name, settings.network, tags, opts=child, kms_key_arn=kms_key_arn)
        self.vpc_id = network.vpc_id
        self.public_subnet_ids = network.public_subnet_ids
        self.private_subnet_ids = network.private_subnet_ids

    def _service(
        self,
        name: str,
        settings: AppSettings,
        registry: Registry,
        load_balancer: LoadBalancer,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
        kms_key_arn: Optional[pulumi.Input[str]],
    ) -> Service:
        """The Service, its tasks in the load balancer's target group (private subnets unless
        they get public IPs)."""
        return Service(
            name,
            settings.service,
            image=_image(settings, registry),
            vpc_id=self.vpc_id,
            subnet_ids=self.public_subnet_ids
            if settings.service.assign_public_ip
            else self.private_subnet_ids,
            load_balancer_security_group_id=load_balancer.security_group_id,
            target_group_arn=load_balancer.target_group_arn,
            request_count_label=load_balancer.request_count_label,
            tags=tags,
            service_depends_on=load_balancer.listeners,
            opts=child,
            kms_key_arn=kms_key_arn,
            image_repository_arn=registry.repository_arn
            if settings.service.image is None
            else None,
        )

    def _outputs(
        self,
        settings: AppSettings,
        registry: Registry,
        load_balancer: LoadBalancer,
        service: Service,
    ) -> None:
        """Sets every declared output but the network's."""
        self.url = load_balancer.url
        self.load_balancer_dns_name = load_balancer.dns_name
        self.service_name = service.service_name
        self.service_arn = service.service_arn
        self.cluster_name = service.cluster_name
        self.cluster_arn = service.cluster_arn
        self.repository_url = registry.repository_url
        self.task_definition_arn = service.task_definition_arn
        self.target_group_arn = load_balancer.target_group_arn
        self.log_group_name = service.log_group_name
        self.task_role_arn = service.task_role_arn
        self.task_role_name = service.task_role_name
        self.execution_role_arn = service.execution_role_arn
        self.execution_role_name = service.execution_role_name
        self.task_security_group_id = service.security_group_id
        self.load_balancer_security_group_id = load_balancer.security_group_id
        self.listener_arns = pulumi.Output.all(*[item.arn for item in load_balancer.listeners])
        scaling = settings.service.autoscaling
        desired = settings.service.desired_count
        self.reconcile = known_all(
            service.cluster_name,
            service.service_name,
            load_balancer.target_group_arn,
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


def _image(settings: AppSettings, registry: Registry) -> pulumi.Input[str]:
    """The image given, or the component's repository URL with ``image_tag``."""
    if settings.service.image is not None:
        return settings.service.image
    tag = settings.image_tag
    return known_all(registry.repository_url).apply(lambda parts: f"{parts[0]}:{tag}")


OUTPUT_NAMES: tuple[str, ...] = output_names(FargateApp)
