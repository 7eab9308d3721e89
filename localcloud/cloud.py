"""``LocalCloud``: the embedded emulator, its ECS scheduler and its faults, as one object."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from localcloud import _moto_env, control, speedups
from localcloud.base import CREDENTIALS, Deployable
from localcloud.ecr import LocalEcr
from localcloud.ecr import responses as ecr_responses
from localcloud.ecs import responses as ecs_responses
from localcloud.ecs.runtime import (
    DEFAULT_RUNTIME,
    RUNTIME_CHOICES,
    RuntimeChoice,
    SimulatedRuntime,
    TaskRuntime,
    choose_runtime,
)
from localcloud.ecs.scheduler import Scheduler
from localcloud.elbv2 import balancer as elbv2_balancer
from localcloud.elbv2 import targets as elbv2_targets
from localcloud.elbv2.balancer import LocalLoadBalancer
from localcloud.elbv2.health import HEALTH
from localcloud.emulator import (
    EmulatorApp,
    EmulatorServer,
    InProcessTransport,
    acting_as_emulator,
)
from localcloud.errors import LocalCloudError
from localcloud.faults import Faults
from localcloud.iam import managed_policies
from localcloud.vpc import ADDRESSES

# moto's state is process-wide, so the lock, the scheduler and the faults are too: two
# LocalCloud objects in one process serve the same AWS state on different ports. The faults are
# plain state the scheduler reads; the scheduler acts at once on the faults that act at once.
_LOCK = threading.RLock()
_FAULTS = Faults()
_SCHEDULER = Scheduler(_LOCK, _FAULTS)
_FAULTS.subscribe(_SCHEDULER.act_on_faults)
_LOAD_BALANCER = LocalLoadBalancer(_LOCK)
_ECR = LocalEcr()


class _SharedService:
    """A process-wide service that runs while any started LocalCloud uses it: the first user
    starts it, the last one to leave stops it."""

    def __init__(self, start: Callable[[], None], stop: Callable[[], None]) -> None:
        self._start, self._stop = start, stop
        self._users: set[int] = set()

    def join(self, user: object) -> None:
        """``user`` starts using the service (starting it if it is the first)."""
        with _LOCK:
            first = not self._users
            self._users.add(id(user))
        if first:
            self._start()

    def leave(self, user: object) -> None:
        """``user`` stops using the service (stopping it if it was the last)."""
        with _LOCK:
            if id(user) not in self._users:
                return
            self._users.discard(id(user))
            last = not self._users
        if last:
            self._stop()


#: The background scheduler thread runs while any LocalCloud with a tick interval is started.
_BACKGROUND_SCHEDULER = _SharedService(_SCHEDULER.start, _SCHEDULER.stop)
#: The data plane's load balancer serves every ALB listener while any LocalCloud is started.
_LOAD_BALANCING = _SharedService(_LOAD_BALANCER.start, _LOAD_BALANCER.stop)
#: The local ECR's registry and proxy run while any LocalCloud does (one registry per process).
_REGISTRY = _SharedService(_ECR.start, _ECR.stop)
#: The task runtimes (the Docker agent's containers) live while any LocalCloud is started.
_TASK_RUNTIMES = _SharedService(lambda: None, lambda: _close_runtimes())
# The task runtimes made so far, by name (the scheduler runs one of them).
_RUNTIMES: dict[str, TaskRuntime] = {"simulated": _SCHEDULER.runtime}
# How many times the process-wide AWS state was reset (``state_generation``).
_RESETS = [0]


def state_generation() -> int:
    """A number that changes whenever a LocalCloud of this process starts (it may change the
    shared AWS state) or resets it (``reset()``, a runtime switch): a stack deployed before may
    be gone."""
    return _RESETS[0]


class LocalCloud(Deployable):
    """An AWS emulator (moto) in this process, with a simulated ECS scheduler, faults and a
    local ECR (a real registry on 127.0.0.1 when the machine has one: ``ecr.status``).

    Example::

        with LocalCloud(port=0) as cloud:           # port 0: any free port
            ecs = cloud.client("ecs")               # boto3 client bound to the emulator
            outputs = cloud.deploy("stacks/Pulumi.localstack.yaml")
            cloud.faults.crash_loop(outputs["cluster_name"], outputs["service_name"])
            cloud.scheduler.tick()                  # one deterministic scheduler step
            cloud.load_balancer.endpoints()         # ALB listeners served on 127.0.0.1

    *task_start_delay* is how long a task stays PENDING before it is placed (then the runtime
    pulls and starts it); *tick_interval* is the period of the background scheduler thread (0
    disables it: call ``scheduler.tick()``). *runtime* runs the tasks' containers: ``simulated``
    (the default: nothing runs), ``docker`` (real containers through the Docker Engine; a
    ``LocalCloudError`` at ``start()`` when no daemon answers) or ``auto`` (docker when a daemon
    answers); ``runtime`` says which was picked and why.
    A busy port raises ``LocalCloudError`` with a one-line message. moto's state is
    process-wide, so LocalClouds in one process share the AWS state, the scheduler (the last
    started sets its delays) and the faults.
    """

    def __init__(
        self,
        port: int = 4566,
        host: str = "127.0.0.1",
        region: str = "us-east-1",
        task_start_delay: float = 1.0,
        tick_interval: float = 0.5,
        runtime: str = DEFAULT_RUNTIME,
    ) -> None:
        if runtime not in RUNTIME_CHOICES:
            raise LocalCloudError(
                f"runtime '{runtime}' is unknown; use one of {', '.join(RUNTIME_CHOICES)}"
            )
        self.host = host
        self.region = region
        self.task_start_delay = task_start_delay
        self.tick_interval = tick_interval
        self._requested_port = port
        self._requested_runtime = runtime
        self._runtime: RuntimeChoice | None = None
        self._server: EmulatorServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        """Pick the runtime, bind the port, start serving and start the scheduler thread."""
        if self._server is not None:
            return self
        choice = choose_runtime(self._requested_runtime)
        _RESETS[0] += 1
        _moto_env.apply_late_settings()
        _install_moto_patches()
        _SCHEDULER.task_start_delay = self.task_start_delay
        if self.tick_interval > 0:  # 0 means "no thread", not "tick without pause"
            _SCHEDULER.tick_interval = self.tick_interval
        app = EmulatorApp(
            _LOCK,
            _FAULTS.should_throttle,
            functools.partial(control.serve, self),
            self._after_reset,
        )
        self._server = EmulatorServer(self.host, self._requested_port, app)
        self._server.start()
        _TASK_RUNTIMES.join(self)
        self._switch_runtime(choice)
        _LOAD_BALANCING.join(self)
        _REGISTRY.join(self)
        if self.tick_interval > 0:
            _BACKGROUND_SCHEDULER.join(self)
        return self

    def stop(self) -> None:
        """Stop the scheduler thread and the server, releasing the port; the last LocalCloud
        to stop removes the task runtimes' containers."""
        if self._server is None:
            return
        _BACKGROUND_SCHEDULER.leave(self)
        _TASK_RUNTIMES.leave(self)
        _LOAD_BALANCING.leave(self)
        _REGISTRY.leave(self)
        self._server.stop()
        self._server = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the emulator serves requests."""
        return self._server is not None and self._server.alive()

    @property
    def port(self) -> int:
        """The port the emulator listens on."""
        if self._server is None:
            raise LocalCloudError("the local cloud is not started; call start() first")
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` of the emulator, for boto3, the AWS CLI or a Pulumi provider."""
        return f"http://{self.host}:{self.port}"

    # -- state -------------------------------------------------------------------------------------

    @property
    def scheduler(self) -> Scheduler:
        """The simulated ECS service scheduler (``tick()``, ``task_start_delay``)."""
        return _SCHEDULER

    @property
    def load_balancer(self) -> LocalLoadBalancer:
        """The local load balancer: every ALB listener on 127.0.0.1 (``endpoints()``)."""
        return _LOAD_BALANCER

    @property
    def ecr(self) -> LocalEcr:
        """The local ECR (``status``, ``endpoint``, ``repository_uri(name)``)."""
        return _ECR

    @property
    def runtime(self) -> RuntimeChoice:
        """The task runtime picked at ``start()`` (or ``use_runtime``), and why."""
        if self._runtime is None:
            raise LocalCloudError("the local cloud is not started; call start() first")
        return self._runtime

    def use_runtime(self, requested: str) -> RuntimeChoice:
        """Forget all state and run tasks in *requested* (auto, docker, simulated) from now on.

        The runtime is process-wide, like the scheduler: every LocalCloud of the process uses
        the last one chosen.
        """
        if requested not in RUNTIME_CHOICES:
            raise LocalCloudError(
                f"runtime '{requested}' is unknown; use one of {', '.join(RUNTIME_CHOICES)}"
            )
        self._switch_runtime(choose_runtime(requested))
        self.reset()
        return self.runtime

    def _switch_runtime(self, choice: RuntimeChoice) -> None:
        with _LOCK:
            if _SCHEDULER.runtime.name != choice.name:
                _SCHEDULER.forget()  # the old runtime's containers go
                if choice.name not in _RUNTIMES:
                    _RUNTIMES[choice.name] = _make_runtime(choice.name)
                _SCHEDULER.runtime = _RUNTIMES[choice.name]
        self._runtime = choice

    @property
    def faults(self) -> Faults:
        """Fault injection (crash loop, capacity shortage, scale, unhealthy targets, throttling)."""
        return _FAULTS

    def reset(self) -> None:
        """Forget all AWS state, the scheduler's bookkeeping and every fault."""
        from moto.moto_api._internal.models import moto_api_backend

        with _LOCK, acting_as_emulator():
            moto_api_backend.reset()
            self._after_reset()

    def _after_reset(self) -> None:
        _RESETS[0] += 1
        _SCHEDULER.forget()
        _FAULTS.clear()
        HEALTH.clear()
        _LOAD_BALANCER.sync()
        _ECR.forget_all()
        ADDRESSES.clear()

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for *service_name* bound to the emulator (region and test credentials).

        Its calls go to the emulator's request hook in this process, without a socket
        (``localcloud.emulator.InProcessTransport``): the same handling as over HTTP at
        ``endpoint_url``, which other processes use. An ``endpoint_url`` in *kwargs* is called
        over HTTP.
        """
        import boto3

        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            **CREDENTIALS,
        }
        options.update(kwargs)
        client = boto3.client(service_name, **options)
        if "endpoint_url" not in kwargs:  # self._server is set: endpoint_url needs it
            client.meta.events.register_first("before-send", InProcessTransport(self._server.app))
        return client


def _make_runtime(name: str) -> TaskRuntime:
    if name == "docker":
        from localcloud.ecs.agent import DockerAgent  # the docker package loads only now

        return DockerAgent(_LOCK)
    return SimulatedRuntime()


def _close_runtimes() -> None:
    """Remove every container of every runtime and wait (outside the lock: the agent's stop
    workers take it); the scheduler falls back to the simulated runtime."""
    with _LOCK:
        closing = [r for name, r in _RUNTIMES.items() if name != "simulated"]
        if not closing:
            return
        _SCHEDULER.forget()
        _SCHEDULER.runtime = _RUNTIMES["simulated"]
        for runtime in closing:
            del _RUNTIMES[runtime.name]
    for runtime in closing:
        runtime.close()


def _install_moto_patches() -> None:
    """Patch moto where AWS behaves otherwise, service by service, and where it repeats work
    (``speedups``) (once per process)."""
    ecs_responses.install(_SCHEDULER)
    ecr_responses.install(_ECR)
    elbv2_targets.install(_FAULTS)
    elbv2_balancer.install(_LOAD_BALANCER)
    managed_policies.install()
    speedups.install()
