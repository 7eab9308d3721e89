"""Whether a Docker Engine answers, and why not: what picks the task runtime and skips the tests
that need real containers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Seconds to wait for the daemon's answer to a ping.
PING_TIMEOUT = 3.0


@dataclass(frozen=True)
class DaemonStatus:
    """The answer of the Docker Engine reached through the environment (``DOCKER_HOST``)."""

    available: bool
    reason: str
    version: str | None = None


def daemon_status() -> DaemonStatus:
    """Ping the Docker Engine the ``docker`` SDK finds (``DOCKER_HOST`` or the local socket)."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return DaemonStatus(False, "the docker Python package is not installed")
    try:
        client = docker.from_env(timeout=PING_TIMEOUT)
    except DockerException as exc:
        return DaemonStatus(False, f"no Docker daemon answers ({_first_line(exc)})")
    try:
        client.ping()
        version = str(client.version().get("Version"))
    except Exception as exc:  # requests/urllib3 errors of every kind: the daemon did not answer
        return DaemonStatus(False, f"no Docker daemon answers ({_first_line(exc)})")
    finally:
        client.close()
    return DaemonStatus(True, f"Docker Engine {version} answers", version)


def _first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
