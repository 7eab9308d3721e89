"""The Docker runtime: "the agent" of a Fargate host, driving the Docker Engine API.

For every task the scheduler starts, the agent (in worker threads, never in the scheduler's
tick)

1. resolves the containers' ``secrets`` from the emulator's Secrets Manager / SSM (at
   ``start``, under the emulator's lock, as the execution role would);
2. pulls each image unless it is present locally (a failure stops the task with
   ``CannotPullContainerError: ...``, stopCode ``TaskFailedToStart``);
3. creates and starts every container of the task definition: command, entry point,
   environment and secrets, read-only root filesystem, cpu and memory limits, the
   ``healthCheck`` as Docker's health check, labels tying it to the task (the ECS agent's own
   ``com.amazonaws.ecs.*`` labels, plus the local cloud's owner labels), each container port
   published on 127.0.0.1 only and recorded in ``localcloud.vpc.ADDRESSES`` under the task's ENI
   address; ``awslogs`` containers' lines go to CloudWatch Logs (``localcloud.logs.awslogs``);
4. follows Docker's events (one stream for the agent): a container's ``die`` gives its exit
   code, ``health_status`` its health; ``observe`` reports them to the scheduler;
5. on ``stop`` withdraws the task's addresses, sends SIGTERM, kills after the task's stop
   timeout, records the exit codes and removes the containers.

Nothing is left running: ``close()`` (the emulator stops; also at interpreter exit) removes every
container of the agent, and a new agent first removes the leftovers of local clouds whose process
is gone (found by label: ``remove_leftovers``).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localcloud.ecs.models import SimTask
from localcloud.ecs.observations import ContainerObservation, TaskObservation
from localcloud.ecs.runtime import ESSENTIAL_CONTAINER_EXITED, TaskRuntime
from localcloud.ecs.secrets import SecretResolutionError, resolve_secrets
from localcloud.logs.awslogs import AwsLogsDestination
from localcloud.vpc import ADDRESSES

log = logging.getLogger(__name__)

#: Every container the local cloud runs carries this label (``docker ps -f label=...``).
LABEL_MANAGED = "localcloud.managed"
#: Which machine and process runs the emulator that owns the container, and which agent.
LABEL_HOST = "localcloud.host"
LABEL_PID = "localcloud.pid"
LABEL_AGENT = "localcloud.agent"
#: The labels the ECS container agent puts on a task's containers.
LABEL_TASK_ARN = "com.amazonaws.ecs.task-arn"
LABEL_CONTAINER_NAME = "com.amazonaws.ecs.container-name"
LABEL_CLUSTER = "com.amazonaws.ecs.cluster"
LABEL_FAMILY = "com.amazonaws.ecs.task-definition-family"
LABEL_REVISION = "com.amazonaws.ecs.task-definition-version"

#: Tasks pulled and started at the same time; stops run beside them.
LAUNCH_WORKERS = 4
STOP_WORKERS = 8
#: Seconds a stopped container's log follower may take to deliver its last lines.
LOG_DRAIN_SECONDS = 2.0
#: Docker health statuses (events ``health_status: X``) as ECS shows them.
_HEALTH = {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY", "starting": "UNKNOWN"}
_NANO = 1_000_000_000


class PullError(Exception):
    """An image cannot be pulled; ``str()`` is the task's stoppedReason."""


@dataclass
class _ContainerRun:
    """One container of a task as the agent runs it."""

    name: str
    essential: bool
    spec: dict[str, Any]
    ports: list[int]
    logs: AwsLogsDestination | None
    id: str | None = None
    last_status: str = "PENDING"
    health_status: str = "UNKNOWN"
    exit_code: int | None = None
    log_follower: threading.Thread | None = None

    def observation(self) -> ContainerObservation:
        return ContainerObservation(self.last_status, self.health_status, self.exit_code)


@dataclass
class _TaskRun:
    """A task as the agent runs it; *guard* orders its launch and its stop."""

    task: SimTask
    containers: list[_ContainerRun]
    guard: threading.Lock = field(default_factory=threading.Lock)
    running: bool = False
    stopping: bool = False
    failure: tuple[str, str] | None = None  # (stoppedReason, stopCode)


class DockerAgent(TaskRuntime):
    """The ``docker`` task runtime (see the module docstring); *lock* is the emulator's."""

    name = "docker"

    def __init__(self, lock: threading.RLock, client: Any = None) -> None:
        import docker

        self._lock = lock
        self._client = client or docker.from_env()
        self.agent_id = uuid.uuid4().hex[:12]
        self._guard = threading.Lock()
        self._runs: dict[str, _TaskRun] = {}
        self._by_container: dict[str, _ContainerRun] = {}
        self._launches = ThreadPoolExecutor(LAUNCH_WORKERS, thread_name_prefix="ecs-agent-launch")
        self._stops = ThreadPoolExecutor(STOP_WORKERS, thread_name_prefix="ecs-agent-stop")
        self._closed = False
        removed = remove_leftovers(self._client)
        if removed:
            log.warning("removed %d containers left by local clouds that are gone", removed)
        self._events = self._client.events(
            decode=True, filters={"type": "container", "label": f"{LABEL_AGENT}={self.agent_id}"}
        )
        self._events_thread = threading.Thread(
            target=self._follow_events, name="ecs-agent-events", daemon=True
        )
        self._events_thread.start()
        atexit.register(self.close)

    # -- the runtime interface -----------------------------------------------------------------

    def start(self, task: SimTask) -> None:
        """Resolve the secrets now (under the emulator's lock); pull and run in a worker."""
        run = _TaskRun(task, [])
        with self._guard:
            self._runs[task.task_arn] = run
        try:
            run.containers = [self._container_run(task, d) for d in task.container_definitions]
        except SecretResolutionError as exc:
            run.failure = (str(exc), "TaskFailedToStart")
            return
        self._launches.submit(self._launch, run)

    def observe(self, task: SimTask) -> TaskObservation:
        """PENDING until every container started, then RUNNING until an essential one exits."""
        with self._guard:
            run = self._runs.get(task.task_arn)
        if run is None:
            return TaskObservation("PENDING")
        containers = {c.name: c.observation() for c in run.containers}
        if run.failure is not None:
            return TaskObservation("STOPPED", containers, *run.failure)
        if not run.running:
            return TaskObservation("PENDING", containers)
        if any(c.essential and c.last_status == "STOPPED" for c in run.containers):
            return TaskObservation(
                "STOPPED", containers, ESSENTIAL_CONTAINER_EXITED, "EssentialContainerExited"
            )
        return TaskObservation("RUNNING", containers)

    def stop(self, task: SimTask) -> None:
        """Withdraw the task's addresses; stop its containers within its stop timeout."""
        with self._guard:
            run = self._runs.pop(task.task_arn, None)
        if run is not None:
            self._stop_later(run, task.stop_timeout)

    def forget(self) -> None:
        """Kill and remove every container of every task (the emulator was reset)."""
        with self._guard:
            runs, self._runs = list(self._runs.values()), {}
        for run in runs:
            self._stop_later(run, 0)

    def close(self) -> None:
        """Remove every container of this agent and wait until they are gone (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.forget()
        self._launches.shutdown(wait=True)
        self._stops.shutdown(wait=True)
        for container in self._client.containers.list(
            all=True, ignore_removed=True, filters={"label": f"{LABEL_AGENT}={self.agent_id}"}
        ):
            _remove(container)
        self._events.close()
        self._events_thread.join(timeout=5)
        atexit.unregister(self.close)

    # -- start -----------------------------------------------------------------------------------

    def _container_run(self, task: SimTask, definition: dict[str, Any]) -> _ContainerRun:
        account, region = task._account_id, task.region_name
        environment = {e["name"]: e["value"] for e in definition.get("environment") or []}
        environment.update(resolve_secrets(account, region, definition.get("secrets") or []))
        environment = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
            **environment,
        }
        ports = [int(p["containerPort"]) for p in definition.get("portMappings") or []]
        protocols = {
            int(p["containerPort"]): p.get("protocol", "tcp")
            for p in definition.get("portMappings") or []
        }
        spec: dict[str, Any] = {
            "image": definition["image"],
            "name": _container_name(task, definition["name"]),
            "command": definition.get("command"),
            "entrypoint": definition.get("entryPoint"),
            "environment": environment,
            "working_dir": definition.get("workingDirectory"),
            "user": definition.get("user"),
            "read_only": bool(definition.get("readonlyRootFilesystem")),
            "init": bool((definition.get("linuxParameters") or {}).get("initProcessEnabled")),
            "labels": self._labels(task, definition["name"]),
            "ports": {f"{port}/{protocols[port]}": ("127.0.0.1", None) for port in ports},
            **_limits(task, definition),
        }
        if definition.get("healthCheck"):
            spec["healthcheck"] = _health_check(definition["healthCheck"])
        return _ContainerRun(
            name=definition["name"],
            essential=definition.get("essential", True) is not False,
            spec={k: v for k, v in spec.items() if v is not None},
            ports=ports,
            logs=AwsLogsDestination.of(definition, account, region, task.id),
        )

    def _labels(self, task: SimTask, container_name: str) -> dict[str, str]:
        family, _, revision = task.task_definition_arn.rsplit("/", 1)[-1].partition(":")
        return {
            LABEL_MANAGED: "true",
            LABEL_HOST: socket.gethostname(),
            LABEL_PID: str(os.getpid()),
            LABEL_AGENT: self.agent_id,
            LABEL_TASK_ARN: task.task_arn,
            LABEL_CONTAINER_NAME: container_name,
            LABEL_CLUSTER: task.cluster_arn,
            LABEL_FAMILY: family,
            LABEL_REVISION: revision,
        }

    def _launch(self, run: _TaskRun) -> None:
        try:
            for image in dict.fromkeys(c.spec["image"] for c in run.containers):
                if run.stopping:
                    return
                self._ensure_image(image)
            with run.guard:
                if run.stopping:
                    return
                self._create_and_start(run)
        except PullError as exc:
            run.failure = (str(exc), "TaskFailedToStart")
        except Exception as exc:  # the daemon refused the container: ECS's start error
            run.failure = (f"CannotStartContainerError: {_first_line(exc)}", "TaskFailedToStart")

    def _ensure_image(self, image: str) -> None:
        """An image present locally counts as pulled; otherwise pull it (``PullError``)."""
        from docker.errors import DockerException, ImageNotFound
        from docker.utils import parse_repository_tag

        try:
            self._client.images.get(image)
            return
        except ImageNotFound:
            pass
        repository, tag = parse_repository_tag(image)
        try:
            self._client.images.pull(repository, tag=tag or "latest")
        except DockerException as exc:
            reference = image if tag or "@" in image else f"{image}:latest"
            raise PullError(
                "CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                f"failed to resolve ref {reference}: {_explanation(exc)}"
            ) from None

    def _create_and_start(self, run: _TaskRun) -> None:
        for container in run.containers:
            container.id = self._client.containers.create(**container.spec).id
            with self._guard:
                self._by_container[container.id] = container
        for container in run.containers:
            self._client.api.start(container.id)
            with self._guard:
                if container.last_status == "PENDING":  # a fast exit's ``die`` may be first
                    container.last_status = "RUNNING"
            self._publish(run.task, container)
            if container.logs is not None:
                container.log_follower = threading.Thread(
                    target=self._follow_logs,
                    args=(container.id, container.logs),
                    name=f"awslogs-{container.name}",
                    daemon=True,
                )
                container.log_follower.start()
        run.running = True

    def _publish(self, task: SimTask, container: _ContainerRun) -> None:
        if not task.private_ip or not container.ports:
            return
        published = self._client.api.inspect_container(container.id)["NetworkSettings"]["Ports"]
        for port in container.ports:
            for binding in published.get(f"{port}/tcp") or published.get(f"{port}/udp") or []:
                ADDRESSES.publish(task.private_ip, port, "127.0.0.1", int(binding["HostPort"]))
                break

    # -- watch ----------------------------------------------------------------------------------

    def _follow_events(self) -> None:
        try:
            for event in self._events:
                self._on_event(event)
        except Exception:  # the stream closes with the agent; anything else ends it too
            if not self._closed:
                log.exception("the Docker event stream ended")

    def _on_event(self, event: dict[str, Any]) -> None:
        action = str(event.get("Action") or event.get("status") or "")
        with self._guard:
            container = self._by_container.get(str(event.get("id")))
            if container is None:
                return
            if action == "die":
                container.last_status = "STOPPED"
                exit_code = (event.get("Actor") or {}).get("Attributes", {}).get("exitCode")
                container.exit_code = int(exit_code) if exit_code is not None else None
            elif action.startswith("health_status:"):
                status = action.split(":", 1)[1].strip()
                container.health_status = _HEALTH.get(status, "UNKNOWN")

    def _follow_logs(self, container_id: str, destination: AwsLogsDestination) -> None:
        pending = b""
        try:
            stream = self._client.api.logs(
                container_id, stream=True, follow=True, timestamps=True, stdout=True, stderr=True
            )
            for chunk in stream:
                *lines, pending = (pending + chunk).split(b"\n")
                destination.deliver(self._lock, [_log_event(line) for line in lines])
        except Exception:  # the container went away while we followed it
            log.debug("stopped following the logs of %s", container_id, exc_info=True)
        if pending:
            destination.deliver(self._lock, [_log_event(pending)])

    # -- stop -------------------------------------------------------------------------------------

    def _stop_later(self, run: _TaskRun, timeout: float) -> None:
        run.stopping = True
        if run.task.private_ip:
            ADDRESSES.withdraw(run.task.private_ip)
        if self._closed and timeout:
            timeout = 0
        try:
            self._stops.submit(self._stop, run, timeout)
        except RuntimeError:  # the pool is shut down: the interpreter is exiting
            self._stop(run, 0)

    def _stop(self, run: _TaskRun, timeout: float) -> None:
        """SIGTERM every container, SIGKILL after *timeout*, record exit codes, remove them."""
        from docker.errors import DockerException

        with run.guard:
            started = [c for c in run.containers if c.id]
            for container in started:
                try:
                    self._client.api.kill(container.id, "SIGTERM")
                except DockerException:
                    pass  # already stopped
            for container in started:
                self._wait_for_exit(container, timeout)
                if container.log_follower is not None:
                    container.log_follower.join(LOG_DRAIN_SECONDS)
                self._record_exit(run.task, container)
                try:
                    self._client.api.remove_container(container.id, force=True)
                except DockerException:
                    pass  # gone already
                with self._guard:
                    self._by_container.pop(container.id, None)

    def _wait_for_exit(self, container: _ContainerRun, timeout: float) -> None:
        try:
            if timeout > 0:
                self._client.api.wait(container.id, timeout=timeout)
                return
        except Exception:  # requests' ReadTimeout: the stop timeout passed
            pass
        try:
            self._client.api.kill(container.id, "SIGKILL")
            self._client.api.wait(container.id, timeout=10)
        except Exception:
            pass  # it exited meanwhile; remove(force) follows

    def _record_exit(self, task: SimTask, container: _ContainerRun) -> None:
        try:
            state = self._client.api.inspect_container(container.id)["State"]
        except Exception:
            return
        with self._lock:
            for shown in task.containers:
                if shown.name == container.name and shown.exit_code is None:
                    shown.exit_code = int(state.get("ExitCode", 0))


def remove_leftovers(client: Any) -> int:
    """Remove this machine's local-cloud containers whose emulator process is gone."""
    host = socket.gethostname()
    removed = 0
    for container in client.containers.list(
        all=True, ignore_removed=True, filters={"label": LABEL_MANAGED}
    ):
        labels = container.labels or {}
        if labels.get(LABEL_HOST) != host or _process_alive(labels.get(LABEL_PID)):
            continue
        _remove(container)
        removed += 1
    return removed


def containers_of_this_process(client: Any) -> list[Any]:
    """The local cloud's containers that this process's emulators run now."""
    return client.containers.list(
        all=True,
        ignore_removed=True,
        filters={"label": [f"{LABEL_PID}={os.getpid()}", f"{LABEL_HOST}={socket.gethostname()}"]},
    )


def _process_alive(pid: str | None) -> bool:
    try:
        os.kill(int(pid or 0), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return int(pid or 0) > 0


def _remove(container: Any) -> None:
    from docker.errors import DockerException

    try:
        container.remove(force=True)
    except DockerException:
        pass  # removed meanwhile


def _container_name(task: SimTask, container_name: str) -> str:
    """``ecs-FAMILY-REVISION-CONTAINER-TASKID``, the ECS agent's naming with the task id."""
    family_revision = task.task_definition_arn.rsplit("/", 1)[-1].replace(":", "-")
    return f"ecs-{family_revision}-{container_name}-{task.id}"


def _limits(task: SimTask, definition: dict[str, Any]) -> dict[str, Any]:
    """Docker's cpu and memory limits: the container's own, else the task's (Fargate's size)."""
    cpu_units = int(definition.get("cpu") or 0) or int(task.cpu or 0)
    memory = definition.get("memory") or task.memory
    limits: dict[str, Any] = {}
    if cpu_units:
        limits["nano_cpus"] = cpu_units * _NANO // 1024
    if memory:
        limits["mem_limit"] = f"{int(memory)}m"
    if definition.get("memoryReservation"):
        limits["mem_reservation"] = f"{int(definition['memoryReservation'])}m"
    return limits


def _health_check(check: dict[str, Any]) -> dict[str, Any]:
    """An ECS ``healthCheck`` (seconds; defaults 30/5/3/0) as Docker's (nanoseconds)."""
    return {
        "test": list(check["command"]),
        "interval": int(check.get("interval", 30)) * _NANO,
        "timeout": int(check.get("timeout", 5)) * _NANO,
        "retries": int(check.get("retries", 3)),
        "start_period": int(check.get("startPeriod", 0)) * _NANO,
    }


def _log_event(line: bytes) -> tuple[int, str]:
    """``2024-05-01T12:00:00.123456789Z message`` -> (epoch ms, message)."""
    text = line.decode("utf-8", "replace").rstrip("\r")
    stamp, _, message = text.partition(" ")
    try:
        seconds, _, fraction = stamp.rstrip("Z").partition(".")
        moment = datetime.fromisoformat(seconds).replace(tzinfo=UTC)
        millis = int(moment.timestamp() * 1000) + int((fraction + "000")[:3])
    except ValueError:
        return int(datetime.now(UTC).timestamp() * 1000), text
    return millis, message


def _explanation(error: Any) -> str:
    return _first_line(getattr(error, "explanation", None) or error)


def _first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
