"""The local cloud's control API, defined once for the emulator and for other processes.

``OPERATIONS`` is the whole API: each operation is an HTTP method and a path under
``/_localcloud/`` with the handler that performs it on the cloud in this process:

==============  ======  ======  ============================  ==============================
operation       method  path    request body                  answer
==============  ======  ======  ============================  ==============================
health          GET     health                                {"status": "ok", "ticks": n}
list-faults     GET     faults                                {"faults": [...]}
arm-fault       POST    faults  {"fault": name, "args": {}}   {"faults": [...]}
clear-faults    DELETE  faults                                {"faults": []}
tick            POST    tick                                  {"ticks": n}
reset           POST    reset                                 {"status": "ok"}
==============  ======  ======  ============================  ==============================

``serve`` answers a request from the table (the emulator's request hook calls it); a refused
request is HTTP 400 ``{"error": "<one line>"}``. ``ControlClient`` calls an operation by name
from another process, and ``RemoteFaults`` / ``RemoteScheduler`` are the client-side faces of
``Faults`` and the scheduler: every fault method of ``RemoteFaults`` is derived from the
``Faults`` method arming it (``FAULT_METHODS``, same signature) and forwards to ``arm-fault``.
Adding an endpoint is one row here; adding a fault is one method of ``Faults``.
"""

from __future__ import annotations

import inspect
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from localcloud.errors import LocalCloudError
from localcloud.faults import FAULT_METHODS, Faults

#: Where the control API lives on the emulator's port (beside the AWS APIs).
CONTROL_PREFIX = "/_localcloud/"


class _Scheduler(Protocol):
    ticks: int

    def tick(self) -> None: ...


class ControlledCloud(Protocol):
    """What the control API acts on: ``LocalCloud``."""

    @property
    def scheduler(self) -> _Scheduler: ...

    @property
    def faults(self) -> Faults: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class Operation:
    """One control endpoint: *method* ``/_localcloud/<path>``, performed by *handle*."""

    name: str
    method: str
    path: str
    handle: Callable[[ControlledCloud, dict[str, Any]], Any]


def _health(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    return {"status": "ok", "ticks": cloud.scheduler.ticks}


def _list_faults(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    return {"faults": cloud.faults.active()}


def _arm_fault(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    name = payload.get("fault")
    if not isinstance(name, str):
        raise LocalCloudError("control request field 'fault' is missing; name the fault")
    return {"faults": cloud.faults.apply(name, dict(payload.get("args") or {}))}


def _clear_faults(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    cloud.faults.clear()
    return {"faults": []}


def _tick(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    cloud.scheduler.tick()
    return {"ticks": cloud.scheduler.ticks}


def _reset(cloud: ControlledCloud, payload: dict[str, Any]) -> Any:
    cloud.reset()
    return {"status": "ok"}


#: The control API (see the module docstring).
OPERATIONS = (
    Operation("health", "GET", "health", _health),
    Operation("list-faults", "GET", "faults", _list_faults),
    Operation("arm-fault", "POST", "faults", _arm_fault),
    Operation("clear-faults", "DELETE", "faults", _clear_faults),
    Operation("tick", "POST", "tick", _tick),
    Operation("reset", "POST", "reset", _reset),
)
_BY_ROUTE = {(op.method, op.path): op for op in OPERATIONS}
_BY_NAME = {op.name: op for op in OPERATIONS}


def serve(
    cloud: ControlledCloud, method: str, path: str, payload: dict[str, Any]
) -> tuple[int, Any]:
    """(HTTP status, JSON answer) of the control request *method* ``/_localcloud/<path>``."""
    operation = _BY_ROUTE.get((method, path))
    if operation is None:
        return 404, {"error": f"no control endpoint {method} {CONTROL_PREFIX}{path}"}
    return 200, operation.handle(cloud, payload)


class ControlClient:
    """Calls the control API of the emulator at *endpoint_url* from another process."""

    def __init__(self, endpoint_url: str, timeout: float = 5.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> Any:
        """Perform *operation* (a name in ``OPERATIONS``); a refused one is ``LocalCloudError``.

        Nothing listening raises ``OSError`` (``urllib.error.URLError``), for the caller to word.
        """
        route = _BY_NAME[operation]
        request = urllib.request.Request(
            f"{self.endpoint_url}{CONTROL_PREFIX}{route.path}",
            data=json.dumps(payload, default=list).encode() if payload is not None else None,
            method=route.method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error")
            except ValueError:
                message = None
            raise LocalCloudError(
                message or f"{self.endpoint_url} has no local cloud control API (HTTP {exc.code})"
            ) from None


class RemoteScheduler:
    """The scheduler of an emulator in another process (only ``tick()``)."""

    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def tick(self) -> None:
        """One reconciliation step of every service, in the emulator's process."""
        self._client.call("tick")


class RemoteFaults:
    """The faults of an emulator in another process: the public methods of ``Faults``.

    ``crash_loop``, ``capacity_shortage``, ... are made from ``Faults`` below (same signatures
    and docs) and forward their arguments to ``apply``.
    """

    def __init__(self, client: ControlClient) -> None:
        self._client = client

    def apply(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Arm fault *name* with *args*; returns the armed faults."""
        return self._client.call("arm-fault", {"fault": name, "args": args})["faults"]

    def clear(self) -> None:
        """See ``Faults.clear``."""
        self._client.call("clear-faults")

    def active(self) -> list[dict[str, Any]]:
        """See ``Faults.active``."""
        return self._client.call("list-faults")["faults"]

    def throttled_calls(self) -> dict[str, int]:
        """See ``Faults.throttled_calls``."""
        for fault in self.active():
            if fault["fault"] == "throttle":
                return dict(fault["throttled_calls"])
        return {}


def _forwarding(fault_name: str, method_name: str) -> Callable[..., None]:
    """A ``RemoteFaults`` method with the signature of ``Faults.<method_name>``."""
    original = getattr(Faults, method_name)
    signature = inspect.signature(original)

    def forward(self: RemoteFaults, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        bound.arguments.pop("self")
        self.apply(fault_name, dict(bound.arguments))

    forward.__name__ = forward.__qualname__ = method_name
    forward.__signature__ = signature  # type: ignore[attr-defined]
    forward.__doc__ = original.__doc__
    return forward


for _fault_name, _method_name in FAULT_METHODS.items():
    setattr(RemoteFaults, _method_name, _forwarding(_fault_name, _method_name))
