"""The ``awslogs`` log driver: a container's stdout and stderr lines as CloudWatch Logs events.

``AwsLogsDestination.of(definition, task_id)`` reads a container definition's
``logConfiguration`` (``awslogs-group``, ``awslogs-region``, ``awslogs-stream-prefix``,
``awslogs-create-group``) and names the stream as ECS does, ``PREFIX/CONTAINER/TASK_ID``;
``deliver`` writes events into the emulator's own CloudWatch Logs (creating the stream, and the
group when ``awslogs-create-group`` is true), under the emulator's lock.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend

from localcloud import _moto_env  # noqa: F401  (moto settings first)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AwsLogsDestination:
    """Where one container's lines go: account, region, log group and stream."""

    account_id: str
    region: str
    group: str
    stream: str
    create_group: bool = False

    @classmethod
    def of(
        cls, definition: dict[str, Any], account_id: str, region: str, task_id: str
    ) -> AwsLogsDestination | None:
        """The destination of a container definition, None unless it logs with ``awslogs``."""
        config = definition.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or not options.get("awslogs-group"):
            return None
        prefix = options.get("awslogs-stream-prefix")
        name = definition.get("name")
        stream = f"{prefix}/{name}/{task_id}" if prefix else f"{name}/{task_id}"
        return cls(
            account_id,
            options.get("awslogs-region") or region,
            options["awslogs-group"],
            stream,
            str(options.get("awslogs-create-group", "false")).lower() == "true",
        )

    def deliver(self, lock: threading.RLock, events: list[tuple[int, str]]) -> None:
        """Append *events* (epoch milliseconds, message) to the stream, oldest first."""
        if not events:
            return
        with lock:
            logs = get_backend("logs")[self.account_id][self.region]
            if self.group not in logs.groups:
                if not self.create_group:
                    log.warning("log group %s does not exist; dropping %d lines", self.group,
                                len(events))  # fmt: skip
                    return
                logs.create_log_group(self.group, {})
            group = logs.groups[self.group]
            if self.stream not in group.streams:
                group.create_log_stream(self.stream)
            logs.put_log_events(
                self.group,
                self.stream,
                [{"timestamp": ts, "message": message} for ts, message in sorted(events)],
            )
