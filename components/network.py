"""Network: a VPC with public and private subnets across AZs, gateways and routes."""

from __future__ import annotations

import ipaddress
from typing import Optional

import pulumi
import pulumi_aws as aws

from .aws_context import AwsContext
from .iam_documents import flow_log_write_policy, service_trust_policy
from .naming import ecs_name
from .settings import NetworkSettings
from .validation import SUBNET_PREFIX_BITS, FargateAppConfigError

PRIVATE_SLOT_OFFSET = 4  # private subnets take slots 4..6 of the 8 equal slots of the VPC


class Network(pulumi.ComponentResource):
    """A VPC with one public and one private subnet per AZ, an internet gateway, NAT gateways per
    strategy, optional VPC endpoints and a default security group with no rules."""

    vpc_id: pulumi.Output[str]
    """Id of the VPC."""
    vpc_cidr_block: pulumi.Output[str]
    """CIDR block of the VPC."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets (load balancer, NAT gateways), one per AZ."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets (tasks), one per AZ."""

    def __init__(
        self,
        name: str,
        settings: NetworkSettings,
        tags: Optional[dict[str, str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("fargate-app:index:Network", name, None, opts)
        tags = dict(tags or {})
        child = pulumi.ResourceOptions(parent=self)

        zones = aws.get_availability_zones(
            state="available", opts=pulumi.InvokeOptions(parent=self)
        )
        if len(zones.names) < settings.az_count:
            raise FargateAppConfigError(
                f"FargateApp network.az_count: {settings.az_count!r} is not allowed; "
                f"this region has {len(zones.names)} available AZs ({', '.join(zones.names)})"
            )
        zone_names = sorted(zones.names)[: settings.az_count]
        slots = list(
            ipaddress.ip_network(settings.cidr_block).subnets(prefixlen_diff=SUBNET_PREFIX_BITS)
        )

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        # Adopting the default SG with no ingress/egress blocks removes its rules (FSBP EC2.2).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            tags={**tags, "Name": f"{name}-default-closed"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=child
        )

        public_table = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        private_tables: list[aws.ec2.RouteTable] = []
        for index, zone in enumerate(zone_names):
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=str(slots[index]),
                map_public_ip_on_launch=False,
                tags={**tags, "Name": f"{name}-public-{zone}", "tier": "public"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=public.id,
                route_table_id=public_table.id,
                opts=child,
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=str(slots[PRIVATE_SLOT_OFFSET + index]),
                map_public_ip_on_launch=False,
                tags={**tags, "Name": f"{name}-private-{zone}", "tier": "private"},
                opts=child,
            )
            table = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                tags={**tags, "Name": f"{name}-private-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=private.id, route_table_id=table.id, opts=child
            )
            public_subnets.append(public)
            private_subnets.append(private)
            private_tables.append(table)

        nat_count = {"none": 0, "single": 1, "per_az": len(zone_names)}[settings.nat_gateways]
        nat_gateways = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index}",
                domain="vpc",
                tags={**tags, "Name": f"{name}-nat-{index}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[index].id,
                    tags={**tags, "Name": f"{name}-nat-{index}"},
                    opts=child,
                )
            )
        for index, table in enumerate(private_tables):
            if nat_gateways:
                aws.ec2.Route(
                    f"{name}-private-{index}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateways[index % len(nat_gateways)].id,
                    opts=child,
                )

        if settings.vpc_endpoints or settings.flow_logs:
            context = AwsContext.of(self)
        if settings.vpc_endpoints:
            self._endpoints(name, settings, context, vpc, private_subnets, private_tables, tags)
        if settings.flow_logs:
            self._flow_logs(name, settings, context, vpc, tags)

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _endpoints(
        self,
        name: str,
        settings: NetworkSettings,
        context: AwsContext,
        vpc: aws.ec2.Vpc,
        subnets: list[aws.ec2.Subnet],
        route_tables: list[aws.ec2.RouteTable],
        tags: dict[str, str],
    ) -> None:
        """Private paths to ECR, S3 and CloudWatch Logs (and secrets stores) without NAT."""
        child = pulumi.ResourceOptions(parent=self)
        region = context.region
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=vpc.id,
            description="VPC interface endpoints: HTTPS from inside the VPC only",
            tags={**tags, "Name": f"{name}-endpoints"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=endpoint_sg.id,
            description="HTTPS from the VPC to the interface endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=vpc.cidr_block,
            tags=tags,
            opts=child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in route_tables],
            tags={**tags, "Name": f"{name}-s3"},
            opts=child,
        )
        services = ["ecr.api", "ecr.dkr", "logs"]
        if settings.with_secrets_endpoints:
            services += ["secretsmanager", "ssm"]
        for service in services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[endpoint_sg.id],
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            )

    def _flow_logs(
        self,
        name: str,
        settings: NetworkSettings,
        context: AwsContext,
        vpc: aws.ec2.Vpc,
        tags: dict[str, str],
    ) -> None:
        """All VPC traffic to a log group with retention, through a role that may only write it."""
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/{ecs_name(name)}/flow-logs",
            retention_in_days=settings.flow_log_retention_days,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=service_trust_policy(
                "vpc-flow-logs.amazonaws.com",
                context.account_id,
                f"arn:{context.partition}:ec2:{context.region}:{context.account_id}:vpc-flow-log/*",
            ),
            description=f"VPC flow logs of {name}: write to its flow log group only",
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(flow_log_write_policy),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={**tags, "Name": f"{name}-flow-logs"},
            opts=child,
        )
