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


def build(cloud: LocalCloud, count: int) -> None:
    ec2, ecs = cloud.client("ec2"), cloud.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/20", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((0, "us-east-1a"), (16, "us-east-1b"))
    ]
    group = ec2.create_security_group(GroupName="t", Description="t", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="bench")
    definition = ecs.register_task_definition(
        family="bench",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx"}],
    )["taskDefinition"]["taskDefinitionArn"]
    for index in range(count):
        ecs.create_service(
            cluster="bench",
            serviceName=f"svc-{index}",
            taskDefinition=definition,
            desiredCount=2,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}
            },
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
