"""FargateApp: a containerized web app on AWS Fargate behind an ALB, as one component."""

from typing import Optional, TypedDict

import pulumi

from .args import FargateAppArgs
from .load_balancer import LoadBalancer
from .network import Network
from .registry import Registry
from .service import Service
from .validation import resolve_settings

MANAGED_BY = "fargate-app"


class ReconcileTarget(TypedDict):
    """What the reconciler checks: where the service runs and how many tasks it must keep."""

    cluster: str
    service: str
    region: str
    desired_count: int
    min_count: int
    max_count: int
    target_group_arn: str


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
    reconcile: pulumi.Output[ReconcileTarget]
    """What the reconciler checks: cluster, service, region, desired/min/max count, target group."""

    def __init__(
        self,
        name: str,
        args: FargateAppArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        settings = resolve_settings(args)  # raises before anything is registered
        super().__init__("fargate-app:index:FargateApp", name, None, opts)
        tags = {
            **settings.tags,
            "app": name,
            "stack": pulumi.get_stack(),
            "managed-by": MANAGED_BY,
        }
        child = pulumi.ResourceOptions(parent=self)

        if settings.network.bring_your_own:
            vpc_id = pulumi.Output.from_input(settings.network.vpc_id)
            public_subnet_ids = pulumi.Output.all(*settings.network.public_subnet_ids)
            private_subnet_ids = pulumi.Output.all(*settings.network.private_subnet_ids)
        else:
            network = Network(name, settings.network, tags, opts=child)
            vpc_id = network.vpc_id
            public_subnet_ids = network.public_subnet_ids
            private_subnet_ids = network.private_subnet_ids

        registry = Registry(name, settings.registry, tags, opts=child)
        image = settings.service.image
        if image is None:
            image = pulumi.Output.concat(registry.repository_url, ":", settings.image_tag)

        load_balancer = LoadBalancer(
            name,
            settings.load_balancer,
            vpc_id=vpc_id,
            subnet_ids=private_subnet_ids if settings.load_balancer.internal else public_subnet_ids,
            tags=tags,
            opts=child,
        )
        service = Service(
            name,
            settings.service,
            image=image,
            vpc_id=vpc_id,
            subnet_ids=public_subnet_ids
            if settings.service.assign_public_ip
            else private_subnet_ids,
            load_balancer_security_group_id=load_balancer.security_group_id,
            target_group_arn=load_balancer.target_group_arn,
            request_count_label=load_balancer.request_count_label,
            tags=tags,
            service_depends_on=load_balancer.listeners,
            opts=child,
        )

        scaling = settings.service.autoscaling
        desired = settings.service.desired_count
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
        self.vpc_id = vpc_id
        self.public_subnet_ids = public_subnet_ids
        self.private_subnet_ids = private_subnet_ids
        self.reconcile = pulumi.Output.all(
            service.cluster_name, service.service_name, load_balancer.target_group_arn
        ).apply(
            lambda values: {
                "cluster": values[0],
                "service": values[1],
                "region": service.region,
                "desired_count": desired,
                "min_count": scaling.min_count if scaling else desired,
                "max_count": scaling.max_count if scaling else desired,
                "target_group_arn": values[2],
            }
        )
        self.register_outputs({key: getattr(self, key) for key in OUTPUT_NAMES})


OUTPUT_NAMES: tuple[str, ...] = tuple(
    key for key in FargateApp.__annotations__ if not key.startswith("_")
)
