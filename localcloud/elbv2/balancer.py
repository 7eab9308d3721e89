"""The local load balancer: every ALB listener of the emulator served on 127.0.0.1.

One asyncio event loop in one thread (aiohttp's server and client) serves every listener,
proxies to targets and runs the health checks; no thread per request. Each listener gets a
free local port when it appears (CreateListener through the emulator, or found at start), keeps
it while it exists and loses it when the listener, its load balancer or the whole state
(reset, stop) goes. Sockets are bound in the caller's thread, so a listener accepts
connections as soon as CreateListener returns.

A request is routed as ``localcloud.elbv2.routing`` says; a forward action picks the target
group's healthy targets round robin (every non-draining target when none is healthy: ALB fails
open), and answers 503 with no registered targets, 502 when the target refuses or has no local
address (a simulated task), 504 when it does not answer within the load balancer's idle
timeout. Draining targets get no new requests; requests already sent to them finish.

Every ``HEALTH_CHECK_POLL`` seconds a health-check round probes the targets whose check is due
(``localcloud.elbv2.views.health_checks``) concurrently and records the outcomes in
``localcloud.elbv2.health.HEALTH``; the emulator's lock is held only while the round copies
what it needs, never while it waits on the network.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from moto.elbv2.models import ELBv2Backend

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.elbv2 import targets, views
from localcloud.elbv2.certificates import server_context
from localcloud.elbv2.health import (
    DESCRIPTIONS,
    FAILED_HEALTH_CHECKS,
    HEALTH,
    RESPONSE_CODE_MISMATCH,
    TIMEOUT,
    Probe,
    mismatch_description,
)
from localcloud.elbv2.routing import (
    Request,
    forward_groups,
    matching_action,
    redirect_location,
    redirect_status,
)
from localcloud.emulator import serving_emulator_request
from localcloud.outputs import write_atomically

#: Seconds between two health-check rounds (each probes only the targets that are due).
HEALTH_CHECK_POLL = 0.25
#: The Server header of the answers the load balancer itself gives, as ALB sends it.
SERVER = "awselb/2.0"
#: Headers that concern one connection, never forwarded (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
_ERRORS = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}

_T = TypeVar("_T")


@dataclass
class LocalListener:
    """A served listener: which ALB listener, and where it answers on this machine."""

    view: views.ListenerView
    local_port: int
    socket: socket.socket | None = None
    runner: web.BaseRunner | None = None
    certificate_pem: bytes | None = None

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT``."""
        scheme = "https" if self.view.protocol == "HTTPS" else "http"
        return f"{scheme}://127.0.0.1:{self.local_port}"


@dataclass
class _RoundRobin:
    counters: dict[str, itertools.count] = field(default_factory=dict)

    def next(self, key: str) -> int:
        return next(self.counters.setdefault(key, itertools.count()))


class LocalLoadBalancer:
    """Serves the emulator's ALB listeners on 127.0.0.1 (see the module docstring).

    *lock* is the emulator's request lock: the load balancer takes it only to copy moto's
    state. ``sync()`` (called with or without the lock) makes the served listeners those moto
    has; ``endpoints()`` says where they answer.
    """

    def __init__(self, lock: threading.RLock, host: str = "127.0.0.1") -> None:
        self.lock = lock
        self.host = host
        self._listeners: dict[str, LocalListener] = {}
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self._health_task: asyncio.Task[None] | None = None
        self._round_robin = _RoundRobin()
        self._endpoints_file: Path | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> LocalLoadBalancer:
        """Start the event loop thread and serve every listener moto has (idempotent)."""
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=loop.run_forever, name="localcloud-load-balancer", daemon=True
        )
        self._thread.start()
        self._loop = loop
        self._call(self._open_session()).result()
        self.sync()
        return self

    def stop(self) -> None:
        """Close every listener, stop the loop and remove the endpoints file."""
        loop = self._loop
        if loop is None:
            return
        with self._guard:
            served, self._listeners = list(self._listeners.values()), {}
        self._call(self._shutdown(served)).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None
        if self._endpoints_file is not None:
            self._endpoints_file.unlink(missing_ok=True)
            self._endpoints_file = None

    @property
    def running(self) -> bool:
        """Whether the load balancer's loop runs."""
        return self._thread is not None and self._thread.is_alive()

    def _call(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _open_session(self) -> None:
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=0, force_close=True),
        )
        self._health_task = asyncio.get_running_loop().create_task(self._health_loop())

    async def _shutdown(self, served: list[LocalListener]) -> None:
        if self._health_task is not None:
            self._health_task.cancel()
        for listener in served:
            await self._close(listener)
        if self._session is not None:
            await self._session.close()

    # -- listeners -----------------------------------------------------------------------------

    def sync(self) -> None:
        """Serve exactly moto's ALB listeners: open the new ones, close the gone ones.

        Never waits on the event loop, so it may run under the emulator's lock (it takes it).
        """
        if self._loop is None:
            return
        with self.lock:
            wanted = {view.arn: view for view in views.listeners()}
        with self._guard:
            for arn in [arn for arn, served in self._listeners.items() if arn not in wanted]:
                self._schedule_close(self._listeners.pop(arn))
            for arn, view in wanted.items():
                served = self._listeners.get(arn)
                if served is not None and served.view == view:
                    continue
                if served is not None:
                    self._schedule_close(self._listeners.pop(arn))
                self._listeners[arn] = self._bind(view)
            self._write_endpoints()

    def _bind(self, view: views.ListenerView) -> LocalListener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        sock.setblocking(False)
        listener = LocalListener(view, sock.getsockname()[1], sock)
        self._call(self._open(listener))
        return listener

    async def _open(self, listener: LocalListener) -> None:
        context = None
        if listener.view.protocol == "HTTPS":
            context, listener.certificate_pem = server_context(
                listener.view.certificate_domain or listener.view.dns_name
            )
        server = web.Server(functools.partial(self._handle, listener.view))
        runner = web.ServerRunner(server, handle_signals=False)
        await runner.setup()
        assert listener.socket is not None
        await web.SockSite(runner, listener.socket, ssl_context=context).start()
        listener.runner = runner

    def _schedule_close(self, listener: LocalListener) -> None:
        self._call(self._close(listener))

    async def _close(self, listener: LocalListener) -> None:
        if listener.runner is not None:
            await listener.runner.cleanup()
        if listener.socket is not None:
            listener.socket.close()

    def endpoints(self) -> dict[str, dict[str, str]]:
        """Load balancer DNS name -> listener port -> local URL, of every served listener."""
        with self._guard:
            return self._endpoints()

    def _endpoints(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for listener in self._listeners.values():
            found.setdefault(listener.view.dns_name, {})[str(listener.view.port)] = listener.url
        return {dns: dict(sorted(ports.items())) for dns, ports in sorted(found.items())}

    def certificate_pem(self, dns_name: str, port: int) -> bytes | None:
        """The PEM of the self-signed certificate an HTTPS listener serves (None until set)."""
        with self._guard:
            for listener in self._listeners.values():
                if (listener.view.dns_name, listener.view.port) == (dns_name, port):
                    return listener.certificate_pem
        return None

    def write_endpoints_to(self, path: Path | None) -> None:
        """Keep *path* up to date with ``endpoints()`` (atomically); removed on ``stop()``.
        None stops writing (the file stays as it is)."""
        with self._guard:
            self._endpoints_file = path
            self._write_endpoints()

    def _write_endpoints(self) -> None:
        if self._endpoints_file is None:
            return
        self._endpoints_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self._endpoints_file, json.dumps(self._endpoints(), indent=2) + "\n")

    # -- requests ------------------------------------------------------------------------------

    async def _locked(self, function: Callable[..., _T], *args: Any) -> _T:
        """*function(*args)* under the emulator's lock, in a worker thread (the loop runs on)."""

        def run() -> _T:
            with self.lock:
                return function(*args)

        return await asyncio.get_running_loop().run_in_executor(None, run)

    async def _handle(self, listener: views.ListenerView, request: web.BaseRequest) -> Any:
        route = await self._locked(views.route, listener.arn)
        action = None
        if route is not None:
            wanted = Request(
                listener.protocol, listener.port, request.host, request.path, request.query_string
            )
            action = matching_action(route.rules, wanted)
        if route is None or action is None:
            return _error(503)
        kind = action.get("Type")
        if kind == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            return web.Response(
                status=int(config.get("StatusCode", 200)),
                text=config.get("MessageBody", ""),
                content_type=config.get("ContentType") or "text/plain",
                headers={"Server": SERVER},
            )
        if kind == "redirect":
            config = action.get("RedirectConfig") or {}
            return web.Response(
                status=redirect_status(config),
                headers={"Location": redirect_location(config, wanted), "Server": SERVER},
            )
        if kind == "forward":
            return await self._forward(listener, route, action, request)
        return _error(503)

    def _pick(self, route: views.RouteView, action: dict[str, Any]) -> views.TargetView | None:
        weighted = [(arn, w) for arn, w in forward_groups(action) if w > 0]
        if not weighted:
            return None
        key = "groups " + " ".join(arn for arn, _ in weighted)
        turn = self._round_robin.next(key) % sum(w for _, w in weighted)
        arn = next(arn for arn, bound in _cumulative(weighted) if turn < bound)
        serving = [t for t in route.target_groups.get(arn, []) if t.state != "draining"]
        healthy = [t for t in serving if t.state == "healthy"] or serving  # fail open
        if not healthy:
            return None
        return healthy[self._round_robin.next(arn) % len(healthy)]

    async def _forward(
        self,
        listener: views.ListenerView,
        route: views.RouteView,
        action: dict[str, Any],
        request: web.BaseRequest,
    ) -> Any:
        target = self._pick(route, action)
        if target is None:
            return _error(503)
        if target.address is None:
            return _error(502)
        host, port = target.address
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        forwarded_for = request.headers.get("X-Forwarded-For")
        client = request.remote or "127.0.0.1"
        headers["X-Forwarded-For"] = f"{forwarded_for}, {client}" if forwarded_for else client
        headers["X-Forwarded-Proto"] = listener.protocol.lower()
        headers["X-Forwarded-Port"] = str(listener.port)
        body = await request.read()
        assert self._session is not None
        try:
            async with self._session.request(
                request.method,
                f"http://{host}:{port}{request.rel_url}",
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=route.idle_timeout),
            ) as answer:
                payload = await answer.read()
                kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
                response = web.Response(status=answer.status, body=payload)
                for key, value in kept:
                    response.headers.add(key, value)
                return response
        except TimeoutError:
            return _error(504)
        except aiohttp.ClientError:
            return _error(502)

    # -- health checks -------------------------------------------------------------------------

    def health_round(self) -> int:
        """Run one health-check round now (from any thread not holding the lock); how many
        targets it probed."""
        return int(self._call(self._health_round()).result())

    async def _health_loop(self) -> None:
        while True:
            try:
                await self._health_round()
            except Exception:  # keep checking; one bad round must not end health checks
                pass
            await asyncio.sleep(HEALTH_CHECK_POLL)

    async def _health_round(self) -> int:
        checks = await self._locked(_due_checks)
        await asyncio.gather(*(self._probe(check) for check in checks))
        return len(checks)

    async def _probe(self, check: views.HealthCheck) -> None:
        assert self._session is not None
        try:
            async with self._session.get(
                check.url,
                allow_redirects=False,
                headers={"User-Agent": "ELB-HealthChecker/2.0"},
                timeout=aiohttp.ClientTimeout(total=check.timeout),
            ) as answer:
                await answer.read()
                code = answer.status
            probe = (
                Probe(True)
                if check.accepts(code)
                else Probe(False, RESPONSE_CODE_MISMATCH, mismatch_description(code))
            )
        except TimeoutError:
            probe = Probe(False, TIMEOUT, DESCRIPTIONS[TIMEOUT])
        except aiohttp.ClientError:
            probe = Probe(False, FAILED_HEALTH_CHECKS, DESCRIPTIONS[FAILED_HEALTH_CHECKS])
        HEALTH.record(check.target_group_arn, check.target_id, probe, check.thresholds)


def _cumulative(weighted: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(ARN, running total of weights): a turn below a total goes to that target group."""
    totals = itertools.accumulate(w for _, w in weighted)
    return list(zip([a for a, _ in weighted], totals, strict=True))


def _due_checks() -> list[views.HealthCheck]:
    targets.complete_drains()
    return views.health_checks()


def _error(status: int) -> web.Response:
    """The page ALB itself answers with for *status*."""
    title = _ERRORS[status]
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(
        status=status, text=body, content_type="text/html", headers={"Server": SERVER}
    )


# -- moto hooks ------------------------------------------------------------------------------------

_installed: dict[str, Any] = {}
_LISTENER_CHANGES = (
    "create_listener",
    "modify_listener",
    "delete_listener",
    "delete_load_balancer",
)


def install(balancer: LocalLoadBalancer) -> None:
    """Make listener changes through the emulator reach *balancer* (patched once per process;
    later calls only rebind it)."""
    _installed["balancer"] = balancer
    if _installed.get("done"):
        return
    _installed["done"] = True
    for name in _LISTENER_CHANGES:
        setattr(ELBv2Backend, name, _syncing(getattr(ELBv2Backend, name)))


def _syncing(original: Any) -> Any:
    @functools.wraps(original)
    def change(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if serving_emulator_request():
            _installed["balancer"].sync()
        return result

    return change
