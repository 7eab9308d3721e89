"""One sweep: read the live state of every declared service with as few API calls as possible.

- DescribeServices in batches of 10 (the API maximum) per cluster;
- ListTasks/DescribeTasks (100 per call) only for services that are not visibly settled;
- DescribeTargetHealth once per distinct target group;
all through a small bounded thread pool.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from reconciler.aws import ClientFactory, access_error, error_code
from reconciler.model import (
    DeclaredService,
    Deployment,
    LiveService,
    Observation,
    ServiceEvent,
    SweepResult,
    TargetHealth,
    TaskInfo,
)
from reconciler.verdict import DEFAULT_CRASH_LOOP_THRESHOLD, judge, needs_task_detail

DESCRIBE_SERVICES_BATCH = 10
DESCRIBE_TASKS_BATCH = 100
DEFAULT_WORKERS = 4

T = TypeVar("T")
Key = tuple[str, str, str]  # (region, cluster, service)


def sweep(
    declared: Sequence[DeclaredService],
    clients: ClientFactory,
    *,
    crash_loop_threshold: int = DEFAULT_CRASH_LOOP_THRESHOLD,
    max_workers: int = DEFAULT_WORKERS,
) -> SweepResult:
    """Observe and judge every declared service once.

    Raises AwsAccessError when AWS cannot be reached or refuses the credentials; problems of
    single services (not found, deleted mid-sweep, target group gone) become their verdicts.
    """
    started = time.monotonic()
    snap = clients.counter.snapshot()
    keyed = {(clients.region_for(d.region), d.cluster, d.service): d for d in declared}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="sweep") as pool:
        state = _LiveState()
        batches = _batches(keyed, DESCRIBE_SERVICES_BATCH)
        for found in pool.map(lambda b: _describe_services(clients, *b), batches):
            state.merge(found)

        # service name -> its deployment ids, per cluster, for the unsettled services only
        needy: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(dict)
        for (region, cluster, service), live in state.live.items():
            if needs_task_detail(live):
                needy[(region, cluster)][service] = {d.id for d in live.deployments}
        jobs = list(needy.items())
        for found in pool.map(lambda job: _cluster_tasks(clients, *job[0], job[1]), jobs):
            state.merge(found)

        groups = _target_groups(keyed, state)
        arns = sorted({(region, arn) for region, arn in groups.values()})
        health = dict(
            zip(arns, pool.map(lambda ra: _target_health(clients, *ra), arns), strict=True)
        )

    now = dt.datetime.now(dt.UTC)
    verdicts = []
    for key, decl in keyed.items():
        obs = Observation(
            declared=decl,
            live=state.live.get(key),
            missing_reason=state.missing.get(key),
            tasks=state.tasks.get(key),
            targets=health.get(groups[key]) if key in groups else None,
        )
        verdicts.append(judge(obs, crash_loop_threshold=crash_loop_threshold, now=now))
    calls, _errors, throttled = clients.counter.since(snap)
    return SweepResult(
        verdicts=tuple(verdicts),
        api_calls=calls,
        duration_s=time.monotonic() - started,
        throttled=throttled,
    )


@dataclass
class _LiveState:
    live: dict[Key, LiveService] = field(default_factory=dict)
    missing: dict[Key, str] = field(default_factory=dict)
    tasks: dict[Key, tuple[TaskInfo, ...]] = field(default_factory=dict)

    def merge(self, other: _LiveState) -> None:
        self.live.update(other.live)
        self.tasks.update(other.tasks)
        for key, reason in other.missing.items():
            self.missing[key] = reason
            self.live.pop(key, None)  # deleted while we looked: the newest news wins


def _batches(keyed: dict[Key, DeclaredService], size: int) -> list[tuple[str, str, list[str]]]:
    by_cluster: dict[tuple[str, str], list[str]] = defaultdict(list)
    for region, cluster, service in keyed:
        by_cluster[(region, cluster)].append(service)
    return [
        (region, cluster, names[i : i + size])
        for (region, cluster), names in by_cluster.items()
        for i in range(0, len(names), size)
    ]


def _describe_services(
    clients: ClientFactory, region: str, cluster: str, names: list[str]
) -> _LiveState:
    ecs = clients.client("ecs", region)
    out = _LiveState()
    try:
        resp = _call(
            clients,
            "ecs",
            region,
            "DescribeServices",
            lambda: ecs.describe_services(cluster=cluster, services=names),
        )
    except _Handled as handled:
        if handled.code == "ClusterNotFoundException":
            for name in names:
                out.missing[(region, cluster, name)] = f"cluster {cluster} not found"
            return out
        raise handled.original from None
    for svc in resp.get("services", []):
        name = svc.get("serviceName") or svc.get("serviceArn", "").rsplit("/", 1)[-1]
        key = (region, cluster, name)
        status = svc.get("status", "ACTIVE")
        if status == "INACTIVE":
            out.missing[key] = f"service {name} is INACTIVE (deleted) in cluster {cluster}"
        elif status == "DRAINING":
            out.missing[key] = f"service {name} is DRAINING (being deleted) in cluster {cluster}"
        else:
            out.live[key] = live_service(svc)
    for failure in resp.get("failures", []):
        name = failure.get("arn", "").rsplit("/", 1)[-1]
        reason = failure.get("reason", "unknown failure")
        key = (region, cluster, name)
        if reason == "MISSING":
            out.missing[key] = f"service not found in cluster {cluster}"
        else:
            detail = f" ({failure['detail']})" if failure.get("detail") else ""
            out.missing[key] = f"DescribeServices failed for {name}: {reason}{detail}"
    for name in names:  # neither described nor reported as a failure: treat as missing
        key = (region, cluster, name)
        if key not in out.live and key not in out.missing:
            out.missing[key] = f"service not found in cluster {cluster}"
    return out


def _cluster_tasks(
    clients: ClientFactory, region: str, cluster: str, services: dict[str, set[str]]
) -> _LiveState:
    ecs = clients.client("ecs", region)
    out = _LiveState()
    listed: dict[str, list[str]] = {}
    for name in services:
        try:
            arns = _list_tasks(clients, ecs, region, cluster, name, "RUNNING", all_pages=True)
            # Stopped tasks stay listed for an hour; the newest page is all a verdict needs.
            arns += _list_tasks(clients, ecs, region, cluster, name, "STOPPED", all_pages=False)
        except _Handled as handled:
            if handled.code in {"ServiceNotFoundException", "ServiceNotActiveException"}:
                out.missing[(region, cluster, name)] = (
                    f"service {name} was deleted from cluster {cluster} during the sweep"
                )
                continue
            if handled.code == "ClusterNotFoundException":
                out.missing[(region, cluster, name)] = (
                    f"cluster {cluster} was deleted during the sweep"
                )
                continue
            raise handled.original from None
        listed[name] = arns
    unique = sorted({arn for arns in listed.values() for arn in arns})
    described: dict[str, dict[str, Any]] = {}
    for i in range(0, len(unique), DESCRIBE_TASKS_BATCH):
        chunk = unique[i : i + DESCRIBE_TASKS_BATCH]
        try:
            resp = _call(
                clients,
                "ecs",
                region,
                "DescribeTasks",
                lambda c=chunk: ecs.describe_tasks(cluster=cluster, tasks=c),
            )
        except _Handled as handled:
            if handled.code == "ClusterNotFoundException":
                break
            raise handled.original from None
        described.update({t["taskArn"]: t for t in resp.get("tasks", [])})
    for name, arns in listed.items():
        tasks = [task_info(described[a]) for a in arns if a in described]
        out.tasks[(region, cluster, name)] = tuple(
            t for t in tasks if _belongs_to(t, name, services[name])
        )
    return out


def _list_tasks(
    clients: ClientFactory,
    ecs: Any,
    region: str,
    cluster: str,
    service: str,
    desired: str,
    *,
    all_pages: bool,
) -> list[str]:
    arns: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "cluster": cluster,
            "serviceName": service,
            "desiredStatus": desired,
        }
        if token:
            kwargs["nextToken"] = token
        resp = _call(clients, "ecs", region, "ListTasks", lambda kw=kwargs: ecs.list_tasks(**kw))
        arns.extend(resp.get("taskArns", []))
        token = resp.get("nextToken")
        if not token or not all_pages:
            return arns


def _belongs_to(task: TaskInfo, service: str, deployment_ids: set[str]) -> bool:
    # ECS tags a service's tasks with group "service:<name>" and startedBy = its deployment id;
    # emulators that filter ListTasks by service but set neither are trusted as they are.
    if task.group:
        return task.group == f"service:{service}"
    if task.started_by:
        return task.started_by in deployment_ids
    return True


def _target_groups(
    keyed: dict[Key, DeclaredService], state: _LiveState
) -> dict[Key, tuple[str, str]]:
    groups = {}
    for key, decl in keyed.items():
        live = state.live.get(key)
        if live is None:
            continue
        arn = decl.target_group_arn or (
            live.target_group_arns[0] if live.target_group_arns else None
        )
        if arn:
            groups[key] = (key[0], arn)
    return groups


def _target_health(clients: ClientFactory, region: str, arn: str) -> TargetHealth:
    elbv2 = clients.client("elbv2", region)
    try:
        resp = _call(
            clients,
            "elbv2",
            region,
            "DescribeTargetHealth",
            lambda: elbv2.describe_target_health(TargetGroupArn=arn),
        )
    except _Handled as handled:
        if handled.code in {"TargetGroupNotFound", "TargetGroupNotFoundException"}:
            return TargetHealth(error=f"target group {arn.rsplit(':', 1)[-1]} not found")
        raise handled.original from None
    return target_health(resp.get("TargetHealthDescriptions", []))


def target_health(descriptions: Iterable[dict[str, Any]]) -> TargetHealth:
    """Summarise DescribeTargetHealth's TargetHealthDescriptions."""
    healthy = unhealthy = other = 0
    reasons: dict[str, int] = defaultdict(int)
    for desc in descriptions:
        health = desc.get("TargetHealth", {})
        state = health.get("State", "")
        if state == "healthy":
            healthy += 1
        elif state == "unhealthy":
            unhealthy += 1
            reasons[health.get("Reason") or health.get("Description") or "no reason given"] += 1
        else:
            other += 1
    ordered = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return TargetHealth(healthy=healthy, unhealthy=unhealthy, other=other, reasons=ordered)


def live_service(svc: dict[str, Any]) -> LiveService:
    """A LiveService from one DescribeServices entry."""
    deployments = tuple(
        Deployment(
            id=d.get("id", ""),
            status=d.get("status", ""),
            rollout_state=d.get("rolloutState"),
            rollout_state_reason=d.get("rolloutStateReason"),
            task_definition=d.get("taskDefinition"),
            desired_count=int(d.get("desiredCount", 0)),
            running_count=int(d.get("runningCount", 0)),
            pending_count=int(d.get("pendingCount", 0)),
            failed_tasks=int(d.get("failedTasks", 0)),
            created_at=d.get("createdAt"),
        )
        for d in svc.get("deployments", [])
    )
    events = tuple(
        ServiceEvent(created_at=e.get("createdAt"), message=e.get("message", ""))
        for e in svc.get("events", [])[:10]
    )
    return LiveService(
        arn=svc.get("serviceArn", ""),
        status=svc.get("status", ""),
        desired_count=int(svc.get("desiredCount", 0)),
        running_count=int(svc.get("runningCount", 0)),
        pending_count=int(svc.get("pendingCount", 0)),
        task_definition=svc.get("taskDefinition"),
        deployments=deployments,
        events=events,
        target_group_arns=tuple(
            lb["targetGroupArn"] for lb in svc.get("loadBalancers", []) if lb.get("targetGroupArn")
        ),
    )


def task_info(task: dict[str, Any]) -> TaskInfo:
    """A TaskInfo from one DescribeTasks entry."""
    return TaskInfo(
        arn=task.get("taskArn", ""),
        last_status=task.get("lastStatus", ""),
        desired_status=task.get("desiredStatus", ""),
        stopped_reason=task.get("stoppedReason") or None,
        stop_code=task.get("stopCode") or None,
        created_at=task.get("createdAt"),
        stopped_at=task.get("stoppedAt"),
        started_by=task.get("startedBy") or None,
        group=task.get("group") or None,
    )


class _Handled(Exception):
    """A ClientError the caller may turn into a per-service verdict (carries its code)."""

    def __init__(self, code: str, original: Exception) -> None:
        super().__init__(code)
        self.code = code
        self.original = original


def _call(
    clients: ClientFactory, service: str, region: str, operation: str, fn: Callable[[], T]
) -> T:
    """Run one API call; per-service ClientErrors become _Handled, the rest AwsAccessError."""
    try:
        return fn()
    except Exception as exc:
        error = access_error(
            exc,
            operation=operation,
            endpoint=clients.endpoint(service, region),
            max_attempts=clients.target.max_attempts,
        )
        if error is None:
            raise
        if isinstance(exc, ClientError) and error_code(exc) in _PER_SERVICE_CODES:
            raise _Handled(error_code(exc), error) from None
        raise error from None


_PER_SERVICE_CODES = frozenset(
    {
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "ServiceNotActiveException",
        "TargetGroupNotFound",
        "TargetGroupNotFoundException",
    }
)
