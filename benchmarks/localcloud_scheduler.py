"""Cost of the ECS scheduler: one tick over N services (2 tasks each), in each task runtime.

Creates N Fargate services through the API in an embedded emulator (no background thread),
lets them converge, then times `scheduler.tick()` on the steady state and DescribeServices
latency while it runs. With ``--runtime docker`` every task is a real container (a busybox
image built here FROM scratch, removed afterwards): the tick then also observes what the agent
saw of each container. Prints numbers; it is a measurement, not a test.

    .venv/bin/python benchmarks/localcloud_scheduler.py [--services 10 100] [--runtime docker]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from localcloud import LocalCloud
from localcloud.testing import ServiceBuilder

#: How long the docker runtime may take to start every container (pull, create, start).
CONVERGE_SECONDS = 600


def build(cloud: LocalCloud, count: int, image: str) -> None:
    """*count* services of 2 tasks in one cluster, on two subnets, without load balancers."""
    builder = ServiceBuilder(cloud.client)
    network = builder.network(subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"))
    builder.cluster("bench")
    definition = cloud.client("ecs").register_task_definition(
        family="bench",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": image, "portMappings": [{"containerPort": 8080}],
             "stopTimeout": 1}
        ],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    for index in range(count):
        builder.service(
            network,
            cluster="bench",
            service=f"svc-{index}",
            task_definition_arn=definition,
            desired_count=2,
        )


def converge(cloud: LocalCloud, count: int) -> float:
    """Tick until every task runs; seconds it took."""
    started = time.perf_counter()
    ecs = cloud.client("ecs")
    while time.perf_counter() - started < CONVERGE_SECONDS:
        cloud.scheduler.tick()
        running = 0
        for first in range(0, count, 10):
            names = [f"svc-{i}" for i in range(first, min(first + 10, count))]
            page = ecs.describe_services(cluster="bench", services=names)["services"]
            running += sum(s["runningCount"] for s in page)
        if running == 2 * count:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"not converged in {CONVERGE_SECONDS} s")


def busybox_image() -> str:
    """A busybox httpd image built FROM scratch (no internet needed); its tag."""
    import docker

    tag = f"localcloud-bench:{os.getpid()}"
    with tempfile.TemporaryDirectory() as context:
        shutil.copy("/bin/busybox", Path(context) / "busybox")
        (Path(context) / "www").mkdir()
        (Path(context) / "www" / "index.html").write_text("bench\n")
        (Path(context) / "Dockerfile").write_text(
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n"
            'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        docker.from_env().images.build(path=context, tag=tag, rm=True)
    return tag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runtime", choices=("simulated", "docker"), default="simulated")
    args = parser.parse_args()
    image = busybox_image() if args.runtime == "docker" else "nginx"
    try:
        with LocalCloud(port=0, task_start_delay=0, tick_interval=0, runtime=args.runtime) as cloud:
            for count in args.services:
                cloud.reset()
                started = time.perf_counter()
                build(cloud, count, image)
                created = time.perf_counter() - started
                converged = converge(cloud, count)
                ticks = []
                for _ in range(5):
                    began = time.perf_counter()
                    cloud.scheduler.tick()
                    ticks.append(time.perf_counter() - began)
                ecs = cloud.client("ecs")
                began = time.perf_counter()
                page = ecs.describe_services(
                    cluster="bench", services=[f"svc-{i}" for i in range(10)]
                )
                describe = time.perf_counter() - began
                running = sum(s["runningCount"] for s in page["services"])
                print(
                    f"runtime={args.runtime:9s} services={count:4d}  create={created:6.2f}s  "
                    f"converge={converged:6.2f}s  "
                    f"tick median={statistics.median(ticks) * 1000:7.1f}ms  "
                    f"DescribeServices(10)={describe * 1000:5.1f}ms  running(first 10)={running}",
                    flush=True,
                )
    finally:
        if args.runtime == "docker":
            import docker

            docker.from_env().images.remove(image, force=True)


if __name__ == "__main__":
    main()
