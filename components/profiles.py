"""Profiles: one switch for the cost and availability defaults of a FargateApp.

Explicit args always win over the profile. The README's profile table is generated from
``PROFILES`` (``python -m components.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Defaults a profile applies to every arg the caller leaves out."""

    az_count: int
    """Availability zones of the new VPC."""
    nat_gateways: str
    """NAT strategy of the new VPC."""
    flow_logs: bool
    """VPC flow logs to CloudWatch Logs."""
    desired_count: int
    """Tasks to run."""
    log_retention_days: int
    """CloudWatch Logs retention."""
    deletion_protection: bool
    """ALB deletion protection."""
    spot: bool
    """Run on FARGATE_SPOT (only with X86_64)."""
    https_required: bool
    """An internet-facing ALB must have a `certificate_arn`."""
    images_kept: int
    """Tagged images the ECR lifecycle policy keeps (untagged ones expire after a day)."""
    force_delete_repository: bool
    """`pulumi destroy` deletes the ECR repository even if it holds images."""


#: The profile of a FargateApp that names none.
DEFAULT_PROFILE = "dev"

PROFILES: dict[str, Profile] = {
    "dev": Profile(
        az_count=2,
        nat_gateways="single",
        flow_logs=False,
        desired_count=1,
        log_retention_days=7,
        deletion_protection=False,
        spot=True,
        https_required=False,
        images_kept=10,
        force_delete_repository=True,
    ),
    "prod": Profile(
        az_count=3,
        nat_gateways="per_az",
        flow_logs=True,
        desired_count=2,
        log_retention_days=365,
        deletion_protection=True,
        spot=False,
        https_required=True,
        images_kept=50,
        force_delete_repository=False,
    ),
}
