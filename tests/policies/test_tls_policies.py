"""One TLS policy list: every policy the component accepts passes the pack's `alb-tls-policy`."""

from __future__ import annotations

import pytest

from components import FargateAppConfigError, resolve_settings
from components.fargate_limits import COMPLIANT_SSL_POLICIES
from components.load_balancer import LoadBalancer
from components.mocks import AwsLikeMocks
from components.program import run_program
from tests.policies.helpers import resource_violations

LISTENER = "aws:lb/listener:Listener"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _https_listener_inputs(ssl_policy: str) -> dict:
    """The HTTPS listener a FargateApp with ``ssl_policy`` registers: its args checked as the
    FargateApp checks them (``resolve_settings`` raises for a policy it refuses), then only the
    LoadBalancer component it builds the listeners with, from those settings (the network,
    registry and service of a whole app have nothing to do with the listener)."""
    args = {"load_balancer": {"certificate_arn": CERT, "ssl_policy": ssl_policy}}
    settings = resolve_settings(args)

    def program() -> None:
        LoadBalancer(
            "web", settings.load_balancer, vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"]
        )

    result = run_program(None, AwsLikeMocks(), program=program, stack="dev")
    (https,) = [r for r in result.of_type(LISTENER) if r.inputs["protocol"] == "HTTPS"]
    return https.inputs


@pytest.mark.parametrize("ssl_policy", COMPLIANT_SSL_POLICIES)
def test_every_policy_the_component_accepts_passes_the_mandatory_rule(ssl_policy):
    inputs = _https_listener_inputs(ssl_policy)
    assert inputs["sslPolicy"] == ssl_policy
    assert resource_violations("alb-tls-policy", LISTENER, inputs) == []


def test_a_policy_the_rule_rejects_is_rejected_by_the_component_before_deploying():
    assert resource_violations(
        "alb-tls-policy",
        LISTENER,
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-FS-1-2-Res-2020-10"},
    ) == [
        "sslPolicy ELBSecurityPolicy-FS-1-2-Res-2020-10 is not allowed; use one of: "
        "ELBSecurityPolicy-TLS13-1-3-2021-06, ELBSecurityPolicy-TLS13-1-2-Res-2021-06."
    ]
    with pytest.raises(FargateAppConfigError) as error:
        _https_listener_inputs("ELBSecurityPolicy-FS-1-2-Res-2020-10")
    assert str(error.value) == (
        "FargateApp load_balancer.ssl_policy: 'ELBSecurityPolicy-FS-1-2-Res-2020-10' is not "
        "allowed; expected one of ELBSecurityPolicy-TLS13-1-3-2021-06, "
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    )
