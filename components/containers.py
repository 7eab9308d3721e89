"""The task's container definitions: the app's container (the load balancer's target) and its
sidecars, each logging to the app's log group under its own stream prefix, never privileged."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any, Optional

import pulumi

from .settings import PortMapping, ServiceSettings, SidecarSettings
from .unknowns import known_tree

CONTAINER_NAME = "app"
"""Name of the app's container; a sidecar may not take it."""
HEALTH_CHECK_GRACE_SECONDS = 60
AWSLOGS_MODE = "non-blocking"
"""The awslogs driver buffers instead of blocking the container's writes to stdout/stderr
when CloudWatch Logs is slow (prowler ``ecs_task_definitions_logging_block_mode``)."""
AWSLOGS_MAX_BUFFER_SIZE = "25m"
"""The non-blocking buffer per container (Docker's default is 1m): about 25 MB of log lines ride
out a slow stream; when it is full, new lines are dropped rather than the app stalled."""


def container_definitions(
    settings: ServiceSettings,
    image: str,
    log_group: str,
    region: str,
    secrets: dict[str, str],
    sidecars: Optional[Sequence[SidecarSettings]] = None,
) -> str:
    """The JSON of the app's container, then the sidecars' (``sidecars``: the settings' with
    images and secrets resolved; by default the settings' own)."""
    logging = {"log_group": log_group, "region": region}
    app = _container(
        CONTAINER_NAME,
        image,
        essential=True,
        readonly_root_filesystem=settings.readonly_root_filesystem,
        port_mappings=(PortMapping(settings.container_port),),
        environment=settings.environment,
        secrets=secrets,
        health_check_command=settings.health_check_command,
        stop_timeout=settings.stop_timeout,
        **logging,
    )
    containers = [app]
    for sidecar in settings.sidecars if sidecars is None else sidecars:
        containers.append(_sidecar(sidecar, **logging))
    return json.dumps(containers)


def resolved_container_definitions(
    settings: ServiceSettings,
    image: pulumi.Input[str],
    log_group: pulumi.Input[str],
    region: Optional[str],
) -> pulumi.Output[str]:
    """``container_definitions`` once the image, log group, region, secrets and sidecar images
    are known (unknown while any of them is, e.g. under mocks that leave them unset)."""
    values = known_tree(
        {
            "image": image,
            "log_group": log_group,
            "region": region,
            "secrets": dict(settings.secrets),
            "sidecars": [
                {"image": sidecar.image, "secrets": dict(sidecar.secrets)}
                for sidecar in settings.sidecars
            ],
        }
    )
    return values.apply(
        lambda known: container_definitions(
            settings,
            known["image"],
            known["log_group"],
            known["region"],
            known["secrets"],
            [
                dataclasses.replace(sidecar, **resolved)
                for sidecar, resolved in zip(settings.sidecars, known["sidecars"], strict=True)
            ],
        )
    )


def _sidecar(sidecar: SidecarSettings, log_group: str, region: str) -> dict[str, Any]:
    container = _container(
        sidecar.name,
        sidecar.image,
        essential=sidecar.essential,
        readonly_root_filesystem=sidecar.readonly_root_filesystem,
        port_mappings=sidecar.port_mappings,
        environment=sidecar.environment,
        secrets=sidecar.secrets,
        health_check_command=sidecar.health_check_command,
        stop_timeout=sidecar.stop_timeout,
        log_group=log_group,
        region=region,
    )
    optional = {
        "command": list(sidecar.command),
        "entryPoint": list(sidecar.entry_point),
        "dependsOn": [
            {"containerName": dependency.container_name, "condition": dependency.condition}
            for dependency in sidecar.depends_on
        ],
        "cpu": sidecar.cpu,
        "memory": sidecar.memory,
    }
    container.update({key: value for key, value in optional.items() if value not in (None, [])})
    return container


def _container(
    name: str,
    image: Any,
    *,
    essential: bool,
    readonly_root_filesystem: bool,
    port_mappings: Sequence[PortMapping],
    environment: dict[str, str],
    secrets: dict[str, Any],
    health_check_command: Sequence[str],
    stop_timeout: Optional[int],
    log_group: str,
    region: str,
) -> dict[str, Any]:
    """What every container of the task has: ports, env, secrets, non-blocking awslogs under its
    own stream prefix, a read-only root unless switched off, never privileged."""
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "essential": essential,
        "privileged": False,
        "readonlyRootFilesystem": readonly_root_filesystem,
        "portMappings": [
            {
                "containerPort": port.container_port,
                "hostPort": port.container_port,
                "protocol": port.protocol,
            }
            for port in port_mappings
        ],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": name,
                "mode": AWSLOGS_MODE,
                "max-buffer-size": AWSLOGS_MAX_BUFFER_SIZE,
            },
        },
    }
    if health_check_command:
        container["healthCheck"] = {
            "command": list(health_check_command),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": HEALTH_CHECK_GRACE_SECONDS,
        }
    if stop_timeout is not None:
        container["stopTimeout"] = stop_timeout
    return container
