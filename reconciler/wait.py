"""Wait: poll until every declared service converges, fail fast on a failed rollout.

Polling is adaptive: about 1 s at first (so a fast rollout is seen fast), then backing off with
jitter up to a ceiling, and slower still while AWS throttles us.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.aws import ClientFactory
from reconciler.errors import EXIT_CONVERGED, EXIT_NOT_CONVERGED, AwsAccessError
from reconciler.model import DeclaredService, Status, SweepResult
from reconciler.sweep import sweep
from reconciler.verdict import DEFAULT_CRASH_LOOP_THRESHOLD

#: Statuses that no amount of waiting fixes: wait stops at the first poll that sees them.
TERMINAL = frozenset({Status.FAILED, Status.MISSING})


@dataclass(frozen=True)
class PollPolicy:
    """How often to poll: `initial` s, times `factor` per poll up to `maximum`, +-`jitter`."""

    initial: float = 1.0
    factor: float = 1.3
    maximum: float = 10.0
    jitter: float = 0.2
    #: Extra multiplier while the last poll was throttled or failed.
    throttled_factor: float = 2.0
    throttled_maximum: float = 30.0

    def next_interval(
        self, previous: float | None, *, throttled: bool, rng: random.Random
    ) -> float:
        """The pause before the next poll."""
        base = self.initial if previous is None else previous * self.factor
        ceiling = self.maximum
        if throttled:
            base *= self.throttled_factor
            ceiling = self.throttled_maximum
        base = min(base, ceiling)
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


class WaitState(StrEnum):
    """How a wait ended."""

    CONVERGED = "converged"
    FAILED = "failed"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class WaitOutcome:
    """The result of `wait_for_convergence`."""

    state: WaitState
    result: SweepResult | None
    polls: int
    elapsed_s: float
    api_calls: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when converged, 1 otherwise."""
        return EXIT_CONVERGED if self.state is WaitState.CONVERGED else EXIT_NOT_CONVERGED


PollCallback = Callable[[int, "SweepResult | None", "str | None", float], None]


def wait_for_convergence(
    declared: Sequence[DeclaredService],
    clients: ClientFactory,
    *,
    timeout: float,
    policy: PollPolicy | None = None,
    crash_loop_threshold: int = DEFAULT_CRASH_LOOP_THRESHOLD,
    on_poll: PollCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> WaitOutcome:
    """Poll until every service converges (CONVERGED), one fails (FAILED) or time runs out.

    The first poll's AWS errors are fatal (a wrong endpoint or bad credentials should not make
    anyone wait for the timeout), except throttling; later ones are retried until the timeout.
    If no poll ever succeeded the last error is raised as AwsAccessError.
    """
    policy = policy or PollPolicy()
    rng = rng or random.Random()
    started = clock()
    deadline = started + timeout
    snap = clients.counter.snapshot()
    interval: float | None = None
    polls = 0
    last: SweepResult | None = None
    last_error: str | None = None

    def outcome(state: WaitState) -> WaitOutcome:
        calls = clients.counter.since(snap)[0]
        return WaitOutcome(state, last, polls, clock() - started, calls, last_error)

    while True:
        polls += 1
        throttled = False
        try:
            result = sweep(declared, clients, crash_loop_threshold=crash_loop_threshold)
        except AwsAccessError as exc:
            if last is None and exc.kind != "throttled":
                raise
            result, last_error, throttled = None, str(exc), True
        else:
            last, last_error, throttled = result, None, result.throttled > 0
            if result.converged:
                return outcome(WaitState.CONVERGED)
            if any(v.status in TERMINAL for v in result.verdicts):
                return outcome(WaitState.FAILED)
        remaining = deadline - clock()
        if remaining <= 0:
            if last is None:
                raise AwsAccessError(last_error or "no successful poll", kind="throttled")
            return outcome(WaitState.TIMEOUT)
        interval = policy.next_interval(interval, throttled=throttled, rng=rng)
        pause = min(interval, remaining)
        if on_poll:
            on_poll(polls, result, last_error, pause)
        sleep(pause)
