"""Target health as an ALB keeps it: states, reason codes, thresholds, draining.

The local load balancer probes every target that has a local address (``localcloud.vpc``) as
the target group's health check says (path, port, matcher, interval, timeout, thresholds) and
records each outcome here; DescribeTargetHealth (``localcloud.elbv2.targets``) and the proxy's
routing read the result. A target starts ``initial`` (``Elb.RegistrationInProgress`` until its
first probe, then ``Elb.InitialHealthChecking``), turns ``healthy`` after *healthyThreshold*
consecutive successes and ``unhealthy`` after *unhealthyThreshold* consecutive failures, with
the reason of the last failure. A deregistered target is ``draining`` until its target group's
deregistration delay has passed.

Everything here is plain state behind one small lock (never the emulator's request lock), so a
health-check round records its results without waiting for API requests, and the other way round.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Reason codes and the descriptions DescribeTargetHealth shows with them (AWS's words).
REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
TIMEOUT = "Target.Timeout"
FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
DESCRIPTIONS = {
    REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    TIMEOUT: "Request timed out",
    FAILED_HEALTH_CHECKS: "Health checks failed",
    DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
}
#: The attribute holding a target group's deregistration delay, and AWS's default for it.
DEREGISTRATION_DELAY_ATTRIBUTE = "deregistration_delay.timeout_seconds"
DEFAULT_DEREGISTRATION_DELAY = 300


def mismatch_description(code: int) -> str:
    """What ALB says when a health check answered *code*, not a success code."""
    return f"Health checks failed with these codes: [{code}]"


_MATCHER = re.compile(r"^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$")


def success_codes(matcher: str) -> Callable[[int], bool]:
    """The predicate of an ALB matcher ``HttpCode`` ("200", "200,202", "200-299")."""
    ranges = []
    for part in (matcher or "200").split(","):
        found = _MATCHER.match(part)
        if found:
            low = int(found.group(1))
            ranges.append((low, int(found.group(2) or low)))
    return lambda code: any(low <= code <= high for low, high in ranges)


@dataclass(frozen=True)
class Probe:
    """The outcome of one health check: passed, or the reason code and description of why not."""

    passed: bool
    reason: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Thresholds:
    """How many consecutive outcomes turn a target healthy or unhealthy."""

    healthy: int
    unhealthy: int


@dataclass
class TargetRecord:
    """What the load balancer knows of one registered target's health."""

    state: str = "initial"
    reason: str | None = REGISTRATION_IN_PROGRESS
    description: str | None = DESCRIPTIONS[REGISTRATION_IN_PROGRESS]
    successes: int = 0
    failures: int = 0
    next_check: float = 0.0

    def record(self, probe: Probe, thresholds: Thresholds) -> None:
        """Count *probe* and move the state as ALB does."""
        if probe.passed:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= thresholds.healthy:
                self._become("healthy", None, None)
            elif self.state == "initial":
                self._become("initial", INITIAL_HEALTH_CHECKING)
            return
        self.successes, self.failures = 0, self.failures + 1
        if self.state == "unhealthy" or self.failures >= thresholds.unhealthy:
            self._become("unhealthy", probe.reason, probe.description)
        elif self.state == "initial":
            self._become("initial", INITIAL_HEALTH_CHECKING)

    def _become(self, state: str, reason: str | None, description: str | None = None) -> None:
        self.state, self.reason = state, reason
        self.description = description or DESCRIPTIONS.get(reason or "")


class TargetHealthBook:
    """Thread-safe health records and drain deadlines of every (target group, target id)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._guard = threading.Lock()
        self._records: dict[tuple[str, str], TargetRecord] = {}
        self._draining: dict[tuple[str, str], float] = {}

    def registered(self, target_group_arn: str, target_id: str) -> None:
        """A target was (re)registered: health checks start over, draining ends."""
        with self._guard:
            self._records[(target_group_arn, target_id)] = TargetRecord()
            self._draining.pop((target_group_arn, target_id), None)

    def record_of(self, target_group_arn: str, target_id: str) -> TargetRecord:
        """A copy of the target's record (``initial`` when it was never checked)."""
        with self._guard:
            record = self._records.get((target_group_arn, target_id)) or TargetRecord()
            return TargetRecord(**vars(record))

    def due(self, target_group_arn: str, target_id: str, interval: float) -> bool:
        """Whether the target's next check is due; if so, it is booked *interval* from now."""
        now = self.clock()
        with self._guard:
            record = self._records.setdefault((target_group_arn, target_id), TargetRecord())
            if now < record.next_check:
                return False
            record.next_check = now + interval
            return True

    def record(
        self, target_group_arn: str, target_id: str, probe: Probe, thresholds: Thresholds
    ) -> None:
        """Count one probe of a target that is still registered and not draining."""
        with self._guard:
            record = self._records.get((target_group_arn, target_id))
            if record is not None and (target_group_arn, target_id) not in self._draining:
                record.record(probe, thresholds)

    def drain(self, target_group_arn: str, target_id: str, seconds: float) -> None:
        """Start draining the target for *seconds*."""
        with self._guard:
            self._draining[(target_group_arn, target_id)] = self.clock() + seconds

    def draining(self, target_group_arn: str, target_id: str) -> bool:
        """Whether the target is draining (its deregistration delay has not passed)."""
        with self._guard:
            until = self._draining.get((target_group_arn, target_id))
        return until is not None and self.clock() < until

    def drained(self) -> list[tuple[str, str]]:
        """Forget, and return, the targets whose deregistration delay has passed."""
        now = self.clock()
        with self._guard:
            done = [key for key, until in self._draining.items() if now >= until]
            for key in done:
                del self._draining[key]
                self._records.pop(key, None)
            return done

    def clear(self) -> None:
        """Forget everything (the emulator was reset)."""
        with self._guard:
            self._records.clear()
            self._draining.clear()


#: The process-wide book (moto's state and ``localcloud.vpc.ADDRESSES`` are process-wide too).
HEALTH = TargetHealthBook()
