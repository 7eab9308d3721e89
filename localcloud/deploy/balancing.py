"""Load balancing (ELBv2) and Application Auto Scaling resources of the emulated deploy.

Each handler makes the AWS calls the pulumi-aws provider would make and returns
``(id, outputs)`` with the provider's property names (camelCase, as Pulumi mocks see them).
"""

from __future__ import annotations

from typing import Any

from components.fargate_limits import ELB_NAME_MAX
from localcloud.deploy.context import DeployContext, as_int, drop_none, physical_name, tag_list

Outputs = tuple[str, dict[str, Any]]


def _arn_suffix(arn: str) -> str:
    """``app/<name>/<id>`` or ``targetgroup/<name>/<id>``: the part CloudWatch dimensions use."""
    return arn.split(":", 5)[5].split("/", 1)[1]


def load_balancer(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:lb/loadBalancer:LoadBalancer (id is the ARN), with its attributes applied."""
    elbv2 = ctx.client("elbv2")
    lb_name = physical_name(inputs, name, ELB_NAME_MAX)
    created = elbv2.create_load_balancer(
        **drop_none(
            Name=lb_name,
            Subnets=list(inputs.get("subnets") or []) or None,
            SecurityGroups=list(inputs.get("securityGroups") or []) or None,
            Scheme="internal" if inputs.get("internal") else "internet-facing",
            Type=inputs.get("loadBalancerType", "application"),
            IpAddressType=inputs.get("ipAddressType"),
            Tags=tag_list(inputs.get("tags")) or None,
        )
    )["LoadBalancers"][0]
    arn = created["LoadBalancerArn"]
    attributes = load_balancer_attributes(inputs)
    if attributes:
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attributes)
    return arn, {
        **inputs,
        "name": lb_name,
        "arn": arn,
        "arnSuffix": _arn_suffix(arn),
        "dnsName": created["DNSName"],
        "zoneId": created["CanonicalHostedZoneId"],
        "vpcId": created.get("VpcId"),
        "internal": bool(inputs.get("internal", False)),
        "tagsAll": inputs.get("tags", {}),
    }


#: Load balancer inputs that are load balancer attributes (ModifyLoadBalancerAttributes).
ATTRIBUTE_INPUTS = (
    "idleTimeout",
    "dropInvalidHeaderFields",
    "enableDeletionProtection",
    "desyncMitigationMode",
    "accessLogs",
)


def load_balancer_attributes(inputs: dict[str, Any]) -> list[dict[str, str]]:
    """The load balancer attributes the inputs set, as ModifyLoadBalancerAttributes takes them."""

    def flag(value: Any) -> str:
        return "true" if value else "false"

    attributes = {}
    if "idleTimeout" in inputs:
        attributes["idle_timeout.timeout_seconds"] = str(int(inputs["idleTimeout"]))
    if "dropInvalidHeaderFields" in inputs:
        attributes["routing.http.drop_invalid_header_fields.enabled"] = flag(
            inputs["dropInvalidHeaderFields"]
        )
    if "enableDeletionProtection" in inputs:
        attributes["deletion_protection.enabled"] = flag(inputs["enableDeletionProtection"])
    if "desyncMitigationMode" in inputs:
        attributes["routing.http.desync_mitigation_mode"] = inputs["desyncMitigationMode"]
    access_logs = inputs.get("accessLogs")
    if access_logs:
        attributes["access_logs.s3.enabled"] = flag(access_logs.get("enabled", True))
        attributes["access_logs.s3.bucket"] = access_logs.get("bucket", "")
        attributes["access_logs.s3.prefix"] = access_logs.get("prefix", "")
    return [{"Key": key, "Value": value} for key, value in attributes.items()]


def target_group(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:lb/targetGroup:TargetGroup (id is the ARN)."""
    elbv2 = ctx.client("elbv2")
    group_name = physical_name(inputs, name, ELB_NAME_MAX)
    created = elbv2.create_target_group(
        **drop_none(
            Name=group_name,
            Protocol=inputs.get("protocol"),
            Port=as_int(inputs.get("port")),
            VpcId=inputs.get("vpcId"),
            TargetType=inputs.get("targetType", "instance"),
            Tags=tag_list(inputs.get("tags")) or None,
            **health_check_request(inputs),
        )
    )["TargetGroups"][0]
    arn = created["TargetGroupArn"]
    if inputs.get("deregistrationDelay") is not None:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[
                {
                    "Key": "deregistration_delay.timeout_seconds",
                    "Value": str(int(inputs["deregistrationDelay"])),
                }
            ],
        )
    return arn, {
        **inputs,
        "name": group_name,
        "arn": arn,
        "arnSuffix": _arn_suffix(arn),
        "tagsAll": inputs.get("tags", {}),
    }


def health_check_request(inputs: dict[str, Any]) -> dict[str, Any]:
    """The health check fields of CreateTargetGroup / ModifyTargetGroup from the inputs."""
    health = inputs.get("healthCheck") or {}
    return drop_none(
        HealthCheckEnabled=health.get("enabled"),
        HealthCheckPath=health.get("path"),
        HealthCheckProtocol=health.get("protocol"),
        HealthCheckPort=str(health["port"]) if health.get("port") else None,
        HealthCheckIntervalSeconds=as_int(health.get("interval")),
        HealthCheckTimeoutSeconds=as_int(health.get("timeout")),
        HealthyThresholdCount=as_int(health.get("healthyThreshold")),
        UnhealthyThresholdCount=as_int(health.get("unhealthyThreshold")),
        Matcher={"HttpCode": health["matcher"]} if health.get("matcher") else None,
    )


def listener(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:lb/listener:Listener (id is the ARN)."""
    created = ctx.client("elbv2").create_listener(**listener_request(inputs))["Listeners"][0]
    return created["ListenerArn"], {
        **inputs,
        "arn": created["ListenerArn"],
        "tagsAll": inputs.get("tags", {}),
    }


def listener_rule(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:lb/listenerRule:ListenerRule (id is the ARN): host-header and path-pattern
    conditions, forward (or other) actions."""
    created = ctx.client("elbv2").create_rule(
        **drop_none(
            ListenerArn=inputs["listenerArn"],
            Priority=as_int(inputs.get("priority")),
            Conditions=[_condition(condition) for condition in inputs.get("conditions") or []],
            Actions=[_action(action) for action in inputs.get("actions") or []],
            Tags=tag_list(inputs.get("tags")) or None,
        )
    )["Rules"][0]
    return created["RuleArn"], {
        **inputs,
        "arn": created["RuleArn"],
        "tagsAll": inputs.get("tags", {}),
    }


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    """A listener rule condition in the ELBv2 API's shape."""
    host = condition.get("hostHeader")
    path = condition.get("pathPattern")
    if host:
        return {"Field": "host-header", "HostHeaderConfig": {"Values": list(host["values"])}}
    if path:
        return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(path["values"])}}
    raise ValueError(f"listener rule condition {sorted(condition)} is not emulated")


def listener_request(inputs: dict[str, Any]) -> dict[str, Any]:
    """The CreateListener fields of a listener's inputs (ModifyListener takes most of them)."""
    return drop_none(
        LoadBalancerArn=inputs["loadBalancerArn"],
        Protocol=inputs.get("protocol"),
        Port=as_int(inputs.get("port")),
        SslPolicy=inputs.get("sslPolicy"),
        Certificates=[{"CertificateArn": inputs["certificateArn"]}]
        if inputs.get("certificateArn")
        else None,
        DefaultActions=[_action(action) for action in inputs.get("defaultActions") or []],
        Tags=tag_list(inputs.get("tags")) or None,
    )


def _action(action: dict[str, Any]) -> dict[str, Any]:
    """A listener (or listener rule) action in the ELBv2 API's shape."""
    redirect = action.get("redirect")
    fixed = action.get("fixedResponse")
    return drop_none(
        Type=action["type"],
        TargetGroupArn=action.get("targetGroupArn"),
        Order=as_int(action.get("order")),
        RedirectConfig=drop_none(
            Protocol=redirect.get("protocol"),
            Port=redirect.get("port"),
            Host=redirect.get("host"),
            Path=redirect.get("path"),
            Query=redirect.get("query"),
            StatusCode=redirect["statusCode"],
        )
        if redirect
        else None,
        FixedResponseConfig=drop_none(
            StatusCode=fixed["statusCode"],
            ContentType=fixed.get("contentType"),
            MessageBody=fixed.get("messageBody"),
        )
        if fixed
        else None,
    )


def scaling_target(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:appautoscaling/target:Target (id is the resource id)."""
    answer = ctx.client("application-autoscaling").register_scalable_target(
        ServiceNamespace=inputs["serviceNamespace"],
        ResourceId=inputs["resourceId"],
        ScalableDimension=inputs["scalableDimension"],
        MinCapacity=int(inputs["minCapacity"]),
        MaxCapacity=int(inputs["maxCapacity"]),
    )
    return inputs["resourceId"], {
        **inputs,
        "arn": answer.get("ScalableTargetARN"),
        "roleArn": f"arn:aws:iam::{ctx.account_id}:role/aws-service-role/"
        "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
    }


def scaling_policy(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:appautoscaling/policy:Policy (target tracking or step scaling)."""
    policy_name = physical_name(inputs, name, 255)
    tracking = inputs.get("targetTrackingScalingPolicyConfiguration")
    step = inputs.get("stepScalingPolicyConfiguration")
    answer = ctx.client("application-autoscaling").put_scaling_policy(
        **drop_none(
            PolicyName=policy_name,
            ServiceNamespace=inputs["serviceNamespace"],
            ResourceId=inputs["resourceId"],
            ScalableDimension=inputs["scalableDimension"],
            PolicyType=inputs.get("policyType", "StepScaling"),
            TargetTrackingScalingPolicyConfiguration=_tracking(tracking) if tracking else None,
            StepScalingPolicyConfiguration=_step(step) if step else None,
        )
    )
    return policy_name, {
        **inputs,
        "name": policy_name,
        "arn": answer["PolicyARN"],
        "alarmArns": [alarm["AlarmARN"] for alarm in answer.get("Alarms", [])],
    }


def _tracking(config: dict[str, Any]) -> dict[str, Any]:
    predefined = config.get("predefinedMetricSpecification")
    return drop_none(
        TargetValue=float(config["targetValue"]),
        ScaleInCooldown=as_int(config.get("scaleInCooldown")),
        ScaleOutCooldown=as_int(config.get("scaleOutCooldown")),
        DisableScaleIn=config.get("disableScaleIn"),
        PredefinedMetricSpecification=drop_none(
            PredefinedMetricType=predefined["predefinedMetricType"],
            ResourceLabel=predefined.get("resourceLabel") or None,
        )
        if predefined
        else None,
    )


def _step(config: dict[str, Any]) -> dict[str, Any]:
    return drop_none(
        AdjustmentType=config.get("adjustmentType"),
        Cooldown=as_int(config.get("cooldown")),
        MetricAggregationType=config.get("metricAggregationType"),
        StepAdjustments=[
            drop_none(
                ScalingAdjustment=int(item["scalingAdjustment"]),
                MetricIntervalLowerBound=float(item["metricIntervalLowerBound"])
                if item.get("metricIntervalLowerBound") is not None
                else None,
                MetricIntervalUpperBound=float(item["metricIntervalUpperBound"])
                if item.get("metricIntervalUpperBound") is not None
                else None,
            )
            for item in config.get("stepAdjustments") or []
        ],
    )


HANDLERS = {
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/listener:Listener": listener,
    "aws:lb/listenerRule:ListenerRule": listener_rule,
    "aws:appautoscaling/target:Target": scaling_target,
    "aws:appautoscaling/policy:Policy": scaling_policy,
}
