"""Cost of the simulated ECS scheduler: one tick over N services (2 tasks each).

Creates N Fargate services through the API in an embedded emulator (no background thread),
lets them converge, then times `scheduler.tick()` on the steady state and DescribeServices
latency while it runs. Prints numbers; it is a measurement, not a test.

    .venv/bin/python benchmarks/localcloud_scheduler.py [--services 10 100 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from localcloud import LocalCloud
from localcloud.testing import ServiceBuilder


def build(cloud: LocalCloud, count: int) -> None:
    """*count* services of 2 tasks in one cluster, on two subnets, without load balancers."""
    builder = ServiceBuilder(cloud.client)
    network = builder.network(subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"))
    builder.cluster("bench")
    definition = builder.task_definition("bench")
    for index in range(count):
        builder.service(
            network,
            cluster="bench",
            service=f"svc-{index}",
            task_definition_arn=definition,
            desired_count=2,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    with LocalCloud(port=0, task_start_delay=0, tick_interval=0) as cloud:
        for count in args.services:
            cloud.reset()
            started = time.perf_counter()
            build(cloud, count)
            created = time.perf_counter() - started
            cloud.scheduler.tick()
            ticks = []
            for _ in range(5):
                began = time.perf_counter()
                cloud.scheduler.tick()
                ticks.append(time.perf_counter() - began)
            ecs = cloud.client("ecs")
            began = time.perf_counter()
            page = ecs.describe_services(cluster="bench", services=[f"svc-{i}" for i in range(10)])
            describe = time.perf_counter() - began
            running = sum(s["runningCount"] for s in page["services"])
            print(
                f"services={count:5d}  create={created:6.2f}s  "
                f"tick median={statistics.median(ticks) * 1000:7.1f}ms  "
                f"DescribeServices(10)={describe * 1000:5.1f}ms  running(first 10)={running}"
            )


if __name__ == "__main__":
    main()
