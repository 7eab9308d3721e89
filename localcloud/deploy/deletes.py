"""Deletes of the emulated deploy: the AWS calls pulumi-aws makes to delete each resource type.

``DELETES`` maps a resource type to ``delete(ctx, resource)``, *resource* as the state keeps
it. A resource AWS no longer has counts as deleted (as in the provider).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from localcloud.deploy.context import DeployContext
from localcloud.deploy.network import _route_target
from localcloud.deploy.state import ResourceState
from localcloud.errors import LocalCloudError

#: How often deleting an ECS service looks whether its tasks stopped.
SERVICE_DRAIN_POLL_S = 0.1

Delete = Callable[[DeployContext, ResourceState], None]


def _ec2(call: str, **fields: str) -> Delete:
    """A delete that is one EC2 call with the resource's id (or an input) as its arguments."""

    def delete(ctx: DeployContext, resource: ResourceState) -> None:
        arguments = {
            key: resource.id if source == "id" else resource.inputs[source]
            for key, source in fields.items()
        }
        getattr(ctx.client("ec2"), call)(**arguments)

    return delete


def internet_gateway(ctx: DeployContext, resource: ResourceState) -> None:
    """Detach the gateway from its VPC, then delete it."""
    ec2 = ctx.client("ec2")
    if resource.inputs.get("vpcId"):
        ec2.detach_internet_gateway(InternetGatewayId=resource.id, VpcId=resource.inputs["vpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=resource.id)


def route(ctx: DeployContext, resource: ResourceState) -> None:
    """DeleteRoute by table and destination."""
    target = _route_target(resource.inputs)
    ctx.client("ec2").delete_route(
        RouteTableId=resource.inputs["routeTableId"],
        **{k: v for k, v in target.items() if k.startswith("Destination")},
    )


def adopted(ctx: DeployContext, resource: ResourceState) -> None:
    """A VPC's default security group or network ACL cannot be deleted: it only leaves the
    state (as the provider does; its rules stay as they are)."""


def security_group_rule(ctx: DeployContext, resource: ResourceState, egress: bool) -> None:
    """Revoke an aws:vpc security group rule by its id."""
    ec2 = ctx.client("ec2")
    call = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
    call(GroupId=resource.inputs["securityGroupId"], SecurityGroupRuleIds=[resource.id])


def ecr_repository(ctx: DeployContext, resource: ResourceState) -> None:
    """DeleteRepository (with its images only when ``forceDelete``, as in the provider)."""
    ctx.client("ecr").delete_repository(
        repositoryName=resource.id, force=bool(resource.inputs.get("forceDelete"))
    )


def ecs_cluster_capacity_providers(ctx: DeployContext, resource: ResourceState) -> None:
    """The provider empties the cluster's capacity providers."""
    ctx.client("ecs").put_cluster_capacity_providers(
        cluster=resource.id, capacityProviders=[], defaultCapacityProviderStrategy=[]
    )


def ecs_service(ctx: DeployContext, resource: ResourceState) -> None:
    """Scale to zero, DeleteService, then wait until the scheduler stopped every task."""
    ecs = ctx.client("ecs")
    cluster, name = resource.outputs["cluster"], resource.outputs["name"]
    ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=name)
    deadline = time.monotonic() + ctx.service_drain_timeout
    while ecs.list_tasks(cluster=cluster, serviceName=name).get("taskArns"):
        if time.monotonic() > deadline:
            raise LocalCloudError(
                f"aws:ecs/service:Service {resource.name}: tasks still running "
                f"{ctx.service_drain_timeout:g}s after DeleteService"
            )
        time.sleep(SERVICE_DRAIN_POLL_S)


def iam_role(ctx: DeployContext, resource: ResourceState) -> None:
    """Detach the managed policies the role was created with, then DeleteRole."""
    iam = ctx.client("iam")
    for arn in resource.inputs.get("managedPolicyArns") or []:
        iam.detach_role_policy(RoleName=resource.id, PolicyArn=arn)
    iam.delete_role(RoleName=resource.id)


def scaling_target(ctx: DeployContext, resource: ResourceState) -> None:
    """DeregisterScalableTarget."""
    inputs = resource.inputs
    ctx.client("application-autoscaling").deregister_scalable_target(
        ServiceNamespace=inputs["serviceNamespace"],
        ResourceId=inputs["resourceId"],
        ScalableDimension=inputs["scalableDimension"],
    )


def scaling_policy(ctx: DeployContext, resource: ResourceState) -> None:
    """DeleteScalingPolicy."""
    inputs = resource.inputs
    ctx.client("application-autoscaling").delete_scaling_policy(
        PolicyName=resource.outputs["name"],
        ServiceNamespace=inputs["serviceNamespace"],
        ResourceId=inputs["resourceId"],
        ScalableDimension=inputs["scalableDimension"],
    )


def kms_key(ctx: DeployContext, resource: ResourceState) -> None:
    """KMS keys are never deleted at once: schedule it, with the key's own waiting period."""
    window = int(resource.inputs.get("deletionWindowInDays") or 30)
    ctx.client("kms").schedule_key_deletion(KeyId=resource.id, PendingWindowInDays=window)


def web_acl(ctx: DeployContext, resource: ResourceState) -> None:
    """DeleteWebACL needs the ACL's current lock token."""
    wafv2 = ctx.client("wafv2")
    identity = {"Name": resource.outputs["name"], "Scope": resource.inputs["scope"]}
    token = wafv2.get_web_acl(Id=resource.id, **identity)["LockToken"]
    wafv2.delete_web_acl(Id=resource.id, LockToken=token, **identity)


def s3_bucket(ctx: DeployContext, resource: ResourceState) -> None:
    """An empty bucket is deleted; ``forceDestroy`` empties it first, as the provider does."""
    s3 = ctx.client("s3")
    if resource.inputs.get("forceDestroy"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=resource.id):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=resource.id, Delete={"Objects": doomed})
    s3.delete_bucket(Bucket=resource.id)


def _call(service: str, call: str, key: str, source: str = "id") -> Delete:
    """A delete that is one call with the resource's id (or an output) as its one argument."""

    def delete(ctx: DeployContext, resource: ResourceState) -> None:
        value = resource.id if source == "id" else resource.outputs[source]
        getattr(ctx.client(service), call)(**{key: value})

    return delete


DELETES: dict[str, Delete] = {
    "aws:ec2/vpc:Vpc": _ec2("delete_vpc", VpcId="id"),
    "aws:ec2/subnet:Subnet": _ec2("delete_subnet", SubnetId="id"),
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/routeTable:RouteTable": _ec2("delete_route_table", RouteTableId="id"),
    "aws:ec2/route:Route": route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2(
        "disassociate_route_table", AssociationId="id"
    ),
    "aws:ec2/eip:Eip": _ec2("release_address", AllocationId="id"),
    "aws:ec2/natGateway:NatGateway": _ec2("delete_nat_gateway", NatGatewayId="id"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": adopted,
    "aws:ec2/securityGroup:SecurityGroup": _ec2("delete_security_group", GroupId="id"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": lambda ctx, resource: (
        security_group_rule(ctx, resource, egress=False)
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": lambda ctx, resource: (
        security_group_rule(ctx, resource, egress=True)
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda ctx, resource: ctx.client("ec2").delete_vpc_endpoints(
        VpcEndpointIds=[resource.id]
    ),
    "aws:ec2/flowLog:FlowLog": lambda ctx, resource: ctx.client("ec2").delete_flow_logs(
        FlowLogIds=[resource.id]
    ),
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _call(
        "ecr", "delete_lifecycle_policy", "repositoryName"
    ),
    "aws:ecs/cluster:Cluster": _call("ecs", "delete_cluster", "cluster"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ecs_cluster_capacity_providers,
    "aws:cloudwatch/logGroup:LogGroup": _call("logs", "delete_log_group", "logGroupName"),
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda ctx, resource: ctx.client(
        "iam"
    ).detach_role_policy(RoleName=resource.inputs["role"], PolicyArn=resource.inputs["policyArn"]),
    "aws:iam/rolePolicy:RolePolicy": lambda ctx, resource: ctx.client("iam").delete_role_policy(
        RoleName=resource.inputs["role"], PolicyName=resource.outputs["name"]
    ),
    "aws:ecs/taskDefinition:TaskDefinition": _call(
        "ecs", "deregister_task_definition", "taskDefinition", source="arn"
    ),
    "aws:ecs/service:Service": ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": _call("elbv2", "delete_load_balancer", "LoadBalancerArn"),
    "aws:lb/targetGroup:TargetGroup": _call("elbv2", "delete_target_group", "TargetGroupArn"),
    "aws:lb/listener:Listener": _call("elbv2", "delete_listener", "ListenerArn"),
    "aws:appautoscaling/target:Target": scaling_target,
    "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:lb/listenerRule:ListenerRule": _call("elbv2", "delete_rule", "RuleArn"),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": adopted,
    "aws:kms/key:Key": kms_key,
    "aws:kms/alias:Alias": _call("kms", "delete_alias", "AliasName"),
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": lambda ctx, resource: ctx.client(
        "wafv2"
    ).disassociate_web_acl(ResourceArn=resource.inputs["resourceArn"]),
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketPolicy:BucketPolicy": _call("s3", "delete_bucket_policy", "Bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _call(
        "s3", "delete_public_access_block", "Bucket"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _call("s3", "delete_bucket_encryption", "Bucket")
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _call(
        "s3", "delete_bucket_lifecycle", "Bucket"
    ),
}


def delete(ctx: DeployContext, resource: ResourceState) -> None:
    """Delete *resource* from AWS; one already gone is deleted (its NotFound is no error)."""
    try:
        DELETES[resource.type](ctx, resource)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NotFound" in code or code.endswith(".NotFound") or code == "NoSuchEntity":
            return
        raise
