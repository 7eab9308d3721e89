"""Helpers of the local load balancer's tests: HTTP servers standing in for tasks, an ALB."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from localcloud.testing import Network, ServiceBuilder
from localcloud.vpc import ADDRESSES


@dataclass
class Behaviour:
    """What a test server answers: *body* on every path, *health_status* on /health, after
    *delay* seconds. Tests change it while the server runs."""

    body: str
    health_status: int = 200
    delay: float = 0.0
    paths: list[str] = field(default_factory=list)


class TargetServer:
    """A threaded HTTP server on 127.0.0.1 standing in for a task's container port."""

    def __init__(self, body: str) -> None:
        self.behaviour = Behaviour(body)
        behaviour = self.behaviour

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                behaviour.paths.append(self.path)
                time.sleep(behaviour.delay)
                health = self.path.startswith("/health")
                status = behaviour.health_status if health else 200
                text = f"{behaviour.body} {self.path} {self.headers.get('Host')} " + (
                    self.headers.get("X-Forwarded-Proto") or ""
                )
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Alb:
    """An application load balancer made for a test: its ARN, DNS name and network."""

    arn: str
    dns_name: str
    network: Network


def make_alb(aws_client, name: str = "web") -> Alb:
    """An internet-facing ALB in a new network."""
    builder = ServiceBuilder(aws_client)
    network = builder.network()
    load_balancer = aws_client("elbv2").create_load_balancer(
        Name=name,
        Subnets=list(network.subnets),
        SecurityGroups=[network.security_group],
        Type="application",
    )["LoadBalancers"][0]
    return Alb(load_balancer["LoadBalancerArn"], load_balancer["DNSName"], network)


def fast_health_checks(aws_client, target_group_arn: str, path: str = "/health") -> None:
    """The quickest health checks the API allows: every 5 s, 2 s timeout, thresholds of 2."""
    aws_client("elbv2").modify_target_group(
        TargetGroupArn=target_group_arn,
        HealthCheckPath=path,
        HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )


def publish(ip: str, port: int, server: TargetServer) -> None:
    """Record that the target ``ip:port`` answers at *server* (what a task runtime does)."""
    ADDRESSES.publish(ip, port, "127.0.0.1", server.port)


def get(url: str, host: str | None = None, timeout: float = 10.0) -> tuple[int, str, Any]:
    """(status, body, headers) of a GET, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


def health_of(aws_client, target_group_arn: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Target id -> (State, Reason, Description), as DescribeTargetHealth shows them."""
    descriptions = aws_client("elbv2").describe_target_health(TargetGroupArn=target_group_arn)[
        "TargetHealthDescriptions"
    ]
    return {
        d["Target"]["Id"]: (
            d["TargetHealth"]["State"],
            d["TargetHealth"].get("Reason"),
            d["TargetHealth"].get("Description"),
        )
        for d in descriptions
    }
