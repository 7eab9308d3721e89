"""After a deploy: wait until every declared service runs its tasks, then a one-screen summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from localcloud.errors import LocalCloudError

POLL_SECONDS = 0.2


@dataclass
class ServiceState:
    """What DescribeServices and DescribeTargetHealth say about one declared service."""

    cluster: str
    service: str
    desired: int
    running: int
    pending: int
    rollout: str
    healthy_targets: int
    targets: int

    @property
    def converged(self) -> bool:
        """All desired tasks run, none pending, the rollout completed."""
        return self.running == self.desired and self.pending == 0 and self.rollout == "COMPLETED"


def declared_services(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``reconcile`` entries of the stack outputs (a dict or a list of dicts)."""
    entry = outputs.get("reconcile")
    if not entry:
        raise LocalCloudError("the stack exports no 'reconcile' output; nothing to wait for")
    return entry if isinstance(entry, list) else [entry]


def observe(cloud: Any, declared: dict[str, Any]) -> tuple[ServiceState, list[str]]:
    """The service's state now, and the stoppedReasons of its latest stopped tasks."""
    ecs = cloud.client("ecs")
    found = ecs.describe_services(cluster=declared["cluster"], services=[declared["service"]])
    if not found["services"]:
        raise LocalCloudError(
            f"service {declared['service']} not found in cluster {declared['cluster']}"
        )
    service = found["services"][0]
    primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    health = cloud.client("elbv2").describe_target_health(
        TargetGroupArn=declared["target_group_arn"]
    )["TargetHealthDescriptions"]
    state = ServiceState(
        cluster=declared["cluster"],
        service=declared["service"],
        desired=service["desiredCount"],
        running=service["runningCount"],
        pending=service["pendingCount"],
        rollout=primary.get("rolloutState", "COMPLETED"),
        healthy_targets=sum(1 for h in health if h["TargetHealth"]["State"] == "healthy"),
        targets=len(health),
    )
    reasons: list[str] = []
    if state.rollout == "FAILED" or not state.converged:
        stopped = ecs.list_tasks(
            cluster=state.cluster, serviceName=state.service, desiredStatus="STOPPED"
        )["taskArns"][-5:]
        if stopped:
            described = ecs.describe_tasks(cluster=state.cluster, tasks=stopped)["tasks"]
            reasons = sorted({t.get("stoppedReason", "") for t in described} - {""})
    return state, reasons


def wait_for_tasks(cloud: Any, outputs: dict[str, Any], timeout: float) -> list[ServiceState]:
    """Poll until every declared service converged; raise on a FAILED rollout or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        observed = [observe(cloud, declared) for declared in declared_services(outputs)]
        states = [state for state, _ in observed]
        if all(state.converged for state in states):
            return states
        for state, reasons in observed:
            if state.rollout == "FAILED":
                raise LocalCloudError(
                    f"{state.cluster}/{state.service}: rollout FAILED (circuit breaker); "
                    f"stopped tasks: {'; '.join(reasons) or 'no reason given'}"
                )
        if time.monotonic() >= deadline:
            waiting = ", ".join(
                f"{s.cluster}/{s.service} {s.running}/{s.desired} running, {s.pending} pending"
                for s in states
                if not s.converged
            )
            raise LocalCloudError(f"tasks not running after {timeout:g} s: {waiting}")
        time.sleep(POLL_SECONDS)


def print_summary(
    console: Console,
    cloud: Any,
    result: Any,
    states: list[ServiceState],
    outputs_path: Path,
    seconds: float,
) -> None:
    """One screen: URL, resources, tasks, targets, verdict."""
    custom = [r for r in result.resources if r.custom]
    components = len(result.resources) - len(custom)
    table = Table(title="Summary", show_header=False, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("URL", f"{result.outputs.get('url')}  (emulated: the DNS name does not resolve)")
    table.add_row("endpoint", cloud.endpoint_url)
    table.add_row(
        "resources",
        f"{len(custom)} AWS resources in {components} components, created in "
        f"{result.seconds:.1f} s",
    )
    for state in states:
        table.add_row(
            "service",
            f"{state.cluster}/{state.service}: desired {state.desired}, running "
            f"{state.running}, pending {state.pending}, rollout {state.rollout}",
        )
        table.add_row("targets", f"{state.healthy_targets}/{state.targets} healthy")
    verdict = "converged" if all(s.converged for s in states) else "not converged"
    table.add_row("verdict", f"[green]{verdict}[/]" if verdict == "converged" else verdict)
    table.add_row("outputs", str(outputs_path))
    table.add_row("took", f"{seconds:.1f} s")
    console.print(table)
