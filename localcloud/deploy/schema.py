"""How the pulumi-aws provider changes each resource type: which inputs force a replacement,
which it updates in place, and which only the provider reads. One table, as data.

The replace sets are the properties the provider marks ``ForceNew`` (``replaceOnChanges`` in
pulumi-aws's schema; "Forces new resource" in the Terraform AWS provider's docs) for the
properties the FargateApp sets. ``update`` holds the in-place updates the local cloud performs
(``localcloud.deploy.updates``); a changed property in neither set, and not provider-only, is a
change the local cloud cannot apply: the plan stops with a one-line error before anything
changes. ``named_by`` is the input that names the resource: when the program sets it, a
replacement deletes the old resource first (the new one would collide), as pulumi-aws does for
every explicitly named resource; otherwise the new one is created before the old is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TypeSchema:
    """How one resource type changes (see the module docstring)."""

    replace_on: frozenset[str]
    update: frozenset[str] = frozenset()
    named_by: str | None = None
    #: Inputs only the provider reads (its own behaviour, no AWS property): recorded, no call.
    provider_only: frozenset[str] = frozenset()


def _schema(
    replace_on: str,
    update: str = "",
    named_by: str | None = None,
    provider_only: str = "",
) -> TypeSchema:
    return TypeSchema(
        frozenset(replace_on.split()),
        frozenset(update.split()),
        named_by,
        frozenset(provider_only.split()),
    )


#: Resource type token -> how the provider changes it.
SCHEMAS: dict[str, TypeSchema] = {
    # EC2 networking
    "aws:ec2/vpc:Vpc": _schema(
        "cidrBlock instanceTenancy ipv6IpamPoolId", "enableDnsSupport enableDnsHostnames tags"
    ),
    "aws:ec2/subnet:Subnet": _schema(
        "vpcId cidrBlock availabilityZone availabilityZoneId", "mapPublicIpOnLaunch tags"
    ),
    "aws:ec2/internetGateway:InternetGateway": _schema("", "vpcId tags"),
    "aws:ec2/routeTable:RouteTable": _schema("vpcId", "tags"),
    "aws:ec2/route:Route": _schema(
        "routeTableId destinationCidrBlock destinationIpv6CidrBlock",
        "gatewayId natGatewayId vpcEndpointId networkInterfaceId",
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _schema(
        "subnetId gatewayId", "routeTableId"
    ),
    "aws:ec2/eip:Eip": _schema("domain", "tags"),
    "aws:ec2/natGateway:NatGateway": _schema("subnetId allocationId connectivityType", "tags"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _schema("vpcId", "ingress egress tags"),
    "aws:ec2/securityGroup:SecurityGroup": _schema(
        "name namePrefix description vpcId",
        "ingress egress tags",
        named_by="name",
        provider_only="revokeRulesOnDelete",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _schema(
        "securityGroupId",
        "cidrIpv4 cidrIpv6 description fromPort toPort ipProtocol prefixListId "
        "referencedSecurityGroupId tags",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _schema(
        "securityGroupId",
        "cidrIpv4 cidrIpv6 description fromPort toPort ipProtocol prefixListId "
        "referencedSecurityGroupId tags",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _schema("vpcId serviceName vpcEndpointType", "tags"),
    "aws:ec2/flowLog:FlowLog": _schema(
        "vpcId trafficType logDestination logDestinationType iamRoleArn maxAggregationInterval",
        "tags",
    ),
    # Containers, logs and IAM
    "aws:ecr/repository:Repository": _schema(
        "name encryptionConfigurations",
        "imageTagMutability imageScanningConfiguration tags",
        named_by="name",
        provider_only="forceDelete",
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _schema("repository policy"),
    "aws:ecs/cluster:Cluster": _schema("name", "settings tags", named_by="name"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _schema(
        "clusterName", "capacityProviders defaultCapacityProviderStrategies"
    ),
    "aws:cloudwatch/logGroup:LogGroup": _schema(
        "name namePrefix logGroupClass",
        "retentionInDays tags",
        named_by="name",
        provider_only="skipDestroy",
    ),
    "aws:iam/role:Role": _schema(
        "name namePrefix path",
        "assumeRolePolicy description maxSessionDuration tags",
        named_by="name",
        provider_only="forceDetachPolicies",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _schema("role policyArn"),
    "aws:iam/rolePolicy:RolePolicy": _schema("name namePrefix role", "policy", named_by="name"),
    # Every container or task property is a new revision of the family.
    "aws:ecs/taskDefinition:TaskDefinition": _schema(
        "family containerDefinitions cpu memory networkMode requiresCompatibilities "
        "executionRoleArn taskRoleArn runtimePlatform ephemeralStorage volumes "
        "pidMode ipcMode proxyConfiguration placementConstraints",
        "tags",
        provider_only="skipDestroy trackLatest",
    ),
    "aws:ecs/service:Service": _schema(
        "name cluster iamRole schedulingStrategy deploymentController launchType",
        "taskDefinition desiredCount deploymentCircuitBreaker deploymentMinimumHealthyPercent "
        "deploymentMaximumPercent healthCheckGracePeriodSeconds networkConfiguration "
        "loadBalancers capacityProviderStrategies platformVersion propagateTags "
        "enableEcsManagedTags enableExecuteCommand tags",
        named_by="name",
        provider_only="waitForSteadyState forceNewDeployment forceDelete triggers",
    ),
    # Load balancing and autoscaling
    "aws:lb/loadBalancer:LoadBalancer": _schema(
        "name namePrefix internal loadBalancerType",
        "subnets securityGroups idleTimeout dropInvalidHeaderFields enableDeletionProtection "
        "desyncMitigationMode accessLogs tags",
        named_by="name",
    ),
    "aws:lb/targetGroup:TargetGroup": _schema(
        "name namePrefix port protocol vpcId targetType protocolVersion",
        "healthCheck deregistrationDelay tags",
        named_by="name",
    ),
    "aws:lb/listenerRule:ListenerRule": _schema("listenerArn", "tags"),
    "aws:lb/listener:Listener": _schema(
        "loadBalancerArn", "port protocol sslPolicy certificateArn defaultActions tags"
    ),
    "aws:appautoscaling/target:Target": _schema(
        "resourceId scalableDimension serviceNamespace", "minCapacity maxCapacity tags"
    ),
    "aws:appautoscaling/policy:Policy": _schema(
        "name resourceId scalableDimension serviceNamespace",
        "policyType targetTrackingScalingPolicyConfiguration stepScalingPolicyConfiguration",
        named_by="name",
    ),
    # Prod security controls: the ForceNew properties, and tags; other changes the provider
    # makes in place (rules, policies, rotation) are refused with a one-line error.
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _schema("defaultNetworkAclId", "tags"),
    "aws:kms/key:Key": _schema(
        "keyUsage customerMasterKeySpec multiRegion customKeyStoreId", "tags"
    ),
    "aws:kms/alias:Alias": _schema("name namePrefix", named_by="name"),
    "aws:wafv2/webAcl:WebAcl": _schema("name namePrefix scope", "tags", named_by="name"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _schema("resourceArn webAclArn"),
    "aws:s3/bucket:Bucket": _schema(
        "bucket bucketPrefix objectLockEnabled", "tags", named_by="bucket"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _schema("bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _schema("bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _schema("bucket expectedBucketOwner")
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _schema(
        "bucket expectedBucketOwner"
    ),
}
