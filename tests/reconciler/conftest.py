"""Fixtures of the reconciler tests: the local cloud and helpers that build services on it.

The integration tests run against the local cloud (`localcloud.LocalCloud`): moto plus the
simulated ECS scheduler and its faults. They drive the scheduler by hand (`sim.tick()`).
"""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.cli import main

REGION = "eu-west-3"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


_NETWORK: dict[str, str] = {}
_SEQUENCE = itertools.count(1)


@dataclass
class SimCloud:
    """boto3 clients on the local cloud, helpers building FargateApp-like services, and ticks.

    The scheduler runs by hand here: tasks start on the next tick (no start delay), so a new
    service converges at once unless it is `held` (capacity shortage keeps its tasks PENDING).
    """

    local: Any
    cluster: str
    region: str = REGION

    @property
    def endpoint(self) -> str:
        return self.local.endpoint_url

    def client(self, name: str) -> Any:
        return boto3.client(
            name,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def network(self) -> dict[str, str]:
        """A VPC, subnet and SG shared by the session (made again after a local cloud reset)."""
        ec2 = self.client("ec2")
        if _NETWORK:
            try:
                ec2.describe_subnets(SubnetIds=[_NETWORK["subnet"]])
                return _NETWORK
            except ClientError:
                _NETWORK.clear()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/18")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)
        _NETWORK.update(vpc=vpc, subnet=subnet, sg=sg["GroupId"])
        return _NETWORK

    def target_group(self, name: str = "tg") -> str:
        resp = self.client("elbv2").create_target_group(
            Name=f"{self.cluster}-{name}",
            Protocol="HTTP",
            Port=80,
            VpcId=self.network()["vpc"],
            TargetType="ip",
        )
        return resp["TargetGroups"][0]["TargetGroupArn"]

    def service(
        self,
        name: str = "app",
        *,
        desired: int = 2,
        target_group: str | None = None,
        tags: dict[str, str] | None = None,
        held: bool = False,
    ) -> str:
        """Create a Fargate service and tick once; returns its task definition ARN.

        `held`: a capacity shortage keeps its tasks PENDING until `settle()`.
        """
        if held:
            self.local.faults.capacity_shortage(self.cluster, name)
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName=self.cluster)
        net = self.network()
        container = {
            "name": "app",
            "image": "nginx",
            "memory": 512,
            "portMappings": [{"containerPort": 80}],
        }
        td = ecs.register_task_definition(
            family=f"{self.cluster}-{name}",
            containerDefinitions=[container],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        kwargs: dict[str, Any] = {}
        if target_group:
            kwargs["loadBalancers"] = [
                {"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}
            ]
        if tags:
            kwargs["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        ecs.create_service(
            cluster=self.cluster,
            serviceName=name,
            taskDefinition=td,
            desiredCount=desired,
            launchType="FARGATE",
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [net["subnet"]], "securityGroups": [net["sg"]]}
            },
            **kwargs,
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
