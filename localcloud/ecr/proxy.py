"""The local ECR's front door: a pass-through HTTP proxy (aiohttp) before the registry.

Every repository URI points here. Requests pass through unchanged (streamed both ways), except
where ECR behaves otherwise than a bare registry; the rules (``PushRules``) answer those:

- a request for a repository ECR does not have fails with ``NAME_UNKNOWN`` (404), as ECR's does;
- ``PUT /v2/<name>/manifests/<tag>`` of a tag an IMMUTABLE repository already holds fails with
  ``TAG_INVALID`` (400) and ECR's message, so ``docker push`` fails naming the tag;
- a manifest the registry accepted is reported (``pushed``), which gives ``imagePushedAt``.

Errors are OCI distribution error bodies (``{"errors": [{"code", "message"}]}``).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import ClientSession, ClientTimeout, web

from localcloud.ecr.catalog import manifest_digest

#: ``/v2/<name>/<kind>/<reference>``; a name may hold slashes, so the kind is searched lazily.
_REPOSITORY_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs|tags)/(?P<ref>.*)$")
#: Headers of one hop, never forwarded (RFC 9110 section 7.6.1), and the ones aiohttp sets.
_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    """An ECR error answered instead of the registry's: HTTP status, OCI code, message."""

    status: int
    code: str
    message: str


class PushRules(Protocol):
    """What the proxy asks ECR (called from a worker thread: they may take the emulator lock)."""

    def refuse_repository(self, name: str) -> Refusal | None:
        """Why requests for repository *name* fail, or None."""

    def refuse_manifest(self, name: str, tag: str, digest: str) -> Refusal | None:
        """Why putting manifest *digest* under *tag* fails, or None."""

    def pushed(self, name: str, digest: str) -> None:
        """The registry accepted manifest *digest* in repository *name*."""


class RegistryProxy:
    """Serves the proxy on ``host``, a free port, from its own thread and event loop."""

    def __init__(self, upstream: str, rules: PushRules, host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.rules = rules
        self.host = host
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="localcloud-ecr-proxy", daemon=True
        )
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    def start(self) -> None:
        """Bind a free port and serve (returns once the port is bound)."""
        self._thread.start()
        self.port = self._run(self._start())

    def stop(self) -> None:
        """Stop serving, release the port and end the thread."""
        if not self._thread.is_alive():
            return
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def alive(self) -> bool:
        """Whether the proxy's thread serves."""
        return self._thread.is_alive()

    def _run(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()  # type: ignore[arg-type]

    async def _start(self) -> int:
        self._session = ClientSession(
            timeout=ClientTimeout(total=None, sock_connect=5), auto_decompress=False
        )
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        match = _REPOSITORY_PATH.match(request.path)
        body: Any = request.content if request.body_exists else None
        digest = None
        if match:
            refusal = await self._ask(self.rules.refuse_repository, match["name"])
            if refusal is None and request.method == "PUT" and match["kind"] == "manifests":
                body = await request.read()
                digest = manifest_digest(body)
                if not match["ref"].startswith("sha256:"):
                    refusal = await self._ask(
                        self.rules.refuse_manifest, match["name"], match["ref"], digest
                    )
            if refusal is not None:
                return _error(refusal)
        response = await self._pass_through(request, body)
        if digest is not None and 200 <= response.status < 300:
            await self._ask(self.rules.pushed, match["name"], digest)  # type: ignore[index]
        return response

    async def _pass_through(self, request: web.Request, body: Any) -> web.StreamResponse:
        assert self._session is not None
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=_forwardable(request.headers),
            data=body,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            response.headers.update(_forwardable(upstream.headers))
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in upstream.content.iter_chunked(_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response

    async def _ask(self, rule: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, rule, *args)


def _forwardable(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS | {"host"}}


def _error(refusal: Refusal) -> web.Response:
    body = {"errors": [{"code": refusal.code, "message": refusal.message, "detail": None}]}
    return web.Response(
        status=refusal.status, text=json.dumps(body), content_type="application/json"
    )
