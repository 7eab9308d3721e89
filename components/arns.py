"""The shapes of AWS identifiers the component reads: partition, region, account and a private
ECR image (as the Terraform AWS provider validates them), and the repository ARN of an image."""

from __future__ import annotations

import re
from typing import Optional

PARTITION = r"aws(?:-[a-z]+)*"
REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
ACCOUNT = r"\d{12}"
PRIVATE_ECR_IMAGE = re.compile(
    rf"^(?P<account>{ACCOUNT})\.dkr\.ecr(?:-fips)?\.(?P<region>{REGION})\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)"
)
"""An image in an account's private ECR registry (the only one VPC endpoints reach)."""


def ecr_repository_arn(image: str, partition: str) -> Optional[str]:
    """The ARN of the private ECR repository ``image`` is pulled from; None for any other
    registry (Docker Hub, ECR Public, ...)."""
    found = PRIVATE_ECR_IMAGE.match(image)
    if found is None:
        return None
    return (
        f"arn:{partition}:ecr:{found['region']}:{found['account']}:repository/{found['repository']}"
    )
