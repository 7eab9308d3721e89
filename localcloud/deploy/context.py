"""What every resource handler needs: AWS clients bound to the cloud, names, tag formats."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from typing import Any

#: How long deleting an ECS service waits, by default, for the scheduler to stop its tasks.
SERVICE_DRAIN_TIMEOUT_S = 60.0


class DeployContext:
    """AWS clients of one emulated deploy (thread-safe: Pulumi registers in parallel).

    ``calls`` counts the API calls its clients made, by ``service.Operation``;
    *service_drain_timeout* bounds the wait for a deleted service's tasks to stop.
    """

    def __init__(
        self, cloud: Any, region: str, service_drain_timeout: float = SERVICE_DRAIN_TIMEOUT_S
    ) -> None:
        self.cloud = cloud
        self.region = region
        self.service_drain_timeout = service_drain_timeout
        self.calls: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}
        self._guard = threading.Lock()

    def client(self, service_name: str) -> Any:
        """A boto3 client (created once; boto3 clients are thread-safe)."""
        with self._guard:
            if service_name not in self._clients:
                client = self.cloud.client(service_name, region_name=self.region)
                client.meta.events.register("before-call", self._count)
                self._clients[service_name] = client
            return self._clients[service_name]

    def _count(self, model: Any, **_: Any) -> None:
        with self._guard:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @property
    def account_id(self) -> str:
        """The emulator's account id (from STS, like the provider)."""
        with self._guard:
            cached = self._clients.get("__account")
        if cached is None:
            cached = self.client("sts").get_caller_identity()["Account"]
            with self._guard:
                self._clients["__account"] = cached
        return cached


def autoname(logical: str, max_length: int = 255, lowercase: bool = False) -> str:
    """Pulumi's auto-name: ``<logical>-<7 hex>``, the logical part cut to fit *max_length*."""
    from components.name_rules import AUTONAME_SUFFIX_LENGTH  # (components loads Pulumi)

    suffix = "-" + secrets.token_hex(4)[: AUTONAME_SUFFIX_LENGTH - 1]
    name = logical[: max_length - len(suffix)] + suffix
    return name.lower() if lowercase else name


def physical_name(
    inputs: dict[str, Any], logical: str, max_length: int = 255, lowercase: bool = False
) -> str:
    """The ``name`` input, else ``namePrefix`` plus random hex, else the auto-name."""
    if inputs.get("name"):
        return str(inputs["name"])
    prefix = inputs.get("namePrefix")
    if prefix:
        room = max(0, min(26, max_length - len(prefix)))
        return prefix + secrets.token_hex(13)[:room]
    return autoname(logical, max_length, lowercase)


def tag_list(tags: dict[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict]:
    """Tags as the list most AWS APIs take (``[{"Key": k, "Value": v}]``)."""
    return [{key: k, value: v} for k, v in (tags or {}).items()]


def ec2_tag_specs(resource_type: str, tags: dict[str, str] | None) -> list[dict[str, Any]]:
    """EC2 ``TagSpecifications`` for a create call (empty when there are no tags)."""
    if not tags:
        return []
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]


def as_int(value: Any) -> int | None:
    """Pulumi hands numbers over as floats; AWS APIs want ints."""
    return None if value is None else int(value)


def drop_none(**fields: Any) -> dict[str, Any]:
    """Keyword arguments without the ones that are None (boto3 rejects None)."""
    return {key: value for key, value in fields.items() if value is not None}
