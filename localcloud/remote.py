"""A local cloud in another process: a ``localcloud serve`` emulator or a LocalStack.

``RemoteCloud`` offers the same surface as ``LocalCloud`` (``endpoint_url``, ``region``,
``client()``, ``reset()``, ``scheduler``, ``faults``), its clients built through
``localstack-client``. The scheduler and faults exist only when the endpoint is this project's
emulator (it answers ``/_localcloud/health``); LocalStack has neither.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from localcloud.base import Deployable
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
        self._timeout = timeout
        self._host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self.is_localcloud = self._probe()
        self.scheduler = RemoteScheduler(self) if self.is_localcloud else None
        self.faults = RemoteFaults(self) if self.is_localcloud else None

    def _probe(self) -> bool:
        """Raise if nothing answers; True when it is this project's emulator."""
        try:
            self.control("GET", "health")
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
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name=self.region,
            localstack_host=self._host,
        )
        try:
            return session.client(service_name, **kwargs)
        except Exception:  # a service localstack-client does not list: plain boto3
            import boto3

            return boto3.client(
                service_name,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                **kwargs,
            )

    def reset(self) -> None:
        """Forget all state (this project's emulator only; LocalStack state is left alone)."""
        if self.is_localcloud:
            self.control("POST", "reset")

    def control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call the emulator's control API; a refused request is a ``LocalCloudError``."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.endpoint_url}/_localcloud/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
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

    def __init__(self, cloud: RemoteCloud) -> None:
        self._cloud = cloud

    def tick(self) -> None:
        """One reconciliation step of every service, in the emulator's process."""
        self._cloud.control("POST", "tick")


class RemoteFaults:
    """The faults of an emulator in another process; same methods as ``Faults``."""

    def __init__(self, cloud: RemoteCloud) -> None:
        self._cloud = cloud

    def apply(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Arm fault *name* with *args*; returns the armed faults."""
        return self._cloud.control("POST", "faults", {"fault": name, "args": args})["faults"]

    def crash_loop(self, cluster: str, service: str, reason: str | None = None) -> None:
        """See ``Faults.crash_loop``."""
        args = {"cluster": cluster, "service": service}
        if reason is not None:
            args["reason"] = reason
        self.apply("crash-loop", args)

    def capacity_shortage(self, cluster: str, service: str) -> None:
        """See ``Faults.capacity_shortage``."""
        self.apply("capacity-shortage", {"cluster": cluster, "service": service})

    def out_of_band_scale(self, cluster: str, service: str, desired_count: int) -> None:
        """See ``Faults.out_of_band_scale``."""
        self.apply(
            "out-of-band-scale",
            {"cluster": cluster, "service": service, "desired_count": desired_count},
        )

    def unhealthy_targets(
        self, target_group_arn: str, count: int, reason: str = "Target.ResponseCodeMismatch"
    ) -> None:
        """See ``Faults.unhealthy_targets``."""
        self.apply(
            "unhealthy-targets",
            {"target_group_arn": target_group_arn, "count": count, "reason": reason},
        )

    def throttle(self, fraction: float, services: Any = ("ecs", "elbv2")) -> None:
        """See ``Faults.throttle``."""
        self.apply("throttle", {"fraction": fraction, "services": list(services)})

    def clear(self) -> None:
        """See ``Faults.clear``."""
        self._cloud.control("DELETE", "faults")

    def active(self) -> list[dict[str, Any]]:
        """See ``Faults.active``."""
        return self._cloud.control("GET", "faults")["faults"]
