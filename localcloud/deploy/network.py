"""EC2 networking resources: VPC, subnets, gateways, routes, security groups and rules, endpoints.

Each handler makes the AWS calls the pulumi-aws provider would make and returns
``(id, outputs)`` with the provider's property names (camelCase, as Pulumi mocks see them).
"""

from __future__ import annotations

import zlib
from typing import Any

from localcloud.deploy.context import (
    DeployContext,
    as_int,
    drop_none,
    ec2_tag_specs,
    physical_name,
    tag_list,
)
from localcloud.errors import LocalCloudError

Outputs = tuple[str, dict[str, Any]]


def vpc(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/vpc:Vpc"""
    ec2 = ctx.client("ec2")
    created = ec2.create_vpc(
        CidrBlock=inputs["cidrBlock"],
        InstanceTenancy=inputs.get("instanceTenancy", "default"),
        TagSpecifications=ec2_tag_specs("vpc", inputs.get("tags")),
    )["Vpc"]
    vpc_id = created["VpcId"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if attribute in inputs:
            key = attribute[0].upper() + attribute[1:]
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{key: {"Value": bool(inputs[attribute])}})
    default_sg = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    main_table = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    return vpc_id, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:vpc/{vpc_id}",
        "defaultSecurityGroupId": default_sg,
        "defaultNetworkAclId": default_acl,
        "mainRouteTableId": main_table,
        "defaultRouteTableId": main_table,
        "ownerId": created.get("OwnerId", ctx.account_id),
        "enableDnsSupport": inputs.get("enableDnsSupport", True),
        "enableDnsHostnames": inputs.get("enableDnsHostnames", False),
        "tagsAll": inputs.get("tags", {}),
    }


def subnet(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/subnet:Subnet"""
    ec2 = ctx.client("ec2")
    created = ec2.create_subnet(
        **drop_none(
            VpcId=inputs["vpcId"],
            CidrBlock=inputs["cidrBlock"],
            AvailabilityZone=inputs.get("availabilityZone"),
            TagSpecifications=ec2_tag_specs("subnet", inputs.get("tags")),
        )
    )["Subnet"]
    subnet_id = created["SubnetId"]
    if inputs.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return subnet_id, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:subnet/{subnet_id}",
        "availabilityZone": created["AvailabilityZone"],
        "availabilityZoneId": created.get("AvailabilityZoneId"),
        "mapPublicIpOnLaunch": bool(inputs.get("mapPublicIpOnLaunch", False)),
        "ownerId": created.get("OwnerId", ctx.account_id),
        "tagsAll": inputs.get("tags", {}),
    }


def internet_gateway(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/internetGateway:InternetGateway (attached to ``vpcId`` when given)."""
    ec2 = ctx.client("ec2")
    gateway = ec2.create_internet_gateway(
        TagSpecifications=ec2_tag_specs("internet-gateway", inputs.get("tags"))
    )["InternetGateway"]["InternetGatewayId"]
    if inputs.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=inputs["vpcId"])
    return gateway, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:internet-gateway/{gateway}",
        "ownerId": ctx.account_id,
        "tagsAll": inputs.get("tags", {}),
    }


def route_table(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/routeTable:RouteTable (inline ``routes`` are created too)."""
    ec2 = ctx.client("ec2")
    table = ec2.create_route_table(
        VpcId=inputs["vpcId"],
        TagSpecifications=ec2_tag_specs("route-table", inputs.get("tags")),
    )["RouteTable"]["RouteTableId"]
    for inline in inputs.get("routes") or []:
        ec2.create_route(RouteTableId=table, **_route_target(inline))
    return table, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:route-table/{table}",
        "ownerId": ctx.account_id,
        "routes": inputs.get("routes", []),
        "tagsAll": inputs.get("tags", {}),
    }


def _route_target(inputs: dict[str, Any]) -> dict[str, Any]:
    """The destination and target keyword arguments of CreateRoute."""
    return drop_none(
        DestinationCidrBlock=inputs.get("destinationCidrBlock") or inputs.get("cidrBlock"),
        DestinationIpv6CidrBlock=inputs.get("destinationIpv6CidrBlock")
        or inputs.get("ipv6CidrBlock"),
        GatewayId=inputs.get("gatewayId"),
        NatGatewayId=inputs.get("natGatewayId"),
        VpcEndpointId=inputs.get("vpcEndpointId"),
        NetworkInterfaceId=inputs.get("networkInterfaceId"),
        TransitGatewayId=inputs.get("transitGatewayId"),
        VpcPeeringConnectionId=inputs.get("vpcPeeringConnectionId"),
        EgressOnlyInternetGatewayId=inputs.get("egressOnlyGatewayId"),
    )


def route(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/route:Route (id like the provider's: ``r-<table><crc32 of destination>``)."""
    target = _route_target(inputs)
    ctx.client("ec2").create_route(RouteTableId=inputs["routeTableId"], **target)
    destination = target.get("DestinationCidrBlock") or target.get("DestinationIpv6CidrBlock")
    route_id = f"r-{inputs['routeTableId']}{zlib.crc32(str(destination).encode())}"
    return route_id, {**inputs, "origin": "CreateRoute", "state": "active"}


def route_table_association(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/routeTableAssociation:RouteTableAssociation"""
    association = ctx.client("ec2").associate_route_table(
        **drop_none(
            RouteTableId=inputs["routeTableId"],
            SubnetId=inputs.get("subnetId"),
            GatewayId=inputs.get("gatewayId"),
        )
    )["AssociationId"]
    return association, dict(inputs)


def eip(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/eip:Eip"""
    address = ctx.client("ec2").allocate_address(
        Domain=inputs.get("domain", "vpc"),
        TagSpecifications=ec2_tag_specs("elastic-ip", inputs.get("tags")),
    )
    allocation = address["AllocationId"]
    return allocation, {
        **inputs,
        "allocationId": allocation,
        "publicIp": address["PublicIp"],
        "domain": address.get("Domain", "vpc"),
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:elastic-ip/{allocation}",
        "tagsAll": inputs.get("tags", {}),
    }


def nat_gateway(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/natGateway:NatGateway"""
    gateway = ctx.client("ec2").create_nat_gateway(
        **drop_none(
            SubnetId=inputs["subnetId"],
            AllocationId=inputs.get("allocationId"),
            ConnectivityType=inputs.get("connectivityType", "public"),
            TagSpecifications=ec2_tag_specs("natgateway", inputs.get("tags")),
        )
    )["NatGateway"]
    addresses = gateway.get("NatGatewayAddresses") or [{}]
    return gateway["NatGatewayId"], {
        **inputs,
        "connectivityType": inputs.get("connectivityType", "public"),
        "publicIp": addresses[0].get("PublicIp"),
        "privateIp": addresses[0].get("PrivateIp"),
        "networkInterfaceId": addresses[0].get("NetworkInterfaceId"),
        "tagsAll": inputs.get("tags", {}),
    }


def default_security_group(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/defaultSecurityGroup:DefaultSecurityGroup: adopt the VPC's default group and
    make its rules exactly the declared ones (none declared: no rules at all)."""
    ec2 = ctx.client("ec2")
    group = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [inputs["vpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    group_id = group["GroupId"]
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )
    _authorize_inline(ec2, group_id, inputs)
    if inputs.get("tags"):
        ec2.create_tags(Resources=[group_id], Tags=tag_list(inputs["tags"]))
    return group_id, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:security-group/{group_id}",
        "name": "default",
        "ownerId": ctx.account_id,
        "ingress": inputs.get("ingress", []),
        "egress": inputs.get("egress", []),
        "tagsAll": inputs.get("tags", {}),
    }


#: Protocol names the provider accepts in network ACL rules, as the EC2 API's numbers.
NACL_PROTOCOLS = {"-1": "-1", "all": "-1", "tcp": "6", "udp": "17", "icmp": "1"}
#: The catch-all deny rule every network ACL ends with; it cannot be removed.
NACL_DEFAULT_RULE = 32767


def default_network_acl(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/defaultNetworkAcl:DefaultNetworkAcl: adopt the VPC's default network ACL, make
    its entries exactly the declared ones and associate it with ``subnetIds``."""
    ec2 = ctx.client("ec2")
    acl_id = inputs["defaultNetworkAclId"]
    acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    for entry in acl["Entries"]:
        if entry["RuleNumber"] != NACL_DEFAULT_RULE:
            ec2.delete_network_acl_entry(
                NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"]
            )
    for key, egress in (("ingress", False), ("egress", True)):
        for rule in inputs.get(key) or []:
            protocol = NACL_PROTOCOLS.get(str(rule["protocol"]), str(rule["protocol"]))
            ec2.create_network_acl_entry(
                **drop_none(
                    NetworkAclId=acl_id,
                    RuleNumber=int(rule["ruleNo"]),
                    Protocol=protocol,
                    RuleAction=rule["action"],
                    Egress=egress,
                    CidrBlock=rule.get("cidrBlock"),
                    Ipv6CidrBlock=rule.get("ipv6CidrBlock"),
                    PortRange={"From": int(rule["fromPort"]), "To": int(rule["toPort"])}
                    if protocol != "-1"
                    else None,
                )
            )
    associated = {item["SubnetId"]: item for item in acl.get("Associations", [])}
    for subnet_id in inputs.get("subnetIds") or []:
        if subnet_id in associated:
            continue
        current = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["NetworkAcls"][0]
        (association,) = [a for a in current["Associations"] if a["SubnetId"] == subnet_id]
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
        )
    if inputs.get("tags"):
        ec2.create_tags(Resources=[acl_id], Tags=tag_list(inputs["tags"]))
    return acl_id, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:network-acl/{acl_id}",
        "vpcId": acl["VpcId"],
        "ownerId": ctx.account_id,
        "tagsAll": inputs.get("tags", {}),
    }


def security_group(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/securityGroup:SecurityGroup. Like the provider, it removes the allow-all egress
    rule AWS adds to every new group, then adds the inline rules (if any)."""
    ec2 = ctx.client("ec2")
    group_name = physical_name(inputs, name, 255)
    group_id = ec2.create_security_group(
        **drop_none(
            GroupName=group_name,
            Description=inputs.get("description", "Managed by Pulumi"),
            VpcId=inputs.get("vpcId"),
            TagSpecifications=ec2_tag_specs("security-group", inputs.get("tags")),
        )
    )["GroupId"]
    egress = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0][
        "IpPermissionsEgress"
    ]
    if egress:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=egress)
    _authorize_inline(ec2, group_id, inputs)
    return group_id, {
        **inputs,
        "name": group_name,
        "description": inputs.get("description", "Managed by Pulumi"),
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:security-group/{group_id}",
        "ownerId": ctx.account_id,
        "ingress": inputs.get("ingress", []),
        "egress": inputs.get("egress", []),
        "tagsAll": inputs.get("tags", {}),
    }


def _authorize_inline(ec2: Any, group_id: str, inputs: dict[str, Any]) -> None:
    """Add the inline ``ingress``/``egress`` blocks of a (default) security group."""
    for key, call in (
        ("ingress", ec2.authorize_security_group_ingress),
        ("egress", ec2.authorize_security_group_egress),
    ):
        permissions = [_inline_permission(rule) for rule in inputs.get(key) or []]
        if permissions:
            call(GroupId=group_id, IpPermissions=permissions)


def _inline_permission(rule: dict[str, Any]) -> dict[str, Any]:
    description = rule.get("description")
    return drop_none(
        IpProtocol=str(rule.get("protocol", "-1")),
        FromPort=as_int(rule.get("fromPort")),
        ToPort=as_int(rule.get("toPort")),
        IpRanges=[drop_none(CidrIp=c, Description=description) for c in rule.get("cidrBlocks", [])]
        or None,
        Ipv6Ranges=[
            drop_none(CidrIpv6=c, Description=description) for c in rule.get("ipv6CidrBlocks", [])
        ]
        or None,
        UserIdGroupPairs=[
            drop_none(GroupId=g, Description=description) for g in rule.get("securityGroups", [])
        ]
        or None,
        PrefixListIds=[
            drop_none(PrefixListId=p, Description=description)
            for p in rule.get("prefixListIds", [])
        ]
        or None,
    )


def _rule_permission(inputs: dict[str, Any]) -> dict[str, Any]:
    """The IpPermission of an aws:vpc security group ingress/egress rule resource."""
    protocol = str(inputs["ipProtocol"])
    description = inputs.get("description")
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol not in ("-1", "all"):
        permission["FromPort"] = as_int(inputs.get("fromPort"))
        permission["ToPort"] = as_int(inputs.get("toPort"))
    if inputs.get("cidrIpv4"):
        permission["IpRanges"] = [drop_none(CidrIp=inputs["cidrIpv4"], Description=description)]
    if inputs.get("cidrIpv6"):
        permission["Ipv6Ranges"] = [drop_none(CidrIpv6=inputs["cidrIpv6"], Description=description)]
    if inputs.get("referencedSecurityGroupId"):
        permission["UserIdGroupPairs"] = [
            drop_none(GroupId=inputs["referencedSecurityGroupId"], Description=description)
        ]
    if inputs.get("prefixListId"):
        permission["PrefixListIds"] = [
            drop_none(PrefixListId=inputs["prefixListId"], Description=description)
        ]
    return permission


def _security_group_rule(ctx: DeployContext, inputs: dict[str, Any], egress: bool) -> Outputs:
    ec2 = ctx.client("ec2")
    call = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    answer = call(
        GroupId=inputs["securityGroupId"],
        IpPermissions=[_rule_permission(inputs)],
        TagSpecifications=ec2_tag_specs("security-group-rule", inputs.get("tags")),
    )
    rules = answer.get("SecurityGroupRules") or [{}]
    rule_id = rules[0].get("SecurityGroupRuleId") or f"sgr-{zlib.crc32(repr(inputs).encode()):x}"
    return rule_id, {
        **inputs,
        "securityGroupRuleId": rule_id,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:security-group-rule/{rule_id}",
        "tagsAll": inputs.get("tags", {}),
    }


def security_group_ingress_rule(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"""
    return _security_group_rule(ctx, inputs, egress=False)


def security_group_egress_rule(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"""
    return _security_group_rule(ctx, inputs, egress=True)


def vpc_endpoint(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/vpcEndpoint:VpcEndpoint (Gateway or Interface)."""
    endpoint_type = inputs.get("vpcEndpointType", "Gateway")
    created = ctx.client("ec2").create_vpc_endpoint(
        **drop_none(
            VpcId=inputs["vpcId"],
            ServiceName=inputs["serviceName"],
            VpcEndpointType=endpoint_type,
            RouteTableIds=inputs.get("routeTableIds"),
            SubnetIds=inputs.get("subnetIds"),
            SecurityGroupIds=inputs.get("securityGroupIds"),
            PrivateDnsEnabled=inputs.get("privateDnsEnabled"),
            TagSpecifications=ec2_tag_specs("vpc-endpoint", inputs.get("tags")),
        )
    )["VpcEndpoint"]
    endpoint_id = created["VpcEndpointId"]
    return endpoint_id, {
        **inputs,
        "vpcEndpointType": endpoint_type,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:vpc-endpoint/{endpoint_id}",
        "state": created.get("State", "available"),
        "dnsEntries": [
            {"dnsName": e.get("DnsName"), "hostedZoneId": e.get("HostedZoneId")}
            for e in created.get("DnsEntries", [])
        ],
        "tagsAll": inputs.get("tags", {}),
    }


def flow_log(ctx: DeployContext, name: str, inputs: dict[str, Any]) -> Outputs:
    """aws:ec2/flowLog:FlowLog (VPC traffic to CloudWatch Logs)."""
    created = ctx.client("ec2").create_flow_logs(
        **drop_none(
            ResourceIds=[inputs["vpcId"]],
            ResourceType="VPC",
            TrafficType=inputs.get("trafficType", "ALL"),
            LogDestinationType=inputs.get("logDestinationType", "cloud-watch-logs"),
            LogDestination=inputs.get("logDestination"),
            DeliverLogsPermissionArn=inputs.get("iamRoleArn"),
            MaxAggregationInterval=as_int(inputs.get("maxAggregationInterval")),
            TagSpecifications=ec2_tag_specs("vpc-flow-log", inputs.get("tags")),
        )
    )
    if created.get("Unsuccessful"):
        error = created["Unsuccessful"][0]["Error"]
        raise LocalCloudError(
            f"aws:ec2/flowLog:FlowLog {name}: {error['Code']}: {error['Message']}"
        )
    flow_log_id = created["FlowLogIds"][0]
    return flow_log_id, {
        **inputs,
        "arn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:vpc-flow-log/{flow_log_id}",
        "tagsAll": inputs.get("tags", {}),
    }


HANDLERS = {
    "aws:ec2/flowLog:FlowLog": flow_log,
    "aws:ec2/vpc:Vpc": vpc,
    "aws:ec2/subnet:Subnet": subnet,
    "aws:ec2/internetGateway:InternetGateway": internet_gateway,
    "aws:ec2/routeTable:RouteTable": route_table,
    "aws:ec2/route:Route": route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": route_table_association,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": default_security_group,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": default_network_acl,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": security_group_ingress_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": security_group_egress_rule,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
}
