"""Fault injection: the failures that are hard to provoke in a real account.

Each fault changes only what AWS itself would show. ``Faults`` is plain state: it validates and
records what is armed and knows nothing of the scheduler. The ECS scheduler and the emulator's
request hook read it (the scheduler rolls out a broken deployment for a newly armed crash loop
on its next step). The two faults that act at once (crash loop, out-of-band scale) notify the
listeners given to ``subscribe()`` after they are armed; ``LocalCloud``, which owns both
objects, subscribes the scheduler's ``act_on_faults``, which performs them before the arming
call returns (the new deployment, the changed desiredCount), visible to the next API call.

Faults are keyed by cluster and service *names* (an ARN is accepted and reduced to its name), so
a fault can be armed before the service exists.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from localcloud.errors import LocalCloudError

DEFAULT_CRASH_REASON = "Essential container in task exited"

#: ALB health-check failure reasons and the description the target group reports with each.
UNHEALTHY_REASONS = {
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [502]",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
    "Elb.InternalError": "Health checks failed due to an internal error",
}

#: Services whose calls can be throttled, with the wire protocol of their error responses
#: and the error code AWS itself sends when it throttles them.
THROTTLEABLE = {
    "ecs": ("json", "ThrottlingException"),
    "elbv2": ("query", "Throttling"),
    "application-autoscaling": ("json", "ThrottlingException"),
    "ecr": ("json", "ThrottlingException"),
    "logs": ("json", "ThrottlingException"),
}

#: Fault name (as the CLI and the control endpoint spell it) -> the ``Faults`` method arming it.
#: Filled by ``@_arms`` below, so a new fault is one decorated method.
FAULT_METHODS: dict[str, str] = {}

_Method = TypeVar("_Method", bound=Callable[..., None])


def _arms(fault_name: str) -> Callable[[_Method], _Method]:
    """Declare the decorated ``Faults`` method as the one arming *fault_name*."""

    def declare(method: _Method) -> _Method:
        FAULT_METHODS[fault_name] = method.__name__
        return method

    return declare


def short_name(name_or_arn: str) -> str:
    """The name part of an ECS cluster or service ARN (a plain name is returned unchanged)."""
    return name_or_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CrashLoop:
    """An armed crash loop: the stoppedReason of its tasks, and which arming it is.

    Every ``crash_loop()`` call is a new *arming* (a rising number); the scheduler rolls out one
    broken deployment per arming, and deployments started while it is armed are broken too.
    """

    reason: str
    arming: int


@dataclass(frozen=True)
class ScaleRequest:
    """An out-of-band desiredCount the scheduler has not applied yet."""

    cluster: str
    service: str
    desired_count: int


@dataclass
class _Throttle:
    fraction: float
    services: frozenset[str]
    credit: dict[str, float] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)


class Faults:
    """The armed faults of the local cloud; every method is safe to call from any thread."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._armings = itertools.count(1)
        self._crash: dict[tuple[str, str], CrashLoop] = {}
        self._shortage: set[tuple[str, str]] = set()
        self._unhealthy: dict[str, tuple[int, str]] = {}
        self._throttle: _Throttle | None = None
        self._scale_requests: list[ScaleRequest] = []
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call *listener* after a fault that acts at once (crash loop, out-of-band scale) is
        armed. An error it raises (an unknown service) is the arming call's error."""
        self._listeners.append(listener)

    def _armed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- injecting ---------------------------------------------------------------------------

    @_arms("crash-loop")
    def crash_loop(self, cluster: str, service: str, reason: str = DEFAULT_CRASH_REASON) -> None:
        """Roll out a broken revision: every new task of the service exits while starting.

        Like ``update-service --force-new-deployment`` of an image that crashes: a new PRIMARY
        deployment starts (the previous one stays ACTIVE with its running tasks, as ECS keeps
        them under minimumHealthyPercent 100); its tasks go PENDING -> STOPPED with
        ``stopCode`` EssentialContainerExited and ``stoppedReason`` *reason*; ``failedTasks``
        grows; with the deployment circuit breaker enabled the rollout turns FAILED after
        ``clamp(ceil(0.5 x desiredCount), 3, 200)`` failures and no more tasks are launched
        for it. With ``rollback`` the scheduler then rolls back to the last COMPLETED deployment
        (which the fault does not break); without, the FAILED deployment stays PRIMARY.
        Armed before the service exists, the service's first deployment is the broken one;
        while it is armed, later deployments (new task definition, forceNewDeployment) crash
        too. After ``clear()``, a new deployment runs normally.
        """
        if not reason.strip():
            raise LocalCloudError("crash loop reason '' is empty; give the stoppedReason text")
        key = (short_name(cluster), short_name(service))
        with self._guard:
            self._crash[key] = CrashLoop(reason, next(self._armings))
        self._armed()

    @_arms("capacity-shortage")
    def capacity_shortage(self, cluster: str, service: str) -> None:
        """Fargate has no capacity for the service: its new tasks stay PENDING.

        As on AWS, running FARGATE tasks keep running, while running FARGATE_SPOT tasks are
        interrupted (``stopCode`` SpotInterruption) and their replacements stay PENDING too.
        The service gets the "unable to place a task ... Capacity is unavailable" event.
        """
        with self._guard:
            self._shortage.add((short_name(cluster), short_name(service)))

    @_arms("out-of-band-scale")
    def out_of_band_scale(self, cluster: str, service: str, desired_count: int) -> None:
        """Change the service's desiredCount behind the IaC's back (like a console edit).

        An ACTIVE service of that name must exist: else ``LocalCloudError`` "service ... not
        found in cluster ..." (raised here when the scheduler is subscribed, as in LocalCloud).
        """
        if not isinstance(desired_count, int) or desired_count < 0:
            raise LocalCloudError(
                f"desired_count {desired_count!r} is invalid; use an integer >= 0"
            )
        request = ScaleRequest(short_name(cluster), short_name(service), desired_count)
        with self._guard:
            self._scale_requests.append(request)
        self._armed()

    @_arms("unhealthy-targets")
    def unhealthy_targets(
        self, target_group_arn: str, count: int, reason: str = "Target.ResponseCodeMismatch"
    ) -> None:
        """Make *count* registered targets of the target group report ``unhealthy``.

        DescribeTargetHealth shows the first *count* registered targets (registration order)
        as ``unhealthy`` with *reason* and its AWS description; the rest stay ``healthy``.
        ECS does not replace these tasks in the simulation.
        """
        if reason not in UNHEALTHY_REASONS:
            allowed = ", ".join(UNHEALTHY_REASONS)
            raise LocalCloudError(f"unhealthy reason '{reason}' is unknown; use one of {allowed}")
        if not isinstance(count, int) or count < 1:
            raise LocalCloudError(
                f"unhealthy target count {count!r} is invalid; use an integer >= 1"
            )
        with self._guard:
            self._unhealthy[target_group_arn] = (count, reason)

    @_arms("throttle")
    def throttle(self, fraction: float, services: Iterable[str] = ("ecs", "elbv2")) -> None:
        """Answer *fraction* (0 < f <= 1) of the calls to *services* with a throttling error.

        Deterministic: a call is throttled each time the running sum of *fraction* crosses a
        whole number (0.5 throttles every second call, 1.0 every call). ECS answers
        ``ThrottlingException``, ELBv2 ``Throttling`` (the codes AWS uses; botocore retries
        both). ``throttle(0)`` switches throttling off.
        """
        services = tuple(services)
        unknown = [s for s in services if s not in THROTTLEABLE]
        if unknown:
            allowed = ", ".join(THROTTLEABLE)
            raise LocalCloudError(
                f"throttle service '{unknown[0]}' is unknown; use some of {allowed}"
            )
        if not 0 <= float(fraction) <= 1:
            raise LocalCloudError(f"throttle fraction {fraction} is out of range; use 0 to 1")
        with self._guard:
            if float(fraction) == 0:
                self._throttle = None
            else:
                self._throttle = _Throttle(float(fraction), frozenset(services))

    def clear(self) -> None:
        """Disarm every fault. Deployments that already FAILED stay FAILED, as on AWS."""
        with self._guard:
            self._crash.clear()
            self._shortage.clear()
            self._unhealthy.clear()
            self._throttle = None
            self._scale_requests.clear()

    def apply(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Arm a fault by its CLI name (see ``FAULT_NAMES``) with keyword *args*.

        Returns the armed faults (``active()``), as the control endpoint answers.
        """
        method = FAULT_METHODS.get(name.replace("_", "-"))
        if method is None:
            raise LocalCloudError(f"fault '{name}' is unknown; use one of {', '.join(FAULT_NAMES)}")
        try:
            getattr(self, method)(**args)
        except TypeError as exc:
            raise LocalCloudError(
                f"fault '{name}' got bad arguments {sorted(args)}: {exc}"
            ) from None
        return self.active()

    def active(self) -> list[dict[str, Any]]:
        """The armed faults, as plain data (what ``localcloud fault list`` prints)."""
        with self._guard:
            listed: list[dict[str, Any]] = [
                {"fault": "crash-loop", "cluster": c, "service": s, "reason": crash.reason}
                for (c, s), crash in sorted(self._crash.items())
            ]
            listed += [
                {"fault": "capacity-shortage", "cluster": c, "service": s}
                for c, s in sorted(self._shortage)
            ]
            listed += [
                {"fault": "unhealthy-targets", "target_group_arn": arn, "count": n, "reason": r}
                for arn, (n, r) in sorted(self._unhealthy.items())
            ]
            if self._throttle:
                listed.append(
                    {
                        "fault": "throttle",
                        "fraction": self._throttle.fraction,
                        "services": sorted(self._throttle.services),
                        "throttled_calls": dict(self._throttle.throttled),
                    }
                )
            return listed

    # -- what the scheduler and the request hook read ----------------------------------------

    def crash_loop_of(self, cluster: str, service: str) -> CrashLoop | None:
        """The crash loop armed for the service, or None."""
        return self._crash.get((cluster, service))

    def take_scale_requests(self) -> list[ScaleRequest]:
        """The out-of-band desiredCounts not applied yet, oldest first (each handed over once)."""
        with self._guard:
            requests, self._scale_requests = self._scale_requests, []
        return requests

    def has_capacity_shortage(self, cluster: str, service: str) -> bool:
        """Whether new tasks of the service cannot be placed."""
        return (cluster, service) in self._shortage

    def unhealthy(self, target_group_arn: str) -> tuple[int, str] | None:
        """(count, reason) of the unhealthy-targets fault on the target group, or None."""
        return self._unhealthy.get(target_group_arn)

    def should_throttle(self, service: str) -> bool:
        """Decide (and count) whether this call to *service* is throttled."""
        with self._guard:
            throttle = self._throttle
            if throttle is None or service not in throttle.services:
                return False
            credit = throttle.credit.get(service, 0.0) + throttle.fraction
            hit = credit >= 1.0 - 1e-9
            throttle.credit[service] = credit - 1.0 if hit else credit
            if hit:
                throttle.throttled[service] = throttle.throttled.get(service, 0) + 1
            return hit

    def throttled_calls(self) -> dict[str, int]:
        """How many calls per service were throttled since the throttle fault was armed."""
        with self._guard:
            return dict(self._throttle.throttled) if self._throttle else {}


#: Fault names as the CLI and the control endpoint spell them.
FAULT_NAMES = tuple(FAULT_METHODS)
