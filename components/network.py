"""Network: a VPC with public and private subnets across AZs, gateways and routes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .aws_context import AwsContext
from .component import Component
from .iam_documents import flow_log_write_policy, service_trust_policy
from .name_rules import IAM_ROLE, IAM_ROLE_DESCRIPTION, IAM_ROLE_POLICY, SECURITY_GROUP
from .naming import auto_name, fit_text, flow_log_group_name
from .settings import NetworkSettings
from .unknowns import known_all, unknown
from .validation import SUBNET_PREFIX_BITS, FargateAppConfigError

PRIVATE_SLOT_OFFSET = 4  # private subnets take slots 4..6 of the 8 equal slots of the VPC
NACL_DENIED_PORTS = (22, 3389)
"""SSH and RDP: what the default network ACL refuses from anywhere (FSBP EC2.21)."""
WORLD_CIDRS = {"cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "::/0"}


class Network(Component):
    """A VPC with one public and one private subnet per AZ, an internet gateway, NAT gateways per
    strategy, optional VPC endpoints, a default security group with no rules and a default
    network ACL that denies SSH and RDP from anywhere."""

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
        *,
        kms_key_arn: Optional[pulumi.Input[str]] = None,
    ) -> None:
        """``kms_key_arn``: the KMS key that encrypts the flow-log group (None: AWS-managed)."""
        super().__init__("fargate-app:index:Network", name, None, opts)
        self._tags = dict(tags or {})
        zones = self._availability_zones(settings.az_count)
        slots = list(
            ipaddress.ip_network(settings.cidr_block).subnets(prefixlen_diff=SUBNET_PREFIX_BITS)
        )
        vpc = self._vpc(name, settings)
        internet_gateway = self._internet_gateway(name, vpc)
        public_subnets = self._public_subnets(name, vpc, zones, slots, internet_gateway)
        private_subnets, private_tables = self._private_subnets(name, vpc, zones, slots)
        self._nat_gateways(name, settings, internet_gateway, public_subnets, private_tables)
        self._network_acl(name, vpc, [*public_subnets, *private_subnets])
        if settings.vpc_endpoints or settings.flow_logs:
            context = AwsContext.of(self)
        if settings.vpc_endpoints:
            self._endpoints(name, settings, context, vpc, private_subnets, private_tables)
        if settings.flow_logs:
            self._flow_logs(name, settings, context, vpc, kms_key_arn)
        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self._register_declared_outputs()

    def _availability_zones(self, count: int) -> list[pulumi.Input[str]]:
        """The first ``count`` available AZs of the region, by name (unknown if unanswered)."""
        zones = aws.get_availability_zones(
            state="available", opts=pulumi.InvokeOptions(parent=self)
        )
        if zones.names is None:  # test mocks answering {}: like the engine's unknowns
            return [unknown() for _ in range(count)]
        if len(zones.names) < count:
            raise FargateAppConfigError(
                f"FargateApp network.az_count: {count!r} is not allowed; "
                f"this region has {len(zones.names)} available AZs ({', '.join(zones.names)})"
            )
        return sorted(zones.names)[:count]

    def _vpc(self, name: str, settings: NetworkSettings) -> aws.ec2.Vpc:
        """The VPC with DNS, and its default security group adopted with no rules."""
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**self._tags, "Name": f"{name}-vpc"},
            opts=self._child(),
        )
        # Adopting the default SG with no ingress/egress blocks removes its rules (FSBP EC2.2).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            tags={**self._tags, "Name": f"{name}-default-closed"},
            opts=self._child(),
        )
        return vpc

    def _internet_gateway(self, name: str, vpc: aws.ec2.Vpc) -> aws.ec2.InternetGateway:
        return aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=vpc.id,
            tags={**self._tags, "Name": f"{name}-igw"},
            opts=self._child(),
        )

    def _public_subnets(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        zones: list[pulumi.Input[str]],
        slots: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
        internet_gateway: aws.ec2.InternetGateway,
    ) -> list[aws.ec2.Subnet]:
        """One public subnet per AZ (slots 0..), sharing a route table to the internet gateway."""
        table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            tags={**self._tags, "Name": f"{name}-public"},
            opts=self._child(),
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=internet_gateway.id,
            opts=self._child(),
        )
        subnets = []
        for index, zone in enumerate(zones):
            subnet = self._subnet(name, "public", index, zone, vpc, slots[index])
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child(),
            )
            subnets.append(subnet)
        return subnets

    def _private_subnets(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        zones: list[pulumi.Input[str]],
        slots: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
    ) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.RouteTable]]:
        """One private subnet per AZ (slots 4..), each with its own route table."""
        subnets, tables = [], []
        for index, zone in enumerate(zones):
            subnet = self._subnet(
                name, "private", index, zone, vpc, slots[PRIVATE_SLOT_OFFSET + index]
            )
            table = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                tags={**self._tags, "Name": pulumi.Output.concat(f"{name}-private-", zone)},
                opts=self._child(),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child(),
            )
            subnets.append(subnet)
            tables.append(table)
        return subnets, tables

    def _subnet(
        self,
        name: str,
        tier: str,
        index: int,
        zone: pulumi.Input[str],
        vpc: aws.ec2.Vpc,
        cidr: ipaddress.IPv4Network | ipaddress.IPv6Network,
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{name}-{tier}-{index}",
            vpc_id=vpc.id,
            availability_zone=zone,
            cidr_block=str(cidr),
            map_public_ip_on_launch=False,
            tags={
                **self._tags,
                "Name": pulumi.Output.concat(f"{name}-{tier}-", zone),
                "tier": tier,
            },
            opts=self._child(),
        )

    def _network_acl(
        self, name: str, vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet]
    ) -> aws.ec2.DefaultNetworkAcl:
        """The VPC's default network ACL, adopted for every subnet: SSH and RDP denied from
        anywhere (IPv4 and IPv6), everything else allowed.

        NACLs are stateless: the replies to the ALB's, the tasks' and the NAT gateways'
        connections come back to their ephemeral ports (1024-65535 for the ALB and NAT), so
        inbound stays open but for the denied ports. Traffic from inside the VPC is allowed
        first (rule 90): the ALB may pick 22 or 3389 as its source port towards a task, and the
        task's reply must not meet the deny. A NAT gateway may pick them too, towards the
        internet (2 of its 64,512 ports); that reply is dropped and the connection retried:
        the price of FSBP EC2.21, which judges rules from 0.0.0.0/0 and ::/0.
        """
        ingress: list[dict[str, object]] = [
            {
                "rule_no": 90,
                "action": "allow",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_block": vpc.cidr_block,
            }
        ]
        rule_no = 100
        for port in NACL_DENIED_PORTS:
            for protocol in ("tcp", "udp"):
                for family, cidr in WORLD_CIDRS.items():
                    ingress.append(
                        {
                            "rule_no": rule_no,
                            "action": "deny",
                            "protocol": protocol,
                            "from_port": port,
                            "to_port": port,
                            family: cidr,
                        }
                    )
                    rule_no += 1
        allow_all = [
            {"action": "allow", "protocol": "-1", "from_port": 0, "to_port": 0, family: cidr}
            for family, cidr in WORLD_CIDRS.items()
        ]
        return aws.ec2.DefaultNetworkAcl(
            f"{name}-default-nacl",
            default_network_acl_id=vpc.default_network_acl_id,
            subnet_ids=[subnet.id for subnet in subnets],
            ingress=ingress + [{**rule, "rule_no": 200 + i} for i, rule in enumerate(allow_all)],
            egress=[{**rule, "rule_no": 100 + i} for i, rule in enumerate(allow_all)],
            tags={**self._tags, "Name": f"{name}-default-nacl"},
            opts=self._child(),
        )

    def _nat_gateways(
        self,
        name: str,
        settings: NetworkSettings,
        internet_gateway: aws.ec2.InternetGateway,
        public_subnets: list[aws.ec2.Subnet],
        private_tables: list[aws.ec2.RouteTable],
    ) -> None:
        """NAT gateways per strategy (none, single, per_az), each private table routed to one."""
        count = {"none": 0, "single": 1, "per_az": len(public_subnets)}[settings.nat_gateways]
        gateways = []
        for index in range(count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index}",
                domain="vpc",
                tags={**self._tags, "Name": f"{name}-nat-{index}"},
                opts=self._child(internet_gateway),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[index].id,
                    tags={**self._tags, "Name": f"{name}-nat-{index}"},
                    opts=self._child(),
                )
            )
        for index, table in enumerate(private_tables if gateways else []):
            aws.ec2.Route(
                f"{name}-private-{index}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=gateways[index % len(gateways)].id,
                opts=self._child(),
            )

    def _endpoints(
        self,
        name: str,
        settings: NetworkSettings,
        context: AwsContext,
        vpc: aws.ec2.Vpc,
        subnets: list[aws.ec2.Subnet],
        route_tables: list[aws.ec2.RouteTable],
    ) -> None:
        """Private paths to ECR, S3 and CloudWatch Logs (and secrets stores) without NAT."""
        region = context.region
        security_group = self._endpoint_security_group(name, vpc)
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=known_all(region).apply(lambda parts: f"com.amazonaws.{parts[0]}.s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in route_tables],
            tags={**self._tags, "Name": f"{name}-s3"},
            opts=self._child(),
        )
        services = ["ecr.api", "ecr.dkr", "logs"]
        if settings.with_secrets_endpoints:
            services += ["secretsmanager", "ssm"]
        for service in services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=known_all(region).apply(
                    lambda parts, service=service: f"com.amazonaws.{parts[0]}.{service}"
                ),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[security_group.id],
                tags={**self._tags, "Name": f"{name}-{service}"},
                opts=self._child(),
            )

    def _endpoint_security_group(self, name: str, vpc: aws.ec2.Vpc) -> aws.ec2.SecurityGroup:
        """The interface endpoints' group: HTTPS in from the VPC's CIDR only."""
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            **auto_name(SECURITY_GROUP, f"{name}-endpoints"),
            vpc_id=vpc.id,
            description="VPC interface endpoints: HTTPS from inside the VPC only",
            tags={**self._tags, "Name": f"{name}-endpoints"},
            opts=self._child(),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=endpoint_sg.id,
            description="HTTPS from the VPC to the interface endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=vpc.cidr_block,
            tags=self._tags,
            opts=self._child(),
        )
        return endpoint_sg

    def _flow_logs(
        self,
        name: str,
        settings: NetworkSettings,
        context: AwsContext,
        vpc: aws.ec2.Vpc,
        kms_key_arn: Optional[pulumi.Input[str]],
    ) -> None:
        """All VPC traffic to a log group with retention, through a role that may only write it."""
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=flow_log_group_name(name),
            retention_in_days=settings.flow_log_retention_days,
            kms_key_id=kms_key_arn,
            tags=self._tags,
            opts=self._child(),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            **auto_name(IAM_ROLE, f"{name}-flow-logs"),
            assume_role_policy=known_all(
                context.account_id, context.partition, context.region
            ).apply(
                lambda parts: service_trust_policy(
                    "vpc-flow-logs.amazonaws.com",
                    parts[0],
                    f"arn:{parts[1]}:ec2:{parts[2]}:{parts[0]}:vpc-flow-log/*",
                )
            ),
            description=fit_text(
                IAM_ROLE_DESCRIPTION, f"VPC flow logs of {name}: write to its flow log group only"
            ),
            tags=self._tags,
            opts=self._child(),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            **auto_name(IAM_ROLE_POLICY, f"{name}-flow-logs"),
            role=role.id,
            policy=known_all(log_group.arn).apply(lambda parts: flow_log_write_policy(parts[0])),
            opts=self._child(),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={**self._tags, "Name": f"{name}-flow-logs"},
            opts=self._child(),
        )


@dataclass(frozen=True)
class NetworkIds:
    """Where a component runs: the VPC and its public and private subnets."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]


def provision_network(
    name: str,
    settings: NetworkSettings,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    *,
    kms_key_arn: Optional[pulumi.Input[str]] = None,
) -> NetworkIds:
    """The ids of a new Network (its flow logs encrypted with ``kms_key_arn`` when given), or
    of the VPC brought along (then nothing is created)."""
    if settings.bring_your_own:
        return NetworkIds(
            vpc_id=pulumi.Output.from_input(settings.vpc_id),
            public_subnet_ids=pulumi.Output.all(*settings.public_subnet_ids),
            private_subnet_ids=pulumi.Output.all(*settings.private_subnet_ids),
        )
    network = Network(name, settings, tags, opts=opts, kms_key_arn=kms_key_arn)
    return NetworkIds(network.vpc_id, network.public_subnet_ids, network.private_subnet_ids)
