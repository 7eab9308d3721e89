"""Fixtures of the reconciler tests: the local cloud and helpers that build services on it.

The integration tests run against the local cloud (`localcloud.LocalCloud`): moto plus the
simulated ECS scheduler and its faults. They drive the scheduler by hand (`sim.tick()`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.testing import Network, ServiceBuilder
from reconciler.cli import main

REGION = "eu-west-3"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch):
    """Fake credentials, no IMDS, no stray endpoint or region from the developer's shell."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "LOCALSTACK_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def fast_retries(monkeypatch):
    """Shrink botocore's retry pauses (seconds on throttling) to milliseconds.

    The retry decisions, the attempt counts and the adaptive rate limiter's bookkeeping stay real;
    only the sleeping is cut so throttling tests stay fast.
    """
    from botocore.retries import adaptive, standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    monkeypatch.setattr(
        adaptive.ClientRateLimiter, "on_sending_request", lambda self, request, **kw: None
    )


@pytest.fixture(scope="session")
def cloud():
    """The local cloud (moto + simulated ECS scheduler + faults) on a free port, for the session.

    moto's state, the scheduler and the faults are process-wide, so this shares them with the
    local cloud plugin's own fixture when both run in one session.
    """
    from localcloud import LocalCloud

    local = LocalCloud(port=0, task_start_delay=0.2, tick_interval=0.1)
    local.start()
    yield local
    local.stop()


_NETWORK: list[Network] = []  # the session's network, once made
_SEQUENCE = itertools.count(1)


@dataclass
class SimCloud:
    """boto3 clients on the local cloud, FargateApp-like services (``localcloud.testing``), ticks.

    The scheduler runs by hand here: tasks start on the next tick (no start delay), so a new
    service converges at once unless it is `held` (capacity shortage keeps its tasks PENDING).
    """

    local: Any
    cluster: str
    region: str = REGION
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.local.endpoint_url

    def client(self, name: str) -> Any:
        """This test's client for *name* in the region (``LocalCloud.client``: in process)."""
        if name not in self._clients:
            self._clients[name] = self.local.client(name, region_name=self.region)
        return self._clients[name]

    @cached_property
    def build(self) -> ServiceBuilder:
        """The shared builder of Fargate services, on this cloud's clients."""
        return ServiceBuilder(self.client)

    def network(self) -> Network:
        """A VPC, subnet and SG shared by the session (made again after a local cloud reset)."""
        if _NETWORK:
            try:
                self.client("ec2").describe_subnets(SubnetIds=list(_NETWORK[0].subnets))
                return _NETWORK[0]
            except ClientError:
                _NETWORK.clear()
        _NETWORK.append(self.build.network(subnet_cidrs=("10.0.0.0/18",)))
        return _NETWORK[0]

    def target_group(self, name: str = "tg") -> str:
        return self.build.target_group(self.network(), f"{self.cluster}-{name}")

    def service(
        self,
        name: str = "app",
        *,
        desired: int = 2,
        target_group: str | None = None,
        tags: dict[str, str] | None = None,
        held: bool = False,
        rollback: bool = False,
    ) -> str:
        """Create a Fargate service and tick once; returns its task definition ARN.

        `held`: a capacity shortage keeps its tasks PENDING until `settle()`. `rollback`: the
        circuit breaker's (off: a FAILED rollout stays PRIMARY, which these tests judge).
        """
        if held:
            self.local.faults.capacity_shortage(self.cluster, name)
        build = self.build
        build.cluster(self.cluster)
        td = build.task_definition(f"{self.cluster}-{name}")
        extra: dict[str, Any] = {}
        if tags:
            extra["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        build.service(
            self.network(),
            cluster=self.cluster,
            service=name,
            task_definition_arn=td,
            desired_count=desired,
            target_group_arn=target_group,
            rollback=rollback,
            **extra,
        )
        self.tick()
        return td

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.local.scheduler.tick()

    def settle(self) -> None:
        """Disarm every fault and let the scheduler catch up."""
        self.local.faults.clear()
        self.tick(2)

    def crash(self, name: str = "app", ticks: int = 8) -> None:
        """Roll out a crash-looping deployment and tick until the circuit breaker fails it."""
        self.local.faults.crash_loop(self.cluster, name)
        self.tick(ticks)

    def scale(self, name: str, desired: int) -> None:
        """Change desiredCount behind the declaration's back (the out-of-band-scale fault)."""
        self.local.faults.out_of_band_scale(self.cluster, name, desired)

    def describe(self, name: str = "app") -> dict[str, Any]:
        resp = self.client("ecs").describe_services(cluster=self.cluster, services=[name])
        return resp["services"][0]

    def desired_count(self, name: str = "app") -> int:
        return self.describe(name)["desiredCount"]


@pytest.fixture
def sim(cloud):
    """The local cloud with a hand-driven scheduler and a cluster name of this test's own.

    No reset between tests (moto rebuilds every region on reset, which is slow): each test has
    its own cluster and target-group names instead.
    """
    scheduler = cloud.scheduler
    scheduler.stop()
    delay = scheduler.task_start_delay
    scheduler.task_start_delay = 0
    cloud.faults.clear()
    yield SimCloud(cloud, cluster=f"rc{next(_SEQUENCE)}")
    cloud.faults.clear()
    scheduler.task_start_delay = delay
    if scheduler.tick_interval > 0:
        scheduler.start()


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
