"""Network: subnets across distinct AZs, no public IPs, closed default SG, NAT per strategy."""

import ipaddress
import json

import pytest

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"


@pytest.mark.parametrize("az_count", [2, 3])
def test_public_and_private_subnet_per_distinct_az(app, az_count):
    result = app({"network": {"az_count": az_count, "cidr_block": "10.20.0.0/16"}})
    subnets = result.of_type(SUBNET)
    public = [s for s in subnets if s.inputs["tags"]["tier"] == "public"]
    private = [s for s in subnets if s.inputs["tags"]["tier"] == "private"]
    assert len(public) == len(private) == az_count
    for tier in (public, private):
        assert len({s.inputs["availabilityZone"] for s in tier}) == az_count
    vpc = ipaddress.ip_network("10.20.0.0/16")
    blocks = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_subnets_never_auto_assign_public_ips(app):
    result = app({"profile": "dev"})
    assert {s.inputs["mapPublicIpOnLaunch"] for s in result.of_type(SUBNET)} == {False}


def test_default_security_group_is_adopted_with_no_rules(app):
    result = app({})
    default_sg = result.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["vpcId"] == result.one("aws:ec2/vpc:Vpc").id
    assert not default_sg.inputs.get("ingress") and not default_sg.inputs.get("egress")


@pytest.mark.parametrize(
    ("network", "nat_count"),
    [
        ({"nat_gateways": "single", "az_count": 3}, 1),
        ({"nat_gateways": "per_az", "az_count": 3}, 3),
        ({"nat_gateways": "none", "vpc_endpoints": True}, 0),
    ],
)
def test_nat_gateways_follow_the_strategy(app, network, nat_count):
    result = app({"network": network})
    nats = result.of_type(NAT)
    assert len(nats) == nat_count
    public_ids = {s.id for s in result.of_type(SUBNET) if s.inputs["tags"]["tier"] == "public"}
    assert {n.inputs["subnetId"] for n in nats} <= public_ids
    private_defaults = [r for r in result.of_type(ROUTE) if r.inputs.get("natGatewayId")]
    assert len(private_defaults) == (network.get("az_count", 2) if nat_count else 0)
    assert {r.inputs["natGatewayId"] for r in private_defaults} == {n.id for n in nats}


def test_public_route_table_goes_to_internet_gateway(app):
    result = app({})
    igw = result.one("aws:ec2/internetGateway:InternetGateway")
    (public_route,) = [r for r in result.of_type(ROUTE) if r.inputs.get("gatewayId")]
    assert public_route.inputs["gatewayId"] == igw.id
    assert public_route.inputs["destinationCidrBlock"] == "0.0.0.0/0"


def test_vpc_endpoints_give_private_paths_to_ecr_s3_logs_and_secrets(app):
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    result = app(
        {"network": {"nat_gateways": "none", "vpc_endpoints": True}, "secrets": {"DB": secret}}
    )
    endpoints = {
        e.inputs["serviceName"].split("us-east-1.")[1]: e
        for e in result.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert set(endpoints) == {"s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"}
    assert endpoints["s3"].inputs["vpcEndpointType"] == "Gateway"
    assert endpoints["ecr.dkr"].inputs["privateDnsEnabled"] is True


def test_bring_your_own_vpc_creates_no_network_resources(app):
    result = app(
        {
            "network": {
                "vpc_id": "vpc-123",
                "public_subnet_ids": ["subnet-p1", "subnet-p2"],
                "private_subnet_ids": ["subnet-a", "subnet-b"],
            }
        }
    )
    network_types = {"aws:ec2/vpc:Vpc", SUBNET, NAT, "aws:ec2/internetGateway:InternetGateway"}
    assert not [r for r in result.resources if r.type_ in network_types]
    assert not [r for r in result.resources if r.type_ == "fargate-app:index:Network"]
    service = result.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["subnets"] == ["subnet-a", "subnet-b"]
    assert result.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == [
        "subnet-p1",
        "subnet-p2",
    ]
    assert result.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == "vpc-123"


@pytest.mark.parametrize(
    ("args", "enabled"),
    [
        ({"profile": "dev"}, False),
        ({"profile": "prod", "load_balancer": {"internal": True}}, True),
        ({"profile": "dev", "network": {"flow_logs": True}}, True),
    ],
)
def test_flow_logs_follow_the_profile_or_the_explicit_switch(app, args, enabled):
    result = app(args)
    assert len(result.of_type("aws:ec2/flowLog:FlowLog")) == int(enabled)


def test_flow_logs_capture_all_traffic_into_a_retained_group_through_a_scoped_role(app):
    result = app({"network": {"flow_logs": True}, "log_retention_days": 30})
    flow_log = result.one("aws:ec2/flowLog:FlowLog")
    group = result.one("aws:cloudwatch/logGroup:LogGroup", "flow-logs")
    role = result.one("aws:iam/role:Role", "flow-logs")
    assert flow_log.inputs["vpcId"] == result.one("aws:ec2/vpc:Vpc").id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    assert group.inputs["retentionInDays"] == 30
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = next(
        p for p in result.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id
    )
    write, find = json.loads(policy.inputs["policy"])["Statement"]
    assert write["Resource"] == [group.outputs["arn"], f"{group.outputs['arn']}:log-stream:*"]
    assert set(write["Action"]) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    # DescribeLogGroups has no resource type: this account and region's groups, never "*".
    assert find["Action"] == ["logs:DescribeLogGroups"]
    assert find["Resource"] == "arn:aws:logs:us-east-1:123456789012:log-group:*"
    # Together: every permission the VPC User Guide lists for publishing flow logs to CloudWatch.
    assert set(write["Action"]) | set(find["Action"]) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    }


def test_flow_logs_only_apply_to_a_new_vpc():
    from components import FargateAppConfigError, resolve_settings

    byo = {"vpc_id": "vpc-1", "public_subnet_ids": ["a", "b"], "private_subnet_ids": ["c", "d"]}
    with pytest.raises(FargateAppConfigError, match="network.flow_logs: True is not allowed; it"):
        resolve_settings({"network": {**byo, "flow_logs": True}})
