"""wait (adaptive polling, fail fast, timeout) and watch (transitions, errors, heal, metrics)."""

from __future__ import annotations

import json
import random
import re
import urllib.request

import pytest
from botocore.exceptions import EndpointConnectionError

from localcloud.testing import free_port
from reconciler import AwsAccessError, AwsTarget, ClientFactory, from_flags, watch
from reconciler.metrics import Metrics
from reconciler.wait import PollPolicy, WaitState, wait_for_convergence
from tests.reconciler.conftest import REGION
from tests.reconciler.faults import inject


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_poll_policy_starts_near_one_second_and_backs_off_with_jitter():
    rng = random.Random(7)
    policy = PollPolicy()
    intervals, previous = [], None
    for _ in range(12):
        previous = policy.next_interval(previous, throttled=False, rng=rng)
        intervals.append(previous)
    assert 0.8 <= intervals[0] <= 1.2
    assert intervals[5] > intervals[0] * 2  # backing off
    assert max(intervals) <= policy.maximum * 1.2  # capped (jitter included)
    assert len(set(intervals)) == len(intervals)  # jittered, never in lockstep


def test_poll_policy_is_slower_under_throttling():
    policy = PollPolicy(jitter=0)
    rng = random.Random(1)
    assert policy.next_interval(2.0, throttled=False, rng=rng) == pytest.approx(2.6)
    assert policy.next_interval(2.0, throttled=True, rng=rng) == pytest.approx(5.2)
    assert policy.next_interval(20.0, throttled=True, rng=rng) == policy.throttled_maximum


def clients_for(sim, **kw) -> ClientFactory:
    return ClientFactory(AwsTarget(endpoint_url=sim.endpoint, **kw))


def test_wait_returns_at_the_first_poll_that_sees_convergence(sim):
    sim.service("app", desired=2, held=True)
    fake = FakeTime()

    def on_poll(poll, result, error, pause):
        if poll == 2:
            sim.settle()  # capacity comes back between polls 2 and 3

    outcome = wait_for_convergence(
        from_flags(sim.cluster, "app", 2, region=REGION),
        clients_for(sim),
        timeout=60,
        on_poll=on_poll,
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(3),
    )
    assert outcome.state is WaitState.CONVERGED
    assert outcome.polls == 3
    assert outcome.exit_code == 0
    assert 0.8 <= fake.sleeps[0] <= 1.2 and fake.sleeps[1] > fake.sleeps[0]
    assert outcome.api_calls["DescribeServices"] == 3


def test_wait_fails_fast_on_a_failed_rollout(sim):
    sim.service("app", desired=2)
    sim.crash("app")
    fake = FakeTime()
    outcome = wait_for_convergence(
        from_flags(sim.cluster, "app", 2, region=REGION),
        clients_for(sim),
        timeout=600,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert outcome.state is WaitState.FAILED
    assert outcome.polls == 1 and fake.sleeps == []
    (verdict,) = outcome.result.verdicts
    assert verdict.live.primary.rollout_state == "FAILED"
    ((reason, stopped),) = verdict.stopped_reasons
    assert reason == "Essential container in task exited"
    assert stopped >= 3  # the breaker trips at max(3, desired / 2) failures
    assert verdict.reasons[0] == (
        "rollout FAILED (circuit breaker): ECS deployment circuit breaker: tasks failed to start.; "
        f"{stopped} tasks stopped: Essential container in task exited"
    )


def test_crash_loop_is_detected_before_the_circuit_breaker_trips(sim, run_cli):
    sim.service("app", desired=1)  # the breaker waits for 3 failures
    sim.local.faults.crash_loop(sim.cluster, "app")  # the first task crashes at once
    sim.tick()  # and its replacement
    assert sim.describe()["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    code, out, _ = run_cli(
        "check", "--json", "--cluster", sim.cluster, "--service", "app", "--desired", "1",
        "--endpoint-url", sim.endpoint,
    )  # fmt: skip
    (svc,) = json.loads(out)["services"]
    assert code == 1
    assert svc["status"] == "failed"
    failed = svc["live"]["failed_tasks"]
    assert failed == 2
    assert svc["reasons"][0] == (
        f"crash loop: {failed} tasks failed in the current deployment; "
        f"{failed} tasks stopped: Essential container in task exited"
    )


def test_wait_times_out_with_the_reason(sim):
    sim.service("app", desired=2, held=True)  # capacity shortage: tasks stay PENDING
    fake = FakeTime()
    outcome = wait_for_convergence(
        from_flags(sim.cluster, "app", 2, region=REGION),
        clients_for(sim),
        timeout=10,
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(5),
    )
    assert outcome.state is WaitState.TIMEOUT
    assert outcome.exit_code == 1
    assert fake.now == pytest.approx(10.0)  # the last pause is cut to the deadline
    assert 5 <= outcome.polls <= 9
    reasons = outcome.result.verdicts[0].reasons
    assert reasons[0] == "0/2 running; 2 pending"
    assert reasons[1].startswith("latest event: (service app) was unable to place a task.")


def test_wait_polls_slower_while_throttled(sim, fast_retries):
    sim.service("app", desired=1, held=True)
    declared = from_flags(sim.cluster, "app", 1, region=REGION)
    pauses = {}
    for fraction in (0.0, 0.5):
        sim.local.faults.throttle(fraction, services=("ecs",))
        fake = FakeTime()
        outcome = wait_for_convergence(
            declared,
            clients_for(sim),
            timeout=5,
            sleep=fake.sleep,
            clock=fake.clock,
            rng=random.Random(11),
        )
        assert outcome.state is WaitState.TIMEOUT
        pauses[fraction] = fake.sleeps[0]
    assert pauses[0.5] == pytest.approx(2 * pauses[0.0])  # same jitter, doubled base


def test_wait_gives_up_at_once_when_the_first_poll_cannot_reach_aws(fast_retries):
    clients = ClientFactory(
        AwsTarget(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    )
    fake = FakeTime()
    with pytest.raises(AwsAccessError, match="cannot reach AWS"):
        wait_for_convergence(
            from_flags("web", "app", 2, region=REGION),
            clients,
            timeout=600,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert fake.sleeps == []


def test_cli_wait_fail_fast_prints_reasons_and_latest_events(sim, run_cli):
    web = sim.cluster
    sim.service("app", desired=2)
    sim.crash("app")
    code, out, err = run_cli(
        "wait", "--timeout", "600", "--cluster", web, "--service", "app", "--desired", "2",
        "--endpoint-url", sim.endpoint,
    )  # fmt: skip
    assert code == 1
    assert f"{web}/app failed: rollout FAILED (circuit breaker)" in out
    assert re.search(r"stopped task x\d+: Essential container in task exited", out)
    latest = sim.describe()["events"][0]["message"]
    assert f": {latest}" in out
    assert "wait: failed fast at poll 1" in err


def test_cli_wait_timeout_exits_1(sim, run_cli):
    sim.service("app", desired=2, held=True)
    code, out, err = run_cli(
        "wait",
        "--timeout",
        "0",
        "--json",
        "--cluster",
        sim.cluster,
        "--service",
        "app",
        "--desired",
        "2",
        "--endpoint-url",
        sim.endpoint,
    )
    assert code == 1
    assert "wait: timed out after 0s and 1 polls" in err
    doc = json.loads(out)
    assert doc["wait"]["state"] == "timeout"
    assert doc["services"][0]["reasons"][0] == "0/2 running; 2 pending"
    assert "Capacity is unavailable at this time" in doc["services"][0]["reasons"][1]


def test_watch_logs_transitions_only_and_survives_errors(sim):
    web = sim.cluster
    sim.service("app", desired=1, held=True)
    clients = clients_for(sim, max_attempts=1)
    ecs = clients.client("ecs", REGION)
    calls = {"n": 0}

    def after_describe(**_):
        calls["n"] += 1
        if calls["n"] == 1:
            sim.settle()

    ecs.meta.events.register("after-call.ecs.DescribeServices", after_describe)

    def refuse():
        raise EndpointConnectionError(endpoint_url=sim.endpoint)

    inject(ecs, "DescribeServices", lambda n: n == 3, refuse)  # the third sweep cannot connect
    logs: list[str] = []
    code = watch(
        from_flags(web, "app", 1, region=REGION), clients, interval=0, iterations=5, log=logs.append
    )
    assert code == 0
    assert logs[0].startswith(f"{web}/app: converging: 0/1 running; 1 pending; latest event: ")
    assert logs[1:] == [
        f"{web}/app: converging -> converged",
        f"sweep failed (will retry): cannot reach AWS at {sim.endpoint} (DescribeServices) "
        f'after 1 attempts: Could not connect to the endpoint URL: "{sim.endpoint}"',
        "sweep recovered",
    ]


def test_watch_heal_restores_drift_once(sim):
    web = sim.cluster
    sim.service("app", desired=2)
    sim.scale("app", 6)
    logs: list[str] = []
    watch(
        from_flags(web, "app", 2, region=REGION),
        clients_for(sim),
        interval=0,
        iterations=3,
        heal=True,
        log=logs.append,
    )
    assert logs[:2] == [
        f"{web}/app: drifted: desiredCount 6 differs from declared 2",
        f"healed: {web}/app: desiredCount 6 -> 2 (declared 2)",
    ]
    assert sum(line.startswith("healed") for line in logs) == 1
    assert sim.desired_count("app") == 2


def test_watch_serves_prometheus_metrics(sim):
    web = sim.cluster
    sim.service("app", desired=3)
    metrics = Metrics()
    port = free_port()
    server = metrics.serve(port, "127.0.0.1")
    try:
        watch(
            from_flags(web, "app", 2, 1, 4, region=REGION),
            clients_for(sim),
            interval=0,
            iterations=1,
            metrics=metrics,
            log=lambda _: None,
        )
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    finally:
        server.shutdown()
    labels = f'cluster="{web}",service="app"'
    for line in (
        f"reconciler_service_desired_tasks{{{labels}}} 3.0",
        f"reconciler_service_declared_tasks{{{labels}}} 2.0",
        f"reconciler_service_drift_tasks{{{labels}}} 0.0",
        f"reconciler_service_running_tasks{{{labels}}} 3.0",
        f'reconciler_service_status{{{labels},status="converged"}} 1.0',
        f'reconciler_service_status{{{labels},status="drifted"}} 0.0',
        'reconciler_sweeps_total{outcome="ok"} 1.0',
        'reconciler_api_calls_total{operation="DescribeServices"} 1.0',
        "reconciler_sweep_duration_seconds_count 1.0",
    ):
        assert line in text


def test_cli_watch_busy_metrics_port_is_a_usage_error(sim, run_cli):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run_cli(
            "watch",
            "--metrics-port",
            str(port),
            "--metrics-addr",
            "127.0.0.1",
            "--iterations",
            "1",
            "--cluster",
            sim.cluster,
            "--service",
            "app",
            "--desired",
            "1",
            "--endpoint-url",
            sim.endpoint,
        )
    assert code == 2
    assert err == (
        f"reconciler: error: --metrics-port {port}: "
        f"cannot listen on 127.0.0.1:{port} (Address already in use)\n"
    )
