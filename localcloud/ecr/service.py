"""``LocalEcr``: the registry, the proxy in front of it and ECR's rules, started and stopped
with the emulator.

The registry holds the images; moto holds the repositories. ECR's answers join the two
(``localcloud.ecr.responses``): repository URIs point at the proxy, and the images a repository
shows are read from the registry. Without a registry (``choose_registry`` found none) ECR keeps
moto's behaviour and ``status`` says why.
"""

from __future__ import annotations

import fnmatch
import time
from typing import Any

from moto.ecr.models import Repository, ecr_backends

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.ecr.proxy import Refusal, RegistryProxy
from localcloud.ecr.registry import (
    REGISTRY_BINARY,
    RegistryChoice,
    RegistryProcess,
    choose_registry,
)
from localcloud.errors import LocalCloudError

#: ECR's answer to a push over an existing tag of an IMMUTABLE repository (docker shows it as
#: ``tag invalid: ...``). ECR's wording since 2025; before it ended "...because the repository
#: is immutable."
IMMUTABLE_TAG_MESSAGE = (
    "The image tag '{tag}' already exists in the '{repository}' repository and cannot be "
    "overwritten because the tag is immutable."
)
#: ECR's answer to a request for a repository it does not have (docker: ``name unknown: ...``).
UNKNOWN_REPOSITORY_MESSAGE = (
    "The repository with name '{repository}' does not exist in the registry with id '{registry}'"
)


class LocalEcr:
    """The local ECR's data plane: a registry on 127.0.0.1 behind the ECR proxy."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        #: Where to look for the registry binary (``choose_registry``).
        self.registry_binary = REGISTRY_BINARY
        self._registry: RegistryProcess | None = None
        self._proxy: RegistryProxy | None = None
        self._choice: RegistryChoice | None = None
        #: When each (repository, digest) was first pushed or seen: ECR's ``imagePushedAt``.
        self._pushed_at: dict[tuple[str, str], float] = {}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the registry and the proxy (nothing when the machine has no registry)."""
        if self._proxy is not None:
            return
        self._choice = choose_registry(self.registry_binary)
        if self._choice.kind == "none":
            return
        registry = RegistryProcess(self._choice, self.host)
        try:
            registry.start()
        except LocalCloudError as exc:  # the emulator still serves; ECR says why it is moto's
            self._choice = RegistryChoice("none", "", str(exc))
            return
        self._registry = registry
        self._proxy = RegistryProxy(registry.url, _Rules(self), self.host)
        try:
            self._proxy.start()
        except BaseException:
            registry.stop()
            self._registry = self._proxy = None
            raise

    def stop(self) -> None:
        """Stop the proxy and the registry, releasing both ports and the storage."""
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None
        if self._registry is not None:
            self._registry.stop()
            self._registry = None
        self._pushed_at.clear()

    @property
    def running(self) -> bool:
        """Whether repositories live on the local registry (else ECR answers as moto does)."""
        return self._proxy is not None

    @property
    def status(self) -> str:
        """One line: where the images live, or why ECR keeps moto's behaviour."""
        if self._choice is None:
            return "not started"
        if self._choice.kind == "none":
            return (
                f"no registry ({self._choice.reason}): ECR answers as moto does and holds no "
                "images; install Debian's docker-registry for a local ECR"
            )
        if self._proxy is None:
            return "stopped"
        return f"registry at {self.endpoint} ({self._choice.source})"

    @property
    def endpoint(self) -> str:
        """``host:port`` of the local ECR (the proxy): the registry part of repository URIs."""
        if self._proxy is None:
            raise RuntimeError("the local ECR has no registry")
        return f"{self.host}:{self._proxy.port}"

    @property
    def registry_pid(self) -> int | None:
        """The registry's process id while it runs (None for a registry container)."""
        return self._registry.pid if self._registry is not None else None

    @property
    def registry_url(self) -> str:
        """``http://host:port`` of the registry itself (behind the proxy)."""
        if self._registry is None:
            raise RuntimeError("the local ECR has no registry")
        return self._registry.url

    def repository_uri(self, name: str) -> str:
        """``127.0.0.1:<port>/<name>``, the repository URI ``docker push`` and tasks use."""
        return f"{self.endpoint}/{name}"

    # -- the images of a repository ----------------------------------------------------------------

    def stored_images(self, repository: str) -> list[Any]:
        """The tagged images the registry holds for *repository*, with their push times."""
        from localcloud.ecr.catalog import images

        found = images(self.registry_url, repository)
        for image in found:
            image.pushed_at = self._pushed_at.setdefault((repository, image.digest), time.time())
        return found

    def forget_repository(self, name: str) -> None:
        """Delete the images of repository *name* (it was deleted)."""
        if self._registry is not None:
            self._registry.forget_repository(name)
        for key in [key for key in self._pushed_at if key[0] == name]:
            del self._pushed_at[key]

    def forget_images(self, name: str, tags: list[str], digests: list[str]) -> None:
        """Delete *tags* and the manifests *digests* of repository *name* (BatchDeleteImage)."""
        if self._registry is not None:
            self._registry.forget_images(name, tags, digests)

    def forget_all(self) -> None:
        """Delete every image (the emulator was reset)."""
        if self._registry is not None:
            self._registry.forget_all()
        self._pushed_at.clear()

    def record_push(self, repository: str, digest: str) -> None:
        """Manifest *digest* was pushed to *repository* now."""
        self._pushed_at[(repository, digest)] = time.time()

    def repositories(self, name: str) -> list[Repository]:
        """ECR's repositories called *name*, in every account and region (one registry).

        Read without the emulator's lock: a scheduler tick holding it may be waiting for an
        image pull through the proxy, which asks this.
        """
        while True:
            try:
                return [
                    backend.repositories[name]
                    for _account, _region, backend in list(ecr_backends.iter_backends())
                    if name in backend.repositories
                ]
            except (RuntimeError, KeyError):  # a backend or repository appeared or went meanwhile
                continue


class _Rules:
    """ECR's rules for the proxy, over moto's repositories and the registry's tags."""

    def __init__(self, ecr: LocalEcr) -> None:
        self._ecr = ecr

    def refuse_repository(self, name: str) -> Refusal | None:
        if self._ecr.repositories(name):
            return None
        from moto.core import DEFAULT_ACCOUNT_ID

        message = UNKNOWN_REPOSITORY_MESSAGE.format(repository=name, registry=DEFAULT_ACCOUNT_ID)
        return Refusal(404, "NAME_UNKNOWN", message)

    def refuse_manifest(self, name: str, tag: str, digest: str) -> Refusal | None:
        if not any(
            tag_is_immutable(repository, tag) for repository in self._ecr.repositories(name)
        ):
            return None
        from localcloud.ecr.catalog import tags

        if tag not in tags(self._ecr.registry_url, name):
            return None
        return Refusal(400, "TAG_INVALID", IMMUTABLE_TAG_MESSAGE.format(tag=tag, repository=name))

    def pushed(self, name: str, digest: str) -> None:
        self._ecr.record_push(name, digest)


def tag_is_immutable(repository: Repository, tag: str) -> bool:
    """Whether *repository* keeps *tag* once pushed (IMMUTABLE, or MUTABLE_WITH_EXCLUSION for a
    tag its exclusion filters match; IMMUTABLE_WITH_EXCLUSION excludes the matching tags)."""
    filters = [f["filter"] for f in repository.image_tag_mutability_exclusion_filters or []]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in filters)
    mutability = str(
        getattr(repository.image_tag_mutability, "value", repository.image_tag_mutability)
    )
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return mutability == "IMMUTABLE"
