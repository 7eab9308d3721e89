"""Service: the ECS cluster, log group, IAM roles, task definition, service and autoscaling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import pulumi
import pulumi_aws as aws

from .arns import ecr_repository_arn
from .aws_context import AwsContext
from .cluster import ExistingCluster, fargate_cluster
from .component import Component
from .containers import CONTAINER_NAME, HEALTH_CHECK_GRACE_SECONDS, resolved_container_definitions
from .iam_documents import (
    ecs_exec_policy,
    execution_policy,
    secrets_read_policy,
    statements_policy,
    task_trust_policy,
)
from .name_rules import (
    IAM_ROLE,
    IAM_ROLE_DESCRIPTION,
    IAM_ROLE_POLICY,
    SECURITY_GROUP,
    SECURITY_GROUP_DESCRIPTION,
)
from .naming import auto_name, ecs_name, fit_text, log_group_name, service_name
from .settings import AutoscalingSettings, ServiceSettings
from .unknowns import known_all

SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60


class Service(Component):
    """An ECS cluster (Container Insights, FARGATE and FARGATE_SPOT; or a shared one given), a
    log group with retention,
    separate execution and task roles (the task role with what the app was granted), the task
    definition (the app's container and its sidecars), a security group that admits only the
    load balancer, the ECS service (circuit breaker with rollback) and optional autoscaling."""

    cluster_name: pulumi.Output[str]
    """Name of the ECS cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the ECS cluster."""
    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the task definition revision."""
    log_group_name: pulumi.Output[str]
    """CloudWatch log group of the container."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks."""
    task_role_arn: pulumi.Output[str]
    """ARN of the role the application code runs as (no permissions unless you attach them)."""
    task_role_name: pulumi.Output[str]
    """Name of the task role, for attaching policies to it."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the role ECS uses to pull the image, write logs and read the secrets."""
    execution_role_name: pulumi.Output[str]
    """Name of the execution role."""
    region: Optional[str]
    """Region the service runs in (of the AWS provider it is deployed with; unset only under
    test mocks that leave the region invoke unanswered)."""

    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        image: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        load_balancer_security_group_id: pulumi.Input[str],
        target_group_arn: pulumi.Input[str],
        request_count_label: Optional[pulumi.Input[str]] = None,
        tags: Optional[dict[str, str]] = None,
        service_depends_on: Sequence[pulumi.Resource] = (),
        opts: Optional[pulumi.ResourceOptions] = None,
        cluster: Optional[ExistingCluster] = None,
        *,
        kms_key_arn: Optional[pulumi.Input[str]] = None,
        image_repository_arn: Optional[pulumi.Input[str]] = None,
    ) -> None:
        """``service_depends_on``: resources the ECS service waits for, typically the listeners,
        so the target group is attached to the load balancer before tasks register in it.
        ``kms_key_arn``: the KMS key that encrypts the log group (None: AWS-managed).
        ``image_repository_arn``: the ECR repository ``image`` is pulled from, when the caller
        knows it (FargateApp: its own repository); otherwise it is read from the image URI.

        ``cluster``: run in this cluster (a shared platform's) instead of creating one.

        The tasks' security group admits the container port from
        ``load_balancer_security_group_id``; the load balancer's side of that path (its egress
        rule) belongs to the load balancer: ``LoadBalancer.allow_to``."""
        super().__init__("fargate-app:index:Service", name, None, opts)
        self._settings = settings
        self._tags = dict(tags or {})
        context = AwsContext.of(self)
        family = ecs_name(name)
        cluster, cluster_ready = self._cluster(name, family, cluster)
        log_group = self._log_group(name, kms_key_arn)
        execution_role, task_role = self._roles(name, context)
        self._execution_permissions(
            name, execution_role, image, image_repository_arn, log_group, context
        )
        self._task_role_permissions(name, task_role)
        security_group = self._task_security_group(name, vpc_id, load_balancer_security_group_id)
        task_definition = self._task_definition(
            name, family, image, log_group, execution_role, task_role, context.region
        )
        service = self._ecs_service(
            name,
            cluster,
            task_definition,
            subnet_ids,
            security_group,
            target_group_arn,
            [*cluster_ready, *service_depends_on],
        )
        if settings.autoscaling:
            self._autoscaling(name, settings.autoscaling, cluster, service, request_count_label)
        self.cluster_name = pulumi.Output.from_input(cluster.name)
        self.cluster_arn = pulumi.Output.from_input(cluster.arn)
        self.service_name = service.name
        self.service_arn = service.id
        self.task_definition_arn = task_definition.arn
        self.log_group_name = log_group.name
        self.security_group_id = security_group.id
        self.task_role_arn = task_role.arn
        self.task_role_name = task_role.name
        self.execution_role_arn = execution_role.arn
        self.execution_role_name = execution_role.name
        self.region = context.region
        self._register_declared_outputs()

    def _cluster(
        self, name: str, family: str, existing: Optional[ExistingCluster]
    ) -> tuple[ExistingCluster, list[pulumi.Resource]]:
        """The cluster the service runs in: its own (see ``fargate_cluster``), or ``existing``;
        with the resources the ECS service must wait for (the capacity-provider association)."""
        if existing is not None:
            return existing, []
        cluster, capacity_providers = fargate_cluster(name, family, self._tags, self._child())
        return ExistingCluster(name=cluster.name, arn=cluster.arn), [capacity_providers]

    def _log_group(
        self, name: str, kms_key_arn: Optional[pulumi.Input[str]]
    ) -> aws.cloudwatch.LogGroup:
        """The containers' log group, with the configured retention and the KMS key, if any."""
        return aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(name),
            retention_in_days=self._settings.log_retention_days,
            kms_key_id=kms_key_arn,
            tags=self._tags,
            opts=self._child(),
        )

    def _roles(self, name: str, context: AwsContext) -> tuple[aws.iam.Role, aws.iam.Role]:
        """The execution role (reading exactly the secrets; its pulls and log writes:
        ``_execution_permissions``) and the task role (no permissions), both assumable only by
        this account's ECS tasks."""
        trust = known_all(context.account_id, context.partition, context.region).apply(
            lambda parts: task_trust_policy(*parts)
        )
        execution_role = aws.iam.Role(
            f"{name}-execution",
            **auto_name(IAM_ROLE, f"{name}-execution"),
            assume_role_policy=trust,
            description=fit_text(
                IAM_ROLE_DESCRIPTION,
                f"ECS task execution role of {name}: pull image, write logs, read secrets",
            ),
            tags=self._tags,
            opts=self._child(),
        )
        if self._settings.secret_arns:
            aws.iam.RolePolicy(
                f"{name}-secrets",
                **auto_name(IAM_ROLE_POLICY, f"{name}-secrets"),
                role=execution_role.id,
                policy=known_all(*self._settings.secret_arns).apply(secrets_read_policy),
                opts=self._child(),
            )
        task_role = aws.iam.Role(
            f"{name}-task",
            **auto_name(IAM_ROLE, f"{name}-task"),
            assume_role_policy=trust,
            description=fit_text(
                IAM_ROLE_DESCRIPTION,
                f"Role of {name}'s application code; no permissions unless you attach them",
            ),
            tags=self._tags,
            opts=self._child(),
        )
        return execution_role, task_role

    def _execution_permissions(
        self,
        name: str,
        execution_role: aws.iam.Role,
        image: pulumi.Input[str],
        image_repository_arn: Optional[pulumi.Input[str]],
        log_group: aws.cloudwatch.LogGroup,
        context: AwsContext,
    ) -> aws.iam.RolePolicy:
        """The execution role's inline policy: pull from exactly the ECR repositories of the
        task's images (the app's and the sidecars'; none from other registries) and write the
        log group's streams; no managed policy, whose actions apply to every repository."""
        known = [] if image_repository_arn is None else [image_repository_arn]
        images = [*([] if known else [image]), *(s.image for s in self._settings.sidecars)]
        parsed = known_all(context.partition, *images).apply(
            lambda parts: [
                arn
                for arn in (ecr_repository_arn(str(item), parts[0]) for item in parts[1:])
                if arn is not None
            ]
        )
        return aws.iam.RolePolicy(
            f"{name}-execution",
            **auto_name(IAM_ROLE_POLICY, f"{name}-execution"),
            role=execution_role.id,
            policy=known_all(log_group.arn, parsed, *known).apply(
                lambda parts: execution_policy([*parts[1], *parts[2:]], parts[0])
            ),
            opts=self._child(),
        )

    def _task_role_permissions(self, name: str, task_role: aws.iam.Role) -> None:
        """What the app's code may do: the managed policies and statements it was given, and
        the ECS Exec channels when exec is enabled."""
        settings = self._settings
        for index, policy_arn in enumerate(settings.task_role_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-task-policy-{index}",
                role=task_role.name,
                policy_arn=policy_arn,
                opts=self._child(),
            )
        if settings.task_role_statements:
            aws.iam.RolePolicy(
                f"{name}-task-permissions",
                **auto_name(IAM_ROLE_POLICY, f"{name}-task-permissions"),
                role=task_role.id,
                policy=pulumi.Output.from_input(list(settings.task_role_statements)).apply(
                    statements_policy
                ),
                opts=self._child(),
            )
        if settings.enable_execute_command:
            aws.iam.RolePolicy(
                f"{name}-ecs-exec",
                **auto_name(IAM_ROLE_POLICY, f"{name}-ecs-exec"),
                role=task_role.id,
                policy=ecs_exec_policy(),
                opts=self._child(),
            )

    def _task_security_group(
        self,
        name: str,
        vpc_id: pulumi.Input[str],
        load_balancer_security_group_id: pulumi.Input[str],
    ) -> aws.ec2.SecurityGroup:
        """The tasks' group: container port in from the load balancer only, HTTPS out."""
        port = self._settings.container_port
        security_group = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            **auto_name(SECURITY_GROUP, f"{name}-tasks"),
            vpc_id=vpc_id,
            description=fit_text(
                SECURITY_GROUP_DESCRIPTION,
                f"Tasks of {name}: container port from the load balancer only",
            ),
            tags={**self._tags, "Name": f"{name}-tasks"},
            opts=self._child(),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-alb",
            security_group_id=security_group.id,
            referenced_security_group_id=load_balancer_security_group_id,
            description=f"Container port {port} from the load balancer",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            tags=self._tags,
            opts=self._child(),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-out",
            security_group_id=security_group.id,
            description="HTTPS out: image pulls (ECR, S3), logs, secrets and AWS APIs",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            tags=self._tags,
            opts=self._child(),
        )
        return security_group

    def _task_definition(
        self,
        name: str,
        family: str,
        image: pulumi.Input[str],
        log_group: aws.cloudwatch.LogGroup,
        execution_role: aws.iam.Role,
        task_role: aws.iam.Role,
        region: Optional[str],
    ) -> aws.ecs.TaskDefinition:
        """A Linux Fargate task definition running the app's container and its sidecars."""
        settings = self._settings
        storage = settings.ephemeral_storage_gib
        return aws.ecs.TaskDefinition(
            f"{name}-task",
            family=family,
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": settings.cpu_architecture,
            },
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=resolved_container_definitions(
                settings, image, log_group.name, region
            ),
            ephemeral_storage={"size_in_gib": storage} if storage is not None else None,
            tags=self._tags,
            opts=self._child(),
        )

    def _ecs_service(
        self,
        name: str,
        cluster: ExistingCluster,
        task_definition: aws.ecs.TaskDefinition,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        security_group: aws.ec2.SecurityGroup,
        target_group_arn: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.ecs.Service:
        """The service: rolling deploys with the circuit breaker, tasks in the target group.

        ``depends_on`` includes the cluster's capacity-provider association: CreateService with a
        FARGATE/FARGATE_SPOT strategy fails if it runs before the association exists."""
        settings = self._settings
        provider = "FARGATE_SPOT" if settings.spot else "FARGATE"
        return aws.ecs.Service(
            f"{name}-service",
            name=service_name(name),
            cluster=cluster.arn,
            task_definition=task_definition.arn,
            desired_count=settings.desired_count,
            capacity_provider_strategies=[{"capacity_provider": provider, "weight": 1}],
            platform_version="LATEST",
            network_configuration={
                "subnets": subnet_ids,
                "security_groups": [security_group.id],
                "assign_public_ip": settings.assign_public_ip,
            },
            load_balancers=[
                {
                    "target_group_arn": target_group_arn,
                    "container_name": CONTAINER_NAME,
                    "container_port": settings.container_port,
                }
            ],
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            enable_execute_command=settings.enable_execute_command,
            wait_for_steady_state=False,
            tags=self._tags,
            # With autoscaling on, the scaler owns desiredCount: a later `pulumi up` must not
            # reset a scaled-out service to the declared count.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(depends_on),
                ignore_changes=["desired_count"] if settings.autoscaling else None,
            ),
        )

    def _autoscaling(
        self,
        name: str,
        scaling: AutoscalingSettings,
        cluster: ExistingCluster,
        service: aws.ecs.Service,
        request_count_label: Optional[pulumi.Input[str]],
    ) -> None:
        """Target tracking on CPU, memory and/or ALB requests per target."""
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
            min_capacity=scaling.min_count,
            max_capacity=scaling.max_count,
            tags=self._tags,
            opts=self._child(),
        )
        for suffix, metric, target_value, label in _tracked_metrics(scaling, request_count_label):
            aws.appautoscaling.Policy(
                f"{name}-scale-{suffix}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": target_value,
                    "scale_in_cooldown": SCALE_IN_COOLDOWN_SECONDS,
                    "scale_out_cooldown": SCALE_OUT_COOLDOWN_SECONDS,
                    "predefined_metric_specification": {
                        "predefined_metric_type": metric,
                        "resource_label": label,
                    },
                },
                opts=self._child(),
            )


def _tracked_metrics(
    scaling: AutoscalingSettings, request_count_label: Optional[pulumi.Input[str]]
) -> list[tuple[str, str, float, Optional[pulumi.Input[str]]]]:
    """(name suffix, predefined metric, target value, resource label) of each tracked metric."""
    metrics: list[tuple[str, str, float, Optional[pulumi.Input[str]]]] = []
    if scaling.cpu_target is not None:
        metrics.append(("cpu", "ECSServiceAverageCPUUtilization", scaling.cpu_target, None))
    if scaling.memory_target is not None:
        metrics.append(
            ("memory", "ECSServiceAverageMemoryUtilization", scaling.memory_target, None)
        )
    if scaling.requests_per_target is not None:
        metrics.append(
            (
                "requests",
                "ALBRequestCountPerTarget",
                float(scaling.requests_per_target),
                request_count_label,
            )
        )
    return metrics
