"""Where moto's ECS API differs from AWS in ways the scheduler must fix.

Installed once per process (moto's code is process-wide) but active only while the emulator
handles a request (``serving_emulator_request``): ``mock_aws`` tests in the same process keep
moto's own behaviour. Each patch wraps one moto method and says which AWS behaviour it restores:

- CreateService keeps the fields moto drops (deploymentConfiguration with the circuit
  breaker, healthCheckGracePeriodSeconds, enableExecuteCommand, enableECSManagedTags,
  capacityProviderStrategy), defaults a missing awsvpc securityGroups to the VPC's default
  group like AWS (moto answers 500), records ``createdAt`` and ``createdBy`` (the account's
  root, whose test credentials every caller signs with), and hands the new service to the
  scheduler instead of pretending its tasks run.
- UpdateService no longer jumps runningCount to desiredCount; a new task definition or
  forceNewDeployment starts a new PRIMARY deployment.
- ListTasks filters by serviceName and, like AWS, lists only desiredStatus RUNNING tasks
  unless asked for STOPPED; the cluster filter matches names exactly.
- ListServices leaves out deleted (DRAINING, INACTIVE) services, as AWS does; DescribeServices
  still shows them.
- ListServices and ListTasks page like AWS (``maxResults``: default 10 and 100, at most
  100; ``nextToken``); DescribeServices refuses more than 10 services, as AWS does.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from moto.backends import get_backend
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.emulator import serving_emulator_request

if TYPE_CHECKING:
    from localcloud.ecs.scheduler import Scheduler

_installed: dict[str, Any] = {}

#: CreateService fields moto ignores, as (request field, attribute DescribeServices reads).
_KEPT_SERVICE_FIELDS = {
    "deploymentConfiguration": "deployment_configuration",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "platformVersion": "platform_version",
}


def install(scheduler: Scheduler) -> None:
    """Patch moto's ECS (once per process); later calls only rebind the scheduler."""
    _installed["scheduler"] = scheduler
    if _installed.get("done"):
        return
    _installed["done"] = True
    EC2ContainerServiceResponse.create_service = _create_service(
        EC2ContainerServiceResponse.create_service
    )
    EC2ContainerServiceResponse.update_service = _update_service(
        EC2ContainerServiceResponse.update_service
    )
    EC2ContainerServiceBackend.list_tasks = _list_tasks(EC2ContainerServiceBackend.list_tasks)
    EC2ContainerServiceBackend.list_services = _active_services(
        EC2ContainerServiceBackend.list_services
    )
    EC2ContainerServiceResponse.list_services = _paginated(
        EC2ContainerServiceResponse.list_services, "serviceArns", default_page=10
    )
    EC2ContainerServiceResponse.list_tasks = _paginated(
        EC2ContainerServiceResponse.list_tasks, "taskArns", default_page=100
    )
    EC2ContainerServiceResponse.describe_services = _at_most_ten_services(
        EC2ContainerServiceResponse.describe_services
    )


def _create_service(original: Any) -> Any:
    @functools.wraps(original)
    def create_service(self: EC2ContainerServiceResponse) -> Any:
        if not serving_emulator_request():
            return original(self)
        network = self._get_param("networkConfiguration") or {}
        awsvpc = network.get("awsvpcConfiguration")
        if awsvpc and awsvpc.get("subnets") and not awsvpc.get("securityGroups"):
            awsvpc["securityGroups"] = [_default_security_group(self, awsvpc["subnets"][0])]
        result = original(self)
        service = self.ecs_backend._get_service(
            self._get_param("cluster", "default"), self._get_param("serviceName")
        )
        service.created_at = utcnow()
        service.created_by = f"arn:aws:iam::{self.current_account}:root"
        for field, attribute in _KEPT_SERVICE_FIELDS.items():
            value = self._get_param(field)
            if value is not None:
                setattr(service, attribute, value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            service.launch_type = None
            for deployment in service.deployments:
                deployment["launchType"] = None
                deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
                deployment["platformFamily"] = "Linux"
        _installed["scheduler"].adopt_new_service(self.ecs_backend, service)
        return result

    return create_service


def _default_security_group(response: EC2ContainerServiceResponse, subnet_id: str) -> str:
    ec2 = get_backend("ec2")[response.current_account][response.region]
    subnet = ec2.get_subnet(subnet_id)
    return ec2.get_default_security_group(subnet.vpc_id).id


def _update_service(original: Any) -> Any:
    @functools.wraps(original)
    def update_service(self: EC2ContainerServiceResponse) -> Any:
        if not serving_emulator_request():
            return original(self)
        service = self.ecs_backend._get_service(
            self._get_param("cluster", "default"), self._get_param("service")
        )
        counts = (service.running_count, service.pending_count)
        task_definition = service.task_definition
        result = original(self)
        service.running_count, service.pending_count = counts
        new_revision = self._get_param("taskDefinition") is not None and (
            self.ecs_backend.describe_task_definition(service.task_definition).arn
            != task_definition
        )
        if new_revision:
            service.task_definition = self.ecs_backend.describe_task_definition(
                service.task_definition
            ).arn
        scheduler = _installed["scheduler"]
        if not scheduler.manages(service):
            return result
        if new_revision or self._get_param("forceNewDeployment"):
            scheduler.new_deployment(self.ecs_backend, service)
        else:
            scheduler.reconcile_service(self.ecs_backend, service)
        return result

    return update_service


def _list_tasks(original: Any) -> Any:
    @functools.wraps(original)
    def list_tasks(
        self: EC2ContainerServiceBackend,
        cluster_str: str | None = None,
        container_instance: str | None = None,
        family: str | None = None,
        started_by: str | None = None,
        service_name: str | None = None,
        desiredStatus: str | None = None,  # noqa: N803  (moto's own parameter name)
    ) -> list[Any]:
        if not serving_emulator_request():
            return original(
                self, cluster_str, container_instance, family, started_by, service_name,
                desiredStatus,
            )  # fmt: skip
        cluster = self._get_cluster(cluster_str or "default")
        tasks = list(self.tasks.get(cluster.name, {}).values())
        wanted_status = desiredStatus or "RUNNING"
        tasks = [t for t in tasks if t.desired_status == wanted_status]
        if container_instance:
            tasks = [t for t in tasks if container_instance in (t.container_instance_arn or "")]
        if family:
            arns = set(self.list_task_definitions(family))
            tasks = [t for t in tasks if t.task_definition_arn in arns]
        if started_by:
            tasks = [t for t in tasks if t.started_by == started_by]
        if service_name:
            group = f"service:{service_name.rsplit('/', 1)[-1]}"
            tasks = [t for t in tasks if t.group == group]
        return tasks

    return list_tasks


def _active_services(original: Any) -> Any:
    @functools.wraps(original)
    def list_services(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[str]:
        arns = original(self, *args, **kwargs)
        if not serving_emulator_request():
            return arns
        active = {s.arn for s in self.services.values() if s.status == "ACTIVE"}
        return [arn for arn in arns if arn in active]

    return list_services


def _paginated(original: Any, key: str, default_page: int) -> Any:
    @functools.wraps(original)
    def paginated(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        if not serving_emulator_request():
            return result
        items = result.result[key]
        page = min(max(int(self._get_param("maxResults") or default_page), 1), 100)
        token = self._get_param("nextToken")
        start = int(token.rsplit(":", 1)[-1]) if token and token.startswith("page:") else 0
        answer: dict[str, Any] = {key: items[start : start + page]}
        if start + page < len(items):
            answer["nextToken"] = f"page:{start + page}"
        return ActionResult(answer)

    return paginated


def _at_most_ten_services(original: Any) -> Any:
    @functools.wraps(original)
    def describe_services(self: EC2ContainerServiceResponse) -> Any:
        if serving_emulator_request() and len(self._get_param("services") or []) > 10:
            raise InvalidParameterException("service names can have at most 10 items.")
        return original(self)

    return describe_services
