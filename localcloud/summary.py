"""After a deploy: wait with the reconciler until every declared service converged, then a summary.

The verdicts are the reconciler's own (``reconciler.wait.wait_for_convergence`` against the
emulator's endpoint): ``localcloud up`` succeeds exactly when ``reconciler wait`` would, and fails
fast with the reconciler's reason on a failed rollout or a crash loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from localcloud.errors import LocalCloudError
from reconciler.aws import AwsTarget, ClientFactory
from reconciler.desired import from_outputs
from reconciler.errors import ReconcilerError
from reconciler.model import DeclaredService, ServiceVerdict, SweepResult
from reconciler.wait import PollPolicy, WaitState, wait_for_convergence

#: Polls a few times a second: an emulator answers at once and tasks start within seconds.
LOCAL_POLLING = PollPolicy(initial=0.2, factor=1.3, maximum=1.0, jitter=0.1)


def declared_services(outputs: dict[str, Any]) -> list[DeclaredService]:
    """The services the stack's ``reconcile`` output declares (parsed by ``contract``)."""
    try:
        return from_outputs(outputs, source="the stack's outputs")
    except ReconcilerError as exc:
        raise LocalCloudError(str(exc)) from None


def reconciler_command(outputs_path: Path, endpoint_url: str) -> str:
    """The exact shell command that checks this emulator's services against *outputs_path*."""
    from localcloud.cloud import CREDENTIALS

    return (
        f"AWS_ACCESS_KEY_ID={CREDENTIALS['aws_access_key_id']} "
        f"AWS_SECRET_ACCESS_KEY={CREDENTIALS['aws_secret_access_key']} "
        f"python -m reconciler check --outputs {outputs_path} --endpoint-url {endpoint_url}"
    )


def wait_until_converged(
    cloud: Any, declared: Sequence[DeclaredService], timeout: float
) -> SweepResult:
    """Poll *cloud* with the reconciler until every service converged; the last sweep.

    Raises ``LocalCloudError`` with the reconciler's reasons when a service fails (a FAILED
    rollout, a crash loop, a missing service) or *timeout* seconds pass.
    """
    from localcloud.cloud import CREDENTIALS

    target = AwsTarget(
        endpoint_url=cloud.endpoint_url, region=cloud.region, credentials=CREDENTIALS
    )
    try:
        outcome = wait_for_convergence(
            declared, ClientFactory(target), timeout=timeout, policy=LOCAL_POLLING
        )
    except ReconcilerError as exc:
        raise LocalCloudError(str(exc)) from None
    result = outcome.result
    assert result is not None  # wait_for_convergence raises when no poll ever succeeded
    if outcome.state is WaitState.CONVERGED:
        return result
    pending = "; ".join(_verdict_line(v) for v in result.verdicts if not v.converged)
    if outcome.state is WaitState.FAILED:
        raise LocalCloudError(pending)
    raise LocalCloudError(f"not converged after {timeout:g} s: {pending}")


def print_summary(
    console: Console,
    cloud: Any,
    result: Any,
    sweep: SweepResult,
    outputs_path: Path,
    seconds: float,
) -> None:
    """One screen: URL, resources, the reconciler's verdict per service, how to check again."""
    custom = [r for r in result.resources if r.custom]
    components = len(result.resources) - len(custom)
    table = Table(title="Summary", show_header=False, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("URL", f"{result.outputs.get('url')}  (emulated: the DNS name does not resolve)")
    for dns_name, port, url in listener_urls(cloud):
        table.add_row("listener", f"{url}  (local load balancer: {dns_name}:{port})")
    table.add_row("endpoint", cloud.endpoint_url)
    table.add_row("runtime", cloud.runtime.line())
    table.add_row(
        "resources",
        f"{len(custom)} AWS resources in {components} components, created in "
        f"{result.seconds:.1f} s",
    )
    for verdict in sweep.verdicts:
        live, targets = verdict.live, verdict.targets
        primary = live.primary if live else None
        if live is not None:
            table.add_row(
                "service",
                f"{verdict.declared.name}: desired {live.desired_count}, running "
                f"{live.running_count}, pending {live.pending_count}, rollout "
                f"{(primary.rollout_state if primary else None) or '-'}",
            )
        table.add_row("status", verdict.status.value)
        if targets is not None:
            table.add_row("targets", f"{targets.healthy}/{targets.total} healthy")
    verdict = "converged" if sweep.converged else "not converged"
    table.add_row("verdict", f"[green]{verdict}[/]" if sweep.converged else verdict)
    table.add_row("outputs", str(outputs_path))
    table.add_row("check", reconciler_command(outputs_path, cloud.endpoint_url))
    table.add_row("took", f"{seconds:.1f} s")
    console.print(table)


def listener_urls(cloud: Any) -> list[tuple[str, str, str]]:
    """(load balancer DNS name, listener port, local URL) of every served ALB listener."""
    balancer = getattr(cloud, "load_balancer", None)
    if balancer is None:
        return []
    return [
        (dns_name, port, url)
        for dns_name, ports in balancer.endpoints().items()
        for port, url in ports.items()
    ]


def _verdict_line(verdict: ServiceVerdict) -> str:
    return f"{verdict.declared.name} {verdict.status.value}: {'; '.join(verdict.reasons)}"
