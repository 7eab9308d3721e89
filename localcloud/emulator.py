"""The embedded AWS emulator: moto's WSGI app served in-process, behind one request hook.

moto's own ``ThreadedMotoServer`` binds its socket inside its thread (a busy port then hangs
``start()`` forever), so this module binds the socket in the caller's thread - a busy port is
an immediate one-line ``LocalCloudError`` - and serves moto's app from a daemon thread.

The request hook (``EmulatorApp``) is the one seam between clients and moto:

- it answers the throttling fault *before* moto sees the call, from the SigV4 credential
  scope (the signing service), in the error format of the service's protocol;
- it serializes moto requests with the scheduler's ticks (one lock), so every call sees a
  whole tick and moto's dicts never change while a request iterates them;
- it serves the control API under ``/_localcloud/`` (``localcloud.control``: faults, tick,
  health, reset) that the CLI uses against an emulator running in another process;
- it notices ``POST /moto-api/reset`` and resets the scheduler's bookkeeping with moto.

Clients in the emulator's own process (``LocalCloud.client``: the tests, the emulated deploy)
hand their requests to the same hook without a socket (``InProcessTransport``); other
processes reach it over HTTP.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.control import CONTROL_PREFIX
from localcloud.errors import LocalCloudError
from localcloud.faults import THROTTLEABLE
from localcloud.ports import bind_listener

_REQUEST = threading.local()


def serving_emulator_request() -> bool:
    """Whether this thread is handling a request of the emulator (not a ``mock_aws`` call).

    moto's state and code are process-wide; the fidelity patches act only on the emulator's
    requests, so ``mock_aws`` tests in the same process keep moto's own behaviour.
    """
    return getattr(_REQUEST, "active", False)


@contextmanager
def acting_as_emulator() -> Iterator[None]:
    """Run a block as the emulator would (its moto patches active), e.g. a direct reset."""
    previous = serving_emulator_request()
    _REQUEST.active = True
    try:
        yield
    finally:
        _REQUEST.active = previous


_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
#: Signing names (SigV4 scope) to the service names the throttle fault uses.
_SIGNING_TO_SERVICE = {"elasticloadbalancing": "elbv2"}

StartResponse = Callable[..., Any]
Controller = Callable[[str, str, dict[str, Any]], tuple[int, Any]]


class EmulatorApp:
    """WSGI hook around moto's app: throttling, the request lock, the control API, reset."""

    def __init__(
        self,
        lock: threading.RLock,
        should_throttle: Callable[[str], bool],
        control: Controller,
        on_reset: Callable[[], None],
    ) -> None:
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._lock = lock
        self._should_throttle = should_throttle
        self._control = control
        self._on_reset = on_reset

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._serve_control(environ, start_response)
        service = signing_service(environ.get("HTTP_AUTHORIZATION", ""))
        if service in THROTTLEABLE and self._should_throttle(service):
            return throttled_response(service, start_response)
        with self._lock, acting_as_emulator():
            result = self._moto(environ, start_response)
            body = b"".join(result)
            close = getattr(result, "close", None)
            if close:
                close()
            if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                self._on_reset()
        return [body]

    def _serve_control(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            payload = json.loads(raw) if raw else {}
            status, answer = self._control(
                environ["REQUEST_METHOD"], environ["PATH_INFO"][len(CONTROL_PREFIX) :], payload
            )
        except LocalCloudError as exc:
            status, answer = 400, {"error": str(exc)}
        except ValueError as exc:
            status, answer = 400, {"error": f"request body is not JSON: {exc}"}
        body = json.dumps(answer, default=str).encode()
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


class InProcessTransport:
    """botocore's ``before-send`` handler that gives a signed request to *app* in this process
    and returns its answer as the HTTP response would be: the same request hook (throttling,
    lock, control API), the same bytes and headers, without a socket, a connection or a server
    thread (about 40 % of an API call's cost on the emulator). ``client.meta.events
    .register_first("before-send", transport)``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        environ = EnvironBuilder(
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            query_string=url.query,
            headers=[
                (name, value.decode() if isinstance(value, bytes) else value)
                for name, value in request.headers.items()
            ],
            data=request.body or b"",
        ).get_environ()
        body, status, headers = run_wsgi_app(self._app, environ, buffered=True)
        content = b"".join(body)
        answer_headers = {"Date": formatdate(usegmt=True), **dict(headers)}  # as a server adds
        return AWSResponse(
            request.url, int(status.split()[0]), answer_headers, MockRawResponse(content)
        )


def signing_service(authorization: str) -> str | None:
    """The service a SigV4-signed request is for, from its credential scope."""
    match = _SCOPE.search(authorization)
    if not match:
        return None
    return _SIGNING_TO_SERVICE.get(match.group(1), match.group(1))


def throttled_response(service: str, start_response: StartResponse) -> list[bytes]:
    """The throttling error AWS sends for *service*, in its protocol's error format."""
    protocol, code = THROTTLEABLE[service]
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        body = (
            '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", code),
        ],
    )
    return [body]


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without the access log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log successful requests."""


class EmulatorServer:
    """An HTTP server for *app* on host:port, bound at construction, served by ``start()``."""

    def __init__(self, host: str, port: int, app: Callable[..., Any]) -> None:
        # Bind here (werkzeug would print and sys.exit on a busy port) and hand werkzeug the fd.
        listener = bind_listener(host, port)
        try:
            self._server: BaseWSGIServer = make_server(
                host,
                listener.getsockname()[1],
                app,
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of the descriptor
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Callable[..., Any]:
        """The WSGI app served."""
        return self._server.app

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve requests in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="localcloud-emulator", daemon=True
        )
        self._thread.start()

    def alive(self) -> bool:
        """Whether the serving thread still runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
