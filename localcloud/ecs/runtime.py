"""Task runtimes: what runs a task's containers for the scheduler, and how it picks one.

The scheduler is the control plane; a runtime is the data plane of one Fargate host. For every
task the scheduler places it calls ``start`` once, then each tick ``observe`` (what are the
task's containers doing: PENDING while pulling and starting, RUNNING, or STOPPED on their own
with a reason), and ``stop`` when the task stops for any reason. A runtime never blocks a
tick: anything slow happens in its own threads and shows in a later ``observe``.

- ``SimulatedRuntime``: nothing runs; a placed task runs at once and its containers report
  healthy (the hermetic default; the crash-loop and capacity faults act in the scheduler).
- ``localcloud.ecs.agent.DockerAgent``: real containers through the Docker Engine API.

``choose_runtime("auto" | "docker" | "simulated")`` picks one and says why, in one line.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localcloud.ecs.observations import ContainerObservation, TaskObservation
from localcloud.errors import LocalCloudError

if TYPE_CHECKING:  # the models load moto (a second or more): the CLI's flags need none of it
    from localcloud.ecs.models import SimTask

#: The ``--runtime`` choices, first the default of the command line and ``make up``.
RUNTIME_CHOICES = ("auto", "docker", "simulated")
#: The runtime of the Python API and the pytest plugin unless asked otherwise (hermetic).
DEFAULT_RUNTIME = "simulated"

#: What ECS says when an essential container stops (stopCode ``EssentialContainerExited``).
ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
#: What ECS says when it replaces a task whose essential container turned UNHEALTHY.
FAILED_CONTAINER_HEALTH_CHECKS = "Task failed container health checks"


class TaskRuntime(ABC):
    """Starts, observes and stops the containers of the scheduler's tasks (module docstring)."""

    #: ``simulated`` or ``docker``.
    name: str

    @abstractmethod
    def start(self, task: SimTask) -> None:
        """Begin pulling and starting the task's containers (called with the emulator's lock
        held, so it may read moto's state, e.g. the secrets the task needs)."""

    @abstractmethod
    def observe(self, task: SimTask) -> TaskObservation:
        """What the task's containers are doing now (cheap: no waiting on a daemon)."""

    @abstractmethod
    def stop(self, task: SimTask) -> None:
        """Stop the task's containers (within the task's stop timeout) and forget them."""

    @abstractmethod
    def forget(self) -> None:
        """Remove every container at once (the emulator's state was reset)."""

    @abstractmethod
    def close(self) -> None:
        """Remove every container and wait until they are gone (the emulator stops)."""


class SimulatedRuntime(TaskRuntime):
    """No containers: a started task runs at once; containers with a healthCheck are HEALTHY."""

    name = "simulated"

    def start(self, task: SimTask) -> None:
        """Nothing to pull or start."""

    def observe(self, task: SimTask) -> TaskObservation:
        """RUNNING, each container RUNNING (HEALTHY when it has a health check)."""
        return TaskObservation(
            "RUNNING",
            {
                c.name: ContainerObservation(
                    "RUNNING", "HEALTHY" if c.has_health_check else "UNKNOWN"
                )
                for c in task.containers
            },
        )

    def stop(self, task: SimTask) -> None:
        """Nothing runs."""

    def forget(self) -> None:
        """Nothing runs."""

    def close(self) -> None:
        """Nothing runs."""


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime picked for ``--runtime``, and why (the summary's one line)."""

    name: str
    reason: str

    def line(self) -> str:
        """E.g. ``docker (Docker Engine 20.10.24 answers)``."""
        return f"{self.name} ({self.reason})"


def choose_runtime(requested: str) -> RuntimeChoice:
    """``auto``: docker when a Docker Engine answers, else simulated; the others as asked.

    Raises ``LocalCloudError`` (one line) for ``docker`` without a daemon, ``ValueError`` for
    a name not in ``RUNTIME_CHOICES``.
    """
    if requested not in RUNTIME_CHOICES:
        raise ValueError(
            f"runtime '{requested}' is unknown; use one of {', '.join(RUNTIME_CHOICES)}"
        )
    if requested == "simulated":
        return RuntimeChoice("simulated", "asked for; no containers run")
    from localcloud.dockerd import daemon_status

    status = daemon_status()
    if status.available:
        return RuntimeChoice("docker", status.reason)
    if requested == "docker":
        raise LocalCloudError(
            f"--runtime docker: {status.reason}; start Docker or use --runtime simulated"
        )
    return RuntimeChoice("simulated", f"{status.reason}; install Docker for real containers")
