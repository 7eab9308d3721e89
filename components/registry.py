"""Registry: an ECR repository with scan on push, immutable tags and a lifecycle policy."""

from __future__ import annotations

import json
from typing import Optional

import pulumi
import pulumi_aws as aws

from .component import Component
from .naming import ecr_name
from .settings import RegistrySettings

UNTAGGED_EXPIRY_DAYS = 1


def lifecycle_policy(images_kept: int) -> str:
    """ECR lifecycle policy: expire untagged images after a day, keep the last ``images_kept``."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {UNTAGGED_EXPIRY_DAYS} day",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": UNTAGGED_EXPIRY_DAYS,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {images_kept} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": images_kept,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


class Registry(Component):
    """An ECR repository (scan on push, IMMUTABLE tags, AES256 or a KMS key) and its lifecycle
    policy."""

    repository_url: pulumi.Output[str]
    """URL of the repository, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/web-dev."""
    repository_arn: pulumi.Output[str]
    """ARN of the repository."""

    def __init__(
        self,
        name: str,
        settings: RegistrySettings,
        tags: Optional[dict[str, str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
        *,
        kms_key_arn: Optional[pulumi.Input[str]] = None,
    ) -> None:
        """``kms_key_arn``: the KMS key that encrypts the images (None: AES256). ECR sets the
        encryption only when it creates a repository and changing it replaces the repository
        (its images lost), so a change to it is ignored: an existing repository keeps its
        encryption, a new one gets the key. To move one, `pulumi up --replace` it."""
        super().__init__("fargate-app:index:Registry", name, None, opts)
        encryption = (
            {"encryption_type": "KMS", "kms_key": kms_key_arn}
            if kms_key_arn is not None
            else {"encryption_type": "AES256"}
        )
        repository = aws.ecr.Repository(
            f"{name}-repo",
            name=ecr_name(name),
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[encryption],
            force_delete=settings.force_delete,
            tags=dict(tags or {}),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["encryption_configurations"]),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(settings.images_kept),
            opts=self._child(),
        )
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self._register_declared_outputs()
