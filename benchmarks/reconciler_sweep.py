"""Benchmark of the reconciler against the local cloud running in a separate process.

Prints, for N = 10, 100 and 1000 declared FargateApp-like services (one service and one target
group each):

- one reconciler sweep (batched DescribeServices, DescribeTargetHealth per target group on a
  small pool, tasks only for unsettled services): wall time and API calls, all converged and
  with 10% of the services held PENDING;
- a naive per-service check (DescribeServices + DescribeTargetHealth per service, in turn);

then time-to-detect, from the moment a change is made, of
- convergence of a new service (tasks take --task-start-delay s to start): `reconciler wait`
  vs botocore's `services_stable` waiter (15 s cadence);
- a crash-looping rollout: `reconciler wait` (fails fast) vs the same waiter.

Run: `.venv/bin/python benchmarks/reconciler_sweep.py` (about two minutes; `--quick` for N=10,
100 only). The numbers are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import WaiterError

from localcloud.base import CREDENTIALS
from localcloud.control import ControlClient, RemoteFaults
from localcloud.testing import ServiceBuilder
from reconciler import AwsTarget, ClientFactory, DeclaredService, sweep, wait_for_convergence

REGION = "us-east-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--quick", action="store_true", help="N = 10, 100 only")
    parser.add_argument("--task-start-delay", type=float, default=5.0)
    parser.add_argument("--waiter-attempts", type=int, default=3, help="bounds the waiter run")
    args = parser.parse_args()
    sizes = [10, 100] if args.quick else [int(n) for n in args.sizes.split(",")]
    # the reconciler uses the normal credential chain; the emulator takes any credentials
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    print(f"reconciler benchmark, local cloud in a separate process, {os.cpu_count()} CPUs\n")
    with emulator(task_start_delay=0, tick_interval=3600) as endpoint:  # ticks by hand
        print("## one sweep (one target group per service; naive = per service, in turn)")
        header = (
            f"{'N':>5} | {'sweep s':>8} | {'DescribeSvcs':>12} | {'all calls':>9} || "
            f"{'naive s':>8} | {'DescribeSvcs':>12} | {'all calls':>9} || "
            f"{'10% pending: s':>14} | calls"
        )
        print(header)
        print("-" * len(header))
        details = []
        for n in sizes:
            row = sweep_benchmark(endpoint, n)
            print(
                f"{n:>5} | {row['fast_s']:>8.3f} | {row['fast_detail']['DescribeServices']:>12} | "
                f"{row['fast_calls']:>9} || {row['naive_s']:>8.3f} | {n:>12} | "
                f"{row['naive_calls']:>9} || {row['held_s']:>14.3f} | {row['held_calls']}"
            )
            details.append(
                f"N={n}: converged {row['fast_detail']}; 10% pending {row['held_detail']}"
            )
        print("calls per operation:")
        for line in details:
            print(f"  {line}")
    print()
    with emulator(task_start_delay=args.task_start_delay, tick_interval=0.25) as endpoint:
        detect_benchmark(endpoint, args.task_start_delay, args.waiter_attempts)
    return 0


# -- the emulator in its own process ---------------------------------------------------------


@contextmanager
def emulator(*, task_start_delay: float, tick_interval: float):
    """`python -m localcloud serve` on a free port; yields its endpoint URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable, "-m", "localcloud", "serve", "--port", str(port),
        "--task-start-delay", str(task_start_delay), "--tick-interval", str(tick_interval),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                control(endpoint).call("health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the local cloud did not start: {' '.join(cmd)}") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def control(endpoint: str) -> ControlClient:
    """The local cloud's control API (faults, tick, reset); a tick of 1000 services is slow."""
    return ControlClient(endpoint, timeout=120)


def faults(endpoint: str) -> RemoteFaults:
    """The faults of the local cloud at *endpoint*."""
    return RemoteFaults(control(endpoint))


def client(endpoint: str, name: str) -> Any:
    config = Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=16)
    return boto3.client(
        name, endpoint_url=endpoint, region_name=REGION, config=config, **CREDENTIALS
    )


# -- building services -----------------------------------------------------------------------


def make_services(
    endpoint: str, cluster: str, names: list[str], desired: int = 1
) -> dict[str, str]:
    """One service and one target group per name; returns name -> target group ARN."""
    builder = ServiceBuilder(lambda name: client(endpoint, name))
    network = builder.network(subnet_cidrs=("10.0.0.0/17",), security_group=f"{cluster}-tasks")
    builder.cluster(cluster)
    td = builder.task_definition(cluster)

    def create(name: str) -> tuple[str, str]:
        tg = builder.target_group(network, name)
        builder.service(
            network,
            cluster=cluster,
            service=name,
            task_definition_arn=td,
            desired_count=desired,
            target_group_arn=tg,
        )
        return name, tg

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(create, names))


# -- one sweep vs the naive check ------------------------------------------------------------


def sweep_benchmark(endpoint: str, n: int) -> dict[str, Any]:
    control(endpoint).call("reset")
    cluster = f"bench{n}"
    names = [f"s{n}-{i:04d}" for i in range(n)]
    tgs = make_services(endpoint, cluster, names)
    control(endpoint).call("tick")
    declared = [DeclaredService(cluster, s, 1, 1, 1, REGION, tgs[s]) for s in names]

    def timed_sweep(declared: list[DeclaredService]) -> tuple[float, Counter, bool]:
        clients = ClientFactory(AwsTarget(endpoint_url=endpoint, region=REGION))
        sweep(declared[:1], clients)  # warm the connection pool and the clients
        start = time.perf_counter()
        result = sweep(declared, clients)
        return time.perf_counter() - start, Counter(result.api_calls), result.converged

    fast_s, fast_calls, converged = timed_sweep(declared)
    assert converged, "every service should be converged"

    # 10% of the services scale to 2 tasks (declared so) but cannot place the new one
    held = set(names[::10])
    for name in held:
        faults(endpoint).capacity_shortage(cluster, name)
        faults(endpoint).out_of_band_scale(cluster, name, desired_count=2)
    control(endpoint).call("tick")
    declared = [
        DeclaredService(cluster, s, 2, 2, 2, REGION, tgs[s]) if s in held else d
        for s, d in zip(names, declared, strict=True)
    ]
    held_s, held_calls, converged = timed_sweep(declared)
    assert not converged

    ecs, elbv2 = client(endpoint, "ecs"), client(endpoint, "elbv2")
    ecs.describe_services(cluster=cluster, services=names[:1])
    start = time.perf_counter()
    for name in names:
        ecs.describe_services(cluster=cluster, services=[name])
        elbv2.describe_target_health(TargetGroupArn=tgs[name])
    naive_s = time.perf_counter() - start
    return {
        "fast_s": fast_s,
        "fast_calls": sum(fast_calls.values()),
        "fast_detail": dict(fast_calls),
        "held_s": held_s,
        "held_calls": sum(held_calls.values()),
        "held_detail": dict(held_calls),
        "naive_s": naive_s,
        "naive_calls": 2 * n,
    }


# -- time to detect --------------------------------------------------------------------------


def detect_benchmark(endpoint: str, delay: float, waiter_attempts: int) -> None:
    print(f"## time to detect (tasks start {delay:g} s after launch; scheduler ticks every 0.25 s)")
    ecs = client(endpoint, "ecs")
    waiter_limit = 15 * (waiter_attempts - 1)  # the waiter checks at once, then every 15 s

    # convergence of a new service
    make_services(endpoint, "detect", ["conv-a"], desired=2)
    t0 = time.monotonic()
    outcome = wait_for_convergence(
        [DeclaredService("detect", "conv-a", 2, 2, 2, REGION)],
        ClientFactory(AwsTarget(endpoint_url=endpoint, region=REGION)),
        timeout=120,
    )
    ours = time.monotonic() - t0
    make_services(endpoint, "detect2", ["conv-b"], desired=2)
    t0 = time.monotonic()
    ecs.get_waiter("services_stable").wait(cluster="detect2", services=["conv-b"])
    waiter = time.monotonic() - t0
    print(
        f"convergence:    reconciler wait {ours:5.1f} s ({outcome.state.value}, "
        f"{outcome.polls} polls, {sum(outcome.api_calls.values())} calls) | "
        f"services_stable waiter {waiter:5.1f} s"
    )

    # a crash-looping rollout
    for cluster in ("detect", "detect2"):
        faults(endpoint).crash_loop(cluster, "conv-a" if cluster == "detect" else "conv-b")
    t0 = time.monotonic()
    outcome = wait_for_convergence(
        [DeclaredService("detect", "conv-a", 2, 2, 2, REGION)],
        ClientFactory(AwsTarget(endpoint_url=endpoint, region=REGION)),
        timeout=120,
    )
    ours = time.monotonic() - t0
    reason = outcome.result.verdicts[0].reasons[0] if outcome.result else "-"
    t0 = time.monotonic()
    try:
        ecs.get_waiter("services_stable").wait(
            cluster="detect2",
            services=["conv-b"],
            WaiterConfig={"Delay": 15, "MaxAttempts": waiter_attempts},
        )
        verdict = "reported success"
    except WaiterError as exc:
        verdict = f"no verdict ({exc.last_response and 'max attempts exceeded'}), no reason"
    waiter = time.monotonic() - t0
    print(f"failed rollout: reconciler wait {ours:5.1f} s ({outcome.state.value}: {reason})")
    print(
        f"                services_stable waiter {waiter:5.1f} s: {verdict} "
        f"(bounded at {waiter_limit} s here; its default gives up after 40 x 15 s = 600 s)"
    )


if __name__ == "__main__":
    sys.exit(main())
