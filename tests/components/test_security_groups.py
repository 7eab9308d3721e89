"""Security groups: tasks admit only the ALB; the ALB admits only its listener ports."""

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _groups(result):
    return result.one(SG, "-alb"), result.one(SG, "-tasks")


def _rules(result, kind, group):
    return [r for r in result.of_type(kind) if r.inputs["securityGroupId"] == group.id]


def test_task_ingress_only_from_the_alb_security_group_on_the_container_port(app):
    result = app({"container_port": 8080})
    alb, tasks = _groups(result)
    (rule,) = _rules(result, INGRESS, tasks)
    assert rule.inputs["referencedSecurityGroupId"] == alb.id
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        8080,
        8080,
        "tcp",
    )
    assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs


def test_no_security_group_declares_inline_rules(app):
    result = app({})
    for group in result.of_type(SG):
        assert not group.inputs.get("ingress") and not group.inputs.get("egress")


def test_alb_ingress_only_listener_ports_from_allowed_cidrs(app):
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    cidrs = ["203.0.113.0/24", "2001:db8::/32"]
    result = app({"load_balancer": {"certificate_arn": certificate, "allowed_cidrs": cidrs}})
    alb, _ = _groups(result)
    seen = {
        (r.inputs["fromPort"], r.inputs["toPort"], r.inputs.get("cidrIpv4") or r.inputs["cidrIpv6"])
        for r in _rules(result, INGRESS, alb)
    }
    assert seen == {(port, port, cidr) for port in (80, 443) for cidr in cidrs}


def test_alb_egress_only_to_the_task_security_group_on_the_container_port(app):
    result = app({"container_port": 3000})
    alb, tasks = _groups(result)
    (rule,) = _rules(result, EGRESS, alb)
    assert rule.inputs["referencedSecurityGroupId"] == tasks.id
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (3000, 3000)


def test_task_egress_is_https_only(app):
    result = app({})
    _, tasks = _groups(result)
    (rule,) = _rules(result, EGRESS, tasks)
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        443,
        443,
        "tcp",
    )


def test_every_security_group_and_rule_has_a_description(app):
    result = app({"network": {"nat_gateways": "none", "vpc_endpoints": True}})
    described = result.of_type(SG) + result.of_type(INGRESS) + result.of_type(EGRESS)
    assert len(described) >= 8
    assert all(r.inputs.get("description", "").strip() for r in described)


def test_internal_alb_admits_only_its_vpc_by_default(app):
    result = app({"network": {"cidr_block": "10.42.0.0/16"}, "load_balancer": {"internal": True}})
    alb, _ = _groups(result)
    assert {r.inputs["cidrIpv4"] for r in _rules(result, INGRESS, alb)} == {"10.42.0.0/16"}


def test_public_alb_admits_the_internet_by_default(app):
    alb, _ = _groups(result := app({}))
    assert {r.inputs["cidrIpv4"] for r in _rules(result, INGRESS, alb)} == {"0.0.0.0/0"}
