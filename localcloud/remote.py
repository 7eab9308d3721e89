"""A local cloud in another process: a ``localcloud serve`` emulator or a LocalStack.

``RemoteCloud`` offers the same surface as ``LocalCloud`` (``endpoint_url``, ``region``,
``client()``, ``reset()``, ``scheduler``, ``faults``), its clients built through
``localstack-client``. The scheduler and faults exist only when the endpoint is this project's
emulator (it answers ``/_localcloud/health``); LocalStack has neither. They speak the control
API of ``localcloud.control``.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from localcloud.base import CREDENTIALS, Deployable
from localcloud.control import ControlClient, RemoteFaults, RemoteScheduler
from localcloud.errors import LocalCloudError

#: Environment variables that point the tests (and the CLI) at a running local cloud.
ENDPOINT_VARIABLES = ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")


def configured_endpoint() -> tuple[str, str] | None:
    """(variable, URL) of the first endpoint variable that is set, or None."""
    for variable in ENDPOINT_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


class RemoteCloud(Deployable):
    """A local cloud reached over HTTP at *endpoint_url* (see the module docstring)."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1", timeout: float = 5.0) -> None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LocalCloudError(
                f"endpoint '{endpoint_url}' is not a URL; use e.g. http://localhost:4566"
            )
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self._host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._control = ControlClient(self.endpoint_url, timeout)
        self.is_localcloud = self._probe()
        self.scheduler = RemoteScheduler(self._control) if self.is_localcloud else None
        self.faults = RemoteFaults(self._control) if self.is_localcloud else None

    def _probe(self) -> bool:
        """Raise if nothing answers; True when it is this project's emulator."""
        try:
            self._control.call("health")
            return True
        except LocalCloudError:
            return False
        except OSError as exc:
            reason = getattr(exc, "reason", exc)
            raise LocalCloudError(
                f"endpoint {self.endpoint_url} is not reachable ({reason}); start it "
                "(`python -m localcloud serve`) or unset LOCALSTACK_ENDPOINT/AWS_ENDPOINT_URL"
            ) from None

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for the endpoint, made by localstack-client's session."""
        from localstack_client.session import Session

        session = Session(
            region_name=self.region,
            localstack_host=self._host,
            **CREDENTIALS,
        )
        try:
            return session.client(service_name, **kwargs)
        except Exception:  # a service localstack-client does not list: plain boto3
            import boto3

            return boto3.client(
                service_name,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                **{**CREDENTIALS, **kwargs},
            )

    def reset(self) -> None:
        """Forget all state (this project's emulator only; LocalStack state is left alone)."""
        if self.is_localcloud:
            self._control.call("reset")
