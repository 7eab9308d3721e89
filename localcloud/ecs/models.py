"""The ECS state the scheduler keeps beside moto's: the task, its containers and the bookkeeping.

``SimTask`` (with one ``TaskContainer`` per container definition) is what DescribeTasks shows,
whichever runtime runs it (what a runtime reports of its containers is in ``observations``);
``DeploymentState`` and ``ServiceState`` are what ECS tracks about deployments and services but
does not show.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from moto.backends import get_backend
from moto.core.utils import utcnow
from moto.ecs.models import Service, Task
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.ecs.observations import TaskObservation

#: ECS's default and largest ``stopTimeout`` of a Fargate container, seconds.
DEFAULT_STOP_TIMEOUT = 30
MAX_STOP_TIMEOUT = 120


class TaskContainer:
    """One container of a task as DescribeTasks shows it (ARNs in AWS's format).

    ``exit_code`` stays None (absent from the answer) until the container stopped.
    """

    def __init__(self, task: SimTask, definition: dict[str, Any]) -> None:
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/"
            f"{task.cluster_name}/{task.id}/{mock_random.uuid4()}"
        )
        self.task_arn = task.task_arn
        self.name = definition.get("name")
        self.image = definition.get("image")
        self.cpu = str(definition.get("cpu", 0))
        self.memory = str(definition["memory"]) if definition.get("memory") else None
        self.essential = definition.get("essential", True) is not False
        self.has_health_check = bool(definition.get("healthCheck"))
        self.last_status = "PENDING"
        self.health_status = "UNKNOWN"
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.network_interfaces: list[dict[str, Any]] = []


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
        self.id = mock_random.uuid4().hex  # 32 hex characters, as ECS's task ids
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.container_instance_arn = None
        self.desired_status = "RUNNING"
        self.task_definition_arn = task_definition.arn
        self.overrides: dict[str, Any] = {}
        self.started_by = deployment_id
        self.tags = tags
        self.launch_type = service.launch_type or "FARGATE"  # FARGATE_SPOT tasks too
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
        self.stop_timeout = stop_timeout(task_definition)
        self.deployment_id = deployment_id
        self.ready_at = ready_at
        self.created_at = now
        self.pull_started_at = now
        self.connectivity = "CONNECTED"
        self.health_status = "UNKNOWN"
        self.containers = [TaskContainer(self, d) for d in task_definition.container_definitions]
        self.version = 1
        self.has_run = False
        self.runtime_started = False
        self.container_definitions: list[dict[str, Any]] = list(
            task_definition.container_definitions
        )
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

    def run(self) -> None:
        """PENDING -> RUNNING: the images are pulled and the containers started."""
        now = utcnow()
        self.status = "RUNNING"
        self.has_run = True
        self.pull_stopped_at = now
        self.started_at = now

    def observe(self, observation: TaskObservation) -> None:
        """Show what the runtime sees: each container's status, health and exit code, and the
        task's health (UNHEALTHY if an essential container is, HEALTHY once all essential
        containers with a health check are)."""
        for container in self.containers:
            seen = observation.containers.get(container.name)
            if seen is None:
                continue
            container.last_status = seen.last_status
            container.health_status = seen.health_status
            if seen.exit_code is not None:
                container.exit_code = seen.exit_code
            if seen.reason:
                container.reason = seen.reason
        checked = [c for c in self.containers if c.essential and c.has_health_check]
        statuses = {c.health_status for c in checked}
        if "UNHEALTHY" in statuses:
            self.health_status = "UNHEALTHY"
        elif checked and statuses == {"HEALTHY"}:
            self.health_status = "HEALTHY"
        else:
            self.health_status = "UNKNOWN"

    def crash(self, reason: str) -> None:
        """The essential container exits with code 1 while starting (the crash-loop fault)."""
        essential = next(c for c in self.containers if c.essential)
        essential.exit_code = 1
        essential.reason = reason

    def begin_stopping(self, reason: str, stop_code: str) -> None:
        """desiredStatus STOPPED with its reason; lastStatus stays while its targets drain."""
        if self.has_run:  # moto's StopTask already wrote lastStatus STOPPED
            self.status = "RUNNING"
        self.desired_status = "STOPPED"
        self.stopped_reason = reason
        self.stop_code = stop_code

    def finish(self, reason: str, stop_code: str) -> None:
        """-> STOPPED, as DescribeTasks shows a stopped Fargate task; its ENI is released."""
        now = utcnow()
        self.status = "STOPPED"
        self.desired_status = "STOPPED"
        self.stopped_reason = reason
        self.stop_code = stop_code
        self.stopping_at = self.execution_stopped_at = self.stopped_at = now
        self.connectivity = "DISCONNECTED"
        for container in self.containers:
            container.last_status = "STOPPED"
        for attachment in self.attachments:
            attachment["status"] = "DELETED"
        self._release_eni()

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
        for container in self.containers:
            container.network_interfaces = [
                {"attachmentId": attachment_id, "privateIpv4Address": address}
            ]

    def _release_eni(self) -> None:
        ec2 = get_backend("ec2")[self._account_id][self.region_name]
        eni = ec2.enis.pop(self.eni_id, None) if self.eni_id else None
        if eni is not None and self.private_ip:
            eni.subnet.del_subnet_ip(self.private_ip)


def stop_timeout(task_definition: Any) -> int:
    """Seconds ECS waits after SIGTERM before it kills a task's containers: the largest
    ``stopTimeout`` of its containers (default 30, at most 120, as on Fargate)."""
    timeouts = [
        int(d["stopTimeout"])
        for d in task_definition.container_definitions
        if d.get("stopTimeout") is not None
    ]
    return min(max(timeouts, default=DEFAULT_STOP_TIMEOUT), MAX_STOP_TIMEOUT)


@dataclass
class DeploymentState:
    """What ECS tracks about a deployment but does not show.

    *crash_arming* is the crash-loop arming (``CrashLoop.arming``) the deployment was started
    under, None for a healthy deployment: its tasks crash while that fault stays armed, unless
    it is the circuit breaker's *rollback* to the last good revision.
    """

    evaluating_failures: bool = True
    crash_arming: int | None = None
    rollback: bool = False

    @property
    def broken(self) -> bool:
        """Whether the deployment is a crash-looping revision."""
        return self.crash_arming is not None and not self.rollback


@dataclass
class ServiceState:
    """The scheduler's bookkeeping of one service: its live tasks and the stopped ones it keeps."""

    live: list[SimTask] = field(default_factory=list)
    #: Tasks told to stop whose targets still drain (lastStatus RUNNING, desiredStatus STOPPED).
    draining: list[SimTask] = field(default_factory=list)
    stopped: deque[str] = field(default_factory=deque)
    launched: int = 0
    steady: bool = False
    #: (id, task definition) of the last deployment that reached COMPLETED: what the circuit
    #: breaker rolls back to.
    last_completed: tuple[str, str] | None = None
