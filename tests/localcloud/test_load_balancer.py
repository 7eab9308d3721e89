"""The local load balancer: ALB listeners served on 127.0.0.1, routed, health-checked, draining.

Targets are local HTTP servers recorded in ``localcloud.vpc.ADDRESSES`` (what a task runtime
does for a container port), so these tests need no Docker Engine.
"""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest

from localcloud.outputs import endpoints_path
from localcloud.vpc import ADDRESSES
from tests.localcloud.lb_support import (
    TargetServer,
    fast_health_checks,
    get,
    health_of,
    make_alb,
    publish,
)
from tests.localcloud.support import describe, tasks, wait_until

pytestmark = pytest.mark.waits


def refuses_connections(port: int) -> bool:
    """Nothing accepts a connection on 127.0.0.1:*port*."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


@pytest.fixture
def servers():
    """Factory of target servers; every server closes and every address goes after the test."""
    made: list[TargetServer] = []

    def make(body: str) -> TargetServer:
        made.append(TargetServer(body))
        return made[-1]

    yield make
    for server in made:
        server.close()
    ADDRESSES.clear()


def target_group(aws_client, alb, name: str, port: int = 8080) -> str:
    return aws_client("elbv2").create_target_group(
        Name=name, Protocol="HTTP", Port=port, VpcId=alb.network.vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]


def listener(aws_client, alb, actions, port: int = 80, protocol: str = "HTTP", **extra) -> str:
    return aws_client("elbv2").create_listener(
        LoadBalancerArn=alb.arn, Protocol=protocol, Port=port, DefaultActions=actions, **extra
    )["Listeners"][0]["ListenerArn"]


def forward(arn: str) -> list[dict]:
    return [{"Type": "forward", "TargetGroupArn": arn}]


def url_of(local_cloud, alb, port: int = 80) -> str:
    return local_cloud.load_balancer.endpoints()[alb.dns_name][str(port)]


def register(aws_client, arn: str, *ips: str, port: int = 8080) -> None:
    aws_client("elbv2").register_targets(
        TargetGroupArn=arn, Targets=[{"Id": ip, "Port": port} for ip in ips]
    )


def test_the_body_is_served_round_robin_with_forwarded_headers(aws_client, local_cloud, servers):
    alb = make_alb(aws_client)
    group = target_group(aws_client, alb, "app")
    listener(aws_client, alb, forward(group))
    one, two = servers("one"), servers("two")
    publish("10.0.1.10", 8080, one)
    publish("10.0.1.11", 8080, two)
    register(aws_client, group, "10.0.1.10", "10.0.1.11")

    url = url_of(local_cloud, alb)
    assert url.startswith("http://127.0.0.1:")
    answers = [get(f"{url}/page?x=1") for _ in range(4)]
    assert [status for status, _, _ in answers] == [200] * 4
    bodies = sorted(body for _, body, _ in answers)
    host = url.removeprefix("http://")
    assert bodies == [f"one /page?x=1 {host} http"] * 2 + [f"two /page?x=1 {host} http"] * 2


def test_rules_route_by_path_and_host_by_priority(aws_client, local_cloud, servers):
    alb = make_alb(aws_client)
    api, web = target_group(aws_client, alb, "api"), target_group(aws_client, alb, "web")
    arn = listener(
        aws_client,
        alb,
        [
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": "no route",
                },
            }
        ],
    )
    elbv2 = aws_client("elbv2")
    elbv2.create_rule(
        ListenerArn=arn,
        Priority=20,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward(api),
    )
    elbv2.create_rule(
        ListenerArn=arn,
        Priority=10,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.Example.com"]}}],
        Actions=forward(web),
    )
    elbv2.create_rule(
        ListenerArn=arn,
        Priority=30,
        Conditions=[{"Field": "path-pattern", "Values": ["/v?/status"]}],
        Actions=forward(api),
    )
    publish("10.0.1.20", 8080, servers("api"))
    publish("10.0.1.21", 8080, servers("web"))
    register(aws_client, api, "10.0.1.20")
    register(aws_client, web, "10.0.1.21")
    url = url_of(local_cloud, alb)

    assert get(f"{url}/api/users")[:2] == (200, f"api /api/users {url[7:]} http")
    # priority 10 (host) wins over 20 (path); host names match case-insensitively, port aside
    assert get(f"{url}/api/users", host="shop.example.COM:80")[1].startswith("web /api/users")
    assert get(f"{url}/v2/status")[1].startswith("api /v2/status")
    assert get(f"{url}/v22/status")[:2] == (404, "no route")  # ? is exactly one character
    assert get(f"{url}/API/users")[:2] == (404, "no route")  # paths match case-sensitively
    assert get(f"{url}/other", host="example.com")[:2] == (404, "no route")


def test_redirect_uses_albs_location_template(aws_client, local_cloud):
    alb = make_alb(aws_client)
    redirect = {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }
    listener(aws_client, alb, [redirect])
    url = url_of(local_cloud, alb)
    status, _, headers = get(f"{url}/a/b?q=1&r=2", host="app.example.com")
    assert status == 301
    assert headers["Location"] == "https://app.example.com:443/a/b?q=1&r=2"
    assert get(f"{url}/", host="app.example.com")[2]["Location"] == "https://app.example.com:443/"


def test_no_targets_refused_unreachable_and_slow_targets(aws_client, local_cloud, servers):
    alb = make_alb(aws_client)
    empty, simulated, refused, slow = (
        target_group(aws_client, alb, name) for name in ("empty", "sim", "refused", "slow")
    )
    arn = listener(aws_client, alb, forward(empty))
    for priority, (path, group) in enumerate(
        [("/sim", simulated), ("/refused", refused), ("/slow", slow)], start=1
    ):
        aws_client("elbv2").create_rule(
            ListenerArn=arn,
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "Values": [path]}],
            Actions=forward(group),
        )
    register(aws_client, simulated, "10.0.1.30")  # no local address: a simulated task
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        free_port = closed.getsockname()[1]
    ADDRESSES.publish("10.0.1.31", 8080, "127.0.0.1", free_port)  # nothing listens there
    register(aws_client, refused, "10.0.1.31")
    sleeper = servers("slow")
    sleeper.behaviour.delay = 3
    publish("10.0.1.32", 8080, sleeper)
    register(aws_client, slow, "10.0.1.32")
    aws_client("elbv2").modify_load_balancer_attributes(
        LoadBalancerArn=alb.arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}]
    )
    url = url_of(local_cloud, alb)

    status, body, headers = get(f"{url}/")
    assert (status, headers["Server"]) == (503, "awselb/2.0")
    assert "<title>503 Service Temporarily Unavailable</title>" in body
    assert get(f"{url}/sim")[0] == 502
    assert get(f"{url}/refused")[0] == 502
    started = time.monotonic()
    assert get(f"{url}/slow")[0] == 504
    assert time.monotonic() - started < 2.5  # the idle timeout (1 s), not the target's 3 s


def test_https_listener_answers_over_tls_with_a_self_signed_certificate(
    aws_client, local_cloud, servers
):
    alb = make_alb(aws_client)
    group = target_group(aws_client, alb, "app")
    certificate = aws_client("acm").request_certificate(DomainName="app.example.com")
    listener(
        aws_client,
        alb,
        forward(group),
        port=443,
        protocol="HTTPS",
        Certificates=[{"CertificateArn": certificate["CertificateArn"]}],
    )
    publish("10.0.1.40", 8080, servers("secure"))
    register(aws_client, group, "10.0.1.40")
    url = url_of(local_cloud, alb, 443)
    assert url.startswith("https://127.0.0.1:")

    wait_until(lambda: local_cloud.load_balancer.certificate_pem(alb.dns_name, 443), "the cert")
    pem = local_cloud.load_balancer.certificate_pem(alb.dns_name, 443).decode()
    context = ssl.create_default_context(cadata=pem)  # trusts that certificate only
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            subject = dict(item[0] for item in tls.getpeercert()["subject"])
            tls.sendall(b"GET /hi HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert subject["commonName"] == "app.example.com"
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"secure /hi app.example.com https")


def test_health_checks_turn_targets_healthy_and_unhealthy_with_albs_reasons(
    aws_client, local_cloud, servers
):
    alb = make_alb(aws_client)
    group = target_group(aws_client, alb, "app")
    fast_health_checks(aws_client, group)
    listener(aws_client, alb, forward(group))
    good, bad = servers("good"), servers("bad")
    bad.behaviour.health_status = 500
    publish("10.0.1.50", 8080, good)
    publish("10.0.1.51", 8080, bad)
    register(aws_client, group, "10.0.1.50", "10.0.1.51")
    registered = health_of(aws_client, group)
    assert set(registered.values()) <= {
        ("initial", "Elb.RegistrationInProgress", "Target registration is in progress"),
        ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"),
    }

    wait_until(lambda: health_of(aws_client, group)["10.0.1.50"][0] == "healthy", "healthy", 15)
    assert health_of(aws_client, group) == {
        "10.0.1.50": ("healthy", None, None),
        "10.0.1.51": (
            "unhealthy",
            "Target.ResponseCodeMismatch",
            "Health checks failed with these codes: [500]",
        ),
    }
    assert "/health" in good.behaviour.paths
    # healthy targets only get traffic now
    assert {get(url_of(local_cloud, alb))[1].split()[0] for _ in range(4)} == {"good"}


def task_failing_health_checks(aws_client, scheduler, svc, servers, status: int) -> dict:
    """Run the service's one task behind a server whose /health answers *status*; the task,
    once its target is unhealthy."""
    fast_health_checks(aws_client, svc.target_group_arn)
    scheduler.tick()
    [task] = tasks(aws_client, svc)
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    failing = servers("app")
    failing.behaviour.health_status = status
    publish(ip, 8080, failing)
    wait_until(
        lambda: health_of(aws_client, svc.target_group_arn)[ip][0] == "unhealthy", "unhealthy", 15
    )
    return task


def test_ecs_replaces_a_task_whose_target_fails_elb_health_checks(
    aws_client, manual_scheduler, make_service, servers
):
    svc = make_service(desired_count=1, healthCheckGracePeriodSeconds=0)
    first = task_failing_health_checks(aws_client, manual_scheduler, svc, servers, 500)
    manual_scheduler.tick()
    [replacement] = tasks(aws_client, svc)
    assert replacement["taskArn"] != first["taskArn"]
    [stopped] = tasks(aws_client, svc, "STOPPED")
    assert stopped["taskArn"] == first["taskArn"]
    assert stopped["stoppedReason"] == (
        f"Task failed ELB health checks in (target-group {svc.target_group_arn})"
    )
    events = [e["message"] for e in describe(aws_client, svc)["events"]]
    assert (
        f"(service api) (task {first['taskArn'].rsplit('/', 1)[1]}) (port 8080) is unhealthy in "
        f"(target-group {svc.target_group_arn}) due to (reason Health checks failed with these "
        "codes: [500])."
    ) in events


def test_a_task_within_its_grace_period_is_not_replaced(
    aws_client, manual_scheduler, make_service, servers
):
    svc = make_service(desired_count=1, healthCheckGracePeriodSeconds=600)
    first = task_failing_health_checks(aws_client, manual_scheduler, svc, servers, 503)
    manual_scheduler.tick()
    assert [t["taskArn"] for t in tasks(aws_client, svc)] == [first["taskArn"]]


def test_a_stopped_task_drains_before_it_stops_and_gets_no_new_requests(
    aws_client, manual_scheduler, make_service, local_cloud, servers
):
    svc = make_service(desired_count=2, deregistration_delay=2)
    elbv2 = aws_client("elbv2")
    alb = elbv2.create_load_balancer(
        Name="web", Subnets=list(svc.subnets), SecurityGroups=[svc.security_group]
    )["LoadBalancers"][0]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=forward(svc.target_group_arn),
    )
    manual_scheduler.tick()
    running = tasks(aws_client, svc)
    ips = [t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running]
    for ip, name in zip(ips, ("first", "second"), strict=True):
        publish(ip, 8080, servers(name))
    url = local_cloud.load_balancer.endpoints()[alb["DNSName"]]["80"]
    assert {get(url)[1].split()[0] for _ in range(4)} == {"first", "second"}

    aws_client("ecs").stop_task(cluster=svc.cluster, task=running[0]["taskArn"], reason="operator")
    manual_scheduler.tick()
    [draining] = aws_client("ecs").describe_tasks(
        cluster=svc.cluster, tasks=[running[0]["taskArn"]]
    )["tasks"]
    assert (draining["lastStatus"], draining["desiredStatus"]) == ("RUNNING", "STOPPED")
    assert health_of(aws_client, svc.target_group_arn)[ips[0]] == (
        "draining",
        "Target.DeregistrationInProgress",
        "Target deregistration is in progress",
    )
    [replacement] = [t for t in tasks(aws_client, svc) if t["taskArn"] != running[1]["taskArn"]]
    ip = replacement["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    publish(ip, 8080, servers("replacement"))
    assert {get(url)[1].split()[0] for _ in range(6)} == {"second", "replacement"}

    time.sleep(2.1)
    manual_scheduler.tick()
    [stopped] = aws_client("ecs").describe_tasks(
        cluster=svc.cluster, tasks=[running[0]["taskArn"]]
    )["tasks"]
    assert (stopped["lastStatus"], stopped["stoppedReason"]) == ("STOPPED", "operator")
    assert ips[0] not in health_of(aws_client, svc.target_group_arn)


def test_deregister_targets_through_the_api_drains_too(aws_client, local_cloud):
    alb = make_alb(aws_client)
    group = target_group(aws_client, alb, "app")
    register(aws_client, group, "10.0.1.60")
    elbv2 = aws_client("elbv2")
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "1"}],
    )
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.60", "Port": 8080}])
    assert health_of(aws_client, group)["10.0.1.60"][0] == "draining"
    wait_until(lambda: health_of(aws_client, group) == {}, "the drain", 5)


@pytest.fixture
def endpoints_file(local_cloud, tmp_path):
    """The session's load balancer writes its endpoints to a file of this test, then stops."""
    path = endpoints_path(tmp_path / "outputs-4590.json", 4590)
    local_cloud.load_balancer.write_endpoints_to(path)
    yield path
    local_cloud.load_balancer.write_endpoints_to(None)


def test_endpoints_file_follows_listeners(aws_client, local_cloud, endpoints_file, tmp_path):
    path = endpoints_file
    assert path == tmp_path / "endpoints-4590.json"
    assert endpoints_path(tmp_path / "outputs.json", 4566) == tmp_path / "endpoints.json"
    assert json.loads(path.read_text()) == {}

    alb = make_alb(aws_client)
    http = listener(aws_client, alb, forward(target_group(aws_client, alb, "app")))
    listener(
        aws_client,
        alb,
        [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_301"}}],
        port=8080,
    )
    served = json.loads(path.read_text())
    assert list(served) == [alb.dns_name]
    assert sorted(served[alb.dns_name]) == ["80", "8080"]
    assert served == local_cloud.load_balancer.endpoints()
    first_url = served[alb.dns_name]["80"]

    aws_client("elbv2").delete_listener(ListenerArn=http)
    assert list(json.loads(path.read_text())[alb.dns_name]) == ["8080"]
    local_cloud.reset()
    assert json.loads(path.read_text()) == {}
    # The load balancer closes a deleted listener on its own loop, right after: its port
    # then refuses connections.
    port = int(first_url.rsplit(":", 1)[1])
    wait_until(lambda: refuses_connections(port), f"the deleted listener's port {port} to close")
