"""Prometheus metrics of the watch loop (prometheus_client, on its own registry)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from reconciler.model import Status, SweepResult

_LABELS = ("cluster", "service")


class Metrics:
    """Gauges per service, sweep duration, API calls and errors."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.desired = Gauge(
            "reconciler_service_desired_tasks", "Live desiredCount", _LABELS, registry=r
        )
        self.declared = Gauge(
            "reconciler_service_declared_tasks", "Declared desired count", _LABELS, registry=r
        )
        self.running = Gauge(
            "reconciler_service_running_tasks", "Live runningCount", _LABELS, registry=r
        )
        self.pending = Gauge(
            "reconciler_service_pending_tasks", "Live pendingCount", _LABELS, registry=r
        )
        self.drift = Gauge(
            "reconciler_service_drift_tasks",
            "Live desiredCount minus the count heal would set (0 when acceptable)",
            _LABELS,
            registry=r,
        )
        self.status = Gauge(
            "reconciler_service_status",
            "1 for the service's current status, 0 for the others",
            (*_LABELS, "status"),
            registry=r,
        )
        self.sweep_duration = Histogram(
            "reconciler_sweep_duration_seconds",
            "Wall time of one sweep",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.sweeps = Counter(
            "reconciler_sweeps_total", "Sweeps by outcome", ("outcome",), registry=r
        )
        self.api_calls = Counter(
            "reconciler_api_calls_total", "AWS API operations", ("operation",), registry=r
        )
        self.api_errors = Counter(
            "reconciler_api_errors_total",
            "Errored AWS API attempts (including retried throttling)",
            ("operation", "code"),
            registry=r,
        )
        self.heals = Counter(
            "reconciler_heal_actions_total", "UpdateService calls made by heal", _LABELS, registry=r
        )

    def serve(self, port: int, addr: str = "0.0.0.0") -> Any:
        """Start the /metrics HTTP server in a daemon thread; returns the server."""
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        return server

    def observe(self, result: SweepResult) -> None:
        """Record one successful sweep."""
        self.sweeps.labels("ok").inc()
        self.sweep_duration.observe(result.duration_s)
        for verdict in result.verdicts:
            labels = (verdict.declared.cluster, verdict.declared.service)
            live = verdict.live
            self.declared.labels(*labels).set(verdict.declared.desired_count)
            self.desired.labels(*labels).set(live.desired_count if live else 0)
            self.running.labels(*labels).set(live.running_count if live else 0)
            self.pending.labels(*labels).set(live.pending_count if live else 0)
            drift = (
                live.desired_count - verdict.heal_to if live and verdict.heal_to is not None else 0
            )
            self.drift.labels(*labels).set(drift)
            for status in Status:
                self.status.labels(*labels, status.value).set(1 if status is verdict.status else 0)

    def sweep_failed(self) -> None:
        """Record a sweep that AWS errors prevented."""
        self.sweeps.labels("error").inc()

    def count_api(self, calls: dict[str, int], errors: dict[tuple[str, str], int]) -> None:
        """Add the API calls and errored attempts counted since the last report."""
        for op, n in calls.items():
            self.api_calls.labels(op).inc(n)
        for (op, code), n in errors.items():
            self.api_errors.labels(op, code).inc(n)
