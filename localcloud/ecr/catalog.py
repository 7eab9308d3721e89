"""What a repository of the registry holds, read through the registry's HTTP API (OCI
distribution): ``GET /v2/<name>/tags/list``, then each tag's manifest, asked for in every
format Docker and OCI tools push (``Accept``), its digest from ``Docker-Content-Digest``."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

#: Manifest formats the registry may hold, most specific first (what ``docker pull`` accepts).
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
TIMEOUT = 5.0


@dataclass
class StoredImage:
    """One manifest of a repository and the tags that point at it."""

    digest: str
    media_type: str
    manifest: str
    size: int
    tags: list[str] = field(default_factory=list)
    pushed_at: float = 0.0
    """When it was pushed (epoch seconds): known to the ECR proxy, not to the registry."""


def manifest_digest(body: bytes) -> str:
    """The content digest of a manifest (what the registry and ECR call ``imageDigest``)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def images(registry_url: str, repository: str) -> list[StoredImage]:
    """The tagged images of *repository*, one per digest, tags in the registry's order."""
    by_digest: dict[str, StoredImage] = {}
    for tag in tags(registry_url, repository):
        image = manifest(registry_url, repository, tag)
        if image is None:  # the tag went away between the two requests
            continue
        by_digest.setdefault(image.digest, image).tags.append(tag)
    return list(by_digest.values())


def tags(registry_url: str, repository: str) -> list[str]:
    """The tags of *repository* (none when the registry does not know it)."""
    answer = _get(f"{registry_url}/v2/{repository}/tags/list", {})
    if answer is None:
        return []
    return list(json.loads(answer[1]).get("tags") or [])


def manifest(registry_url: str, repository: str, reference: str) -> StoredImage | None:
    """The manifest *reference* (a tag or a digest) points at, or None when there is none."""
    answer = _get(
        f"{registry_url}/v2/{repository}/manifests/{reference}",
        {"Accept": ", ".join(MANIFEST_TYPES)},
    )
    if answer is None:
        return None
    headers, body = answer
    document = json.loads(body)
    return StoredImage(
        digest=headers.get("Docker-Content-Digest") or manifest_digest(body),
        media_type=document.get("mediaType") or headers.get("Content-Type", ""),
        manifest=body.decode(),
        size=_size(document),
    )


def _size(document: dict[str, Any]) -> int:
    """ECR's ``imageSizeInBytes``: the compressed layers (or the manifests of an index)."""
    parts = document.get("layers") or document.get("manifests") or []
    return sum(int(part.get("size") or 0) for part in parts)


def _get(url: str, headers: dict[str, str]) -> tuple[Any, bytes] | None:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.headers, answer.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
