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
    kms_encryption: bool
    """A customer-managed KMS key (rotation on) encrypts the log groups and the ECR repository."""
    waf: bool
    """A WAF web ACL (AWS managed rules, per-IP rate limit) guards an internet-facing ALB."""
    access_logs: bool
    """ALB access logs to an S3 bucket the component creates."""
    force_destroy_access_logs: bool
    """`pulumi destroy` deletes the access-log bucket even if it holds logs."""


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
        kms_encryption=False,
        waf=False,
        access_logs=False,
        force_destroy_access_logs=True,
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
        kms_encryption=True,
        waf=True,
        access_logs=True,
        force_destroy_access_logs=False,
    ),
}
