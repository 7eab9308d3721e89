"""``LocalCloud``: the embedded emulator, its ECS scheduler and its faults, as one object."""

from __future__ import annotations

import threading
from typing import Any

from localcloud import _moto_env
from localcloud.base import Deployable
from localcloud.emulator import EmulatorApp, EmulatorServer, acting_as_emulator
from localcloud.errors import LocalCloudError
from localcloud.faults import Faults
from localcloud.scheduler import Scheduler

#: Credentials the emulator accepts (any would do; these are LocalStack's convention).
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

# moto's state is process-wide, so the lock, the scheduler and the faults are too: two
# LocalCloud objects in one process serve the same AWS state on different ports.
_LOCK = threading.RLock()
_SCHEDULER = Scheduler(_LOCK)
_FAULTS = Faults(_SCHEDULER)
_SCHEDULER.faults = _FAULTS
# Started LocalClouds that want the background scheduler; the thread runs while any does.
_BACKGROUND_USERS: set[int] = set()


class LocalCloud(Deployable):
    """An AWS emulator (moto) in this process, with a simulated ECS scheduler and faults.

    Example::

        with LocalCloud(port=0) as cloud:           # port 0: any free port
            ecs = cloud.client("ecs")               # boto3 client bound to the emulator
            outputs = cloud.deploy("stacks/Pulumi.localstack.yaml")
            cloud.faults.crash_loop(outputs["cluster_name"], outputs["service_name"])
            cloud.scheduler.tick()                  # one deterministic scheduler step

    *task_start_delay* is how long a task stays PENDING before it runs; *tick_interval* is
    the period of the background scheduler thread (0 disables it: call ``scheduler.tick()``).
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
    ) -> None:
        self.host = host
        self.region = region
        self.task_start_delay = task_start_delay
        self.tick_interval = tick_interval
        self._requested_port = port
        self._server: EmulatorServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        """Bind the port, start serving and start the scheduler thread."""
        if self._server is not None:
            return self
        from localcloud import moto_patches

        _moto_env.apply_late_settings()
        moto_patches.install(_SCHEDULER, _FAULTS)
        _SCHEDULER.task_start_delay = self.task_start_delay
        if self.tick_interval > 0:  # 0 means "no thread", not "tick without pause"
            _SCHEDULER.tick_interval = self.tick_interval
        app = EmulatorApp(_LOCK, _FAULTS.should_throttle, self._control, self._after_reset)
        self._server = EmulatorServer(self.host, self._requested_port, app)
        self._server.start()
        if self.tick_interval > 0:
            with _LOCK:
                _BACKGROUND_USERS.add(id(self))
            _SCHEDULER.start()
        return self

    def stop(self) -> None:
        """Stop the scheduler thread and the server, releasing the port."""
        if self._server is None:
            return
        with _LOCK:
            _BACKGROUND_USERS.discard(id(self))
            last = not _BACKGROUND_USERS
        if last:
            _SCHEDULER.stop()
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
        _SCHEDULER.forget()
        _FAULTS.clear()

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for *service_name* bound to the emulator (region and test credentials)."""
        import boto3

        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            **CREDENTIALS,
        }
        options.update(kwargs)
        return boto3.client(service_name, **options)

    # -- control API for other processes ----------------------------------------------------------

    def _control(self, method: str, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        if (method, path) == ("GET", "health"):
            return 200, {"status": "ok", "ticks": _SCHEDULER.ticks}
        if (method, path) == ("GET", "faults"):
            return 200, {"faults": _FAULTS.active()}
        if (method, path) == ("POST", "faults"):
            name = payload.get("fault")
            if not isinstance(name, str):
                raise LocalCloudError("control request field 'fault' is missing; name the fault")
            _FAULTS.apply(name, dict(payload.get("args") or {}))
            return 200, {"faults": _FAULTS.active()}
        if (method, path) == ("DELETE", "faults"):
            _FAULTS.clear()
            return 200, {"faults": []}
        if (method, path) == ("POST", "tick"):
            _SCHEDULER.tick()
            return 200, {"ticks": _SCHEDULER.ticks}
        if (method, path) == ("POST", "reset"):
            self.reset()
            return 200, {"status": "ok"}
        return 404, {"error": f"no control endpoint {method} /_localcloud/{path}"}
