"""The OCI registry behind the local ECR: Debian's ``docker-registry`` binary, else the
``registry:2`` image when the machine has it, on a free 127.0.0.1 port.

Its storage is a fresh temporary directory per start (moto's state is in memory: the images go
with it). A registry whose emulator died without stopping it is found at the next start by its
storage directory's name (``localcloud-ecr-<owner pid>-...``) and stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from localcloud.errors import LocalCloudError

#: Where Debian's ``docker-registry`` package installs the registry (CNCF distribution 2.x).
REGISTRY_BINARY = "/usr/bin/docker-registry"
#: The registry image used when the binary is missing (only if the machine already has it).
REGISTRY_IMAGE = "registry:2"
#: Label of the registry container, so a leftover is found and removed.
REGISTRY_LABEL = "localcloud.ecr-registry"
STORAGE_PREFIX = "localcloud-ecr-"
#: Seconds the registry gets to answer ``GET /v2/`` after it started.
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class RegistryChoice:
    """How this machine can run the registry (``binary``, ``image`` or ``none``), from what
    (the binary's path, the image's name) and, for ``none``, why not."""

    kind: str
    source: str
    reason: str = ""


def choose_registry(binary: str = REGISTRY_BINARY) -> RegistryChoice:
    """The binary when it is installed, else the ``registry:2`` image when Docker has it."""
    if os.access(binary, os.X_OK):
        return RegistryChoice("binary", binary)
    from localcloud.dockerd import daemon_status

    status = daemon_status()
    if status.available and _has_image(REGISTRY_IMAGE):
        return RegistryChoice("image", REGISTRY_IMAGE)
    docker = "no Docker daemon answers" if not status.available else f"no {REGISTRY_IMAGE} image"
    return RegistryChoice("none", "", f"{binary} is not installed and {docker}")


class RegistryProcess:
    """One running registry: ``start()`` binds a free port, ``stop()`` ends it and its storage."""

    def __init__(self, choice: RegistryChoice, host: str = "127.0.0.1") -> None:
        self.choice = choice
        self.host = host
        self.port = 0
        self.storage: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._container: str | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the registry's HTTP API."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the registry and wait until it answers (``LocalCloudError`` if it never does)."""
        stop_leftovers()
        self.storage = Path(tempfile.mkdtemp(prefix=f"{STORAGE_PREFIX}{os.getpid()}-"))
        self.port = _free_port(self.host)
        if self.choice.kind == "binary":
            config = self.storage / "config.yml"
            config.write_text(_config(self.storage / "data", f"{self.host}:{self.port}"))
            with open(self.storage / "registry.log", "wb") as log:
                self._process = subprocess.Popen(
                    [self.choice.source, "serve", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
        else:
            self._container = _run_container(self.host, self.port, self.storage)
        self._wait_until_answering()

    def alive(self) -> bool:
        """Whether the registry process runs (a container is trusted to)."""
        if self._process is not None:
            return self._process.poll() is None
        return self._container is not None

    @property
    def pid(self) -> int | None:
        """The registry's process id (None for a container)."""
        return self._process.pid if self._process is not None else None

    def forget_repository(self, name: str) -> None:
        """Delete every image of repository *name* from the storage (DeleteRepository)."""
        if self.storage is not None:
            shutil.rmtree(self._repositories() / name, ignore_errors=True)

    def forget_images(self, name: str, tags: list[str], digests: list[str]) -> None:
        """Delete *tags* and the manifests *digests* of repository *name* (BatchDeleteImage)."""
        if self.storage is None:
            return
        manifests = self._repositories() / name / "_manifests"
        for tag in tags:
            shutil.rmtree(manifests / "tags" / tag, ignore_errors=True)
        for digest in digests:
            algorithm, _, hex_digest = digest.partition(":")
            shutil.rmtree(manifests / "revisions" / algorithm / hex_digest, ignore_errors=True)

    def forget_all(self) -> None:
        """Delete every repository from the storage (the emulator was reset)."""
        if self.storage is not None:
            shutil.rmtree(self._repositories(), ignore_errors=True)

    def stop(self) -> None:
        """Stop the registry and delete its storage."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._container is not None:
            _remove_container(self._container)
            self._container = None
        if self.storage is not None:
            shutil.rmtree(self.storage, ignore_errors=True)
            self.storage = None

    def _repositories(self) -> Path:
        assert self.storage is not None
        return self.storage / "data" / "docker" / "registry" / "v2" / "repositories"

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                break
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.05)
        self.stop()
        raise LocalCloudError(
            f"the local ECR's registry ({self.choice.source}) did not answer on "
            f"{self.host}:{self.port} within {START_TIMEOUT:g} s"
        )


def _config(root: Path, address: str) -> str:
    # relativeurls: upload Locations stay valid through the proxy in front of the registry.
    return (
        "version: 0.1\n"
        "log: {level: error, accesslog: {disabled: true}}\n"
        f"storage: {{filesystem: {{rootdirectory: {root}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: {address}, relativeurls: true}}\n"
    )


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def stop_leftovers() -> None:
    """Stop registries (and delete storages) left by emulators that died without stopping them."""
    for storage in Path(tempfile.gettempdir()).glob(f"{STORAGE_PREFIX}*"):
        owner = storage.name[len(STORAGE_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        for pid in _processes_using(storage):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(storage, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _processes_using(storage: Path) -> list[int]:
    """Processes whose command line names *storage* (the registry serving from it)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if str(storage).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


# -- the registry:2 image, for machines without the binary ---------------------------------------


def _has_image(name: str) -> bool:
    import docker

    client = docker.from_env()
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False
    finally:
        client.close()


def _run_container(host: str, port: int, storage: Path) -> str:
    import docker

    client = docker.from_env()
    try:
        for leftover in client.containers.list(
            all=True, ignore_removed=True, filters={"label": REGISTRY_LABEL}
        ):
            if not _alive(int(leftover.labels.get(REGISTRY_LABEL) or 0)):
                leftover.remove(force=True)
        container = client.containers.run(
            REGISTRY_IMAGE,
            detach=True,
            ports={"5000/tcp": (host, port)},
            environment={
                "REGISTRY_STORAGE_DELETE_ENABLED": "true",
                "REGISTRY_HTTP_RELATIVEURLS": "true",
            },
            volumes={str(storage / "data"): {"bind": "/var/lib/registry", "mode": "rw"}},
            labels={REGISTRY_LABEL: str(os.getpid())},
        )
        return str(container.id)
    finally:
        client.close()


def _remove_container(container_id: str) -> None:
    import docker

    client = docker.from_env()
    try:
        client.containers.get(container_id).remove(force=True)
    except docker.errors.NotFound:
        pass
    finally:
        client.close()
