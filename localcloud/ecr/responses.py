"""Where moto's ECR differs from an ECR that holds images, while the local registry runs.

Installed once per process, active only on the emulator's own requests
(``serving_emulator_request``) and only while the registry runs (``LocalEcr.running``):

- every repository's ``repositoryUri`` is ``127.0.0.1:<port>/<name>`` on the local ECR
  (LocalStack's shape), in CreateRepository, DescribeRepositories and everywhere else;
- GetAuthorizationToken answers that registry as ``proxyEndpoint`` (``http://``, so ``docker
  login`` works without TLS) and expires in 12 hours as ECR's does;
- ListImages, DescribeImages, BatchGetImage, BatchDeleteImage and DeleteRepository first read
  the repository's images from the registry (tags, digest, manifest and its media type,
  compressed size, push time), so they show what ``docker push`` stored; BatchDeleteImage and
  DeleteRepository delete from the registry too.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.ecr.models import ECRBackend, Image, Repository
from moto.ecr.responses import ECRResponse

from localcloud import _moto_env  # noqa: F401  (moto settings first)
from localcloud.ecr.service import LocalEcr
from localcloud.emulator import serving_emulator_request

#: How long an ECR authorization token is valid.
TOKEN_LIFETIME = timedelta(hours=12)

_installed: dict[str, Any] = {}


def install(ecr: LocalEcr) -> None:
    """Patch moto's ECR (once per process); later calls only rebind *ecr*."""
    _installed["ecr"] = ecr
    if _installed.get("done"):
        return
    _installed["done"] = True
    Repository.uri = property(_repository_uri, _set_repository_uri)  # type: ignore[assignment]
    ECRResponse.get_authorization_token = _authorization_token(ECRResponse.get_authorization_token)
    for method in ("list_images", "describe_images", "batch_get_image"):
        setattr(ECRBackend, method, _reading_the_registry(getattr(ECRBackend, method)))
    ECRBackend.batch_delete_image = _deleting_images(ECRBackend.batch_delete_image)
    ECRBackend.delete_repository = _deleting_the_repository(ECRBackend.delete_repository)


def _active() -> LocalEcr | None:
    """The local ECR when this request should see it (an emulator request, a registry)."""
    ecr = _installed.get("ecr")
    if ecr is not None and ecr.running and serving_emulator_request():
        return ecr
    return None


def _repository_uri(self: Repository) -> str:
    ecr = _active()
    if ecr is not None:
        return ecr.repository_uri(self.name)
    return self.__dict__.get("_moto_uri", self.__dict__.get("uri", ""))


def _set_repository_uri(self: Repository, value: str) -> None:
    self.__dict__["_moto_uri"] = value


def _authorization_token(original: Any) -> Any:
    @functools.wraps(original)
    def get_authorization_token(self: ECRResponse) -> Any:
        result = original(self)
        ecr = _active()
        if ecr is not None:
            expires = datetime.now(UTC) + TOKEN_LIFETIME
            for entry in result.result["authorizationData"]:
                entry["proxyEndpoint"] = f"http://{ecr.endpoint}"
                entry["expiresAt"] = expires
        return result

    return get_authorization_token


class RegistryImage(Image):
    """An image as the registry stores it (moto's ``Image`` guesses size and digest)."""

    def __init__(self, repository: Repository, stored: Any) -> None:
        super().__init__(
            repository.account_id,
            stored.tags[0],
            stored.manifest,
            repository.name,
            stored.media_type,
            stored.digest,
            repository.registry_id,
        )
        for tag in stored.tags[1:]:
            self.update_tag(tag)
        self.image_tag = stored.tags[0]
        self.image_pushed_at = datetime.fromtimestamp(stored.pushed_at, UTC)
        self._size = stored.size

    def get_image_size_in_bytes(self) -> int:
        """The compressed size of the layers, as ECR reports it."""
        return self._size


def _sync(backend: ECRBackend, repository_name: str) -> LocalEcr | None:
    """Replace moto's images of the repository with the registry's (when the ECR is local)."""
    ecr = _active()
    repository = backend.repositories.get(repository_name)
    if ecr is None or repository is None:
        return None
    repository.images = [
        RegistryImage(repository, stored) for stored in ecr.stored_images(repository_name)
    ]
    return ecr


def _reading_the_registry(original: Any) -> Any:
    @functools.wraps(original)
    def read(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Any:
        _sync(self, repository_name)
        return original(self, repository_name, *args, **kwargs)

    return read


def _deleting_images(original: Any) -> Any:
    @functools.wraps(original)
    def batch_delete_image(
        self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        ecr = _sync(self, repository_name)
        before = _tags_and_digests(self, repository_name)
        result = original(self, repository_name, *args, **kwargs)
        if ecr is not None:
            after = _tags_and_digests(self, repository_name)
            ecr.forget_images(
                repository_name, sorted(before[0] - after[0]), sorted(before[1] - after[1])
            )
        return result

    return batch_delete_image


def _tags_and_digests(backend: ECRBackend, repository_name: str) -> tuple[set[str], set[str]]:
    images = backend.repositories[repository_name].images
    return (
        {tag for image in images for tag in image.image_tags},
        {image.image_digest for image in images},
    )


def _deleting_the_repository(original: Any) -> Any:
    @functools.wraps(original)
    def delete_repository(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Any:
        ecr = _sync(self, repository_name)  # moto refuses a non-empty one without force
        result = original(self, repository_name, *args, **kwargs)
        if ecr is not None:
            ecr.forget_repository(repository_name)
        return result

    return delete_repository
