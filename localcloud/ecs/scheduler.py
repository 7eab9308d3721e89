"""The ECS service scheduler moto lacks, modelled on Fargate's own control loop.

moto stores services but never starts their tasks. Every tick, for every ACTIVE service with
the ECS deployment controller, the scheduler

0. reads the armed faults (``localcloud.faults``, plain state that never calls back): a crash
   loop armed since the PRIMARY deployment started rolls out a new, broken deployment
   (``act_on_faults()``, which the faults' owner subscribes, does it at once, and applies
   out-of-band desiredCounts);
1. starts PENDING tasks whose start delay has passed in the task runtime
   (``localcloud.ecs.runtime``: simulated, or real containers) and moves them to RUNNING once
   the runtime says their containers run (registering the task's ENI address in the service's
   target groups) - or, under a fault, stops them (crash loop) or leaves them PENDING
   (capacity shortage); a task the runtime reports STOPPED before it ran (an image that cannot
   be pulled) is a failed task for the circuit breaker;
1b. watches RUNNING tasks: one whose essential container exited stops
   (``EssentialContainerExited``), one whose essential container turned UNHEALTHY is replaced;
2. rolls the service as ECS does: stops the PRIMARY's surplus (PENDING first), retires tasks
   of older deployments while at least minimumHealthyPercent of desiredCount stay RUNNING and
   healthy (behind a load balancer: their target is healthy), and launches tasks for the
   PRIMARY up to maximumPercent of desiredCount alive in all deployments;
3. stops a task whose target the load balancer's health checks found unhealthy, once the
   service's healthCheckGracePeriodSeconds (counted from the task's start) passed (a failed
   task for the circuit breaker while the deployment is in progress), and launches another;
4. recomputes runningCount/pendingCount of the service and of each deployment, the PRIMARY's
   rolloutState (COMPLETED when it runs desiredCount tasks alone, FAILED when the circuit
   breaker trips, then - with ``rollback`` - a new PRIMARY of the last COMPLETED deployment's
   task definition) and appends the service events ECS would write.

Every way a task stops (StopTask, scaling in, a retired deployment, a crash, a Spot
interruption, the service deleted, failed ELB health checks) goes through ``_finish_tasks``, so a
stopped task looks the same whichever way it stopped; when it finally stops, the runtime stops
its containers. A task that ran behind a load balancer first drains: its targets are
``draining`` for the target group's deregistration delay while the task shows lastStatus
RUNNING and desiredStatus STOPPED (it no longer counts as running); the tick after the delay
passed stops it (``_stop_drained_tasks``). It reads and changes moto's backends directly (the
emulator shares its process), always under the emulator's request lock, so API calls see each
tick whole.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from moto.backends import get_backend
from moto.core.utils import utcnow
from moto.ecs.models import Service
from moto.moto_api._internal import mock_random

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.ecs.models import DeploymentState, ServiceState, SimTask
from localcloud.ecs.observations import TaskObservation
from localcloud.ecs.runtime import (
    ESSENTIAL_CONTAINER_EXITED,
    FAILED_CONTAINER_HEALTH_CHECKS,
    SimulatedRuntime,
    TaskRuntime,
)
from localcloud.elbv2 import targets
from localcloud.errors import LocalCloudError
from localcloud.faults import Faults

log = logging.getLogger(__name__)

#: Stopped tasks kept per service (AWS keeps them about an hour; this bounds memory).
STOPPED_TASKS_KEPT = 100
#: Events kept per service (the same as AWS).
EVENTS_KEPT = 100
#: rolloutStateReason of a deployment the circuit breaker failed, and of the rollback ECS starts.
FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."
ROLLBACK_REASON = "ECS deployment circuit breaker: rolling back to deploymentId {deployment}."
CAPACITY_MESSAGE = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone. For more information, see the Troubleshooting section of the "
    "Amazon ECS Developer Guide."
)


class Scheduler:
    """The simulated ECS service scheduler (see the module docstring).

    ``tick()`` runs one synchronous reconciliation step of every service; ``start()`` runs it
    every *tick_interval* seconds in a background thread. All work happens under *lock*, the
    emulator's request lock. *faults* is the armed-fault state it reads; *runtime* runs the
    tasks' containers (``SimulatedRuntime`` unless given; ``runtime`` may be replaced while no
    task lives, e.g. right after ``forget()``).
    """

    def __init__(
        self,
        lock: threading.RLock,
        faults: Faults,
        task_start_delay: float = 1.0,
        tick_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        runtime: TaskRuntime | None = None,
    ) -> None:
        self.lock = lock
        self.runtime: TaskRuntime = runtime or SimulatedRuntime()
        self.faults = faults
        self.task_start_delay = task_start_delay
        self.tick_interval = tick_interval
        self._clock = clock
        self._services: dict[tuple[str, str, str, str], ServiceState] = {}
        self._deployments: dict[str, DeploymentState] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Run ``tick()`` every ``tick_interval`` seconds in a daemon thread (idempotent)."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ecs-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread (the state stays as it is)."""
        self._stop.set()
        if self._thread:
            self._thread.join()
            self._thread = None

    def forget(self) -> None:
        """Drop all bookkeeping (after moto's state was reset); the runtime's containers go."""
        with self.lock:
            self.runtime.forget()
            self._services.clear()
            self._deployments.clear()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_interval):
            try:
                self.tick()
            except Exception:  # keep scheduling; a bad tick must not kill the loop
                log.exception("ECS scheduler tick failed")

    # -- the control loop ----------------------------------------------------------------------

    def tick(self) -> None:
        """One reconciliation step of every ECS service in every account and region."""
        with self.lock:
            now = self._clock()
            for backend, service in self._each_service():
                self._reconcile(backend, service, now)
            self.ticks += 1

    def act_on_faults(self) -> None:
        """Act now on the faults that act at once (what ``Faults.subscribe`` is for).

        Applies the requested out-of-band desiredCounts (only here, so the caller of
        ``out_of_band_scale`` gets the error of a service that does not exist:
        ``LocalCloudError``) and rolls out the broken deployment of a newly armed crash loop
        (which every step also does), reconciling only the services concerned.
        """
        with self.lock:
            self._apply_scale_requests()
            now = self._clock()
            for backend, service in self._each_service():
                if self.manages(service) and self._roll_out_crash_loop(backend, service):
                    self._reconcile(backend, service, now)

    def reconcile_service(self, backend: Any, service: Service) -> None:
        """One reconciliation step of a single service (used right after API changes)."""
        with self.lock:
            self._reconcile(backend, service, self._clock())

    def _each_service(self) -> Iterator[tuple[Any, Service]]:
        for account in list(get_backend("ecs").values()):
            for backend in list(account.values()):
                for service in list(backend.services.values()):
                    yield backend, service

    def manages(self, service: Service) -> bool:
        """Whether the scheduler runs this service's tasks: ECS-controlled services created
        through the emulator (not ``mock_aws`` ones in the same process)."""
        return getattr(service, "_localcloud_managed", False) and bool(service.deployments)

    def _reconcile(self, backend: Any, service: Service, now: float) -> None:
        if not self.manages(service):
            return
        state = self._state(backend, service)
        self._stop_drained_tasks(backend, service, state)
        if service.status != "ACTIVE":
            self._finish_tasks(backend, service, state, list(state.live), "ECS service deleted")
            return
        self._roll_out_crash_loop(backend, service)
        self._collect_stopped_by_api(backend, service, state)
        self._interrupt_spot_tasks_on_shortage(backend, service, state)
        self._advance_pending(backend, service, state, now)
        self._replace_tasks_failing_elb_health_checks(backend, service, state, now)
        self._watch_running(backend, service, state)
        self._scale(backend, service, state, now)
        self._advance_pending(backend, service, state, now)
        self._update_counts(service, state)

    def _state(self, backend: Any, service: Service) -> ServiceState:
        key = (backend.account_id, backend.region_name, service.cluster_name, service.name)
        state = self._services.get(key)
        if state is None:
            state = self._services[key] = ServiceState()
        # A task moto no longer knows (its cluster or the whole state was reset) is gone.
        known = backend.tasks.get(service.cluster_name, {})
        for gone in [t for t in state.live + state.draining if known.get(t.task_arn) is not t]:
            self.runtime.stop(gone)
            (state.live if gone in state.live else state.draining).remove(gone)
        return state

    def _roll_out_crash_loop(self, backend: Any, service: Service) -> bool:
        """A crash loop armed after the PRIMARY deployment started: start a broken one.

        Returns whether it did. Deployments started while the fault is armed carry its arming
        already, so each ``crash_loop()`` call rolls out exactly one new deployment.
        """
        crash = self.faults.crash_loop_of(service.cluster_name, service.name)
        if crash is None or service.status != "ACTIVE":
            return False
        primary = self._deployments.get(service.deployments[0]["id"])
        if primary is not None and primary.crash_arming == crash.arming:
            return False
        self._start_deployment(service)
        return True

    def _apply_scale_requests(self) -> None:
        missing = []
        for request in self.faults.take_scale_requests():
            found = [
                (backend, service)
                for backend, service in self._each_service()
                if (service.cluster_name, service.name) == (request.cluster, request.service)
                and service.status == "ACTIVE"
            ]
            if not found:
                missing.append(request)
            for backend, service in found:
                service.desired_count = request.desired_count
                self._reconcile(backend, service, self._clock())
        if missing:
            raise LocalCloudError(
                f"service '{missing[0].service}' not found in cluster '{missing[0].cluster}'"
            )

    def _collect_stopped_by_api(self, backend: Any, service: Service, state: ServiceState) -> None:
        """Finish tasks someone stopped with StopTask (moto only flips their status)."""
        for task in [t for t in state.live if t.desired_status == "STOPPED"]:
            self._finish_tasks(
                backend, service, state, [task], task.stopped_reason, "UserInitiated"
            )

    def _interrupt_spot_tasks_on_shortage(
        self, backend: Any, service: Service, state: ServiceState
    ) -> None:
        """Fargate reclaims Spot capacity first: running FARGATE_SPOT tasks are interrupted."""
        if not self.faults.has_capacity_shortage(service.cluster_name, service.name):
            return
        spot = [
            t
            for t in state.live
            if t.status == "RUNNING" and t.capacity_provider_name == "FARGATE_SPOT"
        ]
        self._finish_tasks(
            backend, service, state, spot, "Your Spot Task was interrupted.", "SpotInterruption"
        )

    def _advance_pending(
        self, backend: Any, service: Service, state: ServiceState, now: float
    ) -> None:
        """PENDING tasks whose start delay passed: started in the runtime and RUNNING once their
        containers run, or failed (crash loop, an image that cannot be pulled), or left PENDING
        (no capacity)."""
        crash = self.faults.crash_loop_of(service.cluster_name, service.name)
        shortage = self.faults.has_capacity_shortage(service.cluster_name, service.name)
        placed_blocked = False
        for task in [t for t in state.live if t.status == "PENDING" and now >= t.ready_at]:
            if shortage and not task.runtime_started:
                placed_blocked = True
            elif crash is not None and self._deployment(task.deployment_id).broken:
                self._crash(backend, service, state, task, crash.reason)
            else:
                self._start_in_runtime(backend, service, state, task)
        if placed_blocked:
            self._event_once(
                service,
                f"(service {service.name}) was unable to place a task. Reason: {CAPACITY_MESSAGE}",
            )

    def _start_in_runtime(
        self, backend: Any, service: Service, state: ServiceState, task: SimTask
    ) -> None:
        if not task.runtime_started:
            task.runtime_started = True
            self.runtime.start(task)
        observation = self.runtime.observe(task)
        task.observe(observation)
        if observation.last_status == "RUNNING":
            self._run(backend, service, task)
        elif observation.last_status == "STOPPED":
            self._fail(backend, service, state, task, observation)

    def _watch_running(self, backend: Any, service: Service, state: ServiceState) -> None:
        """RUNNING tasks whose essential container exited stop; UNHEALTHY ones are replaced."""
        for task in [t for t in state.live if t.status == "RUNNING"]:
            observation = self.runtime.observe(task)
            task.observe(observation)
            if observation.last_status == "STOPPED":
                self._finish_tasks(
                    backend,
                    service,
                    state,
                    [task],
                    observation.stopped_reason or ESSENTIAL_CONTAINER_EXITED,
                    observation.stop_code or "EssentialContainerExited",
                )
            elif task.health_status == "UNHEALTHY":
                self._finish_tasks(backend, service, state, [task], FAILED_CONTAINER_HEALTH_CHECKS)

    def _fail(
        self,
        backend: Any,
        service: Service,
        state: ServiceState,
        task: SimTask,
        observation: TaskObservation,
    ) -> None:
        """A task the runtime stopped before it ran: a failed task for the circuit breaker."""
        self._count_failure(
            backend,
            service,
            state,
            task,
            observation.stopped_reason or ESSENTIAL_CONTAINER_EXITED,
            observation.stop_code or "TaskFailedToStart",
        )

    def _deployment(self, deployment_id: str) -> DeploymentState:
        return self._deployments.setdefault(deployment_id, DeploymentState())

    def _scale(self, backend: Any, service: Service, state: ServiceState, now: float) -> None:
        """Rolling update as ECS runs it: retire, then launch, within the service's limits.

        At most ``maximumPercent`` of desiredCount tasks live (running + pending, every
        deployment); old deployments' tasks stop while at least ``minimumHealthyPercent`` of
        desiredCount stay RUNNING and healthy (``_healthy``).
        """
        primary = service.deployments[0]
        desired = service.desired_count or 0
        most, least = self._deployment_limits(service, desired)
        mine = [t for t in state.live if t.deployment_id == primary["id"]]
        reason = f"Scaling activity initiated by (deployment {primary['id']})"
        if len(mine) > desired:
            surplus = sorted(mine, key=lambda t: (t.status != "PENDING", -t.ready_at))
            self._finish_tasks(backend, service, state, surplus[: len(mine) - desired], reason)
        self._retire_old_tasks(backend, service, state, primary, least, reason)
        mine = [t for t in state.live if t.deployment_id == primary["id"]]
        # Draining tasks still run (lastStatus RUNNING) and count towards maximumPercent.
        room = most - len(state.live) - len(state.draining)
        if primary.get("rolloutState") != "FAILED" and len(mine) < desired and room > 0:
            self._launch(backend, service, state, primary, min(desired - len(mine), room), now)
        live_ids = {t.deployment_id for t in state.live}
        service.deployments[1:] = [d for d in service.deployments[1:] if d["id"] in live_ids]

    def _deployment_limits(self, service: Service, desired: int) -> tuple[int, int]:
        """(most tasks alive, least tasks healthy): maximumPercent of desiredCount rounded
        down, minimumHealthyPercent rounded up, as ECS rounds them (defaults 200 and 100)."""
        config = getattr(service, "deployment_configuration", None) or {}
        maximum = int(config.get("maximumPercent", 200))
        minimum = int(config.get("minimumHealthyPercent", 100))
        return max(1, math.floor(desired * maximum / 100)), math.ceil(desired * minimum / 100)

    def _retire_old_tasks(
        self,
        backend: Any,
        service: Service,
        state: ServiceState,
        primary: dict[str, Any],
        least_healthy: int,
        reason: str,
    ) -> None:
        """Stop old deployments' tasks: unhealthy ones at once, healthy ones while enough stay."""
        old = [t for t in state.live if t.deployment_id != primary["id"]]
        healthy = [t for t in state.live if self._healthy(backend, service, t)]
        spare = max(0, len(healthy) - least_healthy)
        unhealthy_old = [t for t in old if t not in healthy]
        healthy_old = sorted((t for t in old if t in healthy), key=lambda t: -t.ready_at)
        self._finish_tasks(backend, service, state, unhealthy_old + healthy_old[:spare], reason)

    def _healthy(self, backend: Any, service: Service, task: SimTask) -> bool:
        """RUNNING, and a healthy target in every target group of the service (a task behind a
        load balancer counts only once its target passes the health checks; draining: not)."""
        if task.status != "RUNNING":
            return False
        if not task.private_ip or not service.load_balancers:
            return True
        return targets.healthy(
            backend.account_id, backend.region_name, service.load_balancers, task.private_ip
        )

    def _launch(
        self,
        backend: Any,
        service: Service,
        state: ServiceState,
        deployment: dict[str, Any],
        count: int,
        now: float,
    ) -> None:
        cluster = backend.clusters.get(service.cluster_name)
        if cluster is None:
            return
        task_definition = backend.describe_task_definition(deployment["taskDefinition"])
        network = service.network_configuration or {}
        subnets = list(network.get("awsvpcConfiguration", {}).get("subnets", []))
        started = []
        for _ in range(count):
            task = SimTask(
                backend=backend,
                cluster=cluster,
                task_definition=task_definition,
                service=service,
                deployment_id=deployment["id"],
                subnet_id=subnets[state.launched % len(subnets)] if subnets else None,
                capacity_provider_name=self._pick_capacity_provider(service, state),
                tags=self._task_tags(service, task_definition),
                ready_at=now + self.task_start_delay,
            )
            state.launched += 1
            state.live.append(task)
            backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
            started.append(task)
        if started:
            ids = " ".join(f"(task {t.id})" for t in started)
            self._event(
                service, f"(service {service.name}) has started {len(started)} tasks: {ids}."
            )

    def _pick_capacity_provider(self, service: Service, state: ServiceState) -> str | None:
        strategy = getattr(service, "capacity_provider_strategy", None) or []
        if not strategy:
            return None
        counts: dict[str, int] = {}
        for task in state.live:
            name = task.capacity_provider_name or ""
            counts[name] = counts.get(name, 0) + 1
        for item in strategy:  # bases first
            if counts.get(item["capacityProvider"], 0) < int(item.get("base") or 0):
                return item["capacityProvider"]
        weighted = [i for i in strategy if int(i.get("weight") or 0) > 0] or strategy
        return min(
            weighted,
            key=lambda i: counts.get(i["capacityProvider"], 0) / max(int(i.get("weight") or 0), 1),
        )["capacityProvider"]

    def _task_tags(self, service: Service, task_definition: Any) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []
        if getattr(service, "enable_ecs_managed_tags", False):
            tags += [
                {"key": "aws:ecs:clusterName", "value": service.cluster_name},
                {"key": "aws:ecs:serviceName", "value": service.name},
            ]
        if service.propagate_tags == "SERVICE":
            tags += list(service.tags)
        elif service.propagate_tags == "TASK_DEFINITION":
            tags += list(task_definition.tags or [])
        return tags

    def _run(self, backend: Any, service: Service, task: SimTask) -> None:
        task.run()
        # "Once a service deployment has one or more successfully running tasks, the failed
        # task count resets to zero and stops being evaluated."
        self._deployment(task.deployment_id).evaluating_failures = False
        for deployment in service.deployments:
            if deployment["id"] == task.deployment_id:
                deployment["failedTasks"] = 0
        if task.private_ip:
            targets.register(
                backend.account_id,
                backend.region_name,
                service.load_balancers or [],
                task.private_ip,
            )

    def _crash(
        self, backend: Any, service: Service, state: ServiceState, task: SimTask, reason: str
    ) -> None:
        task.crash(reason)
        self._count_failure(backend, service, state, task, reason, "EssentialContainerExited")

    def _count_failure(
        self,
        backend: Any,
        service: Service,
        state: ServiceState,
        task: SimTask,
        reason: str,
        stop_code: str,
    ) -> None:
        """Stop a task that failed to start and count it; the circuit breaker may trip."""
        self._finish_tasks(backend, service, state, [task], reason, stop_code)
        if self._deployment(task.deployment_id).evaluating_failures:
            self._count_failed_task(service, state, task.deployment_id)

    def _count_failed_task(self, service: Service, state: ServiceState, deployment_id: str) -> None:
        """The circuit breaker: count one more failed task of the deployment; past the
        threshold the deployment FAILED and, with ``rollback``, ECS rolls back to the last
        COMPLETED deployment."""
        for deployment in service.deployments:
            if deployment["id"] != deployment_id:
                continue
            deployment["failedTasks"] = deployment.get("failedTasks", 0) + 1
            if self._circuit_breaker_trips(service, deployment):
                deployment["rolloutState"] = "FAILED"
                deployment["rolloutStateReason"] = FAILED_REASON
                deployment["updatedAt"] = utcnow()
                self._event(
                    service,
                    f"(service {service.name}) (deployment {deployment['id']}) deployment failed: "
                    "tasks failed to start.",
                )
                if self._rolls_back(service) and deployment is service.deployments[0]:
                    self._roll_back(service, state)
                return

    def _rolls_back(self, service: Service) -> bool:
        config = getattr(service, "deployment_configuration", None) or {}
        return bool((config.get("deploymentCircuitBreaker") or {}).get("rollback"))

    def _roll_back(self, service: Service, state: ServiceState) -> None:
        """A new PRIMARY deployment of the last COMPLETED deployment's task definition (none
        completed yet: the failed deployment stays PRIMARY, as in ECS)."""
        if state.last_completed is None:
            return
        completed_id, task_definition = state.last_completed
        service.task_definition = task_definition
        self._event(service, f"(service {service.name}) rolling back to deployment {completed_id}.")
        rollback = self._start_deployment(service, rollback=True)
        rollback["rolloutStateReason"] = ROLLBACK_REASON.format(deployment=completed_id)

    def _replace_tasks_failing_elb_health_checks(
        self, backend: Any, service: Service, state: ServiceState, now: float
    ) -> None:
        """Stop (and so replace) running tasks whose target turned unhealthy after the grace
        period; each is a failed task while its deployment is in progress."""
        grace = float(getattr(service, "health_check_grace_period_seconds", None) or 0)
        for task in [t for t in state.live if t.status == "RUNNING" and t.private_ip]:
            if now - task.ready_at < grace:
                continue
            failed = targets.failed_health_checks(
                backend.account_id,
                backend.region_name,
                service.load_balancers or [],
                task.private_ip,
            )
            if failed is None:
                continue
            target_group_arn, port, description = failed
            self._event(
                service,
                f"(service {service.name}) (task {task.id}) (port {port}) is unhealthy in "
                f"(target-group {target_group_arn}) due to (reason {description}).",
            )
            self._finish_tasks(
                backend,
                service,
                state,
                [task],
                f"Task failed ELB health checks in (target-group {target_group_arn})",
                "ServiceSchedulerInitiated",
            )
            if any(
                d["id"] == task.deployment_id and d.get("rolloutState") == "IN_PROGRESS"
                for d in service.deployments
            ):
                self._count_failed_task(service, state, task.deployment_id)

    def _circuit_breaker_trips(self, service: Service, deployment: dict[str, Any]) -> bool:
        config = getattr(service, "deployment_configuration", None) or {}
        breaker = config.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable") or deployment.get("rolloutState") != "IN_PROGRESS":
            return False
        threshold = min(200, max(3, math.ceil(0.5 * (service.desired_count or 0))))
        return deployment["failedTasks"] >= threshold

    def _finish_tasks(
        self,
        backend: Any,
        service: Service,
        state: ServiceState,
        tasks: list[SimTask],
        reason: str,
        stop_code: str = "ServiceSchedulerInitiated",
    ) -> None:
        """The one way a task stops, whoever stops it (see the module docstring).

        Each task gets desiredStatus STOPPED with *reason* and *stop_code* and leaves the live
        tasks. A task that ran behind a load balancer drains first (``_stop_drained_tasks``
        stops it once its targets drained); every other one stops at once (``_stop_tasks``).
        """
        if not tasks:
            return
        draining, stopping = [], []
        for task in tasks:
            task.begin_stopping(reason, stop_code)
            state.live.remove(task)
            delay = 0.0
            if task.has_run and task.private_ip:
                delay = targets.deregister(
                    backend.account_id,
                    backend.region_name,
                    service.load_balancers or [],
                    task.private_ip,
                )
            (draining if delay > 0 else stopping).append(task)
        state.draining += draining
        if draining:
            self._event(
                service,
                f"(service {service.name}) has begun draining connections on "
                f"{len(draining)} tasks.",
            )
        self._stop_tasks(backend, service, state, stopping)

    def _stop_drained_tasks(self, backend: Any, service: Service, state: ServiceState) -> None:
        """Stop the draining tasks whose targets left every target group."""
        drained = [
            task
            for task in state.draining
            if targets.drained(
                backend.account_id,
                backend.region_name,
                service.load_balancers or [],
                task.private_ip or "",
            )
        ]
        for task in drained:
            state.draining.remove(task)
        self._stop_tasks(backend, service, state, drained)

    def _stop_tasks(
        self, backend: Any, service: Service, state: ServiceState, tasks: list[SimTask]
    ) -> None:
        """-> STOPPED with the reason each was given (timestamps, connectivity, container
        status; its ENI released), kept among the service's stopped tasks, the oldest of which
        are forgotten beyond ``STOPPED_TASKS_KEPT``; one service event names the running tasks
        that stopped."""
        if not tasks:
            return
        was_running = [t for t in tasks if t.has_run]
        for task in tasks:
            if task.runtime_started:
                self.runtime.stop(task)
            task.finish(task.stopped_reason, task.stop_code)
            state.stopped.append(task.task_arn)
        cluster_tasks = backend.tasks.get(service.cluster_name, {})
        while len(state.stopped) > STOPPED_TASKS_KEPT:
            cluster_tasks.pop(state.stopped.popleft(), None)
        if was_running:
            ids = " ".join(f"(task {t.id})" for t in was_running)
            self._event(
                service,
                f"(service {service.name}) has stopped {len(was_running)} running tasks: {ids}.",
            )

    def _update_counts(self, service: Service, state: ServiceState) -> None:
        running = sum(1 for t in state.live if t.status == "RUNNING")
        pending = sum(1 for t in state.live if t.status == "PENDING")
        service.running_count = running
        service.pending_count = pending
        desired = service.desired_count or 0
        primary = service.deployments[0]
        for deployment in service.deployments:
            mine = [t for t in state.live if t.deployment_id == deployment["id"]]
            deployment["runningCount"] = sum(1 for t in mine if t.status == "RUNNING")
            deployment["pendingCount"] = sum(1 for t in mine if t.status == "PENDING")
            if deployment is not primary:
                deployment["desiredCount"] = len(mine)
        primary["desiredCount"] = desired
        alone = len(service.deployments) == 1
        if (
            primary.get("rolloutState") == "IN_PROGRESS"
            and alone
            and primary["runningCount"] == desired
            and primary["pendingCount"] == 0
        ):
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            primary["updatedAt"] = utcnow()
            state.last_completed = (primary["id"], primary["taskDefinition"])
            self._event(
                service,
                f"(service {service.name}) (deployment {primary['id']}) deployment completed.",
            )
        steady = alone and running == desired and pending == 0
        if steady and not state.steady:
            self._event(service, f"(service {service.name}) has reached a steady state.")
        state.steady = steady

    # -- events ----------------------------------------------------------------------------------

    def _event(self, service: Service, message: str) -> None:
        service.events.insert(
            0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message}
        )
        del service.events[EVENTS_KEPT:]

    def _event_once(self, service: Service, message: str) -> None:
        if not service.events or service.events[0]["message"] != message:
            self._event(service, message)

    # -- changes made through the API ----------------------------------------------------------

    def new_deployment(self, backend: Any, service: Service) -> dict[str, Any]:
        """Start a new PRIMARY deployment of the service's task definition (old ones: ACTIVE)."""
        with self.lock:
            deployment = self._start_deployment(service)
            self.reconcile_service(backend, service)
            return deployment

    def _start_deployment(self, service: Service, rollback: bool = False) -> dict[str, Any]:
        """A new PRIMARY deployment of the service's task definition (the others: ACTIVE).

        A *rollback* returns to a good revision: an armed crash loop does not break it.
        """
        now = utcnow()
        deployment_id = f"ecs-svc/{mock_random.randint(0, 10**19 - 1):019d}"
        template = dict(service.deployments[0]) if service.deployments else {}
        for deployment in service.deployments:
            deployment["status"] = "ACTIVE"
        deployment = {
            **template,
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count or 0,
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        }
        service.deployments.insert(0, deployment)
        self._deployments[deployment_id] = self._new_deployment_state(service, rollback)
        return deployment

    def _new_deployment_state(self, service: Service, rollback: bool = False) -> DeploymentState:
        # While a crash loop is armed, every new revision crashes too (the fault is the app),
        # but for the rollback to the last good one.
        crash = self.faults.crash_loop_of(service.cluster_name, service.name)
        return DeploymentState(crash_arming=crash.arming if crash else None, rollback=rollback)

    def adopt_new_service(self, backend: Any, service: Service) -> None:
        """Bring a just-created moto service to ECS's initial state and launch its tasks."""
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return  # CODE_DEPLOY and EXTERNAL controllers are not simulated
        with self.lock:
            service._localcloud_managed = True
            service.running_count = 0
            service.pending_count = 0
            for deployment in service.deployments:
                deployment["rolloutState"] = "IN_PROGRESS"
                deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} in progress."
                deployment["runningCount"] = 0
                deployment["pendingCount"] = 0
                deployment["failedTasks"] = 0
                self._deployments[deployment["id"]] = self._new_deployment_state(service)
            self.reconcile_service(backend, service)
