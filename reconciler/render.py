"""Human output: rich tables of verdicts and heal plans, and the failure details wait prints."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from reconciler.heal import HealOutcome
from reconciler.model import ServiceVerdict, Status, SweepResult

_STYLE = {
    Status.CONVERGED: "green",
    Status.CONVERGING: "yellow",
    Status.DEGRADED: "yellow",
    Status.DRIFTED: "magenta",
    Status.FAILED: "red",
    Status.MISSING: "red",
}


def verdict_table(result: SweepResult) -> Table:
    """One row per declared service."""
    table = Table(title="FargateApp services", show_lines=False)
    for column in ("cluster", "service", "declared", "desired", "running", "pending", "rollout"):
        table.add_column(
            column, justify="right" if column in {"desired", "running", "pending"} else "left"
        )
    table.add_column("targets ok/bad")
    table.add_column("status")
    table.add_column("reason", overflow="fold")
    for v in result.verdicts:
        d, live = v.declared, v.live
        declared = (
            str(d.desired_count)
            if not d.autoscaled
            else f"{d.desired_count} [{d.min_count}-{d.max_count}]"
        )
        primary = live.primary if live else None
        targets = f"{v.targets.healthy}/{v.targets.unhealthy}" if v.targets else "-"
        table.add_row(
            d.cluster,
            d.service,
            declared,
            str(live.desired_count) if live else "-",
            str(live.running_count) if live else "-",
            str(live.pending_count) if live else "-",
            (primary.rollout_state or "-") if primary else "-",
            targets,
            f"[{_STYLE[v.status]}]{v.status.value}[/]",
            "; ".join(v.reasons) or "",
        )
    return table


def print_result(console: Console, result: SweepResult) -> None:
    """The verdict table and a one-line summary with the API call count."""
    console.print(verdict_table(result))
    calls = sum(result.api_calls.values())
    ok = sum(v.converged for v in result.verdicts)
    console.print(
        f"{ok}/{len(result.verdicts)} converged in {result.duration_s:.2f}s with {calls} API calls"
        + (f" ({result.throttled} throttled attempts retried)" if result.throttled else "")
    )


def print_failure_details(console: Console, verdicts: Sequence[ServiceVerdict]) -> None:
    """Stopped-task reasons and latest service events of the failed or missing services."""
    for v in verdicts:
        if v.status not in {Status.FAILED, Status.MISSING}:
            continue
        console.print(f"[red]{v.declared.name} {v.status.value}[/]: {'; '.join(v.reasons)}")
        for reason, n in v.stopped_reasons:
            console.print(f"  stopped task x{n}: {reason}")
        for event in v.latest_events:
            when = event.created_at.isoformat(timespec="seconds") if event.created_at else "?"
            console.print(f"  event {when}: {event.message}")


def print_heal(console: Console, outcomes: Sequence[HealOutcome], *, dry_run: bool) -> None:
    """The heal plan and what happened to each action."""
    if not outcomes:
        console.print("nothing to heal: every declared service has an acceptable desired count")
        return
    console.print("heal plan" + (" (dry run: no changes made)" if dry_run else "") + ":")
    for outcome in outcomes:
        if dry_run:
            mark = "would update"
        elif outcome.applied:
            mark = "updated"
        else:
            mark = f"FAILED ({outcome.error})"
        console.print(f"  {mark}: {outcome.action.describe()}")
