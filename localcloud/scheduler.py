"""The ECS service scheduler moto lacks, modelled on Fargate's own control loop.

moto stores services but never starts their tasks. Every tick, for every ACTIVE service with
the ECS deployment controller, the scheduler

1. moves PENDING tasks whose start delay has passed to RUNNING (registering the task's ENI
   address in the service's target groups) - or, under a fault, stops them (crash loop) or
   leaves them PENDING (capacity shortage);
2. launches tasks for the PRIMARY deployment until it has desiredCount of them, stops the
   surplus (PENDING first), and retires tasks of older deployments once the PRIMARY's tasks
   run (minimumHealthyPercent 100);
3. recomputes runningCount/pendingCount of the service and of each deployment, the PRIMARY's
   rolloutState (COMPLETED when it runs desiredCount tasks alone, FAILED when the circuit
   breaker trips) and appends the service events ECS would write.

It reads and changes moto's backends directly (the emulator shares its process), always under
the emulator's request lock, so API calls see each tick whole.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.backends import get_backend
from moto.core.utils import utcnow
from moto.ecs.models import Container, Service, Task
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.errors import LocalCloudError

if TYPE_CHECKING:
    from localcloud.faults import Faults

log = logging.getLogger(__name__)

#: Stopped tasks kept per service (AWS keeps them about an hour; this bounds memory).
STOPPED_TASKS_KEPT = 100
#: Events kept per service (the same as AWS).
EVENTS_KEPT = 100
CAPACITY_MESSAGE = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone. For more information, see the Troubleshooting section of the "
    "Amazon ECS Developer Guide."
)


class SimTask(Task):
    """A moto ECS task whose lastStatus is driven by the scheduler, not moto's state manager.

    moto's ``Task`` advances one state towards STOPPED on every DescribeTasks and gives its
    ENI a random address; this subclass keeps whatever status the scheduler sets and takes
    its ENI address from its subnet, as Fargate does.
    """

    def __init__(
        self,
        *,
        backend: Any,
        cluster: Any,
        task_definition: Any,
        service: Service,
        deployment_id: str,
        subnet_id: str | None,
        capacity_provider_name: str | None,
        tags: list[dict[str, str]],
        ready_at: float,
    ) -> None:
        ManagedState.__init__(self, model_name="ecs::task", transitions=[("PENDING", "PENDING")])
        now = utcnow()
        self._sim_status = "PENDING"
        self.id = str(mock_random.uuid4())
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.container_instance_arn = None
        self.desired_status = "RUNNING"
        self.task_definition_arn = task_definition.arn
        self.overrides: dict[str, Any] = {}
        self.containers = [Container(task_definition)]
        self.started_by = deployment_id
        self.tags = tags
        self.launch_type = "" if capacity_provider_name else (service.launch_type or "FARGATE")
        self.capacity_provider_name = capacity_provider_name
        self.platform_version = service.platform_version or "1.4.0"
        self.platform_family = "Linux"
        self.stopped_reason = ""
        self.resource_requirements = None
        self.region_name = cluster.region_name
        self._account_id = backend.account_id
        self._backend = backend
        self.group = f"service:{service.name}"
        self.attachments: list[dict[str, Any]] = []
        self.network_configuration = service.network_configuration
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.has_health_check = bool(task_definition.container_definitions[0].get("healthCheck"))
        self.deployment_id = deployment_id
        self.ready_at = ready_at
        self.created_at = now
        self.pull_started_at = now
        self.connectivity = "CONNECTED"
        self.health_status = "UNKNOWN"
        self.containers[0].health_status = "UNKNOWN"
        self.version = 1
        self.private_ip: str | None = None
        self.eni_id: str | None = None
        if subnet_id:
            self._attach_eni(subnet_id)

    @property
    def status(self) -> str:  # type: ignore[override]
        return self._sim_status

    @status.setter
    def status(self, value: str) -> None:
        self._sim_status = value

    def advance(self) -> None:
        """No-op: the scheduler, not DescribeTasks, moves the task along."""

    def _attach_eni(self, subnet_id: str) -> None:
        ec2 = get_backend("ec2")[self._account_id][self.region_name]
        subnet = ec2.get_subnet(subnet_id)
        security_groups = self.network_configuration["awsvpcConfiguration"].get(
            "securityGroups", []
        )
        address = subnet.get_available_subnet_ip(self)
        eni = ec2.create_network_interface(
            subnet=subnet,
            private_ip_address=address,
            group_ids=security_groups,
            description=f"arn:aws:ecs:{self.region_name}:{self._account_id}:attachment/{self.id}",
        )
        eni.status = "in-use"
        eni.device_index = 1
        self.eni_id = eni.id
        self.private_ip = address
        self.availability_zone = subnet.availability_zone
        attachment_id = str(mock_random.uuid4())
        self.attachments.append(
            {
                "id": attachment_id,
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": subnet_id},
                    {"name": "networkInterfaceId", "value": eni.id},
                    {"name": "macAddress", "value": eni.mac_address},
                    {"name": "privateIPv4Address", "value": address},
                ],
            }
        )
        self.containers[0].network_interfaces = [
            {"attachmentId": attachment_id, "privateIpv4Address": address}
        ]


@dataclass
class _DeploymentState:
    """What ECS tracks about a deployment but does not show."""

    evaluating_failures: bool = True
    broken: bool = False


@dataclass
class _ServiceState:
    live: list[SimTask] = field(default_factory=list)
    stopped: deque[str] = field(default_factory=deque)
    launched: int = 0
    steady: bool = False


class Scheduler:
    """The simulated ECS service scheduler (see the module docstring).

    ``tick()`` runs one synchronous reconciliation step of every service; ``start()`` runs it
    every *tick_interval* seconds in a background thread. All work happens under *lock*, the
    emulator's request lock.
    """

    def __init__(
        self,
        lock: threading.RLock,
        task_start_delay: float = 1.0,
        tick_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = lock
        self.task_start_delay = task_start_delay
        self.tick_interval = tick_interval
        self.faults: Faults | None = None
        self._clock = clock
        self._services: dict[tuple[str, str, str, str], _ServiceState] = {}
        self._deployments: dict[str, _DeploymentState] = {}
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
        """Drop all bookkeeping (after moto's state was reset)."""
        with self.lock:
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
        if service.status != "ACTIVE":
            self._stop_tasks(backend, service, state, list(state.live), "ECS service deleted")
            return
        self._collect_stopped_by_api(backend, service, state)
        self._interrupt_spot_tasks_on_shortage(backend, service, state)
        self._advance_pending(backend, service, state, now)
        self._scale(backend, service, state, now)
        self._advance_pending(backend, service, state, now)
        self._update_counts(service, state)

    def _state(self, backend: Any, service: Service) -> _ServiceState:
        key = (backend.account_id, backend.region_name, service.cluster_name, service.name)
        state = self._services.get(key)
        if state is None:
            state = self._services[key] = _ServiceState()
        # A task moto no longer knows (its cluster or the whole state was reset) is gone.
        known = backend.tasks.get(service.cluster_name, {})
        state.live = [t for t in state.live if known.get(t.task_arn) is t]
        return state

    def _collect_stopped_by_api(self, backend: Any, service: Service, state: _ServiceState) -> None:
        """Finish tasks someone stopped with StopTask (moto only flips their status)."""
        for task in [t for t in state.live if t.desired_status == "STOPPED"]:
            now = utcnow()
            task.stop_code = "UserInitiated"
            task.stopping_at = task.execution_stopped_at = task.stopped_at = now
            task.connectivity = "DISCONNECTED"
            task.containers[0].last_status = "STOPPED"
            self._deregister_targets(backend, service, task)
            self._release_eni(backend, task)
            state.live.remove(task)
            state.stopped.append(task.task_arn)
            self._event(
                service, f"(service {service.name}) has stopped 1 running tasks: (task {task.id})."
            )

    def _interrupt_spot_tasks_on_shortage(
        self, backend: Any, service: Service, state: _ServiceState
    ) -> None:
        """Fargate reclaims Spot capacity first: running FARGATE_SPOT tasks are interrupted."""
        if not (
            self.faults and self.faults.has_capacity_shortage(service.cluster_name, service.name)
        ):
            return
        spot = [
            t
            for t in state.live
            if t.status == "RUNNING" and t.capacity_provider_name == "FARGATE_SPOT"
        ]
        self._stop_tasks(
            backend, service, state, spot, "Your Spot Task was interrupted.", "SpotInterruption"
        )

    def _advance_pending(
        self, backend: Any, service: Service, state: _ServiceState, now: float
    ) -> None:
        """PENDING tasks whose start delay passed: RUNNING, or crash, or stay (no capacity)."""
        faults = self.faults
        crash = faults.crash_reason(service.cluster_name, service.name) if faults else None
        shortage = (
            faults.has_capacity_shortage(service.cluster_name, service.name) if faults else False
        )
        placed_blocked = False
        for task in [t for t in state.live if t.status == "PENDING" and now >= t.ready_at]:
            broken = crash is not None and self._deployment_is_broken(task.deployment_id)
            if shortage:
                placed_blocked = True
            elif broken:
                self._crash(backend, service, state, task, crash)
            else:
                self._run(backend, service, task)
        if placed_blocked:
            self._event_once(
                service,
                f"(service {service.name}) was unable to place a task. Reason: {CAPACITY_MESSAGE}",
            )

    def _deployment_is_broken(self, deployment_id: str) -> bool:
        state = self._deployments.get(deployment_id)
        return state is not None and state.broken

    def _scale(self, backend: Any, service: Service, state: _ServiceState, now: float) -> None:
        primary = service.deployments[0]
        desired = service.desired_count or 0
        mine = [t for t in state.live if t.deployment_id == primary["id"]]
        if primary.get("rolloutState") != "FAILED" and len(mine) < desired:
            self._launch(backend, service, state, primary, desired - len(mine), now)
        elif len(mine) > desired:
            surplus = sorted(mine, key=lambda t: (t.status != "PENDING", -t.ready_at))
            self._stop_tasks(
                backend,
                service,
                state,
                surplus[: len(mine) - desired],
                f"Scaling activity initiated by (deployment {primary['id']})",
                "ServiceSchedulerInitiated",
            )
        # Older deployments give way as the PRIMARY's tasks run (minimumHealthyPercent 100).
        primary_running = sum(
            1 for t in state.live if t.deployment_id == primary["id"] and t.status == "RUNNING"
        )
        allowed = max(0, desired - primary_running)
        old = [t for t in state.live if t.deployment_id != primary["id"]]
        old.sort(key=lambda t: (t.status != "PENDING", -t.ready_at))
        if len(old) > allowed:
            self._stop_tasks(
                backend,
                service,
                state,
                old[: len(old) - allowed],
                f"Scaling activity initiated by (deployment {primary['id']})",
                "ServiceSchedulerInitiated",
            )
        live_ids = {t.deployment_id for t in state.live}
        service.deployments[1:] = [d for d in service.deployments[1:] if d["id"] in live_ids]

    def _launch(
        self,
        backend: Any,
        service: Service,
        state: _ServiceState,
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

    def _pick_capacity_provider(self, service: Service, state: _ServiceState) -> str | None:
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
        now = utcnow()
        task.status = "RUNNING"
        task.pull_stopped_at = now
        task.started_at = now
        task.health_status = "HEALTHY" if task.has_health_check else "UNKNOWN"
        task.containers[0].health_status = task.health_status
        task.containers[0].last_status = "RUNNING"
        deployment_state = self._deployments.setdefault(task.deployment_id, _DeploymentState())
        # "Once a service deployment has one or more successfully running tasks, the failed
        # task count resets to zero and stops being evaluated."
        deployment_state.evaluating_failures = False
        for deployment in service.deployments:
            if deployment["id"] == task.deployment_id:
                deployment["failedTasks"] = 0
        self._register_targets(backend, service, task)

    def _crash(
        self, backend: Any, service: Service, state: _ServiceState, task: SimTask, reason: str
    ) -> None:
        task.containers[0].exitCode = 1
        task.containers[0].reason = reason
        self._stop_tasks(backend, service, state, [task], reason, "EssentialContainerExited")
        deployment_state = self._deployments.setdefault(task.deployment_id, _DeploymentState())
        for deployment in service.deployments:
            if deployment["id"] != task.deployment_id or not deployment_state.evaluating_failures:
                continue
            deployment["failedTasks"] = deployment.get("failedTasks", 0) + 1
            if self._circuit_breaker_trips(service, deployment):
                deployment["rolloutState"] = "FAILED"
                deployment["rolloutStateReason"] = (
                    "ECS deployment circuit breaker: tasks failed to start."
                )
                deployment["updatedAt"] = utcnow()
                self._event(
                    service,
                    f"(service {service.name}) (deployment {deployment['id']}) deployment failed: "
                    "tasks failed to start.",
                )

    def _circuit_breaker_trips(self, service: Service, deployment: dict[str, Any]) -> bool:
        config = getattr(service, "deployment_configuration", None) or {}
        breaker = config.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable") or deployment.get("rolloutState") != "IN_PROGRESS":
            return False
        threshold = min(200, max(3, math.ceil(0.5 * (service.desired_count or 0))))
        return deployment["failedTasks"] >= threshold

    def _stop_tasks(
        self,
        backend: Any,
        service: Service,
        state: _ServiceState,
        tasks: list[SimTask],
        reason: str,
        stop_code: str = "ServiceSchedulerInitiated",
    ) -> None:
        if not tasks:
            return
        now = utcnow()
        was_running = []
        for task in tasks:
            if task.status == "RUNNING":
                was_running.append(task)
                self._deregister_targets(backend, service, task)
            task.status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = reason
            task.stop_code = stop_code
            task.stopping_at = task.execution_stopped_at = task.stopped_at = now
            task.connectivity = "DISCONNECTED"
            task.containers[0].last_status = "STOPPED"
            self._release_eni(backend, task)
            state.live.remove(task)
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

    def _release_eni(self, backend: Any, task: SimTask) -> None:
        ec2 = get_backend("ec2")[backend.account_id][backend.region_name]
        eni = ec2.enis.pop(task.eni_id, None) if task.eni_id else None
        if eni is not None and task.private_ip:
            eni.subnet.del_subnet_ip(task.private_ip)

    def _register_targets(self, backend: Any, service: Service, task: SimTask) -> None:
        for target_group, port in self._target_groups(backend, service):
            if task.private_ip:
                target_group.register([{"Id": task.private_ip, "Port": port}])

    def _deregister_targets(self, backend: Any, service: Service, task: SimTask) -> None:
        for target_group, port in self._target_groups(backend, service):
            if task.private_ip and task.private_ip in target_group.targets:
                target_group.deregister([{"Id": task.private_ip, "Port": port}])

    def _target_groups(self, backend: Any, service: Service) -> Iterator[tuple[Any, int]]:
        elbv2 = get_backend("elbv2")[backend.account_id][backend.region_name]
        for load_balancer in service.load_balancers or []:
            target_group = elbv2.target_groups.get(load_balancer.get("targetGroupArn"))
            if target_group is not None:
                yield target_group, int(load_balancer.get("containerPort") or target_group.port)

    def _update_counts(self, service: Service, state: _ServiceState) -> None:
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

    # -- changes made through the API or by faults ---------------------------------------------

    def new_deployment(
        self, backend: Any, service: Service, broken: bool = False
    ) -> dict[str, Any]:
        """Start a new PRIMARY deployment of the service's task definition (old ones: ACTIVE)."""
        with self.lock:
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
            state = _DeploymentState()
            # While a crash loop is armed, every new revision crashes too (the fault is the app).
            state.broken = broken or bool(
                self.faults and self.faults.crash_reason(service.cluster_name, service.name)
            )
            self._deployments[deployment_id] = state
            self.reconcile_service(backend, service)
            return deployment

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
                state = self._deployments.setdefault(deployment["id"], _DeploymentState())
                faults = self.faults
                if faults and faults.crash_reason(service.cluster_name, service.name):
                    state.broken = True
            self.reconcile_service(backend, service)

    def start_broken_deployment(self, cluster: str, service_name: str) -> None:
        """The crash-loop fault: a new deployment whose tasks crash (if the service exists)."""
        with self.lock:
            for backend, service in self._each_service():
                if (
                    (service.cluster_name, service.name) == (cluster, service_name)
                    and service.status == "ACTIVE"
                    and self.manages(service)
                ):
                    self.new_deployment(backend, service, broken=True)

    def set_desired_count(self, cluster: str, service_name: str, desired_count: int) -> None:
        """Change desiredCount directly in moto (the out-of-band-scale fault)."""
        with self.lock:
            found = [
                (b, s)
                for b, s in self._each_service()
                if s.cluster_name == cluster and s.name == service_name and s.status == "ACTIVE"
            ]
            if not found:
                raise LocalCloudError(f"service '{service_name}' not found in cluster '{cluster}'")
            for backend, service in found:
                service.desired_count = desired_count
                self.reconcile_service(backend, service)
