"""ALB routing as pure functions: conditions, priorities, redirects, health matchers."""

from __future__ import annotations

import pytest

from localcloud.elbv2.health import Probe, TargetRecord, Thresholds, success_codes
from localcloud.elbv2.routing import Request, matching_action, redirect_location


def request(path: str = "/", host: str = "example.com", query: str = "") -> Request:
    return Request("HTTP", 80, host, path, query)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/*", "/api/users/1", True),
        ("/api/*", "/api", False),
        ("/img/*.png", "/img/a/b.png", True),
        ("/v?/x", "/v1/x", True),
        ("/v?/x", "/v10/x", False),
        ("/Admin", "/admin", False),  # case-sensitive
        ("/a+b(c)", "/a+b(c)", True),  # regex characters are literal
    ],
)
def test_path_patterns(pattern, path, matches):
    rules = [
        {"Priority": "1", "Conditions": [{"Field": "path-pattern", "Values": [pattern]}],
         "Actions": [{"Type": "forward", "TargetGroupArn": "tg"}]},
    ]  # fmt: skip
    assert (matching_action(rules, request(path)) is not None) is matches


def test_host_headers_ignore_case_and_port_and_unknown_fields_never_match():
    rule = {
        "Priority": "5",
        "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["API.example.*"]}}],
        "Actions": [
            {"Type": "fixed-response", "Order": 2},
            {"Type": "authenticate-oidc", "Order": 1},
        ],
    }  # fmt: skip
    header = {"Priority": "1", "Conditions": [{"Field": "http-header", "Values": ["x"]}],
              "Actions": [{"Type": "redirect"}]}  # fmt: skip
    default = {"Priority": "default", "IsDefault": True, "Conditions": [],
               "Actions": [{"Type": "forward"}]}  # fmt: skip
    assert matching_action([default, rule, header], request(host="api.EXAMPLE.org:8080")) == {
        "Type": "fixed-response",
        "Order": 2,
    }
    assert matching_action([default, rule, header], request(host="web.example.org")) == {
        "Type": "forward"
    }


def test_redirect_location_template_and_overrides():
    wanted = Request("HTTP", 80, "app.example.com:80", "/a/b", "x=1")
    assert redirect_location({"Protocol": "HTTPS", "Port": "443"}, wanted) == (
        "https://app.example.com:443/a/b?x=1"
    )
    assert (
        redirect_location(
            {"Host": "new.#{host}", "Path": "/v2/#{path}", "Query": "from=#{port}&#{query}"}, wanted
        )
        == "http://new.app.example.com:80/v2/a/b?from=80&x=1"
    )


def test_matchers_and_thresholds():
    accepts = success_codes("200,300-399")
    assert [accepts(code) for code in (200, 204, 302, 399, 404)] == [True, False, True, True, False]
    record, thresholds = TargetRecord(), Thresholds(healthy=2, unhealthy=3)
    record.record(Probe(True), thresholds)
    assert (record.state, record.reason) == ("initial", "Elb.InitialHealthChecking")
    record.record(Probe(True), thresholds)
    assert (record.state, record.reason, record.description) == ("healthy", None, None)
    for _ in range(2):
        record.record(Probe(False, "Target.Timeout", "Request timed out"), thresholds)
    assert record.state == "healthy"  # 2 failures < unhealthyThreshold 3
    record.record(Probe(False, "Target.Timeout", "Request timed out"), thresholds)
    assert (record.state, record.reason, record.description) == (
        "unhealthy",
        "Target.Timeout",
        "Request timed out",
    )
    record.record(Probe(True), thresholds)
    assert record.state == "unhealthy"  # needs healthyThreshold successes in a row
