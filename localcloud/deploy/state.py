"""The state of what the local cloud deployed: one record per resource, kept in a JSON file.

One emulator, one state file, next to its outputs file (``localcloud.outputs``; the CLI's
``--outputs`` moves both): ``.localcloud/state.json`` for port 4566 and
``.localcloud/state-<port>.json`` for any other port, written atomically after every deploy or
destroy. Its format (``version`` 1)::

    {
      "version": 1,
      "stack": "localstack",
      "endpoint": "http://127.0.0.1:4566",
      "resources": [                      # in registration order (dependencies first)
        {
          "type": "aws:ecs/service:Service",
          "urn": "urn:pulumi:localstack::fargate-app::...$aws:ecs/service:Service::web-service",
          "id": "arn:aws:ecs:us-east-1:000000000000:service/web-localstack/web-localstack",
          "inputs": {...},                # what the program registered (Pulumi names)
          "outputs": {...},               # what the provider answered
          "dependencies": ["urn:..."],    # URNs this resource depends on
          "parent": "urn:...",            # URN of its component
          "ignoreChanges": ["desiredCount"]
        }
      ]
    }

A state whose resources the emulator no longer has (it was restarted or reset since) is stale:
``anchor`` names the probe the deploy uses to tell (one read call).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localcloud.errors import LocalCloudError
from localcloud.outputs import DEFAULT_PORT, OUTPUTS_DIR, write_atomically

STATE_VERSION = 1


def default_state_path(port: int) -> Path:
    """The state file of the emulator on *port* (next to its default outputs file)."""
    return OUTPUTS_DIR / _state_name(port)


def state_path_beside(outputs: Path, port: int) -> Path:
    """The state file next to the outputs file *outputs* of the emulator on *port*
    (``state.json`` for port 4566, ``state-<port>.json`` for any other)."""
    return outputs.parent / _state_name(port)


def _state_name(port: int) -> str:
    return "state.json" if port == DEFAULT_PORT else f"state-{port}.json"


@dataclass(frozen=True)
class ResourceState:
    """One deployed resource (see the module docstring for the JSON names)."""

    type: str
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    parent: str = ""
    ignoreChanges: tuple[str, ...] = ()  # noqa: N815 - the state file's name

    @property
    def name(self) -> str:
        """The logical name (the last part of the URN)."""
        return self.urn.rsplit("::", 1)[-1]

    @property
    def custom(self) -> bool:
        """Whether the resource exists in AWS (not a component)."""
        return not self.type.startswith(("fargate-app:", "pulumi:"))


@dataclass
class StackState:
    """Every resource of one deployed stack, in registration order."""

    stack: str = ""
    endpoint: str = ""
    resources: list[ResourceState] = field(default_factory=list)

    def by_urn(self) -> dict[str, ResourceState]:
        """The resources keyed by URN."""
        return {resource.urn: resource for resource in self.resources}

    @property
    def empty(self) -> bool:
        """Whether nothing is deployed."""
        return not self.resources


def load_state(path: Path) -> StackState:
    """The state in *path* (an empty state when there is no file)."""
    if not path.is_file():
        return StackState()
    try:
        document = json.loads(path.read_text())
        if document.get("version") != STATE_VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        resources = [
            ResourceState(
                type=item["type"],
                urn=item["urn"],
                id=item["id"],
                inputs=item["inputs"],
                outputs=item["outputs"],
                dependencies=tuple(item.get("dependencies", ())),
                parent=item.get("parent", ""),
                ignoreChanges=tuple(item.get("ignoreChanges", ())),
            )
            for item in document["resources"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LocalCloudError(
            f"state file {path} is not a local cloud state ({exc}); delete it to start afresh"
        ) from None
    return StackState(document.get("stack", ""), document.get("endpoint", ""), resources)


def save_state(state: StackState, path: Path) -> Path:
    """Write *state* to *path* atomically; returns *path*."""
    document = {
        "version": STATE_VERSION,
        "stack": state.stack,
        "endpoint": state.endpoint,
        "resources": [asdict(resource) for resource in state.resources],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(document, indent=2, default=str) + "\n")
    return path
