"""ECR guardrails: image scanning, tag immutability and a lifecycle policy per repository."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.rules.base import (
    PROD_CONFIG,
    GuardrailResourcePolicy,
    GuardrailStackPolicy,
    StackView,
)
from policies.rules.props import get, is_unknown, parse_json, truthy

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

IMMUTABLE_SETTINGS = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")


def _scan_on_push(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    scan = truthy(get(props, "imageScanningConfiguration.scanOnPush", False))
    if not is_unknown(scan) and not scan:
        yield "imageScanningConfiguration.scanOnPush is not true (FargateApp default: on)."


def _immutable_tags(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    # Absent means the AWS default, MUTABLE: a real violation, not a guess.
    mutability = get(props, "imageTagMutability", "MUTABLE")
    if not is_unknown(mutability) and mutability not in IMMUTABLE_SETTINGS:
        yield (
            f"imageTagMutability is {mutability}: a pushed tag can be overwritten. Use IMMUTABLE "
            "and deploy a new tag (or a digest) per release."
        )


KMS_ENCRYPTION_TYPES = ("KMS", "KMS_DSSE")


def _kms_in_prod(props: dict[str, Any], config: dict[str, Any]) -> Iterator[str]:
    if not config.get("prod", False):
        return
    kind = get(props, "encryptionConfigurations.0.encryptionType", "AES256")
    if not is_unknown(kind) and kind not in KMS_ENCRYPTION_TYPES:
        yield (
            f"encryptionType is {kind} in production; use KMS (FargateApp: kms_encryption; ECR "
            "sets it only when it creates a repository)."
        )


def _lifecycle(stack: StackView, config: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    policies = stack.of_type(LIFECYCLE_POLICY)
    covered: set[str] = set()
    undecidable = False
    for policy in policies:
        ref = stack.refs(policy, "repository", policy.get("repository"), REPOSITORY)
        if ref.unresolved:
            undecidable = True
        covered |= ref.urns
        for message in _lifecycle_document_problems(policy.get("policy")):
            yield message, policy.urn
    for repository in stack.of_type(REPOSITORY):
        if repository.urn not in covered and not undecidable:
            yield (
                f"repository {repository.name!r} has no lifecycle policy: untagged and old "
                "images pile up (FargateApp default: expire untagged, keep the last N tagged).",
                repository.urn,
            )


def _lifecycle_document_problems(document: Any) -> Iterator[str]:
    try:
        parsed = parse_json(document)
    except ValueError as exc:
        yield f"lifecycle policy is {exc}"
        return
    if parsed is None or is_unknown(parsed):
        return
    rules = parsed.get("rules") if isinstance(parsed, dict) else None
    if not rules:
        yield "lifecycle policy has no rules."


POLICIES = [
    GuardrailResourcePolicy(
        name="ecr-scan-on-push",
        controls=("FSBP ECR.1", "CKV_AWS_163"),
        description="ECR repositories must scan images on push.",
        resource_types=[REPOSITORY],
        check=_scan_on_push,
    ),
    GuardrailResourcePolicy(
        name="ecr-immutable-tags",
        controls=("FSBP ECR.2", "CKV_AWS_51"),
        description="ECR repositories must have immutable image tags.",
        resource_types=[REPOSITORY],
        check=_immutable_tags,
    ),
    GuardrailResourcePolicy(
        name="ecr-kms-in-prod",
        controls=("CKV_AWS_136",),
        description="In production, ECR repositories must be encrypted with KMS.",
        resource_types=[REPOSITORY],
        check=_kms_in_prod,
        config=PROD_CONFIG,
    ),
    GuardrailStackPolicy(
        name="ecr-lifecycle-policy",
        controls=("FSBP ECR.3",),
        description="Every ECR repository must have a lifecycle policy with at least one rule.",
        check=_lifecycle,
    ),
]

__all__ = ["POLICIES"]
