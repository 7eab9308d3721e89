"""Botocore-level fault injection for moto-only tests: answer chosen calls with an AWS error."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError


class _Raw(io.BytesIO):
    def stream(self, **_: Any):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def json_error(code: str, message: str, status: int = 400) -> AWSResponse:
    """An AWS JSON-protocol error response (ECS, Application Auto Scaling)."""
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = {"x-amzn-requestid": "fault", "content-type": "application/x-amz-json-1.1"}
    return AWSResponse("http://fault", status, headers, _Raw(body))


def inject(
    client: Any,
    operation: str,
    when: Callable[[int], bool],
    respond: Callable[[], AWSResponse | None],
) -> list[int]:
    """Answer attempt n (1-based) of `operation` with `respond()` when `when(n)`; returns a log."""
    attempts: list[int] = []

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        attempts.append(len(attempts) + 1)
        if when(attempts[-1]):
            return respond()
        return None

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}.{operation}", handler)
    return attempts


def connection_refused() -> None:
    """Raise what botocore raises when nothing listens on the endpoint."""
    raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
