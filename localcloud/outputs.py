"""Where a local cloud's stack outputs live, and which emulator owns them.

One emulator, one file: ``.localcloud/outputs.json`` for port 4566 (the default, LocalStack's
edge port) and ``.localcloud/outputs-<port>.json`` for any other port, so emulators on two ports
never share a file. Next to the file, ``outputs[-<port>].owner.json`` records the emulator whose
state it describes (pid, port, endpoint). ``localcloud up`` refuses, before deploying, to write
a file whose owner is a live emulator on another port, and writes the file (atomically, with its
owner record) only after every declared service converged: a failed ``up`` leaves the previous
file as it was. ``localcloud fault`` finds the file of the emulator it talks to the same way.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localcloud.errors import LocalCloudError

#: The emulator's default port (LocalStack's edge port); its outputs file has the plain name.
DEFAULT_PORT = 4566
#: Directory of the outputs files, relative to where ``localcloud`` runs.
OUTPUTS_DIR = Path(".localcloud")


def default_outputs_path(port: int) -> Path:
    """The outputs file of the emulator on *port*."""
    name = "outputs.json" if port == DEFAULT_PORT else f"outputs-{port}.json"
    return OUTPUTS_DIR / name


def port_of(endpoint_url: str) -> int:
    """The port an endpoint URL names (80 or 443 when it names none)."""
    parts = urlsplit(endpoint_url)
    return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class Owner:
    """The emulator an outputs file describes."""

    pid: int
    port: int
    endpoint: str

    @property
    def alive(self) -> bool:
        """The process still runs and something still listens on the endpoint's port."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's live process
            pass
        host = urlsplit(self.endpoint).hostname or "127.0.0.1"
        try:
            with socket.create_connection((host, self.port), timeout=0.5):
                return True
        except OSError:
            return False


def owner_path(outputs: Path) -> Path:
    """Where the owner record of *outputs* lives: ``outputs-4590.owner.json`` next to it."""
    return outputs.with_suffix(".owner.json")


def read_owner(outputs: Path) -> Owner | None:
    """The recorded owner of *outputs*, or None when there is no (readable) record."""
    try:
        record = json.loads(owner_path(outputs).read_text())
        return Owner(pid=int(record["pid"]), port=int(record["port"]), endpoint=record["endpoint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_writable(outputs: Path, port: int) -> None:
    """Raise ``LocalCloudError`` when a live emulator on another port owns *outputs*."""
    owner = read_owner(outputs)
    if owner is not None and owner.port != port and owner.alive:
        raise LocalCloudError(
            f"--outputs {outputs} belongs to the emulator serving at {owner.endpoint} "
            f"(pid {owner.pid}); stop it, or leave --outputs out to use "
            f"{default_outputs_path(port)}"
        )


def write_outputs(outputs: dict[str, Any], path: Path, owner: Owner) -> Path:
    """Write *outputs* as ``pulumi stack output --json`` prints them, and its owner record.

    Each file is written to a temporary name first and renamed, so a reader never sees half a
    file; returns *path*.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    write_atomically(owner_path(path), json.dumps(asdict(owner), indent=2) + "\n")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write *text* to a temporary name next to *path* and rename it: readers never see half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
