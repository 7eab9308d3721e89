"""Cost of the local load balancer's health checks: one round over N services (2 targets each).

Creates N Fargate services, each behind its own target group, in an embedded emulator, lets
their tasks run, and publishes every task's address to one local HTTP server (what a task
runtime would do for real containers). Then times ``load_balancer.health_round()`` with every
target due (each round probes 2 x N targets concurrently) and DescribeTargetHealth latency.
Prints numbers; it is a measurement, not a test.

    .venv/bin/python benchmarks/health_checks.py [--services 10 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import threading
import time

from localcloud import LocalCloud
from localcloud.elbv2 import balancer
from localcloud.elbv2.health import HEALTH
from localcloud.testing import ServiceBuilder
from localcloud.vpc import ADDRESSES


class Ok(http.server.BaseHTTPRequestHandler):
    """200 with an empty body on every path."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


def build(cloud: LocalCloud, count: int) -> list[str]:
    """*count* services of 2 tasks, each with a target group; returns the target groups."""
    builder = ServiceBuilder(cloud.client)
    network = builder.network(subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"))
    builder.cluster("bench")
    definition = builder.task_definition("bench", container_port=8080)
    groups = []
    for index in range(count):
        group = builder.target_group(network, f"tg-{index}", port=8080)
        builder.service(
            network,
            cluster="bench",
            service=f"svc-{index}",
            task_definition_arn=definition,
            desired_count=2,
            target_group_arn=group,
            container_port=8080,
        )
        groups.append(group)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    balancer.HEALTH_CHECK_POLL = 3600  # only the timed rounds probe
    http.server.ThreadingHTTPServer.request_queue_size = 1024  # not 5: all probes at once
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with LocalCloud(port=0, task_start_delay=0, tick_interval=0) as cloud:
        for count in args.services:
            cloud.reset()
            groups = build(cloud, count)
            cloud.scheduler.tick()
            elbv2 = cloud.client("elbv2")
            for group in groups:
                for target in elbv2.describe_target_health(TargetGroupArn=group)[
                    "TargetHealthDescriptions"
                ]:
                    ip, port = target["Target"]["Id"], target["Target"]["Port"]
                    ADDRESSES.publish(ip, port, "127.0.0.1", server.server_address[1])
            rounds, probed = [], 0
            for _ in range(args.rounds):
                HEALTH.clear()  # every target due again
                began = time.perf_counter()
                probed = cloud.load_balancer.health_round()
                rounds.append(time.perf_counter() - began)
            began = time.perf_counter()
            for group in groups[:10]:
                elbv2.describe_target_health(TargetGroupArn=group)
            describe = (time.perf_counter() - began) / min(10, len(groups))
            print(
                f"{count:>4} services, {probed:>3} targets: health-check round median "
                f"{statistics.median(rounds) * 1000:.1f} ms (min {min(rounds) * 1000:.1f}), "
                f"DescribeTargetHealth {describe * 1000:.1f} ms"
            )
            ADDRESSES.clear()
    server.shutdown()


if __name__ == "__main__":
    main()
