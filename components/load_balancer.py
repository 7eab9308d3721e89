"""LoadBalancer: an ALB, its security group, a target group for Fargate tasks and listeners.

The app's target group and the load balancer's egress to its tasks are also module functions
(``target_group``, ``allow_to``), so an app deployed into a shared platform's load balancer
creates them the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Optional

import pulumi
import pulumi_aws as aws

from .access_logs import access_logs_bucket, access_logs_prefix
from .aws_context import AwsContext
from .component import Component
from .name_rules import SECURITY_GROUP, SECURITY_GROUP_DESCRIPTION
from .naming import auto_name, elb_name, fit_text
from .settings import LoadBalancerSettings
from .unknowns import known_all
from .waf import web_acl

HEALTH_CHECK = {
    "enabled": True,
    "protocol": "HTTP",
    "matcher": "200-399",
    "interval": 15,
    "timeout": 5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 3,
}
NOT_FOUND = [
    {
        "type": "fixed-response",
        "fixed_response": {
            "content_type": "text/plain",
            "message_body": "Not Found",
            "status_code": "404",
        },
    }
]
"""Default action of a load balancer without a target group: the apps' listener rules route."""
REDIRECT_TO_HTTPS = [
    {
        "type": "redirect",
        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
    }
]


class LoadBalancer(Component):
    """An Application Load Balancer that drops invalid headers and mitigates desync, a security
    group open only on the listener ports to the allowed CIDRs, an `ip` target group with a real
    health check, and an HTTP listener (forwarding, or redirecting to HTTPS when a certificate is
    given) plus an HTTPS listener with a compliant TLS policy; access logs to S3 and a WAF web
    ACL when switched on (by default in prod).

    With ``with_target_group=False`` (a shared platform's load balancer) there is no target
    group: the listeners answer 404 to what no listener rule routes."""

    security_group_id: pulumi.Output[str]
    """Security group of the ALB; the tasks accept traffic only from it."""
    dns_name: pulumi.Output[str]
    """DNS name of the ALB."""
    url: pulumi.Output[str]
    """`https://` or `http://` plus the DNS name."""
    load_balancer_arn: pulumi.Output[str]
    """ARN of the ALB."""
    target_group_arn: Optional[pulumi.Output[str]]
    """ARN of the target group the service registers its tasks in (None without one)."""
    request_count_label: Optional[pulumi.Output[str]]
    """`<alb arn suffix>/<target group arn suffix>`, for ALBRequestCountPerTarget scaling (None
    without a target group)."""

    listeners: list[aws.lb.Listener]
    """The listeners: HTTPS:443 first when a certificate is given, then HTTP:80. A service that
    registers tasks in the target group should depend on them."""

    def __init__(
        self,
        name: str,
        settings: LoadBalancerSettings,
        vpc_id: pulumi.Input[str],
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        tags: Optional[dict[str, str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
        with_target_group: bool = True,
    ) -> None:
        super().__init__("fargate-app:index:LoadBalancer", name, None, opts)
        self._tags = dict(tags or {})
        security_group = self._security_group(name, settings, vpc_id)
        access_logs = self._access_logs(name, settings)
        load_balancer = self._load_balancer(name, settings, subnet_ids, security_group, access_logs)
        self._waf(name, settings, load_balancer)
        group = (
            target_group(name, settings, vpc_id, self._tags, self._child())
            if with_target_group
            else None
        )
        self.listeners = self._listeners(name, settings, load_balancer, group)
        https = settings.certificate_arn is not None
        self.security_group_id = security_group.id
        self.dns_name = load_balancer.dns_name
        self.url = known_all(load_balancer.dns_name).apply(
            lambda parts: f"{'https' if https else 'http'}://{parts[0]}"
        )
        self.load_balancer_arn = load_balancer.arn
        self.target_group_arn = group.arn if group else None
        self.request_count_label = (
            known_all(load_balancer.arn_suffix, group.arn_suffix).apply("/".join) if group else None
        )
        self._register_declared_outputs()

    def allow_to(
        self,
        name: str,
        security_group_id: pulumi.Input[str],
        port: int,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> aws.vpc.SecurityGroupEgressRule:
        """Let the load balancer reach ``port`` in ``security_group_id`` (its targets' group):
        an egress rule of the load balancer's own security group, a child of this component."""
        return allow_to(
            name,
            self.security_group_id,
            security_group_id,
            port,
            self._tags,
            pulumi.ResourceOptions.merge(self._child(), opts),
        )

    def _security_group(
        self, name: str, settings: LoadBalancerSettings, vpc_id: pulumi.Input[str]
    ) -> aws.ec2.SecurityGroup:
        """The ALB's security group: each listener port open to each allowed CIDR."""
        security_group = aws.ec2.SecurityGroup(
            f"{name}-alb",
            **auto_name(SECURITY_GROUP, f"{name}-alb"),
            vpc_id=vpc_id,
            description=fit_text(
                SECURITY_GROUP_DESCRIPTION,
                f"ALB of {name}: listener ports from the allowed CIDRs only",
            ),
            tags={**self._tags, "Name": f"{name}-alb"},
            opts=self._child(),
        )
        for port in settings.listener_ports:
            for index, cidr in enumerate(settings.allowed_cidrs):
                family = "cidr_ipv6" if ipaddress.ip_network(cidr).version == 6 else "cidr_ipv4"
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-{port}-{index}",
                    security_group_id=security_group.id,
                    description=f"Listener port {port} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    tags=self._tags,
                    opts=self._child(),
                    **{family: cidr},
                )
        return security_group

    def _access_logs(
        self, name: str, settings: LoadBalancerSettings
    ) -> Optional[tuple[pulumi.Input[str], list[pulumi.Resource]]]:
        """Where the ALB writes its access logs (the bucket given, or one created here) and
        what it must wait for; None when access logs are off."""
        if settings.access_logs_bucket is not None:
            return settings.access_logs_bucket, []
        if not settings.access_logs:
            return None
        bucket, policy = access_logs_bucket(
            name, settings, AwsContext.of(self), self._tags, self._child()
        )
        return bucket.bucket, [policy]

    def _load_balancer(
        self,
        name: str,
        settings: LoadBalancerSettings,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        security_group: aws.ec2.SecurityGroup,
        access_logs: Optional[tuple[pulumi.Input[str], list[pulumi.Resource]]],
    ) -> aws.lb.LoadBalancer:
        """The ALB: drops invalid headers, defensive desync mitigation, access logs when on."""
        bucket, waits_for = access_logs if access_logs else (None, [])
        return aws.lb.LoadBalancer(
            f"{name}-alb",
            name=elb_name(name, "alb", settings.internal),
            load_balancer_type="application",
            internal=settings.internal,
            subnets=subnet_ids,
            security_groups=[security_group.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=settings.deletion_protection,
            idle_timeout=settings.idle_timeout,
            access_logs={"bucket": bucket, "enabled": True, "prefix": access_logs_prefix(name)}
            if bucket is not None
            else None,
            tags=self._tags,
            opts=self._child(*waits_for),
        )

    def _waf(
        self, name: str, settings: LoadBalancerSettings, load_balancer: aws.lb.LoadBalancer
    ) -> None:
        """The web ACL (the one given, or one created here) associated with the ALB."""
        if not settings.waf.enabled:
            return
        web_acl_arn = settings.waf.web_acl_arn
        if web_acl_arn is None:
            web_acl_arn = web_acl(name, settings.waf, self._tags, self._child()).arn
        aws.wafv2.WebAclAssociation(
            f"{name}-waf",
            resource_arn=load_balancer.arn,
            web_acl_arn=web_acl_arn,
            opts=self._child(),
        )

    def _listeners(
        self,
        name: str,
        settings: LoadBalancerSettings,
        load_balancer: aws.lb.LoadBalancer,
        target_group: Optional[aws.lb.TargetGroup],
    ) -> list[aws.lb.Listener]:
        """HTTPS forwarding plus HTTP redirecting to it with a certificate; else HTTP forwarding.
        Without a target group the forwarding listener answers 404 instead."""
        https = settings.certificate_arn is not None
        forward = (
            [{"type": "forward", "target_group_arn": target_group.arn}]
            if target_group
            else NOT_FOUND
        )
        listeners = []
        if https:
            listeners.append(
                aws.lb.Listener(
                    f"{name}-https",
                    load_balancer_arn=load_balancer.arn,
                    port=443,
                    protocol="HTTPS",
                    ssl_policy=settings.ssl_policy,
                    certificate_arn=settings.certificate_arn,
                    default_actions=forward,
                    tags=self._tags,
                    opts=self._child(),
                )
            )
        listeners.append(
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=REDIRECT_TO_HTTPS if https else forward,
                tags=self._tags,
                opts=self._child(),
            )
        )
        return listeners


def target_group(
    name: str,
    settings: LoadBalancerSettings,
    vpc_id: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.lb.TargetGroup:
    """An app's ``ip`` target group (Fargate tasks) on its container port, with a real health
    check and the settings' deregistration delay."""
    return aws.lb.TargetGroup(
        f"{name}-tg",
        name=elb_name(name, "tg", settings.container_port, "HTTP", "ip"),
        target_type="ip",
        port=settings.container_port,
        protocol="HTTP",
        vpc_id=vpc_id,
        deregistration_delay=settings.deregistration_delay,
        health_check={**HEALTH_CHECK, "path": settings.health_check_path},
        tags=tags,
        opts=opts,
    )


def allow_to(
    name: str,
    load_balancer_security_group_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    port: int,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.vpc.SecurityGroupEgressRule:
    """An egress rule of a load balancer's security group to ``port`` in ``security_group_id``
    (its targets' group)."""
    return aws.vpc.SecurityGroupEgressRule(
        name,
        security_group_id=load_balancer_security_group_id,
        referenced_security_group_id=security_group_id,
        description=f"Load balancer to the tasks on container port {port}",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        tags=tags,
        opts=opts,
    )
