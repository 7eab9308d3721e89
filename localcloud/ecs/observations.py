"""What a task runtime reports of a task's containers (``localcloud.ecs.runtime``), read by the
scheduler each tick: plain data, no moto, so the runtimes and the command line load it at once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ContainerObservation:
    """What one container is doing: ``last_status`` PENDING | RUNNING | STOPPED."""

    last_status: str
    health_status: str = "UNKNOWN"
    exit_code: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TaskObservation:
    """What a task's containers are doing, by container name.

    ``last_status`` is PENDING (pulling, starting), RUNNING (every container started) or
    STOPPED (it stopped on its own: *stopped_reason* and *stop_code* say why, as ECS would).
    """

    last_status: str
    containers: dict[str, ContainerObservation] = field(default_factory=dict)
    stopped_reason: str | None = None
    stop_code: str | None = None
