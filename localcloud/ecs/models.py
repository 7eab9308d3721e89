"""The ECS state the scheduler keeps beside moto's: the simulated task and its bookkeeping.

``SimTask`` is what DescribeTasks shows; ``DeploymentState`` and ``ServiceState`` are what ECS
tracks about deployments and services but does not show.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from moto.backends import get_backend
from moto.core.utils import utcnow
from moto.ecs.models import Container, Service, Task
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState

from localcloud import _moto_env  # noqa: F401  (moto settings first)


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
        self.has_run = False
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
        """PENDING -> RUNNING: the image is pulled and the container started."""
        now = utcnow()
        self.status = "RUNNING"
        self.has_run = True
        self.pull_stopped_at = now
        self.started_at = now
        self.health_status = "HEALTHY" if self.has_health_check else "UNKNOWN"
        self.containers[0].health_status = self.health_status
        self.containers[0].last_status = "RUNNING"

    def crash(self, reason: str) -> None:
        """The essential container exits with code 1 while starting (the task is then stopped)."""
        self.containers[0].exitCode = 1
        self.containers[0].reason = reason

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
        self.containers[0].last_status = "STOPPED"
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
        self.containers[0].network_interfaces = [
            {"attachmentId": attachment_id, "privateIpv4Address": address}
        ]

    def _release_eni(self) -> None:
        ec2 = get_backend("ec2")[self._account_id][self.region_name]
        eni = ec2.enis.pop(self.eni_id, None) if self.eni_id else None
        if eni is not None and self.private_ip:
            eni.subnet.del_subnet_ip(self.private_ip)


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
