"""Network guardrails: subnets, the default security group and security group rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import EnforcementLevel

from policies.rules.base import (
    PROD_CONFIG,
    GuardrailResourcePolicy,
    GuardrailStackPolicy,
    Node,
    StackView,
)
from policies.rules.props import UNKNOWN, as_list, get, is_unknown, strings, truthy

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SERVICE = "aws:ecs/service:Service"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
GROUPS = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)

WORLD = ("0.0.0.0/0", "::/0")
DEFAULT_AUTHORIZED_WORLD_PORTS = [80, 443]
HIGH_RISK_PORTS = tuple(
    int(port)
    for port in "20 21 22 23 25 110 135 143 445 1433 1434 3000 3306 3389 4333 5000 5432 5500 "
    "5601 8080 8088 8888 9200 9300".split()
)
"""The ports FSBP EC2.19 treats as high risk."""

ALL_PROTOCOLS = ("-1", "all", -1)
PORTLESS_PROTOCOLS = ("icmp", "icmpv6", "1", "58", 1, 58)
PULUMI_DEFAULT_DESCRIPTION = "Managed by Pulumi"


@dataclass
class Ingress:
    """One ingress permission, whatever resource shape declared it."""

    label: str
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[Any] = field(default_factory=list)
    source_groups: list[Any] = field(default_factory=list)
    source_prop: str = ""
    self_reference: bool = False
    description: Any = None

    def ports(self) -> tuple[int, int] | None:
        """Inclusive port range, None if not port-based or not known yet."""
        if is_unknown(self.protocol) or self.protocol in PORTLESS_PROTOCOLS:
            return None
        if self.protocol in ALL_PROTOCOLS:
            return (0, 65535)
        if is_unknown(self.from_port) or is_unknown(self.to_port):
            return None
        low = int(self.from_port) if self.from_port is not None else 0
        high = int(self.to_port) if self.to_port is not None else 65535
        return (low, high)

    def world_cidrs(self) -> list[str]:
        """The internet-wide CIDRs among the sources."""
        return [cidr for cidr in strings(self.cidrs) if cidr in WORLD]


def ingresses(resource_type: str, props: dict[str, Any]) -> list[Ingress]:
    """The ingress permissions a security group, ingress rule or legacy rule declares."""
    if resource_type in GROUPS:
        entries = as_list(get(props, "ingress", []))
        if is_unknown(entries):
            return []
        return [_inline(entry, index) for index, entry in enumerate(entries) if entry]
    if resource_type == INGRESS_RULE:
        return [
            Ingress(
                label="rule",
                protocol=get(props, "ipProtocol"),
                from_port=get(props, "fromPort"),
                to_port=get(props, "toPort"),
                cidrs=[get(props, "cidrIpv4"), get(props, "cidrIpv6"), get(props, "prefixListId")],
                source_groups=[get(props, "referencedSecurityGroupId")],
                source_prop="referencedSecurityGroupId",
                description=get(props, "description"),
            )
        ]
    if resource_type == LEGACY_RULE and get(props, "type") == "ingress":
        return [
            Ingress(
                label="rule",
                protocol=get(props, "protocol"),
                from_port=get(props, "fromPort"),
                to_port=get(props, "toPort"),
                cidrs=[
                    *_items(get(props, "cidrBlocks")),
                    *_items(get(props, "ipv6CidrBlocks")),
                    *_items(get(props, "prefixListIds")),
                ],
                source_groups=[get(props, "sourceSecurityGroupId")],
                source_prop="sourceSecurityGroupId",
                self_reference=truthy(get(props, "self", False)) is True,
                description=get(props, "description"),
            )
        ]
    return []


def _items(value: Any) -> list[Any]:
    items = as_list(value)
    return [items] if is_unknown(items) else items


def _inline(entry: Any, index: int) -> Ingress:
    return Ingress(
        label=f"ingress[{index}]",
        protocol=get(entry, "protocol"),
        from_port=get(entry, "fromPort"),
        to_port=get(entry, "toPort"),
        cidrs=[
            *_items(get(entry, "cidrBlocks")),
            *_items(get(entry, "ipv6CidrBlocks")),
            *_items(get(entry, "prefixListIds")),
        ],
        source_groups=_items(get(entry, "securityGroups")),
        source_prop="ingress",
        self_reference=truthy(get(entry, "self", False)) is True,
        description=get(entry, "description"),
    )


def _describe_ports(ports: tuple[int, int]) -> str:
    low, high = ports
    if (low, high) == (0, 65535):
        return "all ports"
    return f"port {low}" if low == high else f"ports {low}-{high}"


def _no_public_subnet_ips(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    mapped = truthy(get(props, "mapPublicIpOnLaunch", False))
    if not is_unknown(mapped) and mapped:
        yield "mapPublicIpOnLaunch is true: instances launched here get public IPs."


def _world_open_ports(
    props: dict[str, Any], config: dict[str, Any], resource_type: str
) -> Iterator[str]:
    authorized = set(config.get("authorizedWorldPorts") or DEFAULT_AUTHORIZED_WORLD_PORTS)
    for ingress in ingresses(resource_type, props):
        world, ports = ingress.world_cidrs(), ingress.ports()
        if not world or ports is None:
            continue
        low, high = ports
        risky = [port for port in HIGH_RISK_PORTS if low <= port <= high]
        where = f"{ingress.label}: {_describe_ports(ports)} open to {', '.join(world)}"
        if risky:
            shown = ", ".join(map(str, risky[:8])) + (", ..." if len(risky) > 8 else "")
            yield f"[FSBP EC2.19] {where} includes high-risk port(s) {shown}."
        elif not (high - low < 1024 and set(range(low, high + 1)) <= authorized):
            allowed = ", ".join(map(str, sorted(authorized)))
            yield f"[FSBP EC2.18] {where}; only {allowed} may be open to the internet."


def _world_ingress(
    props: dict[str, Any], config: dict[str, Any], resource_type: str
) -> Iterator[str]:
    for ingress in ingresses(resource_type, props):
        world, ports = ingress.world_cidrs(), ingress.ports()
        if world and ports is not None:
            yield (
                f"{ingress.label}: {_describe_ports(ports)} open to {', '.join(world)}; expected "
                "for a public load balancer's listener, otherwise narrow "
                "load_balancer.allowed_cidrs."
            )


def _descriptions(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    description = get(props, "description")
    if not is_unknown(description) and description in (None, "", PULUMI_DEFAULT_DESCRIPTION):
        yield "the security group has no description of its own."
    for direction in ("ingress", "egress"):
        entries = as_list(get(props, direction, []))
        if is_unknown(entries):
            continue
        for index, entry in enumerate(entries):
            text = get(entry, "description")
            if not is_unknown(text) and not text:
                yield f"{direction}[{index}] has no description."


def _rule_description(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    text = get(props, "description")
    if not is_unknown(text) and not text:
        yield "the security group rule has no description."


def _default_sg_closed(
    stack: StackView, config: dict[str, Any]
) -> Iterator[tuple[str, str | None]]:
    adopted: set[str] = set()
    undecidable = False
    for group in stack.of_type(DEFAULT_SECURITY_GROUP):
        for direction in ("ingress", "egress"):
            entries = group.get(direction, [])
            if not is_unknown(entries) and entries:
                yield (
                    f"default security group {group.name!r} has {len(entries)} {direction} "
                    "rule(s); it must have none.",
                    group.urn,
                )
        ref = stack.refs(group, "vpcId", group.get("vpcId"), VPC)
        undecidable |= ref.unresolved
        adopted |= ref.urns
    if undecidable:
        return
    for vpc in stack.of_type(VPC):
        if vpc.urn not in adopted:
            yield (
                f"VPC {vpc.name!r} leaves its default security group with AWS's default rules; "
                "adopt it with aws.ec2.DefaultSecurityGroup and no rules.",
                vpc.urn,
            )


NACL_ADMIN_PORTS = (22, 3389)
"""SSH and RDP: what no network ACL may admit from anywhere (FSBP EC2.21)."""
NACL_PORT_PROTOCOLS = ("tcp", "6", "udp", "17")


def _nacl_verdict(entries: list[Any], cidr: str, port: int) -> str | Any:
    """What the first ingress entry matching traffic from ``cidr`` (0.0.0.0/0 or ::/0) to
    ``port`` does ("allow" or "deny"; "deny" when none matches: the final * rule); UNKNOWN when
    an entry that could match is not known yet."""
    family = "ipv6CidrBlock" if ":" in cidr else "cidrBlock"
    keyed = []
    for entry in entries:
        number, source = get(entry, "ruleNo"), get(entry, family)
        if is_unknown(number) or is_unknown(source):
            return UNKNOWN
        if source == cidr:
            keyed.append((int(number), entry))
    for _, entry in sorted(keyed, key=lambda item: item[0]):
        protocol, action = str(get(entry, "protocol", "-1")), get(entry, "action")
        low, high = get(entry, "fromPort", 0), get(entry, "toPort", 0)
        if any(is_unknown(value) for value in (protocol, action, low, high)):
            return UNKNOWN
        if protocol in ALL_PROTOCOLS or (
            protocol in NACL_PORT_PROTOCOLS and int(low) <= port <= int(high)
        ):
            return str(action).lower()
    return "deny"


def _default_nacl(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    adopted: set[str] = set()
    undecidable = False
    for acl in stack.of_type(DEFAULT_NETWORK_ACL, NETWORK_ACL):
        entries = as_list(acl.get("ingress", []))
        if is_unknown(entries):
            continue
        for port in NACL_ADMIN_PORTS:
            for cidr in WORLD:
                if _nacl_verdict(entries, cidr, port) == "allow":
                    yield (
                        f"network ACL {acl.name!r} admits port {port} from {cidr}; deny it "
                        "with a rule numbered before any allow.",
                        acl.urn,
                    )
        if acl.type == DEFAULT_NETWORK_ACL:
            acl_id = acl.get("defaultNetworkAclId")
            undecidable = undecidable or (is_unknown(acl_id) and not acl.deps)
            for vpc in stack.of_type(VPC):
                if vpc.urn in acl.deps.get("defaultNetworkAclId", []) or (
                    not is_unknown(acl_id) and acl_id == vpc.get("defaultNetworkAclId")
                ):
                    adopted.add(vpc.urn)
    if undecidable:
        return
    for vpc in stack.of_type(VPC):
        if vpc.urn not in adopted:
            yield (
                f"VPC {vpc.name!r} leaves its default network ACL admitting everything, SSH and "
                "RDP included; adopt it with aws.ec2.DefaultNetworkAcl (FargateApp does).",
                vpc.urn,
            )


def _flow_logs(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    if not config.get("prod", False):
        return
    logged: set[str] = set()
    for flow_log in stack.of_type(FLOW_LOG):
        ref = stack.refs(flow_log, "vpcId", flow_log.get("vpcId"), VPC)
        if ref.unresolved:
            return  # an unknown reference could be any VPC: decide at `pulumi up`
        logged |= ref.urns
    for vpc in stack.of_type(VPC):
        if vpc.urn not in logged:
            yield (
                f"VPC {vpc.name!r} has no flow log in production (FargateApp: "
                "network.flow_logs, on by default in prod).",
                vpc.urn,
            )


def _task_ingress_from_alb(
    stack: StackView, config: dict[str, Any]
) -> Iterator[tuple[str, str | None]]:
    load_balancers = stack.of_type(*LOAD_BALANCERS)
    if not load_balancers:
        return
    alb_groups: set[str] = set()
    for lb in load_balancers:
        alb_groups |= stack.refs(lb, "securityGroups", lb.get("securityGroups"), *GROUPS).urns
    for holder, ingress, group in _task_ingresses(stack, _load_balanced_task_groups(stack)):
        yield from _judge_task_ingress(stack, holder, ingress, group, alb_groups)


def _task_ingress_from_platform_alb(
    stack: StackView, config: dict[str, Any]
) -> Iterator[tuple[str, str | None]]:
    """Apps in a platform of another stack: the stack has listener rules but no load balancer,
    and the platform ALB's group is the one the app's egress rule to its tasks lives in."""
    if stack.of_type(*LOAD_BALANCERS) or not stack.of_type(*LISTENER_RULES):
        return
    task_groups = _load_balanced_task_groups(stack)
    platform_groups: dict[str, set[str]] = {urn: set() for urn in task_groups}
    for egress in stack.of_type(EGRESS_RULE):
        prop = "referencedSecurityGroupId"
        target = stack.refs(egress, prop, egress.get(prop), *GROUPS)
        source = egress.get("securityGroupId")
        for urn in target.urns & task_groups.keys():
            if is_unknown(source):
                task_groups.pop(urn, None)  # cannot tell which group admits it: judge at `up`
            else:
                platform_groups[urn] |= set(strings([source]))
    for holder, ingress, group in _task_ingresses(stack, task_groups):
        yield from _judge_task_ingress(
            stack, holder, ingress, group, set(), allowed_ids=platform_groups[group.urn]
        )


def _load_balanced_task_groups(stack: StackView) -> dict[str, Node]:
    """The security groups of the stack's load-balanced ECS services, by URN."""
    task_groups: dict[str, Node] = {}
    for service in stack.of_type(SERVICE):
        if not service.get("loadBalancers"):
            continue
        groups = service.get("networkConfiguration.securityGroups")
        for group in stack.refs(service, "networkConfiguration", groups, *GROUPS).nodes:
            task_groups[group.urn] = group
    return task_groups


def _task_ingresses(
    stack: StackView, task_groups: dict[str, Node]
) -> Iterator[tuple[Node, Ingress, Node]]:
    """(holder, ingress, task group) of every ingress into ``task_groups``: inline ones and
    standalone rules."""
    for group in task_groups.values():
        for ingress in ingresses(group.type, group.props):
            yield group, ingress, group
    for rule in stack.of_type(INGRESS_RULE, LEGACY_RULE):
        target_prop = "securityGroupId"
        target = stack.refs(rule, target_prop, rule.get(target_prop), *GROUPS)
        for group_urn in target.urns & task_groups.keys():
            for ingress in ingresses(rule.type, rule.props):
                yield rule, ingress, task_groups[group_urn]


def _judge_task_ingress(
    stack: StackView,
    holder: Node,
    ingress: Ingress,
    group: Node,
    alb_groups: set[str],
    allowed_ids: set[str] = frozenset(),  # type: ignore[assignment]
) -> Iterator[tuple[str, str | None]]:
    """``alb_groups``: URNs of the load balancers' groups in the stack; ``allowed_ids``: ids of
    a platform load balancer's group in another stack."""
    ports = ingress.ports()
    what = _describe_ports(ports) if ports else "traffic"
    cidrs = strings(ingress.cidrs)
    if cidrs:
        yield (
            f"task security group {group.name!r} accepts {what} from CIDR {', '.join(cidrs)} "
            f"({holder.name} {ingress.label}); only the load balancer's security group may reach "
            "the tasks.",
            holder.urn,
        )
        return
    if ingress.self_reference:
        yield (
            f"task security group {group.name!r} accepts {what} from itself "
            f"({holder.name} {ingress.label}); only the load balancer's security group may.",
            holder.urn,
        )
        return
    sources = [s for s in ingress.source_groups if s is not None]
    if not sources:
        return
    ref = stack.refs(holder, ingress.source_prop, sources, *GROUPS)
    if ref.unresolved:
        return
    strangers = [n.name for n in ref.nodes if n.urn not in alb_groups]
    strangers += [item for item in ref.external if item not in allowed_ids]
    if strangers:
        yield (
            f"task security group {group.name!r} accepts {what} from {', '.join(strangers)} "
            f"({holder.name} {ingress.label}), which is not the load balancer's security group.",
            holder.urn,
        )


SG_RULE_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, INGRESS_RULE, LEGACY_RULE)

POLICIES = [
    GuardrailResourcePolicy(
        name="subnet-no-public-ip-on-launch",
        controls=("FSBP EC2.15", "CKV_AWS_130"),
        description="Subnets must not auto-assign public IP addresses.",
        resource_types=[SUBNET],
        check=_no_public_subnet_ips,
    ),
    GuardrailStackPolicy(
        name="vpc-default-security-group-closed",
        controls=("FSBP EC2.2", "CKV2_AWS_12"),
        description="Every VPC's default security group must be adopted and have no rules.",
        check=_default_sg_closed,
    ),
    GuardrailStackPolicy(
        name="vpc-default-nacl-no-admin-ports",
        controls=("FSBP EC2.21", "CKV_AWS_231", "CKV_AWS_232"),
        description="Network ACLs must not admit SSH (22) or RDP (3389) from 0.0.0.0/0 or ::/0, "
        "and every VPC must adopt its default network ACL (which otherwise admits everything).",
        check=_default_nacl,
    ),
    GuardrailStackPolicy(
        name="vpc-flow-logs",
        controls=("FSBP EC2.6", "CKV2_AWS_11"),
        description="Every VPC must log its traffic (flow logs) in production.",
        check=_flow_logs,
        config=PROD_CONFIG,
    ),
    GuardrailResourcePolicy(
        name="sg-world-open-ports",
        controls=("FSBP EC2.18", "FSBP EC2.19", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
        description="Only authorized ports (default 80 and 443) may be open to the internet, "
        "and never admin or database ports.",
        resource_types=SG_RULE_TYPES,
        check=_world_open_ports,
        config={
            "authorizedWorldPorts": {
                "type": "array",
                "items": {"type": "integer"},
                "default": DEFAULT_AUTHORIZED_WORLD_PORTS,
                "description": "Ports that may be open to 0.0.0.0/0 or ::/0.",
            }
        },
    ),
    GuardrailResourcePolicy(
        name="sg-world-ingress",
        controls=("CKV_AWS_260",),
        description="Ingress from the whole internet, even on authorized ports, is reported "
        "for review.",
        resource_types=SG_RULE_TYPES,
        check=_world_ingress,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    GuardrailResourcePolicy(
        name="sg-descriptions",
        controls=("CKV_AWS_23",),
        description="Security groups and their inline rules must have descriptions.",
        resource_types=[SECURITY_GROUP],
        check=_descriptions,
    ),
    GuardrailResourcePolicy(
        name="sg-rule-descriptions",
        controls=("CKV_AWS_23",),
        description="Security group rules must have descriptions.",
        resource_types=[INGRESS_RULE, EGRESS_RULE, LEGACY_RULE],
        check=_rule_description,
    ),
    GuardrailStackPolicy(
        name="ecs-task-ingress-only-from-alb",
        controls=("FA.1",),
        description="The security group of load-balanced ECS tasks must accept traffic only from "
        "the load balancer's security group, never from a CIDR.",
        check=_task_ingress_from_alb,
    ),
    GuardrailStackPolicy(
        name="ecs-task-ingress-only-from-platform-alb",
        controls=("FA.6",),
        description="An app deployed into a shared platform (listener rules, no load balancer in "
        "the stack) must let its tasks accept traffic only from the platform load balancer's "
        "security group: the one its egress rule to the tasks belongs to.",
        check=_task_ingress_from_platform_alb,
    ),
]

__all__ = ["POLICIES", "Ingress", "ingresses"]
