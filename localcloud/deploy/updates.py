"""In-place updates of the emulated deploy: the AWS calls pulumi-aws makes for a changed property.

``UPDATES`` maps a resource type to ``update(ctx, old, step) -> (id, outputs)``: *old* is the
resource in the state, *step* the planned update (its changed properties and new inputs). Each
type updates exactly the properties ``localcloud.deploy.schema`` lists as ``update``; tags are
updated the way each AWS service takes them (``TAGGERS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud.deploy import balancing, containers
from localcloud.deploy.context import DeployContext, as_int, drop_none, tag_list
from localcloud.deploy.network import _authorize_inline
from localcloud.deploy.plan import Step
from localcloud.deploy.state import ResourceState

Updated = tuple[str, dict[str, Any]]
Tagger = Callable[[DeployContext, ResourceState, dict[str, str], list[str]], None]


# -- tags ------------------------------------------------------------------------------------------


def _ec2_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    ec2 = ctx.client("ec2")
    if drop:
        ec2.delete_tags(Resources=[old.id], Tags=[{"Key": key} for key in drop])
    if put:
        ec2.create_tags(Resources=[old.id], Tags=tag_list(put))


def _elbv2_tags(
    ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]
) -> None:
    elbv2 = ctx.client("elbv2")
    if drop:
        elbv2.remove_tags(ResourceArns=[old.id], TagKeys=drop)
    if put:
        elbv2.add_tags(ResourceArns=[old.id], Tags=tag_list(put))


def _ecs_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    ecs, arn = ctx.client("ecs"), old.outputs.get("arn") or old.id
    if drop:
        ecs.untag_resource(resourceArn=arn, tagKeys=drop)
    if put:
        ecs.tag_resource(resourceArn=arn, tags=tag_list(put, "key", "value"))


def _ecr_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    ecr, arn = ctx.client("ecr"), old.outputs["arn"]
    if drop:
        ecr.untag_resource(resourceArn=arn, tagKeys=drop)
    if put:
        ecr.tag_resource(resourceArn=arn, tags=tag_list(put))


def _iam_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    iam = ctx.client("iam")
    if drop:
        iam.untag_role(RoleName=old.id, TagKeys=drop)
    if put:
        iam.tag_role(RoleName=old.id, Tags=tag_list(put))


def _logs_tags(
    ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]
) -> None:
    logs = ctx.client("logs")
    if drop:
        logs.untag_log_group(logGroupName=old.id, tags=drop)
    if put:
        logs.tag_log_group(logGroupName=old.id, tags=put)


def _kms_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    kms = ctx.client("kms")
    if drop:
        kms.untag_resource(KeyId=old.id, TagKeys=drop)
    if put:
        kms.tag_resource(KeyId=old.id, Tags=tag_list(put, "TagKey", "TagValue"))


def _wafv2_tags(
    ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]
) -> None:
    wafv2 = ctx.client("wafv2")
    if drop:
        wafv2.untag_resource(ResourceARN=old.outputs["arn"], TagKeys=drop)
    if put:
        wafv2.tag_resource(ResourceARN=old.outputs["arn"], Tags=tag_list(put))


def _s3_tags(ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]) -> None:
    """S3 replaces a bucket's whole tag set."""
    tags = {k: v for k, v in (old.inputs.get("tags") or {}).items() if k not in drop}
    ctx.client("s3").put_bucket_tagging(
        Bucket=old.id, Tagging={"TagSet": tag_list({**tags, **put})}
    )


def _untaggable(
    ctx: DeployContext, old: ResourceState, put: dict[str, str], drop: list[str]
) -> None:
    """Scalable targets: the emulator keeps no tags on them (nor does their create)."""


#: AWS service of a type token -> how it changes tags.
TAGGERS: dict[str, Tagger] = {
    "ec2": _ec2_tags,
    "vpc": _ec2_tags,
    "lb": _elbv2_tags,
    "ecs": _ecs_tags,
    "ecr": _ecr_tags,
    "iam": _iam_tags,
    "cloudwatch": _logs_tags,
    "kms": _kms_tags,
    "wafv2": _wafv2_tags,
    "s3": _s3_tags,
    "appautoscaling": _untaggable,
}


def _retag(ctx: DeployContext, old: ResourceState, step: Step) -> None:
    if "tags" not in step.changed:
        return
    before = old.inputs.get("tags") or {}
    after = step.inputs.get("tags") or {}
    put = {key: value for key, value in after.items() if before.get(key) != value}
    drop = [key for key in before if key not in after]
    TAGGERS[step.type_.split(":")[1].split("/")[0]](ctx, old, put, drop)


def _outputs(old: ResourceState, step: Step, **computed: Any) -> dict[str, Any]:
    return {**old.outputs, **step.inputs, "tagsAll": step.inputs.get("tags", {}), **computed}


# -- EC2 networking ------------------------------------------------------------------------------


def vpc(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """DNS attributes of aws:ec2/vpc:Vpc."""
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if attribute in step.changed:
            key = attribute[0].upper() + attribute[1:]
            ctx.client("ec2").modify_vpc_attribute(
                VpcId=old.id, **{key: {"Value": bool(step.inputs.get(attribute))}}
            )
    return old.id, _outputs(old, step)


def subnet(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """mapPublicIpOnLaunch of aws:ec2/subnet:Subnet."""
    if "mapPublicIpOnLaunch" in step.changed:
        ctx.client("ec2").modify_subnet_attribute(
            SubnetId=old.id,
            MapPublicIpOnLaunch={"Value": bool(step.inputs.get("mapPublicIpOnLaunch"))},
        )
    return old.id, _outputs(old, step)


def internet_gateway(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """The VPC an aws:ec2/internetGateway:InternetGateway is attached to."""
    if "vpcId" in step.changed:
        ec2 = ctx.client("ec2")
        if old.inputs.get("vpcId"):
            ec2.detach_internet_gateway(InternetGatewayId=old.id, VpcId=old.inputs["vpcId"])
        if step.inputs.get("vpcId"):
            ec2.attach_internet_gateway(InternetGatewayId=old.id, VpcId=step.inputs["vpcId"])
    return old.id, _outputs(old, step)


def route(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """The target of an aws:ec2/route:Route (ReplaceRoute)."""
    from localcloud.deploy.network import _route_target

    ctx.client("ec2").replace_route(
        RouteTableId=step.inputs["routeTableId"], **_route_target(step.inputs)
    )
    return old.id, _outputs(old, step)


def route_table_association(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """The route table of an association (ReplaceRouteTableAssociation: a new association id)."""
    new_id = ctx.client("ec2").replace_route_table_association(
        AssociationId=old.id, RouteTableId=step.inputs["routeTableId"]
    )["NewAssociationId"]
    return new_id, _outputs(old, step)


def security_group(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Inline ingress/egress of a (default) security group: the declared rules exactly."""
    if {"ingress", "egress"} & set(step.changed):
        ec2 = ctx.client("ec2")
        group = ec2.describe_security_groups(GroupIds=[old.id])["SecurityGroups"][0]
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=old.id, IpPermissions=group["IpPermissions"])
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(
                GroupId=old.id, IpPermissions=group["IpPermissionsEgress"]
            )
        _authorize_inline(ec2, old.id, step.inputs)
    return old.id, _outputs(old, step)


def security_group_rule(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """An aws:vpc security group rule (ModifySecurityGroupRules keeps its id)."""
    if set(step.changed) - {"tags"}:
        inputs = step.inputs
        ctx.client("ec2").modify_security_group_rules(
            GroupId=inputs["securityGroupId"],
            SecurityGroupRules=[
                {
                    "SecurityGroupRuleId": old.id,
                    "SecurityGroupRule": drop_none(
                        IpProtocol=str(inputs["ipProtocol"]),
                        FromPort=as_int(inputs.get("fromPort")),
                        ToPort=as_int(inputs.get("toPort")),
                        CidrIpv4=inputs.get("cidrIpv4"),
                        CidrIpv6=inputs.get("cidrIpv6"),
                        PrefixListId=inputs.get("prefixListId"),
                        ReferencedGroupId=inputs.get("referencedSecurityGroupId"),
                        Description=inputs.get("description"),
                    ),
                }
            ],
        )
    return old.id, _outputs(old, step)


def tags_only(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """A type whose only in-place change is its tags."""
    return old.id, _outputs(old, step)


# -- containers, logs, IAM --------------------------------------------------------------------


def ecr_repository(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Tag mutability and scan-on-push of aws:ecr/repository:Repository."""
    ecr = ctx.client("ecr")
    if "imageTagMutability" in step.changed:
        ecr.put_image_tag_mutability(
            repositoryName=old.id,
            imageTagMutability=step.inputs.get("imageTagMutability", "MUTABLE"),
        )
    if "imageScanningConfiguration" in step.changed:
        scanning = step.inputs.get("imageScanningConfiguration") or {}
        ecr.put_image_scanning_configuration(
            repositoryName=old.id,
            imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush", False))},
        )
    return old.id, _outputs(old, step)


def ecs_cluster(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Settings (Container Insights) of aws:ecs/cluster:Cluster."""
    if "settings" in step.changed:
        ctx.client("ecs").update_cluster(
            cluster=old.id, settings=list(step.inputs.get("settings") or [])
        )
    return old.id, _outputs(old, step)


def ecs_cluster_capacity_providers(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """PutClusterCapacityProviders again: the call replaces the cluster's whole set."""
    return containers.ecs_cluster_capacity_providers(ctx, old.name, step.inputs)


def log_group(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Retention of aws:cloudwatch/logGroup:LogGroup (none: never expire)."""
    if "retentionInDays" in step.changed:
        logs = ctx.client("logs")
        if step.inputs.get("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=old.id, retentionInDays=int(step.inputs["retentionInDays"])
            )
        else:
            logs.delete_retention_policy(logGroupName=old.id)
    return old.id, _outputs(old, step)


def iam_role(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Trust policy, description and session duration of aws:iam/role:Role."""
    import json

    iam = ctx.client("iam")
    if "assumeRolePolicy" in step.changed:
        policy = step.inputs["assumeRolePolicy"]
        iam.update_assume_role_policy(
            RoleName=old.id,
            PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy),
        )
    if {"description", "maxSessionDuration"} & set(step.changed):
        iam.update_role(
            **drop_none(
                RoleName=old.id,
                Description=step.inputs.get("description"),
                MaxSessionDuration=as_int(step.inputs.get("maxSessionDuration")),
            )
        )
    return old.id, _outputs(old, step)


def iam_role_policy(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """PutRolePolicy again, under the policy's existing name."""
    _, outputs = containers.iam_role_policy(
        ctx, old.name, {**step.inputs, "name": old.outputs["name"]}
    )
    return old.id, {**outputs, "name": old.outputs["name"]}


def ecs_service(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """UpdateService with the changed properties: a new task definition rolls out."""
    inputs, changed = step.inputs, set(step.changed)
    created = containers.service_request(inputs)
    fields = {
        "taskDefinition": "taskDefinition",
        "desiredCount": "desiredCount",
        "healthCheckGracePeriodSeconds": "healthCheckGracePeriodSeconds",
        "networkConfiguration": "networkConfiguration",
        "loadBalancers": "loadBalancers",
        "capacityProviderStrategies": "capacityProviderStrategy",
        "platformVersion": "platformVersion",
        "propagateTags": "propagateTags",
        "enableEcsManagedTags": "enableECSManagedTags",
        "enableExecuteCommand": "enableExecuteCommand",
    }
    request = {
        field: created[field]
        for prop, field in fields.items()
        if prop in changed and created.get(field) is not None
    }
    deployment = {
        "deploymentCircuitBreaker",
        "deploymentMinimumHealthyPercent",
        "deploymentMaximumPercent",
    }
    if deployment & changed:
        request["deploymentConfiguration"] = created.get("deploymentConfiguration") or {}
    if request:
        ctx.client("ecs").update_service(
            cluster=old.outputs["cluster"], service=old.outputs["name"], **request
        )
    return old.id, _outputs(old, step, name=old.outputs["name"], cluster=old.outputs["cluster"])


# -- load balancing, autoscaling ----------------------------------------------------------------


def load_balancer(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Subnets, security groups and attributes of aws:lb/loadBalancer:LoadBalancer."""
    elbv2, changed = ctx.client("elbv2"), set(step.changed)
    if "subnets" in changed:
        elbv2.set_subnets(LoadBalancerArn=old.id, Subnets=list(step.inputs.get("subnets") or []))
    if "securityGroups" in changed:
        elbv2.set_security_groups(
            LoadBalancerArn=old.id, SecurityGroups=list(step.inputs.get("securityGroups") or [])
        )
    if changed & set(balancing.ATTRIBUTE_INPUTS):
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=old.id, Attributes=balancing.load_balancer_attributes(step.inputs)
        )
    return old.id, _outputs(old, step)


def target_group(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Health check and deregistration delay of aws:lb/targetGroup:TargetGroup."""
    elbv2 = ctx.client("elbv2")
    if "healthCheck" in step.changed:
        elbv2.modify_target_group(
            TargetGroupArn=old.id, **balancing.health_check_request(step.inputs)
        )
    if "deregistrationDelay" in step.changed:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=old.id,
            Attributes=[
                {
                    "Key": "deregistration_delay.timeout_seconds",
                    "Value": str(int(step.inputs.get("deregistrationDelay", 300))),
                }
            ],
        )
    return old.id, _outputs(old, step)


def listener(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """ModifyListener with the listener's new port, protocol, policy, certificate, actions."""
    if set(step.changed) - {"tags"}:
        request = balancing.listener_request(step.inputs)
        request.pop("LoadBalancerArn")
        request.pop("Tags", None)
        ctx.client("elbv2").modify_listener(ListenerArn=old.id, **request)
    return old.id, _outputs(old, step)


def scaling_target(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """RegisterScalableTarget again: the new min and max capacity."""
    if {"minCapacity", "maxCapacity"} & set(step.changed):
        balancing.scaling_target(ctx, old.name, step.inputs)
    return old.id, _outputs(old, step)


def scaling_policy(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """PutScalingPolicy again, under the policy's existing name."""
    _, outputs = balancing.scaling_policy(
        ctx, old.name, {**step.inputs, "name": old.outputs["name"]}
    )
    return old.id, {**old.outputs, **outputs}


_UPDATERS: dict[str, Callable[[DeployContext, ResourceState, Step], Updated]] = {
    "aws:ec2/vpc:Vpc": vpc,
    "aws:ec2/subnet:Subnet": subnet,
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/routeTable:RouteTable": tags_only,
    "aws:ec2/route:Route": route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": route_table_association,
    "aws:ec2/eip:Eip": tags_only,
    "aws:ec2/natGateway:NatGateway": tags_only,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": security_group,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": security_group_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": security_group_rule,
    "aws:ec2/vpcEndpoint:VpcEndpoint": tags_only,
    "aws:ec2/flowLog:FlowLog": tags_only,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ecs/cluster:Cluster": ecs_cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ecs_cluster_capacity_providers,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:ecs/taskDefinition:TaskDefinition": tags_only,
    "aws:ecs/service:Service": ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/listener:Listener": listener,
    "aws:appautoscaling/target:Target": scaling_target,
    "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:lb/listenerRule:ListenerRule": tags_only,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": tags_only,
    "aws:kms/key:Key": tags_only,
    "aws:wafv2/webAcl:WebAcl": tags_only,
    "aws:s3/bucket:Bucket": tags_only,
}


def update(ctx: DeployContext, old: ResourceState, step: Step) -> Updated:
    """Apply the planned in-place *step* to *old*: its properties, then its tags."""
    resource_id, outputs = _UPDATERS[step.type_](ctx, old, step)
    _retag(ctx, old, step)
    return resource_id, outputs


#: The types that can be updated in place (every type with ``update`` properties in the schema).
UPDATES = frozenset(_UPDATERS)
