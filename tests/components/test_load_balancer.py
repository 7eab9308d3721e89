"""LoadBalancer: hardened ALB attributes, an ip target group with a real health check, listeners."""

import pytest

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


@pytest.mark.parametrize(("profile", "protected"), [("dev", False), ("prod", True)])
def test_alb_is_hardened_and_deletion_protection_follows_the_profile(app, profile, protected):
    result = app({"profile": profile, "load_balancer": {"certificate_arn": CERT}})
    alb = result.one(LB).inputs
    assert alb["loadBalancerType"] == "application"
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] in ("defensive", "strictest")
    assert alb["enableDeletionProtection"] is protected
    assert alb["internal"] is False
    public = {
        s.id
        for s in result.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "public"
    }
    assert set(alb["subnets"]) == public


def test_internal_alb_sits_in_the_private_subnets(app):
    result = app({"load_balancer": {"internal": True}})
    private = {
        s.id
        for s in result.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "private"
    }
    assert result.one(LB).inputs["internal"] is True
    assert set(result.one(LB).inputs["subnets"]) == private


def test_access_logs_go_to_the_given_bucket(app):
    alb = app({"load_balancer": {"access_logs_bucket": "my-alb-logs"}}).one(LB).inputs
    assert alb["accessLogs"] == {"bucket": "my-alb-logs", "enabled": True, "prefix": "web"}


def test_target_group_uses_ip_targets_a_real_health_check_and_a_short_drain(app):
    tg = app({"container_port": 8080, "health_check_path": "/healthz"}).one(TG).inputs
    assert (tg["targetType"], tg["port"], tg["protocol"]) == ("ip", 8080, "HTTP")
    assert tg["deregistrationDelay"] == 30
    check = tg["healthCheck"]
    assert check["path"] == "/healthz" and check["matcher"] == "200-399"
    assert 10 <= check["interval"] <= 15
    assert 2 <= check["healthyThreshold"] <= 3 and 2 <= check["unhealthyThreshold"] <= 3


def test_without_certificate_http_forwards_to_the_target_group(app):
    result = app({})
    (listener,) = result.of_type(LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"] == [
        {"type": "forward", "targetGroupArn": result.one(TG).outputs["arn"]}
    ]


def test_with_certificate_https_forwards_and_http_only_redirects_with_301(app):
    result = app(
        {
            "load_balancer": {
                "certificate_arn": CERT,
                "ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
            }
        }
    )
    listeners = {listener.inputs["port"]: listener.inputs for listener in result.of_type(LISTENER)}
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["protocol"] == "HTTPS" and https["certificateArn"] == CERT
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert https["defaultActions"][0]["type"] == "forward"
    (redirect,) = listeners[80]["defaultActions"]
    assert redirect == {
        "type": "redirect",
        "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
    }


def test_default_tls_policy_passes_elb_17(app):
    result = app({"load_balancer": {"certificate_arn": CERT}})
    https = next(r for r in result.of_type(LISTENER) if r.inputs["port"] == 443)
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"


@pytest.mark.parametrize(
    "name",
    [
        "w",
        "a-very-long-application-name-that-exceeds-every-limit",
        "Under_score.and.dots",
        "internal-tools",
    ],
)
def test_any_app_name_gives_valid_alb_and_target_group_names(app, name):
    import re

    result = app({}, name=name)
    names = [result.one(LB).inputs["name"], result.one(TG).inputs["name"]]
    for physical in names:
        assert len(physical) <= 32
        assert re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", physical), physical
        assert not physical.startswith("internal-")
    assert names[0] != names[1]


def test_target_group_name_changes_with_the_port_so_replacements_do_not_collide(app):
    first = app({"container_port": 80}).one(TG).inputs["name"]
    second = app({"container_port": 8080}).one(TG).inputs["name"]
    assert first != second
    assert app({"container_port": 80}).one(TG).inputs["name"] == first
