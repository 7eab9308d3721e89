"""Watch: a level-triggered loop that sweeps every interval and logs transitions only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from reconciler.aws import ClientFactory
from reconciler.errors import EXIT_AWS, EXIT_CONVERGED, EXIT_NOT_CONVERGED, AwsAccessError
from reconciler.heal import apply_heal, plan_heal
from reconciler.metrics import Metrics
from reconciler.model import DeclaredService, Status
from reconciler.sweep import sweep
from reconciler.verdict import DEFAULT_CRASH_LOOP_THRESHOLD


def watch(
    declared: Sequence[DeclaredService],
    clients: ClientFactory,
    *,
    interval: float,
    heal: bool = False,
    metrics: Metrics | None = None,
    iterations: int | None = None,
    crash_loop_threshold: int = DEFAULT_CRASH_LOOP_THRESHOLD,
    log: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Sweep every `interval` seconds until `stop` is set (or after `iterations` sweeps).

    Each sweep is judged on its own (level-triggered): a transition is logged when a service's
    status changes, a failed sweep is logged once per distinct error and the loop goes on.
    Returns the exit code of the last sweep (0 converged, 1 not, 3 AWS error).
    """
    stop = stop or threading.Event()
    previous: dict[tuple[str, str, str], Status] = {}
    last_error: str | None = None
    exit_code = EXIT_CONVERGED
    count = 0
    while not stop.is_set():
        started = clock()
        snap = clients.counter.snapshot()
        try:
            result = sweep(declared, clients, crash_loop_threshold=crash_loop_threshold)
        except AwsAccessError as exc:
            exit_code = EXIT_AWS
            if str(exc) != last_error:
                log(f"sweep failed (will retry): {exc}")
            last_error = str(exc)
            if metrics:
                metrics.sweep_failed()
        else:
            if last_error is not None:
                log("sweep recovered")
            last_error = None
            exit_code = EXIT_CONVERGED if result.converged else EXIT_NOT_CONVERGED
            for verdict in result.verdicts:
                d = verdict.declared
                key = (d.region or "", d.cluster, d.service)
                before = previous.get(key)
                if before is not verdict.status:
                    arrow = f"{before.value} -> " if before else ""
                    why = f": {'; '.join(verdict.reasons)}" if verdict.reasons else ""
                    log(f"{d.name}: {arrow}{verdict.status.value}{why}")
                previous[key] = verdict.status
            if metrics:
                metrics.observe(result)
            if heal:
                try:
                    for outcome in apply_heal(plan_heal(result), clients):
                        state = "healed" if outcome.applied else f"heal failed ({outcome.error})"
                        log(f"{state}: {outcome.action.describe()}")
                        if metrics and outcome.applied:
                            d = outcome.action.declared
                            metrics.heals.labels(d.cluster, d.service).inc()
                except AwsAccessError as exc:
                    log(f"heal failed (will retry): {exc}")
        if metrics:
            calls, errors, _ = clients.counter.since(snap)
            metrics.count_api(calls, errors)
        count += 1
        if iterations is not None and count >= iterations:
            break
        stop.wait(max(0.0, interval - (clock() - started)))
    return exit_code
